/**
 * Binance USD-M futures WebSocket and REST payloads, with the venue's own key names.
 * Decimals stay strings here; numbers appear only in parse.ts.
 *
 * Sources: developers.binance.com "USDⓈ-M Futures > Websocket Market Streams" (Aggregate Trade
 * Streams, Liquidation Order Streams, Diff. Book Depth Streams, Individual Symbol Book Ticker
 * Streams, Mark Price Stream, Kline/Candlestick Streams), "Order Book" (REST `GET /fapi/v1/depth`),
 * and the real captures under test/fixtures/binance/ (see its README.md). The `@trade` stream is not
 * in Binance's USD-M docs; its shape comes from the hftbacktest and tardis-node captures.
 */

/** `[price, qty]` as decimal strings; qty "0" (or "0.000") deletes the level. */
export type BinanceLevel = [price: string, qty: string];

/** `<symbol>@aggTrade`: fills of one taker order at one price within 100 ms, aggregated. */
export interface BinanceAggTrade {
  /** Event type: "aggTrade". */
  e: 'aggTrade';
  /** Event time, ms (when the stream pushed it). */
  E: number;
  /** Symbol, upper case (`BTCUSDT`). */
  s: string;
  /** Aggregate trade id. Missing in 2019 frames (tardis-node sample, 2019-09-17): `f` stands in. */
  a?: number;
  /** Price. */
  p: string;
  /** Quantity, base asset. */
  q: string;
  /** First trade id in the aggregate. */
  f: number;
  /** Last trade id in the aggregate. */
  l: number;
  /** Trade time, ms (matching engine). */
  T: number;
  /** Is the buyer the market maker? true => the taker SOLD. */
  m: boolean;
}

/**
 * `<symbol>@trade`: one fill. Not in the USD-M docs (only spot documents `@trade`), but served
 * and recorded by hftbacktest (2024) and tardis-node (2019, 2020).
 */
export interface BinanceTrade {
  /** Event type: "trade". */
  e: 'trade';
  /** Event time, ms. */
  E: number;
  /** Trade time, ms. */
  T: number;
  /** Symbol. */
  s: string;
  /** Trade id. */
  t: number;
  /** Price. */
  p: string;
  /** Quantity, base asset. */
  q: string;
  /**
   * Trade type: "MARKET" (a normal match), "RPI" (a taker matched a Retail Price Improvement
   * order; real flow, also counted in aggTrade), "ADL", "INSURANCE_FUND", "NA" (price and qty
   * "0": a placeholder). Absent in 2019 frames (tardis-node sample, 2019-11-22).
   */
  X?: string;
  /** Is the buyer the market maker? true => the taker SOLD. */
  m: boolean;
}

/** The forced (liquidation) order inside a forceOrder event. */
export interface BinanceForceOrderOrder {
  /** Symbol. */
  s: string;
  /** Side of the liquidation ORDER: "SELL" closes a long, "BUY" closes a short. */
  S: string;
  /** Order type ("LIMIT"). */
  o: string;
  /** Time in force ("IOC"). */
  f: string;
  /** Original quantity, base asset (USD-M) or contracts (COIN-M). */
  q: string;
  /** Order price: the limit the engine set, not where it filled. */
  p: string;
  /** Average fill price; "0" when nothing filled. */
  ap: string;
  /** Order status ("FILLED"). */
  X: string;
  /** Quantity filled by the last fill. */
  l: string;
  /** Accumulated filled quantity. */
  z: string;
  /** Order trade time, ms. */
  T: number;
}

/**
 * `<symbol>@forceOrder` / `!forceOrder@arr`: per symbol, only the latest liquidation order of
 * each 1000 ms is pushed (docs: "Liquidation Order Streams"), so volumes are a lower bound.
 */
export interface BinanceForceOrder {
  /** Event type: "forceOrder". */
  e: 'forceOrder';
  /** Event time, ms. */
  E: number;
  /** The forced order. */
  o: BinanceForceOrderOrder;
}

/** `<symbol>@depth[@100ms|@500ms|@0ms]`: diff of the book. */
export interface BinanceDepthUpdate {
  /** Event type: "depthUpdate". */
  e: 'depthUpdate';
  /** Event time, ms. */
  E: number;
  /** Transaction time, ms (matching engine). */
  T: number;
  /** Symbol. */
  s: string;
  /** First update id in this event. */
  U: number;
  /** Final update id in this event. */
  u: number;
  /** Final update id of the previous event (`u` of the previous message). */
  pu: number;
  /** Bid levels to set (qty "0" = delete). */
  b: BinanceLevel[];
  /** Ask levels to set (qty "0" = delete). */
  a: BinanceLevel[];
}

/** REST `GET /fapi/v1/depth` response: a full snapshot (hftbacktest writes it unwrapped). */
export interface BinanceDepthSnapshot {
  /** Update id the snapshot is current to; diffs with `u` < this are stale. */
  lastUpdateId: number;
  /** Message output time, ms. */
  E: number;
  /** Transaction time, ms. */
  T: number;
  /** Bids, best first. */
  bids: BinanceLevel[];
  /** Asks, best first. */
  asks: BinanceLevel[];
}

/** `<symbol>@bookTicker`: best bid and ask, pushed on every change. */
export interface BinanceBookTicker {
  /** Event type: "bookTicker". */
  e: 'bookTicker';
  /** Order book update id. */
  u: number;
  /** Symbol. */
  s: string;
  /** Best bid price. */
  b: string;
  /** Best bid quantity. */
  B: string;
  /** Best ask price. */
  a: string;
  /** Best ask quantity. */
  A: string;
  /** Transaction time, ms. */
  T: number;
  /** Event time, ms. */
  E: number;
}

/** `<symbol>@markPrice[@1s]`, and each element of `!markPrice@arr[@1s]`. */
export interface BinanceMarkPriceUpdate {
  /** Event type: "markPriceUpdate". */
  e: 'markPriceUpdate';
  /** Event time, ms. */
  E: number;
  /** Symbol. */
  s: string;
  /** Mark price. */
  p: string;
  /** Index price. Absent in 2019 frames (tardis-node sample, 2019-10-01). */
  i?: string;
  /** Estimated settle price (only meaningful in the last hour before funding). */
  P?: string;
  /** Funding rate; "" on delivery contracts (tardis-node mapper comment). */
  r: string;
  /** Next funding time, ms; 0 on delivery contracts (tardis-node sample BTCBUSD_210129). */
  T: number;
}

/** The candle inside a kline event. Pushed every 250 ms while it is open, and once with `x: true`. */
export interface BinanceKlineCandle {
  /** Kline start (open) time, ms. */
  t: number;
  /** Kline close time, ms (the last ms of the interval: open + interval - 1). */
  T: number;
  /** Symbol. */
  s: string;
  /** Interval: `1m`, `3m`, ... `1d`, `3d`, `1w`, `1M`. */
  i: string;
  /** First trade id. */
  f: number;
  /** Last trade id. */
  L: number;
  /** Open price. */
  o: string;
  /** Close price (the last price while the candle is open). */
  c: string;
  /** High price. */
  h: string;
  /** Low price. */
  l: string;
  /** Base asset volume. */
  v: string;
  /** Number of trades. */
  n: number;
  /** Is this kline closed? */
  x: boolean;
  /** Quote asset volume. */
  q: string;
  /** Taker buy base asset volume. */
  V: string;
  /** Taker buy quote asset volume. */
  Q: string;
  /** Ignore. */
  B: string;
}

/** `<symbol>@kline_<interval>`: candle updates. */
export interface BinanceKline {
  /** Event type: "kline". */
  e: 'kline';
  /** Event time, ms. */
  E: number;
  /** Symbol. */
  s: string;
  /** The candle. */
  k: BinanceKlineCandle;
}

/** `{"stream": "<name>", "data": <payload>}` wrapper of `/stream?streams=...` connections. */
export interface BinanceCombined<T = BinanceStreamEvent | BinanceStreamEvent[]> {
  /** Stream name, lower case symbol: `btcusdt@trade`, `!forceOrder@arr`. */
  stream: string;
  /** The raw payload (an array for the `!markPrice@arr` family). */
  data: T;
}

/** Reply to a SUBSCRIBE request: `{"result":null,"id":1}`. */
export interface BinanceSubscribeAck {
  /** null on success (a list for LIST_SUBSCRIPTIONS). */
  result: unknown;
  /** The request id we sent. */
  id: number;
}

/** Every stream event we decode. */
export type BinanceStreamEvent =
  | BinanceAggTrade
  | BinanceTrade
  | BinanceForceOrder
  | BinanceDepthUpdate
  | BinanceBookTicker
  | BinanceMarkPriceUpdate
  | BinanceKline;

/**
 * REST `GET /fapi/v1/aggTrades` element (Compressed/Aggregate Trades List): the stream's aggTrade
 * without `e`, `E` and `s`. Only market trades (insurance fund and ADL trades are not aggregated).
 */
export interface BinanceRestAggTrade {
  /** Aggregate trade id. */
  a: number;
  /** Price. */
  p: string;
  /** Quantity, base asset. */
  q: string;
  /** First trade id. */
  f: number;
  /** Last trade id. */
  l: number;
  /** Trade time, ms. */
  T: number;
  /** Was the buyer the maker? true => the taker SOLD. */
  m: boolean;
}

/** REST `GET /fapi/v1/openInterest`: present open interest of one symbol. */
export interface BinanceOpenInterest {
  /** Open interest, base asset (contracts = base units on USD-M). */
  openInterest: string;
  /** Symbol. */
  symbol: string;
  /** Transaction time, ms. */
  time: number;
}

/** REST error body: `{"code":-1121,"msg":"Invalid symbol."}` (HTTP 4xx). */
export interface BinanceRestError {
  /** Venue error code (negative for REST). */
  code: number;
  /** Message. */
  msg: string;
}

/** A request on a stream connection (Live Subscribing/Unsubscribing to streams). */
export interface BinanceStreamRequest {
  /** SUBSCRIBE, UNSUBSCRIBE, LIST_SUBSCRIPTIONS, SET_PROPERTY or GET_PROPERTY. */
  method: string;
  /** Stream names (SUBSCRIBE / UNSUBSCRIBE), or a property name and value. */
  params?: unknown[];
  /** Echoed in the reply. */
  id: number | string | null;
}

/** A refused stream request: `{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":1}`. */
export interface BinanceStreamError {
  /** Code (0 unknown property, 1 bad value type, 2 invalid request, 3 invalid JSON) and message. */
  error: { code: number; msg: string };
  /** The request id; null when the request could not be read. */
  id: number | string | null;
}
