/**
 * `orderflow sim ... --out DIR`: a simulation written as the raw WebSocket captures `orderflow
 * record --raw` makes (so `orderflow import DIR` reads it through the venues' own parsers, units
 * and importer), plus `DIR/labels.json`, the planted ground truth. Layout: docs/SIMULATOR.md
 * "Output (`--out`)".
 *
 * Deterministic: a line's receive time is the exchange time + a fixed latency per venue, file
 * names come from those times, and nothing reads the clock, so the same run gives byte-identical
 * files. Streamed: events are pulled one at a time from the run and written in ~1 MiB pieces,
 * waiting for the disk, so a run of hours never sits in memory.
 */
import { once } from 'node:events';
import { createWriteStream, mkdirSync, readdirSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { createGzip, type Gzip } from 'node:zlib';
import { UsageError } from '../core/errors.ts';
import type { MarketEvent, Venue } from '../core/events.ts';
import type { InstrumentRegistry } from '../core/instruments.ts';
import { loadBundledInstruments } from '../venues/bundled-instruments.ts';
import { Unwritten, venueFrames, type VenueFrames } from './capture-frames.ts';
import type { SimLabels, SimRun } from './types.ts';

/** Receive latency added to each venue's exchange time, ms (fixed: the output stays deterministic). */
export const DEFAULT_LATENCY_MS: Readonly<Record<string, number>> = { binance: 5, okx: 8, bybit: 6 };
export const LABELS_FILE = 'labels.json';
const HOUR_MS = 3_600_000;
/**
 * Lines are copied into byte pieces of this size as they are made and a full piece is handed to
 * the file: the line strings die young. (Kept as strings until ~1 MiB of them was joined, they
 * outlived several young-generation collections each, which copied them over and over: most of
 * the writer's cost.)
 */
const PIECE_BYTES = 1 << 20;
/** A UTF-16 code unit is at most 3 UTF-8 bytes. */
const MAX_UTF8_PER_CHAR = 3;
/** A piece this near full is handed over after the event (one event's frames rarely take more room). */
const PIECE_SLACK = 1 << 16;
/** `onProgress` is called every this many events (and once at the end). */
const PROGRESS_EVERY = 65_536;

export interface SimCaptureOptions {
  /** Contract values for the venues' size units. Default: the bundled instruments. */
  readonly instruments?: Pick<InstrumentRegistry, 'get'>;
  /** Receive latency per venue, ms. Default DEFAULT_LATENCY_MS. */
  readonly latencyMs?: Readonly<Partial<Record<Venue, number>>>;
  /** gzip the captures (`.jsonl.gz`). Default false: plain `.jsonl`, byte-identical on every machine. */
  readonly gzip?: boolean;
  /** Remove an earlier run's files (captures and labels.json) from DIR first; anything else there is an error. */
  readonly replace?: boolean;
  /** Events written so far and the exchange time reached: every PROGRESS_EVERY events and once at the end. */
  readonly onProgress?: (events: number, ts: number) => void;
  /** OKX funding interval, for `nextFundingTime`. Default 8 h. */
  readonly okxFundingIntervalMs?: number;
  /** Write labels.json. Default true; false for a run cut before its end (its labels are not known yet: src/demo/live-demo.ts). */
  readonly labels?: boolean;
}

export interface SimCaptureSummary {
  /** Capture files written, in the order they were opened, then labels.json. */
  readonly files: readonly string[];
  readonly events: number;
  readonly frames: number;
  /** Event fields no frame of the venue's capture carries, `<venue>.<field>` -> events: see docs/SIMULATOR.md. */
  readonly unwritten: Readonly<Record<string, number>>;
}

/** One capture file name: `<venue>-<UTC hour start>.jsonl`, as `record --raw` names its files. */
export function captureFileName(venue: Venue, hourStartMs: number, gzip: boolean): string {
  return `${venue}-${new Date(hourStartMs).toISOString().replace(/[:.]/g, '-')}.jsonl${gzip ? '.gz' : ''}`;
}

/** What this writer names its files: captures and the labels. */
const OUR_FILE = /^(binance|okx|bybit)-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d-\d{3}Z\.jsonl(\.gz)?$/;

/** labels.json text: keys in the order of types.ts, two-space indented, newline at the end. */
export function labelsText(l: SimLabels): string {
  const ordered = {
    scenario: l.scenario,
    seed: l.seed,
    symbol: l.symbol,
    labels: l.labels.map((x) => ({
      kind: x.kind,
      side: x.side,
      start_ms: x.start_ms,
      end_ms: x.end_ms,
      price_low: x.price_low,
      price_high: x.price_high,
      venues: [...x.venues],
    })),
  };
  return `${JSON.stringify(ordered, null, 2)}\n`;
}

/** One venue's open file: the lines waiting, the stream (and gzip in front of it). */
interface OpenFile {
  readonly hour: number;
  readonly out: Gzip | WriteStream;
  readonly file: WriteStream;
  readonly failed: Promise<never>;
  /** The piece being filled (a fresh one after each hand-over: the stream keeps the old one until written) and its bytes used. */
  piece: Buffer;
  used: number;
}

/** Write `run` into `dir`: one capture per venue and UTC hour, and labels.json. */
export async function writeSimCapture(run: SimRun, dir: string, opts: SimCaptureOptions = {}): Promise<SimCaptureSummary> {
  prepareDir(dir, opts.replace ?? false);
  const gzip = opts.gzip ?? false;
  const unwritten = new Unwritten();
  const frameOpts = { instruments: opts.instruments ?? loadBundledInstruments(), unwritten, okxFundingIntervalMs: opts.okxFundingIntervalMs };
  const encoders = new Map<Venue, VenueFrames>();
  for (const v of run.config.venues) encoders.set(v, venueFrames(v, frameOpts));
  const latency = new Map<Venue, number>();
  for (const v of run.config.venues) {
    const ms = opts.latencyMs?.[v] ?? DEFAULT_LATENCY_MS[v] ?? 0;
    if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`latency of ${v} must be a whole number of ms >= 0, got ${ms}`);
    latency.set(v, ms);
  }
  const open = new Map<Venue, OpenFile>();
  const files: string[] = [];

  const openFile = (venue: Venue, hour: number): OpenFile => {
    const path = join(dir, captureFileName(venue, hour * HOUR_MS, gzip));
    files.push(path);
    const file = createWriteStream(path);
    const out = gzip ? createGzip({ level: 6 }) : file;
    if (out !== file) out.pipe(file);
    const failed = new Promise<never>((_, reject) => {
      file.once('error', reject);
      if (out !== file) out.once('error', reject);
    });
    failed.catch(() => undefined);
    return { hour, out, file, failed, piece: Buffer.allocUnsafe(PIECE_BYTES), used: 0 };
  };
  const handOver = (f: OpenFile): void => {
    if (f.used === 0) return;
    const bytes = f.piece.subarray(0, f.used);
    f.piece = Buffer.allocUnsafe(PIECE_BYTES);
    f.used = 0;
    f.out.write(bytes);
  };
  // Waiting for the disk at the event loop's turn (the sink may have handed a piece over already).
  const drain = async (f: OpenFile): Promise<void> => {
    handOver(f);
    if (f.out.writableNeedDrain) await Promise.race([once(f.out, 'drain'), f.failed]);
  };
  const close = async (f: OpenFile): Promise<void> => {
    await drain(f);
    f.out.end();
    await Promise.race([once(f.file, 'close'), f.failed]);
  };

  let events = 0;
  let frames = 0;
  let current: OpenFile | undefined;
  let localPrefix = '';
  const sink = (json: string) => {
    const f = current!;
    const room = (localPrefix.length + json.length + 1) * MAX_UTF8_PER_CHAR;
    if (f.used + room > f.piece.length) {
      handOver(f);
      if (room > f.piece.length) f.piece = Buffer.allocUnsafe(room);
    }
    f.used += f.piece.write(localPrefix, f.used);
    f.used += f.piece.write(json, f.used);
    f.piece[f.used++] = 0x0a;
    frames++;
  };

  const lastTs = new Map<Venue, number>();
  try {
    for (const ev of run.events()) {
      const enc = encoders.get(ev.venue);
      if (enc === undefined) throw new RangeError(`${eventName(events, ev)}: ${ev.venue} is not among the run's venues (${run.config.venues.join(', ')})`);
      // What the importer would refuse is refused here, before a capture it cannot read is written.
      if (!Number.isFinite(ev.ts)) throw new RangeError(`${eventName(events, ev)}: no exchange time (ts ${ev.ts})`);
      const before = lastTs.get(ev.venue) ?? -Infinity;
      if (ev.ts < before) throw new RangeError(`${eventName(events, ev)}: time goes backwards (${new Date(ev.ts).toISOString()} after ${new Date(before).toISOString()})`);
      lastTs.set(ev.venue, ev.ts);
      const local = Math.round(ev.ts) + latency.get(ev.venue)!;
      const hour = Math.floor(local / HOUR_MS);
      let f = open.get(ev.venue);
      if (f !== undefined && f.hour !== hour) {
        await close(f);
        f = undefined;
      }
      if (f === undefined) open.set(ev.venue, (f = openFile(ev.venue, hour)));
      current = f;
      // `<local_receive_ns> <json>`: whole milliseconds, so the ns are the ms and six zeros.
      localPrefix = `${local}000000 `;
      enc.frames(ev, sink);
      if (f.used >= PIECE_BYTES - PIECE_SLACK) await drain(f);
      if (++events % PROGRESS_EVERY === 0) opts.onProgress?.(events, ev.ts);
    }
    for (const f of open.values()) await close(f);
    open.clear();
    if (opts.labels !== false) {
      const labelsPath = join(dir, LABELS_FILE);
      files.push(labelsPath);
      writeFileSync(labelsPath, labelsText(run.labels()));
    }
  } catch (e) {
    // No half run left behind for an import to read: every file this run opened goes.
    for (const f of open.values()) {
      f.out.destroy();
      f.file.destroy();
      // Wait for the descriptor to close: a file still being opened would appear after the rm.
      if (!f.file.closed) await once(f.file, 'close');
    }
    for (const path of files) rmSync(path, { force: true });
    throw e;
  }
  opts.onProgress?.(events, Math.max(run.config.startMs, ...lastTs.values()));
  return { files, events, frames, unwritten: Object.fromEntries([...unwritten.counts].sort(([a], [b]) => (a < b ? -1 : 1))) };
}

/** `event 12 (okx BTC-USDT-SWAP trade)`: which event an error is about (1-based, in run order). */
function eventName(before: number, ev: MarketEvent): string {
  return `event ${before + 1} (${ev.venue} ${ev.symbol} ${ev.type})`;
}

/**
 * Create `dir`, or check it holds nothing an import of it would mix with this run: an earlier
 * run's files are removed with `replace`, anything else is an error either way.
 */
function prepareDir(dir: string, replace: boolean): void {
  mkdirSync(dir, { recursive: true });
  const names = readdirSync(dir).filter((n) => !n.startsWith('.'));
  const ours = names.filter((n) => OUR_FILE.test(n) || n === LABELS_FILE);
  const other = names.filter((n) => !ours.includes(n));
  if (other.length > 0 || (ours.length > 0 && !replace)) {
    const shown = (other.length > 0 ? other : ours).slice(0, 3).join(', ');
    throw new UsageError(`${dir} is not empty (${shown}${names.length > 3 ? ', ...' : ''}): \`orderflow import\` of it would mix those files with this run; ${other.length > 0 ? 'choose an empty folder' : 'choose an empty folder or replace the earlier run'}`);
  }
  for (const n of ours) rmSync(join(dir, n));
}
