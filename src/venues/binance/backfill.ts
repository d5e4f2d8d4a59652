/**
 * What Binance USD-M can back-fill: `GET /fapi/v1/aggTrades?fromId=` returns up to 1000 aggregate
 * trades with id >= fromId, oldest first (weight 20), so a hole of ids is fetched upwards page by
 * page; a catch-up (no upper id) pages until a page comes back short. How far back REST reaches is
 * not documented as a window: an id REST no longer has is left missing (the client reports it).
 */
import { budgetSpent, type BackfillBudget, type BackfillGap, type BackfillPage, type BackfillPlanner, type BackfillStep } from '../live/backfill.ts';
import { BINANCE_AGG_TRADES_WEIGHT, binanceAggTradesUrl } from './urls.ts';

/** aggTrades per request (the endpoint's maximum). */
export const BINANCE_AGG_TRADES_PAGE = 1000;

export class BinanceBackfillPlanner implements BackfillPlanner {
  constructor(private readonly restBase: string) {}

  next(gap: BackfillGap, pages: readonly BackfillPage[], budget: BackfillBudget, now: number): BackfillStep {
    const last = pages.at(-1);
    let from = gap.fromId;
    if (last) {
      if (last.count === 0) return { kind: 'done', reason: gap.toId === undefined ? 'covered' : 'exhausted' };
      from = last.maxId + 1;
      if (gap.toId !== undefined && from > gap.toId) return { kind: 'done', reason: 'covered' };
      // Catching up: a short page is the newest there is.
      if (gap.toId === undefined && last.count < BINANCE_AGG_TRADES_PAGE) return { kind: 'done', reason: 'covered' };
    }
    if (budgetSpent(pages, budget, now)) return { kind: 'done', reason: 'budget' };
    const limit = gap.toId === undefined ? BINANCE_AGG_TRADES_PAGE : Math.min(BINANCE_AGG_TRADES_PAGE, gap.toId - from + 1);
    return { kind: 'fetch', url: binanceAggTradesUrl(this.restBase, gap.symbol, from, limit), weight: BINANCE_AGG_TRADES_WEIGHT, limit };
  }
}
