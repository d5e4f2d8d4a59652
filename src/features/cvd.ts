/**
 * Cumulative volume delta (docs/FEATURES.md "Cumulative volume delta").
 *
 * Per bar of any timeframe: aggressive buy and sell volume (base units), delta = buy - sell, and
 * cvd = running sum of delta over the bars output, restarted at each UTC day or session when
 * asked. Only bars with trades are output. One series per operator: all venues of the input
 * merged, or one venue.
 */
import type { TradeColumns } from '../core/columns.ts';
import type { Venue } from '../core/events.ts';
import { OutOfOrderError, type Emit, type TradeOperator } from './operator.ts';
import { SessionClock } from './market-time.ts';
import { DAY_MS, DEFAULT_SESSIONS, type Session } from './timeframe.ts';

export type CvdReset = 'none' | 'session' | 'day';
export const CVD_RESETS: readonly CvdReset[] = ['none', 'session', 'day'];

export interface CvdBar {
  /** Bar open, epoch ms (multiple of the timeframe). */
  readonly open_time_ms: number;
  /** Aggressive buy volume, base units. */
  readonly buy_volume: number;
  readonly sell_volume: number;
  /** buy_volume - sell_volume. */
  readonly delta: number;
  /** Sum of `delta` over the bars output since the start or the last reset, this bar included. */
  readonly cvd: number;
}

export interface CvdOptions {
  readonly timeframeMs: number;
  /** Restart cvd at each UTC day, or each time a session opens (by the bar's open time). Default none. */
  readonly reset?: CvdReset;
  /** Sessions for reset 'session' (default DEFAULT_SESSIONS). */
  readonly sessions?: readonly Session[];
  /** Only this venue's trades; default every trade of the input. */
  readonly venue?: Venue;
}

/** The period a bar belongs to for resets: bars of different periods never share a cvd. */
function resetKeyFn(opts: Pick<CvdOptions, 'reset' | 'sessions'>): (openMs: number) => number {
  const reset = opts.reset ?? 'none';
  if (reset === 'day') return (t) => Math.floor(t / DAY_MS);
  if (reset === 'session') {
    const sessions = opts.sessions ?? DEFAULT_SESSIONS;
    if (sessions.length === 0) throw new RangeError('cvd: reset "session" needs at least one session');
    const clock = new SessionClock(sessions);
    return (t) => clock.key(t);
  }
  return () => 0;
}

function checkTimeframe(tf: number): void {
  if (!(tf > 0) || !Number.isFinite(tf)) throw new RangeError(`cvd: timeframeMs must be > 0, got ${tf}`);
}

/**
 * The running cvd of one series: each closed bar's buy and sell volume in, its CvdBar out, cvd
 * restarted by the options' reset rule. Shared by CvdOperator and by a pass that sums the bars
 * itself (the engine's pipeline takes them from the divergence operator, which sums the same
 * bars on the same timeframes).
 */
export class CvdRunning {
  private readonly keyOf: (openMs: number) => number;
  private cvd = 0;
  private lastKey = NaN;

  constructor(opts: Pick<CvdOptions, 'reset' | 'sessions'> = {}) {
    this.keyOf = resetKeyFn(opts);
  }

  /** The bar [open, open + timeframe) closed with these sums. */
  close(open: number, buy: number, sell: number): CvdBar {
    const key = this.keyOf(open);
    if (key !== this.lastKey) this.cvd = 0;
    this.lastKey = key;
    const delta = buy - sell;
    this.cvd += delta;
    return { open_time_ms: open, buy_volume: buy, sell_volume: sell, delta, cvd: this.cvd };
  }

  /** The bar `close` would give now, without closing it. */
  partial(open: number, buy: number, sell: number): CvdBar {
    const key = this.keyOf(open);
    const delta = buy - sell;
    const cvd = (key !== this.lastKey ? 0 : this.cvd) + delta;
    return { open_time_ms: open, buy_volume: buy, sell_volume: sell, delta, cvd };
  }

  /** Back to the start (cvd 0). */
  reset(): void {
    this.cvd = 0;
    this.lastKey = NaN;
  }
}

/** Incremental CVD: push trades in time order, bars are emitted as soon as the next bar starts. */
export class CvdOperator implements TradeOperator {
  private readonly tf: number;
  private readonly running: CvdRunning;
  private open = -Infinity;
  private end = -Infinity;
  private buy = 0;
  private sell = 0;

  constructor(
    private readonly opts: CvdOptions,
    private readonly emit: Emit<CvdBar>,
  ) {
    checkTimeframe(opts.timeframeMs);
    this.tf = opts.timeframeMs;
    this.running = new CvdRunning(opts);
  }

  push(t: TradeColumns, from = 0, to = t.length): void {
    const only = this.opts.venue === undefined ? -1 : t.venues.indexOf(this.opts.venue);
    if (this.opts.venue !== undefined && only < 0) return;
    const { ts, qty, side, venue } = t;
    let buy = this.buy;
    let sell = this.sell;
    for (let i = from; i < to; i++) {
      if (only >= 0 && venue[i] !== only) continue;
      const x = ts[i];
      if (x >= this.end) {
        if (this.end !== -Infinity) {
          this.buy = buy;
          this.sell = sell;
          this.close();
          buy = 0;
          sell = 0;
        }
        this.open = Math.floor(x / this.tf) * this.tf;
        this.end = this.open + this.tf;
      } else if (x < this.open) {
        throw new OutOfOrderError(x, this.open);
      }
      if (side[i] > 0) buy += qty[i];
      else sell += qty[i];
    }
    this.buy = buy;
    this.sell = sell;
  }

  flush(): void {
    if (this.end !== -Infinity) this.close();
    this.open = -Infinity;
    this.end = -Infinity;
    this.running.reset();
  }

  /**
   * The open bar as it stands (for live views), or undefined before any trade: the bar `close`
   * would emit now, without closing it. Its figures still change until the bar closes.
   */
  partial(): CvdBar | undefined {
    if (this.end === -Infinity) return undefined;
    return this.running.partial(this.open, this.buy, this.sell);
  }

  private close(): void {
    this.emit(this.running.close(this.open, this.buy, this.sell));
    this.buy = 0;
    this.sell = 0;
  }
}

/**
 * Batch CVD over whole columns (time order): the same bars as CvdOperator fed the same trades
 * in any chunking, computed in one pass without the operator.
 */
export function cvdBatch(t: TradeColumns, opts: CvdOptions): CvdBar[] {
  checkTimeframe(opts.timeframeMs);
  const tf = opts.timeframeMs;
  const keyOf = resetKeyFn(opts);
  const only = opts.venue === undefined ? -1 : t.venues.indexOf(opts.venue);
  const out: CvdBar[] = [];
  if (opts.venue !== undefined && only < 0) return out;
  const { ts, qty, side, venue } = t;
  let bar = NaN;
  let buy = 0;
  let sell = 0;
  let cvd = 0;
  let lastKey = NaN;
  const close = () => {
    const open = bar * tf;
    const key = keyOf(open);
    if (key !== lastKey) cvd = 0;
    lastKey = key;
    const delta = buy - sell;
    cvd += delta;
    out.push({ open_time_ms: open, buy_volume: buy, sell_volume: sell, delta, cvd });
  };
  for (let i = 0; i < t.length; i++) {
    if (only >= 0 && venue[i] !== only) continue;
    const b = Math.floor(ts[i] / tf);
    if (b !== bar) {
      if (b < bar) throw new OutOfOrderError(ts[i], bar * tf);
      if (bar === bar) close();
      bar = b;
      buy = 0;
      sell = 0;
    }
    if (side[i] > 0) buy += qty[i];
    else sell += qty[i];
  }
  if (bar === bar) close();
  return out;
}

/** The merged series and one per venue of the input that has trades. */
export function cvdByVenue(t: TradeColumns, opts: Omit<CvdOptions, 'venue'>): { all: CvdBar[]; venues: Partial<Record<Venue, CvdBar[]>> } {
  const venues: Partial<Record<Venue, CvdBar[]>> = {};
  for (const v of t.venues) {
    const bars = cvdBatch(t, { ...opts, venue: v });
    if (bars.length > 0) venues[v] = bars;
  }
  return { all: cvdBatch(t, opts), venues };
}
