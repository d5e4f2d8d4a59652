/**
 * What Bybit can back-fill: `GET /v5/market/recent-trade` returns only the newest trades (at most
 * 1000, newest first), with no id or time cursor, so one request is all there is. The hole is
 * covered when the oldest trade returned is not newer than the last trade seen before it;
 * otherwise what lies between is lost (Bybit trade ids are UUIDs: the hole is known by time only).
 */
import { budgetSpent, type BackfillBudget, type BackfillGap, type BackfillPage, type BackfillPlanner, type BackfillStep } from '../live/backfill.ts';
import { recentTradeUrl } from './urls.ts';

export class BybitBackfillPlanner implements BackfillPlanner {
  constructor(
    private readonly restBase: string,
    /** Trades asked for, 1..1000. */
    private readonly limit: number,
  ) {}

  next(gap: BackfillGap, pages: readonly BackfillPage[], budget: BackfillBudget, now: number): BackfillStep {
    const last = pages.at(-1);
    if (last) return { kind: 'done', reason: last.count === 0 || last.minTs <= gap.fromTs ? 'covered' : 'exhausted' };
    if (budgetSpent(pages, budget, now)) return { kind: 'done', reason: 'budget' };
    return { kind: 'fetch', url: recentTradeUrl(this.restBase, gap.symbol, this.limit), weight: 1, limit: this.limit };
  }
}
