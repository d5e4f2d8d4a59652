/**
 * A bus sink: a durable pull consumer on the market-data stream whose batches go to a writer
 * (the DuckDB store, or the Parquet lake), by this rule:
 *
 *   pull a group of messages -> decode -> write the group durably -> ack each message.
 *
 * A crash anywhere before the acks leaves the messages unacked, and JetStream redelivers them
 * after the consumer's ack wait, to this sink once restarted or to another sink sharing the
 * durable. Redelivered messages carry `redelivered`; the writer checks those against what it
 * already holds (by Msg-Id) and skips what is there, so a batch is written exactly once however
 * often it is delivered. Several sinks on one durable share the messages (each message goes to
 * one of them at a time); the ack wait must exceed a group's write time, or a slow write could
 * see its messages handed to another sink meanwhile.
 *
 * A message that is not a readable batch is dead-lettered: one JSON line with its subject,
 * sequence, Msg-Id, the error (naming the field) and its bytes in base64, then terminated (never
 * redelivered). The sink goes on.
 */
import { appendFileSync, closeSync, fsyncSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { AckPolicy, DeliverPolicy, jetstream, type Consumer, type JsMsg } from '@nats-io/jetstream';
import { decodeBatch, type Batch } from './batch-codec.ts';
import type { Bus } from './connection.ts';
import { BusError } from './errors.ts';
import { rowProblem } from '../store/row-check.ts';
import { parseSubject } from './subjects.ts';
import { DEFAULT_STREAM, requireStream } from './stream.ts';

/** A decoded message as a writer sees it. */
export interface ReceivedBatch {
  /** The batch's Nats-Msg-Id: its identity in the store and the lake. */
  readonly msgId: string;
  /** Stream sequence. */
  readonly seq: number;
  /** Delivered before (the previous delivery may have been written but not acked). */
  readonly redelivered: boolean;
  readonly batch: Batch;
}

export interface BatchWriter {
  /** Write the group durably (fsync'd, committed) before resolving; batches already held are skipped. */
  write(group: readonly ReceivedBatch[]): Promise<{ written: number; skipped: number; events: number }>;
  close(): Promise<void>;
  /** Where it writes, for messages. */
  readonly target: string;
}

export interface SinkOptions {
  readonly durable: string;
  readonly stream?: string;
  /** Seconds JetStream waits for an ack before redelivering, when the durable is created here. */
  readonly ackWaitS?: number;
  /** Messages per group at most. */
  readonly maxMessages?: number;
  /** A group is written at least this often when messages are flowing, ms. */
  readonly flushMs?: number;
  /** Folder of the dead-letter file `bus-<UTC date>.jsonl`. */
  readonly deadLetterDir: string;
  readonly onGroup?: (s: SinkStats) => void;
  /** A pull failed (the bus is restarting, say); the sink pulls again a second later. */
  readonly onError?: (e: Error) => void;
}

export interface SinkStats {
  readonly messages: number;
  readonly batchesWritten: number;
  /** Redelivered batches the writer already held. */
  readonly batchesSkipped: number;
  readonly events: number;
  readonly deadLettered: number;
  readonly groups: number;
  readonly lastWriteMs: number;
}

/**
 * Groups are large so the lake gets few, large files (one per partition per group): 5 s or 5000
 * batches. The ack wait covers a group's wait plus its write many times over.
 */
export const DEFAULT_ACK_WAIT_S = 60;
export const DEFAULT_SINK_MAX_MESSAGES = 5000;
export const DEFAULT_SINK_FLUSH_MS = 5000;
/** Shortest pull the client library accepts (its `expires` minimum), ms. */
const MIN_PULL_MS = 1000;

export class BusSink {
  private stopped = false;
  private s = { messages: 0, batchesWritten: 0, batchesSkipped: 0, events: 0, deadLettered: 0, groups: 0, lastWriteMs: 0 };

  private constructor(
    private readonly consumer: Consumer,
    private readonly writer: BatchWriter,
    private readonly o: SinkOptions,
  ) {}

  /** Look up the stream (E_BUS_STREAM when missing) and the durable consumer, creating the durable when missing. */
  static async open(bus: Bus, writer: BatchWriter, o: SinkOptions): Promise<BusSink> {
    const stream = o.stream ?? DEFAULT_STREAM;
    await requireStream(bus, stream);
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(o.durable)) throw new BusError('E_BUS_STREAM', `--durable: ${JSON.stringify(o.durable)} is not a consumer name (letters, digits, _ and -, at most 64)`);
    const existing = await bus.jsm.consumers.info(stream, o.durable).catch((e: Error) => {
      if (/consumer not found/i.test(e.message)) return undefined;
      throw new BusError('E_BUS_STREAM', `cannot look up consumer ${o.durable} on stream ${stream}: ${e.message}`);
    });
    // A pull waits at least a second for messages, so a group is held at least that long.
    const flushMs = Math.max(MIN_PULL_MS, o.flushMs ?? DEFAULT_SINK_FLUSH_MS);
    // (30 s is the server default when a consumer was made without one.)
    // Messages are in flight from their pull to the group's ack: a shorter ack wait would hand them to another sink meanwhile.
    const ackWaitMs = existing ? (existing.config.ack_wait ?? 30e9) / 1e6 : (o.ackWaitS ?? DEFAULT_ACK_WAIT_S) * 1000;
    if (ackWaitMs < 2 * flushMs) {
      throw new BusError('E_BUS_STREAM', `consumer ${o.durable}: ack wait ${ackWaitMs / 1000} s is under twice the longest a group is held (${flushMs} ms: --flush-ms, at least a second); batches would be redelivered while their group waits. Raise --ack-wait${existing ? ' (for an existing durable: delete it, or use a new --durable)' : ''} or lower --flush-ms`);
    }
    if (!existing) {
      await bus.jsm.consumers.add(stream, {
        durable_name: o.durable,
        ack_policy: AckPolicy.Explicit,
        deliver_policy: DeliverPolicy.All,
        ack_wait: Math.round((o.ackWaitS ?? DEFAULT_ACK_WAIT_S) * 1e9),
        max_ack_pending: 20_000,
      });
    }
    const consumer = await jetstream(bus.nc).consumers.get(stream, o.durable);
    return new BusSink(consumer, writer, o);
  }

  stats(): SinkStats {
    return { ...this.s };
  }

  /** Ends `run` after the group in hand is written and acked. */
  stop(): void {
    this.stopped = true;
  }

  /** Pull, write and ack until stopped. */
  async run(): Promise<void> {
    const max = this.o.maxMessages ?? DEFAULT_SINK_MAX_MESSAGES;
    const flushMs = this.o.flushMs ?? DEFAULT_SINK_FLUSH_MS;
    while (!this.stopped) {
      const msgs: JsMsg[] = [];
      const until = Date.now() + flushMs;
      while (!this.stopped && msgs.length < max && Date.now() < until) {
        try {
          const iter = await this.consumer.fetch({ max_messages: max - msgs.length, expires: Math.max(MIN_PULL_MS, Math.min(flushMs, until - Date.now())) });
          for await (const m of iter) msgs.push(m);
        } catch (e) {
          // The bus restarting, a consumer being recreated: said, waited out, pulled again.
          this.o.onError?.(e as Error);
          await new Promise((r) => setTimeout(r, 1000));
          break;
        }
        if (msgs.length === 0) break; // Nothing flowing: look at `stopped` again.
      }
      if (msgs.length > 0) await this.handle(msgs);
    }
  }

  private async handle(msgs: JsMsg[]): Promise<void> {
    const started = performance.now();
    const group: ReceivedBatch[] = [];
    const good: JsMsg[] = [];
    for (const m of msgs) {
      const msgId = m.headers?.get('Nats-Msg-Id') ?? '';
      try {
        const batch = decodeBatch(m.data);
        const sub = parseSubject(m.subject);
        if (sub.venue !== batch.venue || sub.symbol !== batch.symbol || sub.type !== batch.type) {
          throw new BusError('E_BATCH_SUBJECT', `batch of ${batch.venue} ${batch.symbol} ${batch.type} on subject ${m.subject}`, 'subject');
        }
        for (const [i, e] of batch.events.entries()) {
          const why = rowProblem(e);
          if (why !== undefined) throw new BusError('E_BATCH_FIELD', `event ${i}: ${why}`, `${batch.type}[${i}]`);
        }
        if (msgId === '') throw new BusError('E_BATCH_FIELD', 'message without Nats-Msg-Id: it could not be written idempotently', 'Nats-Msg-Id');
        group.push({ msgId, seq: m.seq, redelivered: m.info.redelivered, batch });
        good.push(m);
      } catch (e) {
        this.deadLetter(m, msgId, e as Error);
        // No reason text: nats-server before 2.10.4 ignores a `+TERM` that carries one.
        m.term();
        this.s.deadLettered++;
      }
    }
    this.s.messages += msgs.length;
    if (group.length > 0) {
      const r = await this.writer.write(group);
      this.s.batchesWritten += r.written;
      this.s.batchesSkipped += r.skipped;
      this.s.events += r.events;
    }
    // Only now: the group is durable.
    for (const m of good) m.ack();
    this.s.groups++;
    this.s.lastWriteMs = performance.now() - started;
    this.o.onGroup?.(this.stats());
  }

  private deadLetter(m: JsMsg, msgId: string, e: Error): void {
    mkdirSync(this.o.deadLetterDir, { recursive: true });
    const file = join(this.o.deadLetterDir, `bus-${new Date().toISOString().slice(0, 10)}.jsonl`);
    const line = { at: new Date().toISOString(), subject: m.subject, seq: m.seq, msgId, error: e.message, code: (e as BusError).code, field: (e as BusError).field, payload: Buffer.from(m.data).toString('base64') };
    appendFileSync(file, `${JSON.stringify(line)}\n`);
    const fd = openSync(file, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }
}
