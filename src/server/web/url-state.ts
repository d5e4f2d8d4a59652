/**
 * The view the URL names: `/?symbol=BTCUSDT&venues=binance,okx,bybit&tf=1m`. Opening that URL
 * opens that view, and every picker writes the view back with history.replaceState so a copied
 * URL reopens what is on screen. `token=` is the server's: it sets a cookie from it, so the page
 * drops it from the address bar at once and never reads or keeps it anywhere. `bars=N` opens the
 * last N bars instead of the server's default span (capped at MAX_BARS).
 */
import { DASHBOARD_TIMEFRAMES, MAX_BARS, type DashboardTimeframe } from '../api.ts';

export interface ViewState {
  /** '' until the markets list names one. */
  readonly symbol: string;
  /** Empty means every venue the store holds for the symbol. */
  readonly venues: readonly string[];
  readonly tf: DashboardTimeframe;
  /** Bars the view opens on; undefined for the server's default span. */
  readonly bars?: number;
}

export const DEFAULT_TF: DashboardTimeframe = '1m';

export function isTimeframe(s: string | null): s is DashboardTimeframe {
  return s !== null && (DASHBOARD_TIMEFRAMES as readonly string[]).includes(s);
}

/** Reads the view from a query string; unknown or bad values fall back to the defaults. */
export function parseViewState(search: string): ViewState {
  const q = new URLSearchParams(search);
  const symbol = (q.get('symbol') ?? '').trim().toUpperCase();
  const venues = (q.get('venues') ?? '')
    .split(',')
    .map((v) => v.trim().toLowerCase())
    .filter((v) => /^[a-z][a-z-]*$/.test(v));
  const tf = q.get('tf');
  const bars = Number(q.get('bars') ?? NaN);
  return {
    symbol,
    venues: [...new Set(venues)],
    tf: isTimeframe(tf) ? tf : DEFAULT_TF,
    ...(Number.isInteger(bars) && bars > 0 ? { bars: Math.min(bars, MAX_BARS) } : {}),
  };
}

/** The query string for a view, in a fixed order so equal views give equal URLs. */
export function formatViewState(v: ViewState): string {
  const q = new URLSearchParams();
  if (v.symbol) q.set('symbol', v.symbol);
  if (v.venues.length) q.set('venues', v.venues.join(','));
  q.set('tf', v.tf);
  if (v.bars !== undefined) q.set('bars', String(v.bars));
  // URLSearchParams escapes the comma; the documented form keeps it readable.
  return `?${q.toString().replace(/%2C/g, ',')}`;
}

/** `search` without `token` (and its value), or null when there was none to remove. */
export function withoutToken(search: string): string | null {
  const q = new URLSearchParams(search);
  if (!q.has('token')) return null;
  q.delete('token');
  const rest = q.toString().replace(/%2C/g, ',');
  return rest ? `?${rest}` : '';
}
