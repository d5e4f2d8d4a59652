/**
 * Every OKX endpoint the live client (live.ts) and the loopback server (mock-server.ts) use.
 * A base is scheme + host + port; the documented paths are appended here. Bases come from
 * config, then `ORDERFLOW_OKX_WS_URL` / `ORDERFLOW_OKX_REST_URL`, then OKX's public defaults
 * (src/venues/live/endpoint.ts). Paths and parameters: docs/live/okx.md.
 */
import { endpointBase } from '../live/endpoint.ts';

/** OKX's public WebSocket host (docs: `wss://ws.okx.com:8443/ws/v5/public`). */
export const OKX_WS_DEFAULT = 'wss://ws.okx.com:8443';
/** OKX's REST host. */
export const OKX_REST_DEFAULT = 'https://www.okx.com';

/** The documented paths. */
export const OKX_PATHS = {
  /** Public channels: trades, books, liquidation-orders, funding-rate, open-interest, mark-price. */
  wsPublic: '/ws/v5/public',
  /** Order book, up to 400 levels per side, with the book's `seqId` (aligns it with the `books` channel). */
  books: '/api/v5/market/books',
  /** The 500 most recent trades. */
  trades: '/api/v5/market/trades',
  /** Trades of the last 3 months, paginated by trade id (`after` = older than). */
  historyTrades: '/api/v5/market/history-trades',
  /** Open interest per instrument. */
  openInterest: '/api/v5/public/open-interest',
  /** Instruments of one type (SWAP): ctVal, tickSz, lotSz, state. */
  instruments: '/api/v5/public/instruments',
  /** Position tiers of one instrument family (maintenance margin by size, in contracts). */
  positionTiers: '/api/v5/public/position-tiers',
} as const;

/** The WebSocket base: `configured`, else `ORDERFLOW_OKX_WS_URL`, else OKX's. */
export function okxWsBase(configured?: string): string {
  return endpointBase('OKX', 'ws', OKX_WS_DEFAULT, configured);
}

/** The REST base: `configured`, else `ORDERFLOW_OKX_REST_URL`, else OKX's. */
export function okxRestBase(configured?: string): string {
  return endpointBase('OKX', 'rest', OKX_REST_DEFAULT, configured);
}

export function okxPublicWsUrl(wsBase: string): string {
  return `${wsBase}${OKX_PATHS.wsPublic}`;
}

/** `GET /api/v5/market/books?instId=&sz=` (sz: levels per side, max 400, OKX's default 1). */
export function okxBooksUrl(restBase: string, instId: string, sz: number): string {
  return `${restBase}${OKX_PATHS.books}?${new URLSearchParams({ instId, sz: String(sz) })}`;
}

/** `GET /api/v5/market/trades?instId=&limit=` (limit max 500). */
export function okxTradesUrl(restBase: string, instId: string, limit: number): string {
  return `${restBase}${OKX_PATHS.trades}?${new URLSearchParams({ instId, limit: String(limit) })}`;
}

/**
 * `GET /api/v5/market/history-trades?instId=&type=1&after=&limit=`: trades with a trade id below
 * `after` (type 1 = paginate by trade id), newest first, at most 100.
 */
export function okxHistoryTradesUrl(restBase: string, instId: string, after: string, limit: number): string {
  return `${restBase}${OKX_PATHS.historyTrades}?${new URLSearchParams({ instId, type: '1', after, limit: String(limit) })}`;
}

/** `GET /api/v5/public/open-interest?instType=&instId=`. */
export function okxOpenInterestUrl(restBase: string, instType: string, instId: string): string {
  return `${restBase}${OKX_PATHS.openInterest}?${new URLSearchParams({ instType, instId })}`;
}

/** `GET /api/v5/public/instruments?instType=SWAP`. */
export function okxInstrumentsUrl(restBase: string, instType: string): string {
  return `${restBase}${OKX_PATHS.instruments}?${new URLSearchParams({ instType })}`;
}

/** `GET /api/v5/public/position-tiers?instType=SWAP&tdMode=cross&instFamily=BTC-USDT`. */
export function okxPositionTiersUrl(restBase: string, instFamily: string): string {
  return `${restBase}${OKX_PATHS.positionTiers}?${new URLSearchParams({ instType: 'SWAP', tdMode: 'cross', instFamily })}`;
}
