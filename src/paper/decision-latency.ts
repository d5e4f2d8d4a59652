/**
 * Event -> decision latency of a paper session (docs/PAPER.md, "Decision latency"): for each signal
 * the kernel produces from events received by this process, the wall time from the receipt of
 * its triggering event to the moment the strategy was handed the signal (its order, if any, is
 * made in that same call).
 *
 * The triggering event is the one stamped at the signal's time. Its receipt is taken as the wall
 * time the newest exchange time received (over every stream) first reached the signal's time:
 * that is at or before the triggering event's own receipt, so the figure is an upper bound (never
 * flatters). Samples are kept only when the newest time moves (at most one per exchange ms), in
 * a fixed ring: no allocation per event.
 */

/** Receipt samples kept: at 1000 distinct ms a second, about a minute of history. */
const RING = 65_536;

export class DecisionLatency {
  private readonly ts: Float64Array;
  private readonly wall: Float64Array;
  /** Samples written so far (the ring holds the last RING). */
  private n = 0;
  private newest = -Infinity;
  /** The oldest exchange time received by this process (a resumed kernel replays older signals: not measured). */
  private oldest = Infinity;
  /** Latencies measured, ms (bounded: the newest half is kept past 8192). */
  readonly samples: number[] = [];

  /** `ring`: receipt samples kept (tests make it small). */
  constructor(private readonly ring = RING) {
    this.ts = new Float64Array(ring);
    this.wall = new Float64Array(ring);
  }

  /** An event stamped `ts` was received at `wallMs` (performance.now()). */
  received(ts: number, wallMs: number): void {
    if (ts < this.oldest) this.oldest = ts;
    if (!(ts > this.newest)) return;
    this.newest = ts;
    const k = this.n % this.ring;
    this.ts[k] = ts;
    this.wall[k] = wallMs;
    this.n++;
  }

  /** The receipt wall time of the triggering event of a signal at `ts`, or NaN when this process did not receive it (a replayed signal) or it left the ring. */
  receiptOf(ts: number): number {
    if (!(ts >= this.oldest) || ts > this.newest) return NaN;
    const lo0 = Math.max(0, this.n - this.ring);
    if (this.ts[lo0 % this.ring] > ts && lo0 > 0) return NaN;
    // First sample with ts >= the signal's (samples grow with the index).
    let lo = lo0;
    let hi = this.n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ts[mid % this.ring] >= ts) hi = mid;
      else lo = mid + 1;
    }
    return this.wall[lo % this.ring];
  }

  /** A signal at exchange time `ts` was produced at `producedWallMs` (performance.now()); measured when its event was received here. */
  produced(ts: number, producedWallMs: number): void {
    const r = this.receiptOf(ts);
    if (!Number.isFinite(r)) return;
    this.samples.push(Math.max(0, producedWallMs - r));
    if (this.samples.length > 8192) this.samples.splice(0, 4096);
  }

  /** p50 and p99 of what was measured (NaN without samples), and how many. */
  summary(): { readonly n: number; readonly p50: number; readonly p99: number } {
    const s = [...this.samples].sort((a, b) => a - b);
    const q = (p: number) => (s.length > 0 ? s[Math.min(s.length - 1, Math.floor(s.length * p))] : NaN);
    return { n: s.length, p50: q(0.5), p99: q(0.99) };
  }
}
