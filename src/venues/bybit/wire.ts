/**
 * Bybit v5 public WebSocket frames and archive files, with Bybit's own key names. Decimals stay
 * strings here; numbers appear only in parse.ts. Evidence for every meaning is in
 * docs/normalization/bybit.md.
 */

/** Every public data frame: `{"topic":..,"type":..,"ts":..,"data":..}`. */
export interface BybitFrame<TData> {
  /** `publicTrade.BTCUSDT`, `orderbook.200.BTCUSDT`, `tickers.BTCUSDT`, `allLiquidation.BTCUSDT`... */
  readonly topic: string;
  /** `snapshot` or `delta` (orderbook, tickers); always `snapshot` for trades and liquidations. */
  readonly type: string;
  /** When Bybit's system generated the frame, epoch ms (a JSON number). */
  readonly ts: number;
  readonly data: TData;
  /** orderbook only: matching-engine time of this book state, epoch ms; absent in 2023 frames. */
  readonly cts?: number;
  /** tickers only: cross sequence. */
  readonly cs?: number;
}

/** One `publicTrade` print (`data[]`). */
export interface BybitTrade {
  /** Fill time, epoch ms. */
  readonly T: number;
  /** Symbol. */
  readonly s: string;
  /** Side of the TAKER: `Buy` lifted the ask, `Sell` hit the bid. */
  readonly S: string;
  /** Size: base coin for linear (USDT/USDC), contracts (1 USD each) for inverse. */
  readonly v: string;
  /** Price. */
  readonly p: string;
  /** Tick direction (`PlusTick`, `ZeroMinusTick`...); derivatives only. */
  readonly L?: string;
  /** Trade id: a UUID for derivatives, numeric text for spot. */
  readonly i: string;
  /** Block trade (negotiated off the book, RFQ). */
  readonly BT: boolean;
  /** Retail Price Improvement trade: an RPI maker order filled by a web/app taker. */
  readonly RPI?: boolean;
  /** Cross sequence. */
  readonly seq?: number;
}

/** `orderbook.{depth}.{symbol}` payload (`data`). Also the line format of the official `_ob500.data` archive. */
export interface BybitOrderBook {
  /** Symbol. */
  readonly s: string;
  /** Bids `[price, size]`, best first; size `"0"` deletes the level (delta). */
  readonly b: readonly (readonly [string, string])[];
  /** Asks `[price, size]`, best first; size `"0"` deletes the level (delta). */
  readonly a: readonly (readonly [string, string])[];
  /** Update id; `1` after a snapshot means Bybit restarted its book service. */
  readonly u: number;
  /** Cross sequence. */
  readonly seq?: number;
}

/**
 * `tickers.{symbol}` payload (`data`). A `delta` carries only the fields that changed; numbers
 * are decimal strings, `""` where not applicable (a future's `fundingRate`).
 */
export interface BybitTicker {
  readonly symbol: string;
  readonly lastPrice?: string;
  readonly markPrice?: string;
  readonly indexPrice?: string;
  /**
   * Open interest, SUM OF BOTH SIDES in current frames (v5 docs), in base coin for linear and in
   * contracts (USD) for inverse. 2023 frames had no `singleOpenInterest` and this was one side.
   */
  readonly openInterest?: string;
  /** Open interest value: quote (USDT) for linear, base coin for inverse; both sides. */
  readonly openInterestValue?: string;
  /** One side of `openInterest` (appears in 2025+ frames, always alongside it). */
  readonly singleOpenInterest?: string;
  /** One side of `openInterestValue`. */
  readonly singleOpenInterestValue?: string;
  /** Funding rate of the current interval, paid at `nextFundingTime`. */
  readonly fundingRate?: string;
  /** Next funding time, epoch ms as a string (`""` for futures). */
  readonly nextFundingTime?: string;
  readonly bid1Price?: string;
  /** Size at the best bid (base for linear, contracts for inverse). */
  readonly bid1Size?: string;
  readonly ask1Price?: string;
  /** Size at the best ask (base for linear, contracts for inverse). */
  readonly ask1Size?: string;
}

/** `allLiquidation.{symbol}` item (`data[]`), 2025+. */
export interface BybitAllLiquidation {
  /** Update time, epoch ms. */
  readonly T: number;
  /** Symbol. */
  readonly s: string;
  /** POSITION side: `Buy` = a LONG was liquidated (the forced order sells). */
  readonly S: string;
  /** Executed size (base for linear, contracts for inverse). */
  readonly v: string;
  /** Bankruptcy price. */
  readonly p: string;
}

/** Deprecated `liquidation.{symbol}` payload (`data`, an object): at most one per second per symbol. */
export interface BybitLegacyLiquidation {
  /** Update time, epoch ms. (The v5 docs table says `updateTime`; every real frame says `updatedTime`.) */
  readonly updatedTime: number;
  readonly symbol: string;
  /** POSITION side: `Buy` = a LONG was liquidated. */
  readonly side: string;
  readonly size: string;
  /** Bankruptcy price (v5 docs); "Filled price" in the 2022 derivatives docs. */
  readonly price: string;
}

/** Reply to `subscribe` / `ping`: `{"success":true,"ret_msg":"pong","conn_id":..,"op":"ping"}`. */
export interface BybitOpReply {
  readonly success: boolean;
  /** `""`, `"pong"`, or the error text when `success` is false. */
  readonly ret_msg: string;
  readonly conn_id?: string;
  readonly req_id?: string;
  /** `subscribe`, `unsubscribe`, `ping`, `auth`. */
  readonly op: string;
}

/**
 * public.bybit.com/trading/<SYMBOL>/<SYMBOL><YYYY-MM-DD>.csv.gz: one row per trade.
 *   timestamp        seconds with a fraction (`1692748800.279`)
 *   symbol           `BTCUSDT`
 *   side             TAKER side, `Buy` / `Sell`
 *   size             base coin (linear) / contracts of 1 USD (inverse)
 *   price
 *   tickDirection    `PlusTick`...
 *   trdMatchID       trade id (UUID)
 *   grossValue       price x size x 1e8 (linear) -- not used
 *   homeNotional     = size (linear), USD (inverse) -- not used
 *   foreignNotional  quote (linear), base coin (inverse) -- not used
 *   RPI              newer files only -- not used (RPI trades keep their taker side)
 */
export const BYBIT_TRADE_ARCHIVE_COLUMNS = [
  'timestamp', 'symbol', 'side', 'size', 'price', 'tickDirection', 'trdMatchID', 'grossValue', 'homeNotional', 'foreignNotional',
] as const;
export const BYBIT_TRADE_ARCHIVE_HEADER = BYBIT_TRADE_ARCHIVE_COLUMNS.join(',');
export const BYBIT_TRADE_ARCHIVE_HEADER_RPI = `${BYBIT_TRADE_ARCHIVE_HEADER},RPI`;

/** What a client sends: `{"req_id":"..","op":"subscribe","args":["publicTrade.BTCUSDT"]}`, `{"op":"ping"}`. */
export interface BybitOpRequest {
  /** Echoed in the reply (optional). */
  readonly req_id?: string;
  /** `subscribe`, `unsubscribe`, `ping`. */
  readonly op: string;
  /** Topics (subscribe / unsubscribe). */
  readonly args?: readonly string[];
}

/** Every v5 REST reply: `{"retCode":0,"retMsg":"OK","result":{..},"retExtInfo":{},"time":ms}`. */
export interface BybitRestResponse<TResult> {
  /** 0 = success; anything else is an error described by `retMsg`. */
  readonly retCode: number;
  readonly retMsg: string;
  readonly result: TResult;
  readonly retExtInfo: Record<string, never>;
  /** Server time, epoch ms. */
  readonly time: number;
}

/** `GET /v5/market/recent-trade` row (`result.list[]`, newest first). */
export interface BybitRecentTrade {
  /** Trade id: the same UUID as the WebSocket `i`. */
  readonly execId: string;
  readonly symbol: string;
  readonly price: string;
  /** Base coin for linear, USD contracts for inverse. */
  readonly size: string;
  /** Side of the TAKER. */
  readonly side: string;
  /** Fill time, epoch ms as a string. */
  readonly time: string;
  /** Block trade (RFQ, off the book): dropped, as on the WebSocket. */
  readonly isBlockTrade: boolean;
  readonly isRPITrade?: boolean;
  /** Cross sequence, as a string. */
  readonly seq?: string;
}

/** `GET /v5/market/recent-trade` result. */
export interface BybitRecentTradeResult {
  readonly category: string;
  readonly list: readonly BybitRecentTrade[];
}

/** `GET /v5/market/orderbook` result: a snapshot whose `u` is the 500/1000-level stream's, not the 50/200's. */
export interface BybitRestOrderBook extends BybitOrderBook {
  /** System time of the data, epoch ms. */
  readonly ts: number;
  /** Matching-engine time, epoch ms. */
  readonly cts?: number;
}

/** `GET /v5/market/open-interest` row (`result.list[]`, newest first). */
export interface BybitOpenInterestRow {
  /** Both sides summed (v5 docs). */
  readonly openInterest: string;
  /** One side. */
  readonly singleOpenInterest?: string;
  /** Start of the interval, epoch ms as a string. */
  readonly timestamp: string;
}
