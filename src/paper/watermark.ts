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
 *   time of the slowest venue heard at the end (the venues heard within `quietMs` of the last
 *   event) plus the wall time elapsed since that last event, minus `quietMs`. The kernel is
 *   advanced there (`advanceTo`), so funding, time stops, stale-order expiry and prediction
 *   horizons fire on time in a silent market. The slowest venue's, not the newest time of any:
 *   a venue whose socket lags the others (its rows still on the way, or waiting behind a stall
 *   of this process) must not have the wall clock jump over them: they would come late, and
 *   which rows the kernel sees would depend on the machine's timing, not on the events.
 *
 * W never goes back. A row that arrives stamped before W (a stream that woke up late) is "late":
 * the kernel never sees it, the store and a backtest do; the session counts them (`isLate`).
 *
 * `graceMs` (the push path's bounded hold, docs/PAPER.md "The push path"): a stream is taken to be
 * at most that far (exchange time) behind the newest time of its own venue's streams, so a sparse
 * stream (liquidations, a ticker a second) holds W back by at most `graceMs` behind its venue
 * rather than until its next event; across venues W is still the slowest venue's. Infinity (the
 * default): every stream holds W at its own newest time, as above.
 */

/** One stream's progress: the newest exchange time committed, and the wall time of its last event. */
interface StreamMark {
  committedTs: number;
  lastWallMs: number;
  /** Its venue (the stream key's part before the first `:`). */
  readonly venue: string;
  /** It held the watermark (received something within `quietMs`) at the last `advance`. */
  flowing: boolean;
}

export interface WatermarkOptions {
  /** A stream silent this long (wall ms) no longer holds the watermark back; also the hold of the wall-derived time. Default 2000. */
  readonly quietMs?: number;
  /** How far (exchange ms) a stream may be taken to lag its venue's newest time; default Infinity. */
  readonly graceMs?: number;
}

export const DEFAULT_QUIET_MS = 2000;

export class Watermark {
  private readonly streams = new Map<string, StreamMark>();
  private readonly quietMs: number;
  private readonly graceMs: number;
  /** Per venue, the newest time of any of its streams. */
  private readonly venueNewest = new Map<string, number>();
  /** Per venue, the wall time its last event was received. */
  private readonly venueWall = new Map<string, number>();
  private w: number;
  /** The wall time the last event (of any stream) was received. */
  private lastWall = -Infinity;
  /** The last `advance` took the wall clock's time (every stream quiet). */
  private wallTime = false;
  /**
   * How many times `advance` found a stream come back (or heard for the first time) or fall
   * quiet since the one before: the set of streams holding the watermark changed. A push made at
   * once on a frame (docs/PAPER.md, "The push path") waits for the end of the event loop's turn
   * then, when the other frames read with it may be a stream's coming back (after a stall, or
   * after every stream fell quiet).
   */
  flips = 0;

  /** `startTs`: nothing before it is released (the session's resume point or start). */
  constructor(startTs: number, o: WatermarkOptions = {}) {
    this.quietMs = o.quietMs ?? DEFAULT_QUIET_MS;
    if (!(this.quietMs > 0 && Number.isFinite(this.quietMs))) throw new RangeError(`paper: quietMs must be finite and > 0, got ${this.quietMs}`);
    this.graceMs = o.graceMs ?? Infinity;
    if (!(this.graceMs >= 0)) throw new RangeError(`paper: graceMs must be >= 0, got ${this.graceMs}`);
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
    if (!s) this.streams.set(stream, (s = { committedTs: -Infinity, lastWallMs: -Infinity, venue: stream.split(':')[0], flowing: false }));
    if (ts > s.committedTs) {
      s.committedTs = ts;
      if (!(ts <= (this.venueNewest.get(s.venue) ?? -Infinity))) this.venueNewest.set(s.venue, ts);
    }
    if (wallMs > s.lastWallMs) s.lastWallMs = wallMs;
    if (!(wallMs <= (this.venueWall.get(s.venue) ?? -Infinity))) this.venueWall.set(s.venue, wallMs);
    if (wallMs > this.lastWall) this.lastWall = wallMs;
  }

  /**
   * This process heard nothing from any stream for `ms` (its event loop was held, or every feed
   * was silent): that span does not count as any stream's silence, so a stream whose frames wait
   * in its socket behind the stall is not taken as quiet when the first frames after it are
   * handled (it would let the watermark pass rows it has not read yet).
   */
  unheard(ms: number): void {
    for (const s of this.streams.values()) s.lastWallMs += ms;
    for (const [v, wall] of this.venueWall) this.venueWall.set(v, wall + ms);
    this.lastWall += ms;
  }

  /** Every stream has been silent for `quietMs` at wall time `wallMs`: `advance` would take the wall clock's time. */
  quiet(wallMs: number): boolean {
    for (const s of this.streams.values()) if (wallMs - s.lastWallMs <= this.quietMs) return false;
    return true;
  }

  /** Nothing before `ts` is released any more (the push path's handover point). */
  raise(ts: number): void {
    if (ts > this.w) this.w = ts;
  }

  /**
   * Move the watermark for wall time `wallMs`; returns it and whether it came from the wall clock
   * (every stream quiet: the kernel should be advanced to it) rather than from the streams.
   */
  advance(wallMs: number): { readonly ts: number; readonly fromWall: boolean } {
    const ts = this.advanceTs(wallMs);
    return { ts, fromWall: this.wallTime };
  }

  /** Whether the last `advance` took the wall clock's time. */
  get fromWall(): boolean {
    return this.wallTime;
  }

  /** `advance` returning the watermark alone (`fromWall` set): the push path calls it on every frame, allocating nothing. */
  advanceTs(wallMs: number): number {
    let flowing = Infinity;
    let any = false;
    for (const s of this.streams.values()) {
      const heard = wallMs - s.lastWallMs <= this.quietMs;
      if (heard !== s.flowing) {
        s.flowing = heard;
        this.flips++;
      }
      if (!heard) continue;
      any = true;
      const mark = this.graceMs === Infinity ? s.committedTs : Math.max(s.committedTs, this.venueNewest.get(s.venue)! - this.graceMs);
      if (mark < flowing) flowing = mark;
    }
    if (any) {
      if (flowing > this.w) this.w = flowing;
      this.wallTime = false;
      return this.w;
    }
    const anchor = this.slowestVenueAtEnd();
    if (Number.isFinite(anchor)) {
      const t = anchor + (wallMs - this.lastWall) - this.quietMs;
      if (t > this.w) this.w = t;
    }
    this.wallTime = Number.isFinite(anchor);
    return this.w;
  }

  /**
   * Where the wall clock's time starts from: the newest time of the slowest venue among those heard
   * within `quietMs` of the last event (a venue down for longer does not hold it back; a sparse
   * stream does not either: its venue's other streams carry the venue's time).
   */
  private slowestVenueAtEnd(): number {
    let t = Infinity;
    for (const [v, wall] of this.venueWall) {
      if (this.lastWall - wall > this.quietMs) continue;
      const newest = this.venueNewest.get(v) ?? Infinity;
      if (newest < t) t = newest;
    }
    return t === Infinity ? -Infinity : t;
  }
}
