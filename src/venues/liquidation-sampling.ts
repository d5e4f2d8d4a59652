/**
 * What each venue's liquidation feed leaves out, so no one mistakes a recorded liquidation count
 * for the full one. `orderflow info` prints these beside any stored liquidations; the evidence is
 * in docs/NORMALIZATION.md and docs/live/<venue>.md.
 */
import type { Venue } from '../core/events.ts';

export const LIQUIDATION_SAMPLING: Readonly<Partial<Record<Venue, string>>> = {
  binance:
    'forceOrder pushes only the latest liquidation per symbol within each 1000 ms: counts and notional are lower bounds (liquidationSnapshot archives, complete, exist only for COIN-M)',
  okx: 'liquidation-orders "doesn\'t represent the total number of liquidations" (OKX docs; an older version said at most one order per contract per second): counts are lower bounds',
  bybit: 'allLiquidation pushes 500 ms batches documented as all liquidations, with no public history (a disconnect loses them); the older liquidation topic kept at most one per second',
};
