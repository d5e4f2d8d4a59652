/**
 * The recorder: normalized events from live connectors into the store, in batches committed at
 * least every second, plus the connectors' gaps, and optionally every raw frame to a gzip capture
 * (`<local_ns> <json>` per line, the format `orderflow import` reads).
 *
 * Crash safety: each flush is one DuckDB transaction (data, gaps and the ledger row's counters
 * together), so after `kill -9` the store opens clean with everything up to the last flush: at
 * most `flushMs` (<= 1 s) of events is lost. The session's ledger row (`imports`, format
 * `record`) says `recording` until a graceful stop marks it `ok`; one left `recording` was
 * interrupted. A raw capture is complete after a graceful stop; after kill -9 its tail may be cut
 * (the store is what is crash-safe), and `orderflow import` names the truncated file.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createGzip, type Gzip } from 'node:zlib';
import type { CaptureRecord, Venue } from '../core/events.ts';
import type { LiveGap, LiveHandlers, StreamStatus } from '../venues/live/types.ts';
import { StoreSink } from './store-sink.ts';
import type { Store } from './store.ts';

export interface RecorderOptions {
  /** Flush period, ms, in (0, 1000]. Default DEFAULT_FLUSH_MS. */
  readonly flushMs?: number;
  /** What is recorded, for the ledger's `path` (e.g. `record binance,okx BTCUSDT,BTC-USDT-SWAP`). */
  readonly label: string;
  /** Folder of raw captures: one gzip file per venue, `<venue>-<start time>.jsonl.gz`; none by default. */
  readonly rawDir?: string;
  /** Called after each flush (progress, status lines). */
  readonly onFlush?: (s: RecorderStats) => void;
  /** A flush failed (the events stay pending and are retried next time). */
  readonly onError?: (e: Error) => void;
}

export interface RecorderStats {
  readonly events: number;
  readonly rowsWritten: number;
  readonly gaps: number;
  readonly flushes: number;
  readonly pending: number;
  readonly rawFrames: number;
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
/** Events appended between two yields to the event loop during a flush. */
const APPEND_SLICE = 2048;
/** Raw capture lines are handed to gzip this often (one write per venue). */
const RAW_WRITE_MS = 100;

export class Recorder {
  private pending: CaptureRecord[] = [];
  private pendingGaps: LiveGap[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private bookMsg = 0;
  private events = 0;
  private rowsWritten = 0;
  private gaps = 0;
  private flushes = 0;
  private rawFrames = 0;
  private lastFlushMs = 0;
  private closed = false;
  private readonly status = new Map<string, StreamStatus>();
  /** Per venue: the gzip stream, its file, and the lines waiting for the next write (one write per tick, honouring backpressure). */
  private readonly raw = new Map<Venue, { gz: Gzip; file: WriteStream; path: string; lines: string[]; draining: boolean }>();
  private rawTimer: NodeJS.Timeout | undefined;
  private readonly started = new Date().toISOString().replace(/[:.]/g, '-');

  private constructor(
    private readonly store: Store,
    /** The session's `imports` row. */
    readonly importId: number,
    private readonly o: RecorderOptions,
  ) {}

  /** Opens the session's ledger row and starts the flush timer. */
  static async open(store: Store, o: RecorderOptions): Promise<Recorder> {
    const flushMs = o.flushMs ?? DEFAULT_FLUSH_MS;
    if (!(flushMs > 0 && flushMs <= 1000)) throw new RangeError(`recorder: flushMs must be in (0, 1000], got ${flushMs}`);
    const [{ id }] = await store.rows<{ id: bigint }>("SELECT nextval('import_id_seq') AS id");
    const importId = Number(id);
    // sha256 is unique in the ledger: a session has no file hash, so it gets a unique stand-in.
    await store.run("INSERT INTO imports VALUES ($1, $2, 0, $3, 'record', 0, 0, NULL, NULL, 'recording', now()::TIMESTAMP)", [importId, o.label, `record-session-${importId}-${Date.now()}`]);
    const r = new Recorder(store, importId, o);
    if (o.rawDir) mkdirSync(o.rawDir, { recursive: true });
    r.timer = setInterval(() => void r.flush().catch(() => {}), flushMs);
    return r;
  }

  /** The raw capture files written so far. */
  rawFiles(): string[] {
    return [...this.raw.values()].map((r) => r.path);
  }

  private rawWriter(venue: Venue): { lines: string[] } {
    let w = this.raw.get(venue);
    if (!w) {
      const path = join(this.o.rawDir!, `${venue}-${this.started}.jsonl.gz`);
      const gz = createGzip({ level: 6 });
      const file = createWriteStream(path);
      gz.pipe(file);
      w = { gz, file, path, lines: [], draining: false };
      this.raw.set(venue, w);
      this.rawTimer ??= setInterval(() => this.writeRaw(), RAW_WRITE_MS);
    }
    return w;
  }

  /** Hand the buffered raw lines to gzip, one write per venue; a stream that is full waits for 'drain'. */
  private writeRaw(): void {
    for (const w of this.raw.values()) {
      if (w.draining || w.lines.length === 0) continue;
      const text = w.lines.join('');
      w.lines = [];
      if (!w.gz.write(text)) {
        w.draining = true;
        w.gz.once('drain', () => (w.draining = false));
      }
    }
  }

  /** The handlers one venue's connector reports to. */
  handlers(venue: Venue): LiveHandlers {
    return {
      onEvents: (records) => {
        for (const r of records) this.pending.push(r);
        this.events += records.length;
      },
      onGap: (g) => this.pendingGaps.push(g),
      onRestFrame: this.o.rawDir ? (text, localNs) => this.rawWriter(venue).lines.push(`${localNs} ${text}\n`) : undefined,
      onRawFrame: this.o.rawDir
        ? (text, localNs) => {
            // Heartbeat replies (OKX's bare `pong`) are not data and not JSON: the capture keeps JSON frames only.
            const c = text.charCodeAt(0);
            if (c !== 123 && c !== 91) return;
            // One frame per line: frames never hold a raw newline (JSON escapes them), but be safe.
            this.rawWriter(venue).lines.push(`${localNs} ${text.replace(/\n/g, ' ')}\n`);
            this.rawFrames++;
          }
        : undefined,
      onStatus: (s) => this.status.set(`${s.venue}:${s.stream}`, s),
    };
  }

  stats(): RecorderStats {
    return { events: this.events, rowsWritten: this.rowsWritten, gaps: this.gaps, flushes: this.flushes, pending: this.pending.length, rawFrames: this.rawFrames, lastFlushMs: this.lastFlushMs, status: this.status };
  }

  /** Write what is pending in one transaction (serialized: a flush waits for the one running). */
  flush(): Promise<void> {
    if (this.flushing) return this.flushing.then(() => this.flush());
    if (this.pending.length === 0 && this.pendingGaps.length === 0) return Promise.resolve();
    this.flushing = this.write().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  private async write(): Promise<void> {
    const batch = this.pending;
    const gaps = this.pendingGaps;
    this.pending = [];
    this.pendingGaps = [];
    const started = performance.now();
    const store = this.store;
    let sink: StoreSink | undefined;
    try {
      await store.run('BEGIN TRANSACTION');
      sink = await StoreSink.create(store.conn, this.importId, this.bookMsg);
      // In slices, letting the event loop read the sockets between them: one block of 25k
      // appends would hold incoming frames for tens of ms.
      for (let i = 0; i < batch.length; i += APPEND_SLICE) {
        if (i > 0) await new Promise<void>((r) => setImmediate(r));
        const end = Math.min(batch.length, i + APPEND_SLICE);
        for (let k = i; k < end; k++) {
          const r = batch[k];
          if (r.type === 'kline') sink.kline(r);
          else sink.event(r);
        }
      }
      const rows = sink.finish();
      for (const g of gaps) {
        await store.run('INSERT INTO gaps VALUES ($1::venue_t, $2, $3, make_timestamp($4::BIGINT), make_timestamp($5::BIGINT), $6)', [
          g.venue,
          g.symbol,
          g.kind,
          BigInt(Math.round(g.fromTs * 1000)),
          BigInt(Math.round(g.toTs * 1000)),
          `${g.backfilled ? 'backfilled: ' : ''}${g.detail}`,
        ]);
      }
      const first = Number.isFinite(sink.firstTs) ? BigInt(Math.round(sink.firstTs * 1000)) : null;
      const last = Number.isFinite(sink.lastTs) ? BigInt(Math.round(sink.lastTs * 1000)) : null;
      await store.run(
        `UPDATE imports SET rows = rows + $2,
           first_ts = CASE WHEN $3::BIGINT IS NULL THEN first_ts ELSE least(coalesce(first_ts, make_timestamp($3::BIGINT)), make_timestamp($3::BIGINT)) END,
           last_ts = CASE WHEN $4::BIGINT IS NULL THEN last_ts ELSE greatest(coalesce(last_ts, make_timestamp($4::BIGINT)), make_timestamp($4::BIGINT)) END
         WHERE import_id = $1`,
        [this.importId, rows, first, last],
      );
      await store.run('COMMIT');
      this.bookMsg = sink.lastBookMsg;
      this.rowsWritten += rows;
      this.gaps += gaps.length;
      this.flushes++;
      this.lastFlushMs = performance.now() - started;
      this.o.onFlush?.(this.stats());
    } catch (e) {
      sink?.abandon();
      await store.run('ROLLBACK').catch(() => {});
      // Nothing is lost: the batch goes back in front of what arrived meanwhile.
      this.pending = batch.concat(this.pending);
      this.pendingGaps = gaps.concat(this.pendingGaps);
      this.o.onError?.(e as Error);
      throw e;
    }
  }

  /** Graceful stop: last flush, the ledger row marked `ok`, the raw capture closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.flush();
    await this.store.run("UPDATE imports SET status = 'ok' WHERE import_id = $1", [this.importId]);
    if (this.rawTimer) clearInterval(this.rawTimer);
    for (const raw of this.raw.values()) {
      await new Promise<void>((done, fail) => {
        raw.file.once('finish', () => done());
        raw.file.once('error', fail);
        raw.gz.end(raw.lines.join(''));
        raw.lines = [];
      });
    }
  }
}

/** Venues a recorder session covers, for its label. */
export function recordLabel(venues: readonly Venue[], symbols: readonly string[]): string {
  return `record ${venues.join(',')} ${symbols.join(',')}`;
}
