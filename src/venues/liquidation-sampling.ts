/**
 * What each venue's liquidation feed leaves out, so no one mistakes a recorded liquidation count
 * for the full one. `orderflow info` prints these beside any stored liquidations; the evidence is
 * in docs/NORMALIZATION.md and docs/live/<venue>.md.
 */
import type { Venue } from '../core/events.ts';

export const LIQUIDATION_SAMPLING: Readonly<Partial<Record<Venue, string>>> = {
  binance:
    'forceOrder pushes only the latest liquidation per symbol within each 1000 ms: counts and notional are lower bounds (liquidationSnapshot archives, complete, exist only for COIN-M)',
  okx: 'liquidation-orders pushes liquidation orders per instrument type, not every fill of them, and its completeness is not documented: counts are lower bounds',
  bybit: 'allLiquidation pushes batches every 500 ms (the older liquidation topic kept at most one per second): earlier recordings are lower bounds',
};
