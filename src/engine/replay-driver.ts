/**
 * The backtest's driver over the kernel (docs/ENGINE.md): the stored streams merged in time order
 * (replay.ts) pushed into the engine, a replay clock moved by the data, and the one rule that
 * reads ahead: an archive funding row stamped in [T, T + 1 min] is the settlement record of
 * funding time T, handed over before the timer at T fires (funding-rates.ts). Nothing else of
 * what comes later is visible to the kernel.
 */
import { lowerBound } from '../core/columns.ts';
import { MINUTE_MS } from '../features/timeframe.ts';
import type { MarkColumns } from '../core/columns.ts';
import { ReplayClock } from './clock.ts';
import { TIMER_MS, type Engine, type EngineResult } from './engine.ts';
import { replayBatches, type ReplaySources } from './replay.ts';

/** Archive rows (no nextFundingTs) settle within this much after their funding time. */
const ARCHIVE_SETTLE_MS = MINUTE_MS;

export async function replayInto(kernel: Engine, src: Omit<ReplaySources, 'timerEveryMs'>): Promise<EngineResult> {
  const clock = new ReplayClock();
  const archive = archiveFunding(src.marks, kernel.execMarket);
  // The merge cuts runs at the timers, so each run lies between two timers as the kernel wants.
  for await (const batch of replayBatches({ ...src, timerEveryMs: TIMER_MS })) {
    for (const run of batch) {
      if (run.kind === 'timer') {
        clock.set(run.ts);
        if (kernel.isFundingTime(run.ts)) {
          const rate = archive(run.ts);
          if (!Number.isNaN(rate)) kernel.settleFunding(run.ts, rate);
        }
        kernel.advanceTo(clock.now());
      } else {
        clock.set(run.cols.ts[run.from]);
        kernel.onEvent(run);
      }
    }
  }
  return kernel.finish();
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
