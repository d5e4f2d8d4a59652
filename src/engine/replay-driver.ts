/**
 * The backtest's driver over the kernel (docs/ENGINE.md): the stored streams merged in time order
 * (replay.ts) pushed into the engine, a replay clock moved by the data, and the one rule that
 * reads ahead: an archive funding row stamped in [T, T + 1 min] is the settlement record of
 * funding time T, handed over before the timer at T fires (funding-rates.ts). Nothing else of
 * what comes later is visible to the kernel.
 */
import { lowerBound } from '../core/columns.ts';
import { MINUTE_MS } from '../features/timeframe.ts';
import type { BookColumns, LiquidationColumns, MarkColumns, OpenInterestColumns, QuoteColumns, TradeColumns } from '../core/columns.ts';
import type { Venue } from '../core/events.ts';
import { ReplayClock } from './clock.ts';
import { TIMER_MS, type Engine, type EngineResult } from './engine.ts';
import { replayTo, type ReplaySink, type ReplaySources } from './replay.ts';

/** Archive rows (no nextFundingTs) settle within this much after their funding time. */
const ARCHIVE_SETTLE_MS = MINUTE_MS;

export async function replayInto(kernel: Engine, src: Omit<ReplaySources, 'timerEveryMs'>): Promise<EngineResult> {
  // The merge cuts runs at the timers, so each run lies between two timers as the kernel wants.
  await replayTo({ ...src, timerEveryMs: TIMER_MS }, new KernelFeed(kernel, archiveFunding(src.marks, kernel.execMarket)));
  return kernel.finish();
}

/** The merged runs into the kernel as they come (no object per run), the replay clock moved by each. */
class KernelFeed implements ReplaySink {
  private readonly clock = new ReplayClock();

  constructor(
    private readonly kernel: Engine,
    private readonly archive: (T: number) => number,
  ) {}

  timer(ts: number): void {
    this.clock.set(ts);
    if (this.kernel.isFundingTime(ts)) {
      const rate = this.archive(ts);
      if (!Number.isNaN(rate)) this.kernel.settleFunding(ts, rate);
    }
    this.kernel.advanceTo(this.clock.now());
  }
  trades(cols: TradeColumns, from: number, to: number): void {
    this.clock.set(cols.ts[from]);
    this.kernel.onRows('trades', cols, from, to);
  }
  liquidations(cols: LiquidationColumns, from: number, to: number): void {
    this.clock.set(cols.ts[from]);
    this.kernel.onRows('liquidations', cols, from, to);
  }
  openInterest(cols: OpenInterestColumns, from: number, to: number): void {
    this.clock.set(cols.ts[from]);
    this.kernel.onRows('open_interest', cols, from, to);
  }
  marks(cols: MarkColumns, from: number, to: number): void {
    this.clock.set(cols.ts[from]);
    this.kernel.onRows('marks', cols, from, to);
  }
  quotes(cols: QuoteColumns, from: number, to: number): void {
    this.clock.set(cols.ts[from]);
    this.kernel.onRows('quotes', cols, from, to);
  }
  book(venue: Venue, cols: BookColumns, from: number, to: number): void {
    this.clock.set(cols.ts[from]);
    this.kernel.onRows('book', cols, from, to, venue);
  }
}

/** The execution market's archive settlement for funding time T: the first archive row in [T, T + 1 min], NaN when none. */
function archiveFunding(m: MarkColumns | undefined, exec: { venue: string; symbol: string }): (T: number) => number {
  const mine = m ? m.markets.findIndex((x) => x.venue === exec.venue && x.symbol === exec.symbol) : -1;
  if (!m || mine < 0) return () => NaN;
  return (T) => {
    for (let k = lowerBound(m.ts.subarray(0, m.length), T); k < m.length && m.ts[k] <= T + ARCHIVE_SETTLE_MS; k++) {
      if (m.market[k] === mine && Number.isFinite(m.fundingRate[k]) && !Number.isFinite(m.nextFundingTs[k])) return m.fundingRate[k];
    }
    return NaN;
  };
}
