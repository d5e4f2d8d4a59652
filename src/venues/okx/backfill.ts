/**
 * What OKX can back-fill: `GET /api/v5/market/history-trades?type=1&after=<id>` returns up to 100
 * trades with a trade id below `after`, newest first, for the last 3 months; a hole is fetched
 * downwards from the id above it until a page reaches its lowest id. Ids OKX does not return
 * between two it does were never trades (OKX ids are not consecutive per instrument).
 */
import { budgetSpent, type BackfillGap, type BackfillPage, type BackfillBudget, type BackfillPlanner, type BackfillStep } from '../live/backfill.ts';
import { okxHistoryTradesUrl } from './urls.ts';

/** Trades per history-trades request (the endpoint's maximum). */
export const OKX_HISTORY_TRADES_PAGE = 100;

/**
 * history-trades allows 20 requests per 2 s per IP (600 a minute); back-fill takes half, leaving
 * the rest to open-interest polls: 300 pages of 100, 30 000 trades a minute.
 */
export const OKX_BACKFILL_REQUESTS_PER_MINUTE = 300;

export class OkxBackfillPlanner implements BackfillPlanner {
  constructor(private readonly restBase: string) {}

  next(gap: BackfillGap, pages: readonly BackfillPage[], budget: BackfillBudget, now: number): BackfillStep {
    if (gap.toId === undefined) throw new RangeError('OKX back-fill needs the highest missing id (history-trades pages downwards)');
    // The `after` of page k: above the hole first, then below the lowest id seen.
    let after = gap.toId + 1;
    for (const p of pages) {
      if (p.count === 0 || !(p.minId < after)) return { kind: 'done', reason: 'exhausted' };
      if (p.minId <= gap.fromId) return { kind: 'done', reason: 'covered' };
      after = p.minId;
    }
    if (budgetSpent(pages, budget, now)) return { kind: 'done', reason: 'budget' };
    return { kind: 'fetch', url: okxHistoryTradesUrl(this.restBase, gap.symbol, String(after), OKX_HISTORY_TRADES_PAGE), weight: 1, limit: OKX_HISTORY_TRADES_PAGE };
  }
}
