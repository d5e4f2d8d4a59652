/**
 * The JetStream stream that holds every market-data subject (`md.>`). Recorders create it when it
 * is missing; sinks and readers only look it up. Settings (docs/SCALING.md "Stream settings"):
 *
 * - file storage: the bus survives a server restart;
 * - retention by limits: messages stay until older than `maxAgeHours` or until the stream holds
 *   `maxBytes`, then the oldest are discarded. The bus is a buffer between recorders and sinks,
 *   not the history (the lake is): its age limit is how long a sink may be down without loss;
 * - duplicate window: for this long JetStream drops a message whose `Nats-Msg-Id` it has already
 *   stored (a publish retried after a lost ack, a recorder re-publishing an overlap);
 * - one replica: a clustered desk raises it with `nats stream edit`.
 */
import { DiscardPolicy, RetentionPolicy, StorageType, type StreamInfo } from '@nats-io/jetstream';
import { BusError } from './errors.ts';
import { ALL_SUBJECTS } from './subjects.ts';
import type { Bus } from './connection.ts';

export const DEFAULT_STREAM = 'ORDERFLOW_MD';
export const DEFAULT_MAX_AGE_HOURS = 72;
export const DEFAULT_MAX_BYTES = 10 * 1024 ** 3;
export const DEFAULT_DUPLICATE_WINDOW_S = 300;

export interface StreamOptions {
  readonly name?: string;
  readonly maxAgeHours?: number;
  readonly maxBytes?: number;
  readonly duplicateWindowS?: number;
}

const NANOS_PER_S = 1_000_000_000;

/** The stream's info, creating it with `o`'s settings when it is missing. An existing stream keeps its own settings. */
export async function ensureStream(bus: Bus, o: StreamOptions = {}): Promise<StreamInfo> {
  const name = o.name ?? DEFAULT_STREAM;
  const existing = await findStream(bus, name);
  if (existing) return existing;
  try {
    return await bus.jsm.streams.add({
      name,
      subjects: [ALL_SUBJECTS],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_age: Math.round((o.maxAgeHours ?? DEFAULT_MAX_AGE_HOURS) * 3600 * NANOS_PER_S),
      max_bytes: o.maxBytes ?? DEFAULT_MAX_BYTES,
      duplicate_window: Math.round((o.duplicateWindowS ?? DEFAULT_DUPLICATE_WINDOW_S) * NANOS_PER_S),
      num_replicas: 1,
    });
  } catch (e) {
    throw new BusError('E_BUS_STREAM', `cannot create stream ${name} on ${bus.url}: ${(e as Error).message}`);
  }
}

/** The stream's info; E_BUS_STREAM when it is missing (nothing was ever recorded to this bus). */
export async function requireStream(bus: Bus, name = DEFAULT_STREAM): Promise<StreamInfo> {
  const s = await findStream(bus, name);
  if (!s) throw new BusError('E_BUS_STREAM', `stream ${name} does not exist on ${bus.url}: start a recorder with --bus first (it creates the stream)`);
  return s;
}

async function findStream(bus: Bus, name: string): Promise<StreamInfo | undefined> {
  try {
    const info = await bus.jsm.streams.info(name);
    if (!info.config.subjects?.includes(ALL_SUBJECTS)) throw new BusError('E_BUS_STREAM', `stream ${name} on ${bus.url} does not take ${ALL_SUBJECTS} (its subjects: ${info.config.subjects?.join(', ')})`);
    return info;
  } catch (e) {
    if (e instanceof BusError) throw e;
    if (/stream not found/i.test((e as Error).message)) return undefined;
    throw new BusError('E_BUS_STREAM', `cannot look up stream ${name} on ${bus.url}: ${(e as Error).message}`);
  }
}
