/**
 * The recorder: normalized events from live connectors into the store, in batches committed at
 * least every second, plus the connectors' gaps, and optionally every raw frame to a gzip capture
 * (`<local_ns> <json>` per line, the format `orderflow import` reads).
 *
 * Crash safety: each flush is one DuckDB transaction (data, gaps and the ledger row's counters
 * together), so after `kill -9` the store opens clean with everything up to the last flush: at
 * most `flushMs` (<= 1 s) of events is lost. The session's ledger row (`imports`, format
 * `record`) says `recording` until a graceful stop marks it `ok`; one left `recording` was
 * interrupted. The raw capture (raw-capture.ts) is sync-flushed every second and rotated hourly:
 * after kill -9 it holds every frame up to about a second before, and `orderflow import` reads it.
 *
 * One bad row never stops recording: rows the schema would refuse are set aside before the store
 * (row-check.ts), and when the store still refuses a flush the batch is bisected until the refused
 * rows stand alone (commit-isolating.ts); they go to the dead-letter file (dead-letter.ts) with
 * the frame they came in and the reason, and every other row is committed. When the store itself
 * fails (disk full, locked), nothing is blamed and the batch waits for the next flush.
 *
 * Memory is bounded: the rows waiting for the store are held to `maxPendingBytes` (estimated,
 * pending-queue.ts). When the store cannot keep up, the oldest waiting events are dropped down to
 * three quarters of the bound and a `store_backpressure` gap row per stream records the exact
 * exchange-time range and count lost (a `--raw` capture still holds their frames).
 */
import { mkdirSync } from 'node:fs';
import type { Venue } from '../core/events.ts';
import type { LiveHandlers, StreamStatus } from '../venues/live/types.ts';
import { commitIsolating } from './commit-isolating.ts';
import { DeadLetterLog, deadLetterDir, type DeadLetter } from './dead-letter.ts';
import { RawCapture } from './raw-capture.ts';
import { PendingQueue, type PendingBatch, type PendingRow } from './pending-queue.ts';
import { RecordWriter } from './record-writer.ts';
import { rowProblem } from './row-check.ts';
import type { Store } from './store.ts';

export interface RecorderOptions {
  /** Flush period, ms, in (0, 1000]. Default DEFAULT_FLUSH_MS. */
  readonly flushMs?: number;
  /** What is recorded, for the ledger's `path` (e.g. `record binance,okx BTCUSDT,BTC-USDT-SWAP`). */
  readonly label: string;
  /** Folder of raw captures: gzip files per venue and UTC hour, `<venue>-<time>.jsonl.gz` (raw-capture.ts); none by default. */
  readonly rawDir?: string;
  /** Bound on raw capture lines waiting for the disk, bytes per venue. Default DEFAULT_RAW_BUFFER_BYTES (raw-capture.ts). */
  readonly rawBufferBytes?: number;
  /** Bound on the memory held by rows waiting for the store, bytes (estimated). Default DEFAULT_MAX_PENDING_BYTES. */
  readonly maxPendingBytes?: number;
  /** Called after each flush (progress, status lines). */
  readonly onFlush?: (s: RecorderStats) => void;
  /**
   * The store failed a flush (the rows stay pending and are retried next time), or the
   * dead-letter file could not be written. Called at most once per ERROR_REPORT_MS for the same message.
   */
  readonly onError?: (e: Error) => void;
  /** The raw capture started or stopped dropping frames (its disk is not keeping up), or its file failed. */
  readonly onRawError?: (e: Error) => void;
}

export interface RecorderStats {
  readonly events: number;
  readonly rowsWritten: number;
  readonly gaps: number;
  readonly flushes: number;
  /** Rows waiting for the store, and their estimated bytes. */
  readonly pending: number;
  readonly pendingBytes: number;
  /** Rows set aside in the dead-letter file (refused by the checks or by the store). */
  readonly deadLettered: number;
  /** Events dropped because the store could not keep up (each range is a `store_backpressure` gap row). */
  readonly dropped: number;
  readonly rawFrames: number;
  /** Raw frames dropped because the capture's buffer was full (the disk could not keep up). */
  readonly rawDropped: number;
  /** Duration of the last flush, ms. */
  readonly lastFlushMs: number;
  readonly status: ReadonlyMap<string, StreamStatus>;
}

/**
 * Default flush period. DuckDB's automatic checkpoint makes a commit now and then take a few
 * hundred ms (npm run bench -- live: up to ~550 ms at 50k msg/s), so 250 ms keeps the worst
 * receipt-to-commit under a second.
 */
export const DEFAULT_FLUSH_MS = 250;
/**
 * Default bound on pending rows: 256 MiB holds about a million trades, minutes of the busiest
 * markets, far beyond a checkpoint's stall; a store down for longer is a store that needs help.
 */
export const DEFAULT_MAX_PENDING_BYTES = 256 * 1024 * 1024;
/** A store failing every flush reports the same error this often, not four times a second. */
const ERROR_REPORT_MS = 10_000;

export class Recorder {
  private readonly queue = new PendingQueue();
  /** Estimated bytes of the batch being committed (counted against the bound with the queue). */
  private inFlightBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private events = 0;
  private rowsWritten = 0;
  private gaps = 0;
  private flushes = 0;
  private dropped = 0;
  private rawFrames = 0;
  private lastFlushMs = 0;
  private closed = false;
  private lastReported = { message: '', at: -Infinity };
  private readonly status = new Map<string, StreamStatus>();
  private readonly raw: RawCapture | undefined;
  /**
   * The frame a connector is handling: connectors hand a frame to onRawFrame, then deliver its
   * rows synchronously, so rows delivered before the next microtask came in it.
   */
  private frame: string | undefined;
  private readonly forgetFrame = () => (this.frame = undefined);
  private readonly maxPendingBytes: number;
  private readonly writer: RecordWriter;
  private readonly deadLetters: DeadLetterLog;

  private constructor(
    store: Store,
    /** The session's `imports` row. */
    readonly importId: number,
    private readonly o: RecorderOptions,
  ) {
    this.maxPendingBytes = o.maxPendingBytes ?? DEFAULT_MAX_PENDING_BYTES;
    this.writer = new RecordWriter(store, importId);
    this.deadLetters = new DeadLetterLog(deadLetterDir(store.home));
    if (o.rawDir) this.raw = new RawCapture(o.rawDir, { maxBufferBytes: o.rawBufferBytes, onError: (e) => o.onRawError?.(e) });
  }

  /** Opens the session's ledger row and starts the flush timer. */
  static async open(store: Store, o: RecorderOptions): Promise<Recorder> {
    const flushMs = o.flushMs ?? DEFAULT_FLUSH_MS;
    if (!(flushMs > 0 && flushMs <= 1000)) throw new RangeError(`recorder: flushMs must be in (0, 1000], got ${flushMs}`);
    if (o.maxPendingBytes !== undefined && !(o.maxPendingBytes >= 1 << 20)) throw new RangeError(`recorder: maxPendingBytes must be at least 1 MiB, got ${o.maxPendingBytes}`);
    const [{ id }] = await store.rows<{ id: bigint }>("SELECT nextval('import_id_seq') AS id");
    const importId = Number(id);
    // sha256 is unique in the ledger: a session has no file hash, so it gets a unique stand-in.
    await store.run("INSERT INTO imports VALUES ($1, $2, 0, $3, 'record', 0, 0, NULL, NULL, 'recording', now()::TIMESTAMP)", [importId, o.label, `record-session-${importId}-${Date.now()}`]);
    const r = new Recorder(store, importId, o);
    if (o.rawDir) mkdirSync(o.rawDir, { recursive: true });
    // A flush still running (a stalled store) is not queued behind: the next tick tries again.
    r.timer = setInterval(() => void (r.flushing ?? r.flush().catch(() => {})), flushMs);
    return r;
  }

  /** The raw capture files written so far. */
  rawFiles(): string[] {
    return this.raw?.files() ?? [];
  }

  /** The dead-letter files this session wrote to. */
  deadLetterFiles(): string[] {
    return this.deadLetters.files();
  }

  private seeFrame(text: string): void {
    if (this.frame === undefined) queueMicrotask(this.forgetFrame);
    this.frame = text;
  }

  /** The handlers one venue's connector reports to. */
  handlers(venue: Venue): LiveHandlers {
    const raw = this.raw;
    return {
      onEvents: (records) => {
        for (const r of records) this.queue.push(r, this.frame);
        this.events += records.length;
        this.bound();
      },
      onGap: (g) => this.queue.push({ type: 'gap', gap: g }, undefined),
      onRestFrame: (text, localNs) => {
        this.seeFrame(text);
        raw?.add(venue, `${localNs} ${text}\n`);
      },
      onRawFrame: (text, localNs) => {
        this.seeFrame(text);
        if (!raw) return;
        // Heartbeat replies (OKX's bare `pong`) are not data and not JSON: the capture keeps JSON frames only.
        const c = text.charCodeAt(0);
        if (c !== 123 && c !== 91) return;
        // One frame per line: frames never hold a raw newline (JSON escapes them), but be safe.
        if (raw.add(venue, `${localNs} ${text.replace(/\n/g, ' ')}\n`)) this.rawFrames++;
      },
      onStatus: (s) => this.status.set(`${s.venue}:${s.stream}`, s),
    };
  }

  /**
   * The pending-queue policy: over the bound, drop the oldest waiting events (not the batch being
   * committed, not gap rows) down to three quarters of it, so drops come in chunks rather than
   * one per event, and record each stream's lost range as a gap row.
   */
  private bound(): void {
    if (this.queue.bytes + this.inFlightBytes <= this.maxPendingBytes) return;
    const spans = this.queue.dropOldest(Math.max(0, (this.maxPendingBytes * 3) / 4 - this.inFlightBytes));
    for (const s of spans) {
      this.dropped += s.count;
      this.queue.push(
        {
          type: 'gap',
          gap: {
            venue: s.venue,
            symbol: s.symbol,
            kind: 'store_backpressure',
            fromTs: s.fromTs,
            toTs: s.toTs,
            backfilled: false,
            detail: `store-backpressure: ${s.count} ${s.type} events dropped (rows waiting for the store over ${(this.maxPendingBytes / 1048576).toFixed(0)} MiB)`,
          },
        },
        undefined,
      );
    }
  }

  stats(): RecorderStats {
    return {
      events: this.events,
      rowsWritten: this.rowsWritten,
      gaps: this.gaps,
      flushes: this.flushes,
      pending: this.queue.length,
      pendingBytes: this.queue.bytes + this.inFlightBytes,
      deadLettered: this.deadLetters.written,
      dropped: this.dropped,
      rawFrames: this.rawFrames,
      rawDropped: this.raw?.dropped ?? 0,
      lastFlushMs: this.lastFlushMs,
      status: this.status,
    };
  }

  /**
   * Write what is pending (serialized: a flush waits for the one running). Resolves once every
   * row is committed or dead-lettered; rejects with the store's error when the store itself
   * failed (those rows stay pending).
   */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => this.flush());
    if (this.queue.length === 0) return Promise.resolve();
    this.flushing = this.write().finally(() => {
      this.flushing = undefined;
      this.inFlightBytes = 0;
    });
    return this.flushing;
  }

  private async write(): Promise<void> {
    const started = performance.now();
    const taken = this.queue.take();
    this.inFlightBytes = taken.bytes;
    const letters: DeadLetter[] = [];
    const batch = this.checked(taken, letters);
    const rows = batch.rows;
    let written = 0;
    let gaps = 0;
    const iso = await commitIsolating(rows.length, async (from, to) => {
      const c = await this.writer.commit(rows, from, to);
      written += c.rows;
      gaps += c.gaps;
    });
    for (const r of iso.refused) letters.push({ row: rows[r.index], frame: batch.frames[r.index], stage: 'store', reason: r.reason });
    this.queue.putBack(batch, iso.unresolved);
    this.rowsWritten += written;
    this.gaps += gaps;
    if (written + gaps > 0 || letters.length > 0) this.flushes++;
    this.lastFlushMs = performance.now() - started;
    try {
      this.deadLetters.append(letters);
    } catch (e) {
      this.report(new Error(`cannot write the dead-letter file in ${this.deadLetters.dir} (kept in memory, retried next flush): ${(e as Error).message}`));
    }
    if (iso.storeError) {
      this.report(iso.storeError);
      throw iso.storeError;
    }
    this.o.onFlush?.(this.stats());
  }

  /** The batch without the rows the schema would refuse; those go to `letters`. */
  private checked(b: PendingBatch, letters: DeadLetter[]): PendingBatch {
    let firstBad = -1;
    for (let i = 0; i < b.rows.length; i++) {
      if (rowProblem(b.rows[i]) !== undefined) {
        firstBad = i;
        break;
      }
    }
    if (firstBad < 0) return b;
    const rows: PendingRow[] = b.rows.slice(0, firstBad);
    const frames = b.frames.slice(0, firstBad);
    const costs = b.costs.slice(0, firstBad);
    for (let i = firstBad; i < b.rows.length; i++) {
      const why = rowProblem(b.rows[i]);
      if (why === undefined) {
        rows.push(b.rows[i]);
        frames.push(b.frames[i]);
        costs.push(b.costs[i]);
      } else letters.push({ row: b.rows[i], frame: b.frames[i], stage: 'check', reason: why });
    }
    return { rows, frames, costs, bytes: b.bytes };
  }

  private report(e: Error): void {
    const now = performance.now();
    if (e.message === this.lastReported.message && now - this.lastReported.at < ERROR_REPORT_MS) return;
    this.lastReported = { message: e.message, at: now };
    this.o.onError?.(e);
  }

  /** Graceful stop: last flush, the ledger row marked `ok`, the raw capture closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.flush();
    await this.writer.finishSession();
    await this.raw?.close();
  }
}

/** Venues a recorder session covers, for its label. */
export function recordLabel(venues: readonly Venue[], symbols: readonly string[]): string {
  return `record ${venues.join(',')} ${symbols.join(',')}`;
}
