/**
 * Every Bybit endpoint the live client and the loopback server use (nautilus
 * `common/urls.rs`). A base is scheme + host + port; it comes from config, else
 * `ORDERFLOW_BYBIT_WS_URL` / `ORDERFLOW_BYBIT_REST_URL`, else Bybit's public default
 * (src/venues/live/endpoint.ts). The documented paths are appended here and nowhere else.
 *
 * Sources: docs/live/bybit.md ("Endpoints").
 */
import { endpointBase } from '../live/endpoint.ts';

/** Mainnet public stream host (bybit-exchange.github.io/docs/v5/ws/connect). */
export const BYBIT_WS_DEFAULT = 'wss://stream.bybit.com';
/** Mainnet REST host (bybit-exchange.github.io/docs/v5/rate-limit: "api.bybit.com"). */
export const BYBIT_REST_DEFAULT = 'https://api.bybit.com';

/** Public stream of USDT/USDC perpetuals and futures (the `linear` category). */
export const BYBIT_PUBLIC_LINEAR_PATH = '/v5/public/linear';
/** Order book snapshot, up to 500/1000 levels per side; its `u` is the 500/1000-level stream's. */
export const BYBIT_ORDERBOOK_PATH = '/v5/market/orderbook';
/** The most recent public trades, newest first, at most 1000 (used to back-fill a disconnect). */
export const BYBIT_RECENT_TRADE_PATH = '/v5/market/recent-trade';
/** Open interest history (both sides summed, plus `singleOpenInterest`). */
export const BYBIT_OPEN_INTEREST_PATH = '/v5/market/open-interest';

/** Instruments of a category, paginated by `cursor` (limit 1..1000, default 500). */
export const BYBIT_INSTRUMENTS_INFO_PATH = '/v5/market/instruments-info';
/** Risk-limit tiers of a symbol. */
export const BYBIT_RISK_LIMIT_PATH = '/v5/market/risk-limit';

/** The WebSocket base: `configured` > ORDERFLOW_BYBIT_WS_URL > wss://stream.bybit.com. */
export function bybitWsBase(configured?: string): string {
  return endpointBase('BYBIT', 'ws', BYBIT_WS_DEFAULT, configured);
}

/** The REST base: `configured` > ORDERFLOW_BYBIT_REST_URL > https://api.bybit.com. */
export function bybitRestBase(configured?: string): string {
  return endpointBase('BYBIT', 'rest', BYBIT_REST_DEFAULT, configured);
}

/** `wss://stream.bybit.com/v5/public/linear` on the given base. */
export function publicLinearUrl(wsBase: string): string {
  return `${wsBase}${BYBIT_PUBLIC_LINEAR_PATH}`;
}

function query(params: Record<string, string | number>): string {
  return new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();
}

/** `GET /v5/market/orderbook?category=linear&symbol=..&limit=..` (linear: limit 1..500/1000, default 25). */
export function orderbookUrl(restBase: string, symbol: string, limit: number): string {
  return `${restBase}${BYBIT_ORDERBOOK_PATH}?${query({ category: 'linear', symbol, limit })}`;
}

/** `GET /v5/market/recent-trade?category=linear&symbol=..&limit=..` (limit 1..1000). */
export function recentTradeUrl(restBase: string, symbol: string, limit: number): string {
  return `${restBase}${BYBIT_RECENT_TRADE_PATH}?${query({ category: 'linear', symbol, limit })}`;
}

/** Intervals `/v5/market/open-interest` accepts. */
export type BybitOpenInterestInterval = '5min' | '15min' | '30min' | '1h' | '4h' | '1d';

/** `GET /v5/market/open-interest?category=linear&symbol=..&intervalTime=..&limit=..` (limit 1..200). */
export function openInterestUrl(restBase: string, symbol: string, intervalTime: BybitOpenInterestInterval, limit: number): string {
  return `${restBase}${BYBIT_OPEN_INTEREST_PATH}?${query({ category: 'linear', symbol, intervalTime, limit })}`;
}

/** `GET /v5/market/instruments-info?category=linear&limit=..[&cursor=..][&symbol=..]`. */
export function instrumentsInfoUrl(restBase: string, params: { limit?: number; cursor?: string; symbol?: string } = {}): string {
  const p: Record<string, string | number> = { category: 'linear' };
  if (params.symbol !== undefined) p.symbol = params.symbol;
  if (params.limit !== undefined) p.limit = params.limit;
  if (params.cursor) p.cursor = params.cursor;
  return `${restBase}${BYBIT_INSTRUMENTS_INFO_PATH}?${query(p)}`;
}

/** `GET /v5/market/risk-limit?category=linear&symbol=..`. */
export function riskLimitUrl(restBase: string, symbol: string): string {
  return `${restBase}${BYBIT_RISK_LIMIT_PATH}?${query({ category: 'linear', symbol })}`;
}
