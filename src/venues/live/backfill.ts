/**
 * Back-fill planning, shared by the connectors: given a hole in a stream's trades (the ids or the
 * time it lacks) and what the REST pages fetched so far covered, what to fetch next, or why to
 * stop. Each venue's `backfill.ts` implements `BackfillPlanner` for what its REST can serve
 * (Binance aggTrades from an id upwards, OKX history-trades from an id downwards, Bybit only the
 * newest 1000); the client fetches (PacedRest), parses, delivers, and reports what stayed missing
 * as a gap. The budget (requests, a deadline) is the caller's: how far back is worth the venue's
 * rate limit is a policy, not the venue's wire.
 *
 * A planner is pure (no socket, no clock of its own): tested on its own, and reusable to plan a
 * back-fill at start from what the store holds.
 */

/** What is missing. */
export interface BackfillGap {
  readonly symbol: string;
  /** First missing trade id (NaN when the venue's ids are not ordered numbers, e.g. Bybit UUIDs). */
  readonly fromId: number;
  /** Last missing trade id; undefined = everything up to the newest (catch up after a reconnect). */
  readonly toId: number | undefined;
  /** Exchange time of the last trade before the hole, ms; NaN when none was seen. */
  readonly fromTs: number;
}

/** One REST page a back-fill fetched: the span of its trades. */
export interface BackfillPage {
  /** Trades on the page. */
  readonly count: number;
  /** Lowest and highest numeric trade id on it (NaN when none or not numeric). */
  readonly minId: number;
  readonly maxId: number;
  /** Oldest and newest exchange time on it, ms (NaN when empty). */
  readonly minTs: number;
  readonly maxTs: number;
}

export interface BackfillBudget {
  /** REST requests allowed for this gap. */
  readonly maxRequests: number;
  /** Stop asking after this local time, epoch ms (default: no deadline). */
  readonly deadline?: number;
}

export type BackfillStep =
  /** Ask the venue this (its weight counted by PacedRest; `limit` = trades asked for). */
  | { readonly kind: 'fetch'; readonly url: string; readonly weight: number; readonly limit: number }
  /**
   * Stop. `covered`: every missing trade the venue has was asked for; `exhausted`: the venue serves
   * nothing further (what is left is lost for good); `budget`: requests or time spent (left missing).
   */
  | { readonly kind: 'done'; readonly reason: 'covered' | 'exhausted' | 'budget' };

export interface BackfillPlanner {
  /** The next step for `gap`, given the pages fetched so far (in order), the budget and the local time. */
  next(gap: BackfillGap, pages: readonly BackfillPage[], budget: BackfillBudget, now: number): BackfillStep;
}

/** The budget check every planner makes first. */
export function budgetSpent(pages: readonly BackfillPage[], budget: BackfillBudget, now: number): boolean {
  return pages.length >= budget.maxRequests || (budget.deadline !== undefined && now >= budget.deadline);
}

/** The span of a page from its trades' ids (numbers, or NaN when not numeric) and times. */
export function pageOf(ids: readonly number[], times: readonly number[]): BackfillPage {
  let minId = NaN;
  let maxId = NaN;
  for (const id of ids) {
    if (!Number.isFinite(id)) continue;
    if (!(id >= minId)) minId = id;
    if (!(id <= maxId)) maxId = id;
  }
  let minTs = NaN;
  let maxTs = NaN;
  for (const t of times) {
    if (!(t >= minTs)) minTs = t;
    if (!(t <= maxTs)) maxTs = t;
  }
  return { count: Math.max(ids.length, times.length), minId, maxId, minTs, maxTs };
}

/**
 * Default time a back-fill may take per hole: a minute of a venue's back-fill share of its REST
 * limit recovers 60 000 trades on Binance and OKX (below), minutes of a busy market's tape.
 */
export const DEFAULT_BACKFILL_TIME_MS = 60_000;

/**
 * The budget of one hole, from time and the venue's rate limit rather than a fixed count:
 * `requestsPerMinute` is the share of the venue's REST limit back-fill may use (half, leaving the
 * rest to book snapshots and polls); PacedRest paces the calls within the venue's weight budget,
 * and the deadline stops a hole that would take longer. `maxRequests` overrides the count.
 */
export function sizeBackfill(
  o: { readonly backfillTimeMs?: number; readonly backfillMaxRequests?: number },
  requestsPerMinute: number,
  now: number,
): BackfillBudget {
  const timeMs = o.backfillTimeMs ?? DEFAULT_BACKFILL_TIME_MS;
  if (!(timeMs > 0)) throw new RangeError(`backfillTimeMs must be > 0, got ${timeMs}`);
  const maxRequests = o.backfillMaxRequests ?? Math.max(1, Math.floor((requestsPerMinute * timeMs) / 60_000));
  return { maxRequests, deadline: now + timeMs };
}
