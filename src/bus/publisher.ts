/**
 * Publishes normalized events to the bus: one `ofb/1` batch per subject per flush, with the
 * batch's first and last exchange times in headers and a `Nats-Msg-Id` that JetStream
 * de-duplicates on.
 *
 * Why nothing is doubled on the bus:
 * - a publish whose ack is lost (timeout, reconnect) is retried with the same bytes and the same
 *   id, so JetStream drops the second copy if the first was stored (within the stream's
 *   duplicate window);
 * - a restarted recorder first reads the last batch the bus holds on each of its subjects
 *   (`resumeFrom`) and drops every event at or before it: the overlap a restart re-receives
 *   (trades back-filled from the store's last id, a replayed book or ticker) is not published
 *   again. This assumes each subject on the bus is a gap-free prefix, which holds for one
 *   recorder per subject publishing in arrival order.
 *
 * Msg ids: `<venue>.<symbol token>.<type>.<first id>-<last id>.<count>` for trades and
 * liquidations whose every event carries a venue id, else `<venue>.<symbol token>.<type>.h<hash>`
 * with a SHA-256 of the batch without its receive times (a re-received event is the same event).
 */
import { createHash } from 'node:crypto';
import { headers as natsHeaders, type MsgHdrs } from '@nats-io/transport-node';
import { jetstream, type JetStreamClient } from '@nats-io/jetstream';
import type { CaptureRecord, EventType, MarketEvent, Venue } from '../core/events.ts';
import type { TradeResume } from '../venues/live/types.ts';
import { BATCH_FORMAT, decodeBatch, encodeBatch, localTsRange } from './batch-codec.ts';
import type { Bus } from './connection.ts';
import { DEFAULT_STREAM } from './stream.ts';
import { subjectOf, symbolToken } from './subjects.ts';

/** Header names every batch carries besides Nats-Msg-Id. */
export const HEADER = {
  format: 'Orderflow-Batch',
  firstTs: 'Orderflow-First-Ts',
  lastTs: 'Orderflow-Last-Ts',
  count: 'Orderflow-Count',
} as const;

export const DEFAULT_PUBLISH_FLUSH_MS = 250;
/** Bound on batches waiting for the bus (not acked yet): beyond it the oldest are dropped and counted. */
export const DEFAULT_MAX_UNACKED_BYTES = 256 * 1024 * 1024;
/** A batch is split below this many bytes (the server's default max_payload is 1 MiB). */
const MAX_BATCH_BYTES = 768 * 1024;

export interface PublisherOptions {
  readonly stream?: string;
  readonly flushMs?: number;
  readonly maxUnackedBytes?: number;
  /** A flush could not publish (the batches are kept and retried). */
  readonly onError?: (e: Error) => void;
}

export interface PublisherStats {
  readonly events: number;
  /** Events dropped because the bus already held them when this publisher started. */
  readonly alreadyOnBus: number;
  readonly batches: number;
  /** Batches JetStream reported as duplicates (already stored under their Msg-Id). */
  readonly duplicates: number;
  readonly publishedEvents: number;
  readonly unackedBatches: number;
  /** Events dropped because the bus did not ack for longer than the unacked bound allows. */
  readonly dropped: number;
}

interface Pending {
  readonly venue: Venue;
  readonly symbol: string;
  readonly type: EventType;
  events: MarketEvent[];
}

interface Outgoing {
  readonly subject: string;
  readonly payload: Uint8Array;
  readonly msgId: string;
  readonly hdrs: MsgHdrs;
  readonly count: number;
}

/** What a subject held on the bus when this publisher started: events at or before it are not published again. */
interface Watermark {
  readonly lastTs: number;
  /** Keys of the events at lastTs. */
  readonly atLast: ReadonlySet<string>;
  /** The last integer trade id, when the venue's ids are integers. */
  readonly lastId?: bigint;
}

export class BusPublisher {
  private readonly js: JetStreamClient;
  private readonly pending = new Map<string, Pending>();
  private readonly outgoing: Outgoing[] = [];
  private outgoingBytes = 0;
  private readonly marks = new Map<string, Watermark>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private lastError = '';
  private s = { events: 0, alreadyOnBus: 0, batches: 0, duplicates: 0, publishedEvents: 0, dropped: 0 };

  constructor(
    private readonly bus: Bus,
    private readonly o: PublisherOptions = {},
  ) {
    this.js = jetstream(bus.nc, { timeout: 5000 });
  }

  /** Publish every `flushMs` until closed. */
  start(): void {
    this.timer ??= setInterval(() => void (this.flushing ?? this.flush().catch(() => {})), this.o.flushMs ?? DEFAULT_PUBLISH_FLUSH_MS);
  }

  /**
   * Read the last batch the bus holds on each subject: events at or before it are dropped from
   * then on. Call before the connectors start.
   */
  async resumeFrom(subjects: readonly { venue: Venue; symbol: string; type: EventType }[]): Promise<number> {
    let found = 0;
    for (const s of subjects) {
      const subject = subjectOf(s.venue, s.symbol, s.type);
      const last = await this.bus.jsm.streams.getMessage(this.o.stream ?? DEFAULT_STREAM, { last_by_subj: subject });
      if (!last) continue;
      let events: readonly MarketEvent[];
      try {
        events = decodeBatch(last.data).events;
      } catch {
        continue; // Not ours to resume from: this publisher starts afresh on that subject.
      }
      if (events.length === 0) continue;
      let lastTs = -Infinity;
      for (const e of events) if (e.ts > lastTs) lastTs = e.ts;
      const atLast = new Set(events.filter((e) => e.ts === lastTs).map(eventKey));
      const ids = s.type === 'trade' ? events.map((e) => integerId((e as { id: string }).id)) : [];
      const lastId = ids.length > 0 && ids.every((x) => x !== undefined) ? ids.reduce((a, b) => (b! > a! ? b : a)) : undefined;
      this.marks.set(subject, { lastTs, atLast, lastId });
      found++;
    }
    return found;
  }

  /**
   * Where the bus's trades of a symbol stopped (read by `resumeFrom`), as a connector's resume
   * point: a recorder that also stores back-fills from the earlier of this and the store's.
   */
  tradeResume(venue: Venue, symbol: string): TradeResume | undefined {
    const m = this.marks.get(subjectOf(venue, symbol, 'trade'));
    if (!m) return undefined;
    const lastId = m.lastId !== undefined && m.lastId <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(m.lastId) : undefined;
    return { lastId, lastTs: m.lastTs, idsAtLastTs: [...m.atLast] };
  }

  /** Take events (as a connector's onEvents delivers them); candles are not bus events. */
  add(records: readonly CaptureRecord[]): void {
    for (const r of records) {
      if (r.type === 'kline') continue;
      const subject = subjectOf(r.venue, r.symbol, r.type);
      const mark = this.marks.get(subject);
      if (mark && alreadyOnBus(r, mark)) {
        this.s.alreadyOnBus++;
        continue;
      }
      let p = this.pending.get(subject);
      if (!p) this.pending.set(subject, (p = { venue: r.venue, symbol: r.symbol, type: r.type, events: [] }));
      p.events.push(r);
      this.s.events++;
    }
  }

  /** Encode what is pending and publish it with what is waiting for a retry; resolves when every ack is in or failed. */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => this.flush());
    this.flushing = this.publish().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async publish(): Promise<void> {
    for (const [subject, p] of this.pending) {
      if (p.events.length === 0) continue;
      for (const out of batches(subject, p)) this.queue(out);
      p.events = [];
    }
    if (this.outgoing.length === 0) return;
    const sending = this.outgoing.splice(0);
    const results = await Promise.allSettled(sending.map((b) => this.js.publish(b.subject, b.payload, { msgID: b.msgId, headers: b.hdrs, timeout: 5000 })));
    const failed: Outgoing[] = [];
    let error: Error | undefined;
    for (const [i, r] of results.entries()) {
      const b = sending[i];
      if (r.status === 'rejected') {
        failed.push(b);
        error = r.reason as Error;
        continue;
      }
      this.outgoingBytes -= b.payload.length;
      if (r.value.duplicate) this.s.duplicates++;
      else {
        this.s.batches++;
        this.s.publishedEvents += b.count;
      }
    }
    // Retried first, before newer batches, with the same Msg-Id: a lost ack is not a lost batch.
    this.outgoing.unshift(...failed);
    if (error) {
      const message = `cannot publish ${failed.length} batches to ${this.bus.url} (kept, retried next flush): ${error.message}`;
      if (message !== this.lastError) this.o.onError?.(new Error(message));
      this.lastError = message;
      throw error;
    }
    this.lastError = '';
  }

  private queue(b: Outgoing): void {
    this.outgoing.push(b);
    this.outgoingBytes += b.payload.length;
    const max = this.o.maxUnackedBytes ?? DEFAULT_MAX_UNACKED_BYTES;
    while (this.outgoingBytes > max && this.outgoing.length > 1) {
      const old = this.outgoing.shift()!;
      this.outgoingBytes -= old.payload.length;
      this.s.dropped += old.count;
    }
  }

  stats(): PublisherStats {
    return { ...this.s, unackedBatches: this.outgoing.length };
  }

  /** Publish what is left (one last try) and stop the timer; the connection is the caller's. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}

/** One or more batches for a subject's pending events, each below MAX_BATCH_BYTES. */
function* batches(subject: string, p: Pending): Generator<Outgoing> {
  const parts: MarketEvent[][] = [p.events];
  while (parts.length > 0) {
    const events = parts.shift()!;
    const payload = encodeBatch(p.venue, p.symbol, p.type, events);
    if (payload.length > MAX_BATCH_BYTES && events.length > 1) {
      const half = events.length >> 1;
      parts.unshift(events.slice(0, half), events.slice(half));
      continue;
    }
    let first = Infinity;
    let last = -Infinity;
    for (const e of events) {
      if (e.ts < first) first = e.ts;
      if (e.ts > last) last = e.ts;
    }
    const hdrs = natsHeaders();
    hdrs.set(HEADER.format, BATCH_FORMAT);
    hdrs.set(HEADER.firstTs, String(first));
    hdrs.set(HEADER.lastTs, String(last));
    hdrs.set(HEADER.count, String(events.length));
    yield { subject, payload, msgId: msgIdOf(p.venue, p.symbol, p.type, events, payload), hdrs, count: events.length };
  }
}

export function msgIdOf(venue: Venue, symbol: string, type: EventType, events: readonly MarketEvent[], payload: Uint8Array): string {
  const head = `${venue}.${symbolToken(symbol)}.${type}`;
  if ((type === 'trade' || type === 'liquidation') && events.every((e) => (e as { id: string }).id !== '')) {
    return `${head}.${(events[0] as { id: string }).id}-${(events[events.length - 1] as { id: string }).id}.${events.length}`;
  }
  const [a, b] = localTsRange(payload);
  const h = createHash('sha256').update(payload.subarray(0, a)).update(payload.subarray(b)).digest('hex');
  return `${head}.h${h.slice(0, 32)}`;
}

/** An event's identity for the resume check: the venue id where there is one, else its content without receive time. */
function eventKey(e: MarketEvent): string {
  if ((e.type === 'trade' || e.type === 'liquidation') && e.id !== '') return e.id;
  const { localTs: _, ...rest } = e;
  return JSON.stringify(rest);
}

function integerId(id: string): bigint | undefined {
  return /^[0-9]{1,19}$/.test(id) ? BigInt(id) : undefined;
}

function alreadyOnBus(e: MarketEvent, m: Watermark): boolean {
  if (m.lastId !== undefined && e.type === 'trade') {
    const id = integerId(e.id);
    if (id !== undefined) return id <= m.lastId;
  }
  if (e.ts !== m.lastTs) return e.ts < m.lastTs;
  return m.atLast.has(eventKey(e));
}
