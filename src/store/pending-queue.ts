/**
 * What the recorder holds between flushes: rows in arrival order, the raw frame each came in
 * (kept for the dead-letter file), and an estimate of the memory they hold, so the queue can be
 * bounded in bytes rather than rows (a book snapshot of 1000 levels weighs as much as ~300 trades).
 */
import type { CaptureRecord, Venue } from '../core/events.ts';
import type { LiveGap } from '../venues/live/types.ts';

/**
 * A gap the recorder itself writes: the store could not keep up and the oldest pending events
 * were dropped (the pending-queue policy in docs/LIVE.md).
 */
export interface BackpressureGap extends Omit<LiveGap, 'kind'> {
  readonly kind: 'store_backpressure';
}

/** A row of the `gaps` table waiting in the queue beside the events. */
export interface GapRow {
  readonly type: 'gap';
  readonly gap: LiveGap | BackpressureGap;
}

export type PendingRow = CaptureRecord | GapRow;

/**
 * Estimated V8 heap bytes a row holds: the object, its boxed numbers and its own strings.
 * Measured with `process.memoryUsage().heapUsed` for rows built from parsed JSON as the connectors
 * build them: a trade ~226 bytes, a 5-level book diff ~610 (test/store/pending-queue.test.ts
 * keeps the estimate within a third of that).
 */
export function rowBytes(r: PendingRow): number {
  switch (r.type) {
    case 'trade':
    case 'liquidation':
      return 200 + r.symbol.length + r.id.length;
    case 'book':
      // Each level is a 2-element array of two boxed doubles.
      return 200 + r.symbol.length + (r.bids.length + r.asks.length) * 80;
    case 'ticker':
      return 400 + r.symbol.length;
    case 'kline':
      return 360 + r.symbol.length;
    case 'gap':
      return 200 + r.gap.symbol.length + r.gap.detail.length;
  }
}

/** The queue's own slots per row: three array entries. */
const SLOT_BYTES = 24;
/** A frame's text is held once however many rows it gave: counted with the first of them. */
const frameBytes = (text: string) => 24 + text.length;

/** A batch taken from the queue: parallel arrays, row i came in frame i (undefined when unknown). */
export interface PendingBatch {
  readonly rows: PendingRow[];
  readonly frames: (string | undefined)[];
  readonly costs: number[];
  readonly bytes: number;
}

/** Events of one stream dropped from the queue: what the gap row says. */
export interface DroppedSpan {
  readonly venue: Venue;
  readonly symbol: string;
  readonly type: CaptureRecord['type'];
  fromTs: number;
  toTs: number;
  count: number;
}

export class PendingQueue {
  private rows: PendingRow[] = [];
  private frames: (string | undefined)[] = [];
  private costs: number[] = [];
  private lastFrame: string | undefined;
  /** Estimated bytes held (rows and the frames they came in). */
  bytes = 0;

  get length(): number {
    return this.rows.length;
  }

  push(r: PendingRow, frame: string | undefined): void {
    let cost = rowBytes(r) + SLOT_BYTES;
    if (frame !== undefined && frame !== this.lastFrame) {
      cost += frameBytes(frame);
      this.lastFrame = frame;
    }
    this.rows.push(r);
    this.frames.push(frame);
    this.costs.push(cost);
    this.bytes += cost;
  }

  /** Everything queued, leaving the queue empty. */
  take(): PendingBatch {
    const b = { rows: this.rows, frames: this.frames, costs: this.costs, bytes: this.bytes };
    this.rows = [];
    this.frames = [];
    this.costs = [];
    this.bytes = 0;
    this.lastFrame = undefined;
    return b;
  }

  /** Put the ranges `[from, to)` of a taken batch back in front of what arrived since, in order. */
  putBack(b: PendingBatch, ranges: readonly (readonly [number, number])[]): void {
    if (ranges.length === 0) return;
    const rows: PendingRow[] = [];
    const frames: (string | undefined)[] = [];
    const costs: number[] = [];
    for (const [from, to] of ranges) {
      for (let i = from; i < to; i++) {
        rows.push(b.rows[i]);
        frames.push(b.frames[i]);
        costs.push(b.costs[i]);
        this.bytes += b.costs[i];
      }
    }
    this.rows = rows.concat(this.rows);
    this.frames = frames.concat(this.frames);
    this.costs = costs.concat(this.costs);
  }

  /**
   * Drop the oldest events until the queue holds at most `target` bytes. Gap rows are kept (they
   * are small, and dropping one would hide a loss). Returns what was dropped per venue, symbol and
   * event type, with the exact exchange-time range of the dropped events.
   */
  dropOldest(target: number): DroppedSpan[] {
    const spans = new Map<string, DroppedSpan>();
    const keptGaps: number[] = [];
    let i = 0;
    for (; i < this.rows.length && this.bytes > target; i++) {
      const r = this.rows[i];
      if (r.type === 'gap') {
        keptGaps.push(i);
        continue;
      }
      this.bytes -= this.costs[i];
      const ts = r.type === 'kline' ? r.openTime : r.ts;
      const key = `${r.venue}\u0000${r.symbol}\u0000${r.type}`;
      const s = spans.get(key);
      if (s) {
        if (ts < s.fromTs) s.fromTs = ts;
        if (ts > s.toTs) s.toTs = ts;
        s.count++;
      } else spans.set(key, { venue: r.venue, symbol: r.symbol, type: r.type, fromTs: ts, toTs: ts, count: 1 });
    }
    const rest = (a: unknown[]) => keptGaps.map((k) => a[k]).concat(a.slice(i));
    this.rows = rest(this.rows) as PendingRow[];
    this.frames = rest(this.frames) as (string | undefined)[];
    this.costs = rest(this.costs) as number[];
    // The frame accounting restarts: a kept row's frame may have been counted with a dropped one.
    this.lastFrame = undefined;
    return [...spans.values()];
  }
}
