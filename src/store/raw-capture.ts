/**
 * The raw capture of `record --raw`: every frame as a `<local_ns> <json>` line, gzip, one file
 * per venue and UTC hour, in the format `orderflow import` reads.
 *
 * Crash safety: lines are handed to gzip every RAW_WRITE_MS and the gzip stream is sync-flushed
 * (zlib Z_SYNC_FLUSH) every RAW_FLUSH_MS, which pushes every byte given to it so far to the file
 * on a byte boundary. After `kill -9` the file is a gzip without its trailer whose content up to
 * the last flush decompresses whole: at most about RAW_FLUSH_MS + RAW_WRITE_MS of frames is lost.
 * `orderflow import` reads such a file up to its last complete line and says the capture was cut
 * (read-source.ts). A sync flush costs a few bytes per second (an empty stored block, and the
 * deflate block ends there).
 *
 * Rotation: a file holds one UTC hour of frames (by local receive time): the first frame of a new
 * hour closes the venue's file (complete, with its trailer) and opens
 * `<venue>-<hour start>.jsonl.gz`. A session's first file is named by the session's start time, so
 * a restart within the same hour never overwrites the file before it.
 *
 * Bounded buffer: the lines waiting for gzip (the disk is slower than the socket, or stalled)
 * are held to `maxBufferBytes` per venue. The policy is to keep what is already queued and drop
 * the newest frames while the buffer is full (a capture is a log: a hole is said once, and the
 * file stays in order); the count is in `dropped`, and `onError` says when dropping starts and
 * when it stops, with the number of frames lost. The normalized events of those frames still
 * reach the store.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { constants, createGzip, type Gzip } from 'node:zlib';
import type { Venue } from '../core/events.ts';

/** The gzip stream is sync-flushed to the file this often: the most a kill -9 loses (plus one write period). */
export const RAW_FLUSH_MS = 1000;
/** Buffered lines are handed to gzip this often (one write per venue). */
export const RAW_WRITE_MS = 100;
/** Default bound on the lines waiting for gzip, per venue: minutes of the busiest book streams. */
export const DEFAULT_RAW_BUFFER_BYTES = 64 * 1024 * 1024;
const HOUR_MS = 3_600_000;

export interface RawCaptureOptions {
  /** Bound on the bytes waiting for gzip per venue (lines and gzip's own queue). Default DEFAULT_RAW_BUFFER_BYTES. */
  readonly maxBufferBytes?: number;
  /** Wall clock, epoch ms (hour rotation). Default Date.now. */
  readonly now?: () => number;
  /** Drops starting and ending, and file errors. */
  readonly onError?: (e: Error) => void;
  /** Sync-flush period, ms. Default RAW_FLUSH_MS. */
  readonly flushMs?: number;
}

interface VenueFile {
  readonly venue: Venue;
  readonly path: string;
  readonly hour: number;
  readonly gz: Gzip;
  readonly file: WriteStream;
  /** Closed once both streams finished (or failed). */
  readonly finished: Promise<void>;
  lines: string[];
  bytes: number;
  draining: boolean;
  /** Written since the last sync flush. */
  dirty: boolean;
  failed: boolean;
}

/** File-name form of a time: `2026-12-05T01-00-00-000Z`. */
function stamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[:.]/g, '-');
}

export class RawCapture {
  private readonly open = new Map<Venue, VenueFile>();
  private readonly closing: Promise<void>[] = [];
  private readonly paths: string[] = [];
  private readonly startedAt: number;
  private readonly maxBufferBytes: number;
  private readonly now: () => number;
  private writeTimer: NodeJS.Timeout | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  private droppedFrames = 0;
  /** Per venue: frames dropped in the current run of drops (reported when it ends). */
  private readonly dropRun = new Map<Venue, number>();
  private closed = false;

  constructor(
    private readonly dir: string,
    private readonly o: RawCaptureOptions = {},
  ) {
    this.now = o.now ?? Date.now;
    this.startedAt = this.now();
    this.maxBufferBytes = o.maxBufferBytes ?? DEFAULT_RAW_BUFFER_BYTES;
    if (!(this.maxBufferBytes >= 1024)) throw new RangeError(`raw capture: maxBufferBytes must be at least 1 KiB, got ${this.maxBufferBytes}`);
  }

  /** Every file this session opened, oldest first. */
  files(): string[] {
    return [...this.paths];
  }

  /** Frames dropped because the buffer was full. */
  get dropped(): number {
    return this.droppedFrames;
  }

  /** Queue one line (ending in `\n`); false when it was dropped (buffer full, file failed, closed). */
  add(venue: Venue, line: string): boolean {
    if (this.closed) return false;
    const hour = Math.floor(this.now() / HOUR_MS);
    let w = this.open.get(venue);
    if (w && w.hour !== hour) {
      this.finish(w);
      w = undefined;
    }
    w ??= this.openFile(venue, hour);
    if (w.failed || w.bytes + w.gz.writableLength + line.length > this.maxBufferBytes) {
      this.droppedFrames++;
      const run = this.dropRun.get(venue) ?? 0;
      if (run === 0) this.o.onError?.(new Error(`raw capture ${venue}: ${w.failed ? 'the file failed' : `the disk is not keeping up (over ${(this.maxBufferBytes / 1048576).toFixed(0)} MiB waiting)`}: dropping the newest frames until it does`));
      this.dropRun.set(venue, run + 1);
      return false;
    }
    const run = this.dropRun.get(venue);
    if (run) {
      this.dropRun.set(venue, 0);
      this.o.onError?.(new Error(`raw capture ${venue}: writing again; ${run} frames were dropped from ${w.path}`));
    }
    w.lines.push(line);
    w.bytes += line.length;
    return true;
  }

  private openFile(venue: Venue, hour: number): VenueFile {
    const first = !this.paths.some((p) => p.startsWith(join(this.dir, `${venue}-`)));
    const path = join(this.dir, `${venue}-${stamp(first ? this.startedAt : hour * HOUR_MS)}.jsonl.gz`);
    const gz = createGzip({ level: 6 });
    const file = createWriteStream(path);
    gz.pipe(file);
    let w: VenueFile;
    const finished = new Promise<void>((done) => {
      file.once('close', () => done());
      const fail = (e: Error) => {
        if (w.failed) return;
        w.failed = true;
        w.lines = [];
        w.bytes = 0;
        this.o.onError?.(new Error(`raw capture ${venue}: ${path}: ${e.message}`));
        file.destroy();
        done();
      };
      file.once('error', fail);
      gz.once('error', fail);
    });
    w = { venue, path, hour, gz, file, finished, lines: [], bytes: 0, draining: false, dirty: false, failed: false };
    this.open.set(venue, w);
    this.paths.push(path);
    this.writeTimer ??= setInterval(() => this.writeAll(), RAW_WRITE_MS);
    this.flushTimer ??= setInterval(() => this.flushAll(), this.o.flushMs ?? RAW_FLUSH_MS);
    return w;
  }

  /** Hand each venue's buffered lines to gzip in one write; a full stream waits for 'drain'. */
  private writeAll(): void {
    for (const w of this.open.values()) this.write(w);
  }

  private write(w: VenueFile): void {
    if (w.failed || w.draining || w.lines.length === 0) return;
    const text = w.lines.join('');
    w.lines = [];
    w.bytes = 0;
    w.dirty = true;
    if (!w.gz.write(text)) {
      w.draining = true;
      w.gz.once('drain', () => (w.draining = false));
    }
  }

  /** Write what is buffered and sync-flush: everything so far decompresses from the file. */
  private flushAll(): void {
    for (const w of this.open.values()) {
      this.write(w);
      if (!w.dirty || w.failed) continue;
      w.dirty = false;
      w.gz.flush(constants.Z_SYNC_FLUSH);
    }
  }

  /** End a file: its remaining lines, then gzip's trailer. */
  private finish(w: VenueFile): void {
    this.open.delete(w.venue);
    if (!w.failed) w.gz.end(w.lines.join(''));
    w.lines = [];
    w.bytes = 0;
    this.closing.push(w.finished);
  }

  /** Every file complete with its trailer. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.writeTimer);
    clearInterval(this.flushTimer);
    for (const w of [...this.open.values()]) this.finish(w);
    await Promise.all(this.closing);
  }
}
