/**
 * Every Binance USD-M endpoint the live client and the loopback server use, as functions of the
 * two bases (nautilus `common/urls.rs`). A base is scheme + host + port; the bases come from
 * config, else `ORDERFLOW_BINANCE_WS_URL` / `ORDERFLOW_BINANCE_REST_URL`, else the venue's public
 * default (src/venues/live/endpoint.ts). Evidence for each path: docs/live/binance.md.
 */
import { endpointBase } from '../live/endpoint.ts';

/** developers.binance.com, USDⓈ-M Futures > Websocket Market Streams: "Base Url: wss://fstream.binance.com". */
export const BINANCE_WS_DEFAULT = 'wss://fstream.binance.com';
/** developers.binance.com, USDⓈ-M Futures > General Info: REST base `https://fapi.binance.com`. */
export const BINANCE_REST_DEFAULT = 'https://fapi.binance.com';

/** The WebSocket base: config > environment > default. Throws UsageError for a bad URL. */
export function binanceWsBase(configured?: string): string {
  return endpointBase('BINANCE', 'ws', BINANCE_WS_DEFAULT, configured);
}

/** The REST base: config > environment > default. Throws UsageError for a bad URL. */
export function binanceRestBase(configured?: string): string {
  return endpointBase('BINANCE', 'rest', BINANCE_REST_DEFAULT, configured);
}

/**
 * The routed WebSocket entry points (Important WebSocket Change Notice, 2026-03-06; the legacy
 * unrouted `/stream` and `/ws` were retired on 2026-04-23): `public` carries the high-frequency
 * book streams (`@depth*`, `@bookTicker`), `market` everything else we read (`@aggTrade`,
 * `@forceOrder`, `@markPrice*`). A connection without a route receives only public data.
 */
export type BinanceWsRoute = 'public' | 'market';
export const BINANCE_WS_ROUTES: readonly BinanceWsRoute[] = ['public', 'market'];

/** The route a stream name (`btcusdt@depth@100ms`) belongs to. */
export function binanceStreamRoute(stream: string): BinanceWsRoute {
  const at = stream.indexOf('@');
  const channel = at < 0 ? stream : stream.slice(at + 1);
  return channel.startsWith('depth') || channel.startsWith('bookTicker') ? 'public' : 'market';
}

/**
 * Combined-stream URL: `<base>/<route>/stream`, with `?streams=a/b/c` when streams are given
 * (the client subscribes with SUBSCRIBE requests after the open instead, to get per-request
 * acks and refusals). Every frame on it is wrapped `{"stream":...,"data":...}`.
 */
export function binanceCombinedStreamUrl(wsBase: string, route: BinanceWsRoute, streams: readonly string[] = []): string {
  const url = `${wsBase}/${route}/stream`;
  return streams.length === 0 ? url : `${url}?streams=${streams.join('/')}`;
}

/** Valid `limit` values of `GET /fapi/v1/depth` (Order Book doc), and their request weight. */
export const BINANCE_DEPTH_LIMIT_WEIGHT: ReadonlyMap<number, number> = new Map([
  [5, 2], [10, 2], [20, 2], [50, 2], [100, 5], [500, 10], [1000, 20],
]);

/** Request weights (USDⓈ-M REST docs): Compressed/Aggregate Trades List 20, Open Interest 1. */
export const BINANCE_AGG_TRADES_WEIGHT = 20;
/** Exchange Information: weight 1. */
export const BINANCE_EXCHANGE_INFO_WEIGHT = 1;
export const BINANCE_OPEN_INTEREST_WEIGHT = 1;
/** The IP's REQUEST_WEIGHT budget per minute (exchangeInfo `rateLimits`, USD-M: 2400). */
export const BINANCE_REST_WEIGHT_PER_MINUTE = 2400;

export const BINANCE_REST_PATHS = {
  depth: '/fapi/v1/depth',
  /** Every USD-M symbol with its status and filters (weight 1). */
  exchangeInfo: '/fapi/v1/exchangeInfo',
  aggTrades: '/fapi/v1/aggTrades',
  openInterest: '/fapi/v1/openInterest',
} as const;

/** `GET /fapi/v1/depth?symbol=&limit=` (default limit 1000, the deepest, as the sync procedure asks). */
export function binanceDepthUrl(restBase: string, symbol: string, limit = 1000): string {
  return `${restBase}${BINANCE_REST_PATHS.depth}?symbol=${encodeURIComponent(symbol)}&limit=${limit}`;
}

/** `GET /fapi/v1/aggTrades?symbol=&fromId=&limit=` (fromId inclusive, limit <= 1000). */
export function binanceAggTradesUrl(restBase: string, symbol: string, fromId: number, limit = 1000): string {
  return `${restBase}${BINANCE_REST_PATHS.aggTrades}?symbol=${encodeURIComponent(symbol)}&fromId=${fromId}&limit=${limit}`;
}

/** `GET /fapi/v1/openInterest?symbol=`. */
export function binanceOpenInterestUrl(restBase: string, symbol: string): string {
  return `${restBase}${BINANCE_REST_PATHS.openInterest}?symbol=${encodeURIComponent(symbol)}`;
}

/** `GET /fapi/v1/exchangeInfo`. */
export function binanceExchangeInfoUrl(restBase: string): string {
  return `${restBase}${BINANCE_REST_PATHS.exchangeInfo}`;
}
