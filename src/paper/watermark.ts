/**
 * The paper session's clock (docs/PAPER.md, "The clock"): how far in exchange time the kernel may
 * be moved, from what the recorder has committed and from the wall clock.
 *
 * Events reach the kernel from the store (src/paper/stored-feed.ts), in the order a backtest reads
 * them. Rows stamped before the watermark W are read and pushed; W only grows. Each stream (a
 * venue and an event type) reports the newest exchange time it has had committed and when (wall
 * time) it last received something:
 *
 * - While events flow, W is the oldest newest-committed time among the streams that received
 *   something within `quietMs` of wall time: a row stamped before W cannot come later from any
 *   stream still talking, so the kernel sees every stream's rows in time order (exchange time).
 *   Streams that fell silent longer than that (a venue with no liquidations, a feed that is down)
 *   do not hold the others back.
 * - When every stream has been silent for `quietMs`, time is the wall clock's: the newest exchange
 *   time committed plus the wall time elapsed since it was received, minus `quietMs`. The kernel
 *   is advanced there (`advanceTo`), so funding, time stops, stale-order expiry and prediction
 *   horizons fire on time in a silent market.
 *
 * W never goes back. A row that arrives stamped before W (a stream that woke up late) is "late":
 * the kernel never sees it, the store and a backtest do; the session counts them (`isLate`).
 */

/** One stream's progress: the newest exchange time committed, and the wall time of its last event. */
interface StreamMark {
  committedTs: number;
  lastWallMs: number;
}

export interface WatermarkOptions {
  /** A stream silent this long (wall ms) no longer holds the watermark back; also the hold of the wall-derived time. Default 2000. */
  readonly quietMs?: number;
}

export const DEFAULT_QUIET_MS = 2000;

export class Watermark {
  private readonly streams = new Map<string, StreamMark>();
  private readonly quietMs: number;
  private w: number;
  /** The newest exchange time committed on any stream, and when it was received. */
  private newestTs = -Infinity;
  private newestWall = -Infinity;

  /** `startTs`: nothing before it is released (the session's resume point or start). */
  constructor(startTs: number, o: WatermarkOptions = {}) {
    this.quietMs = o.quietMs ?? DEFAULT_QUIET_MS;
    if (!(this.quietMs > 0 && Number.isFinite(this.quietMs))) throw new RangeError(`paper: quietMs must be finite and > 0, got ${this.quietMs}`);
    this.w = startTs;
  }

  /** A row stamped `ts` arriving now comes too late: rows before the watermark may have been read already. */
  isLate(ts: number): boolean {
    return ts < this.w;
  }

  /** The current watermark: rows stamped before it have been (or may be) released. */
  get value(): number {
    return this.w;
  }

  /** Rows of `stream` stamped up to `ts` were committed; the last arrived at wall time `wallMs`. */
  committed(stream: string, ts: number, wallMs: number): void {
    let s = this.streams.get(stream);
    if (!s) this.streams.set(stream, (s = { committedTs: -Infinity, lastWallMs: -Infinity }));
    if (ts > s.committedTs) s.committedTs = ts;
    if (wallMs > s.lastWallMs) s.lastWallMs = wallMs;
    if (ts > this.newestTs) {
      this.newestTs = ts;
      this.newestWall = wallMs;
    }
  }

  /**
   * Move the watermark for wall time `wallMs`; returns it and whether it came from the wall clock
   * (every stream quiet: the kernel should be advanced to it) rather than from the streams.
   */
  advance(wallMs: number): { readonly ts: number; readonly fromWall: boolean } {
    let flowing = Infinity;
    let any = false;
    for (const s of this.streams.values()) {
      if (wallMs - s.lastWallMs > this.quietMs) continue;
      any = true;
      if (s.committedTs < flowing) flowing = s.committedTs;
    }
    if (any) {
      if (flowing > this.w) this.w = flowing;
      return { ts: this.w, fromWall: false };
    }
    if (Number.isFinite(this.newestTs)) {
      const t = this.newestTs + (wallMs - this.newestWall) - this.quietMs;
      if (t > this.w) this.w = t;
    }
    return { ts: this.w, fromWall: Number.isFinite(this.newestTs) };
  }
}
