/**
 * OKX v5 public WebSocket frames and historical-data CSV exports, with OKX's own key names.
 * Every number is a string on the wire, timestamps included; numbers appear only in parse.ts.
 * Evidence for every meaning is in docs/normalization/okx.md.
 */

/** Subscription argument, echoed in every push and ack. */
export interface OkxArg {
  /** `trades`, `books`, `tickers`, `funding-rate`, `liquidation-orders`... */
  readonly channel: string;
  /** `BTC-USDT-SWAP`; absent for channels subscribed by `instType` (liquidation-orders). */
  readonly instId?: string;
  /** `SWAP`, `FUTURES`, `SPOT`, `MARGIN`, `OPTION` (liquidation-orders). */
  readonly instType?: string;
  /**
   * Not OKX's: Tardis.dev marks frames it made itself while recording (REST polls written as
   * frames, e.g. its `liquidations` channel) with `"generated": true`.
   */
  readonly generated?: boolean;
}

/** A push: `{"arg":{..},"action"?:..,"data":[..]}`. */
export interface OkxPush<TData> {
  readonly arg: OkxArg;
  /** books channels: `snapshot` or `update`; absent for books5 and every other channel. */
  readonly action?: string;
  readonly data: readonly TData[];
}

/** `{"event":"subscribe","arg":{..}}`, or `{"event":"error","code":"60012","msg":".."}`. */
export interface OkxEvent {
  /** `subscribe`, `unsubscribe`, `error`. */
  readonly event: string;
  readonly arg?: OkxArg;
  /** Error code (text), with `event: "error"`. */
  readonly code?: string;
  /** Error message, with `event: "error"`. */
  readonly msg?: string;
  readonly connId?: string;
}

/** `trades` (may aggregate fills of one taker order, see `count`) and `trades-all` (one per fill). */
export interface OkxTrade {
  readonly instId: string;
  /** Trade id; for aggregated `trades` the last id of the aggregation. */
  readonly tradeId: string;
  /** Price. */
  readonly px: string;
  /** Size: CONTRACTS for SWAP/FUTURES/OPTION, base currency for SPOT. */
  readonly sz: string;
  /** TAKER side: `buy` lifted the ask, `sell` hit the bid. */
  readonly side: string;
  /** Fill time, epoch ms (string). */
  readonly ts: string;
  /** Number of fills aggregated (`trades` channel, newer frames). */
  readonly count?: string;
}

/** `books`, `books5`, `books-l2-tbt`, `books50-l2-tbt` item (`data[]`). */
export interface OkxBook {
  /** `[px, sz, "0", numOrders]`: sz in contracts (SWAP/FUTURES) or base (SPOT); sz "0" deletes;
   * the third element is deprecated (always "0"). */
  readonly asks: readonly (readonly [string, string, string, string])[];
  readonly bids: readonly (readonly [string, string, string, string])[];
  /** Book time, epoch ms (string). */
  readonly ts: string;
  /** CRC32 of the top 25 levels (books, books-l2-tbt, books50-l2-tbt). */
  readonly checksum?: number;
  /** Sequence id of this update (frames since 2023; absent in the 2022 capture). */
  readonly seqId?: number;
  /** The previous update's seqId; -1 on a snapshot. */
  readonly prevSeqId?: number;
  /** books5 only. */
  readonly instId?: string;
}

/** `tickers` item. */
export interface OkxTicker {
  readonly instType: string;
  readonly instId: string;
  /** Last traded price. */
  readonly last: string;
  /** Last traded size (contracts / base). */
  readonly lastSz: string;
  readonly askPx: string;
  /** Size at the best ask (contracts / base). */
  readonly askSz: string;
  readonly bidPx: string;
  /** Size at the best bid (contracts / base). */
  readonly bidSz: string;
  /** Epoch ms (string). */
  readonly ts: string;
}

/** `funding-rate` item (SWAP only). */
export interface OkxFundingRate {
  readonly instId: string;
  readonly instType: string;
  /** Current funding rate, settled at `fundingTime`. Absent in some 2021 frames. */
  readonly fundingRate?: string;
  /** Settlement time of the current period = the NEXT funding, epoch ms (string). */
  readonly fundingTime: string;
  /** Forecast rate for the period after (`""` for `current_period` instruments). */
  readonly nextFundingRate?: string;
  /** The funding after `fundingTime`. */
  readonly nextFundingTime?: string;
  /** Push time, epoch ms (string). Absent in 2021 frames. */
  readonly ts?: string;
}

/** `open-interest` item. */
export interface OkxOpenInterest {
  readonly instId: string;
  readonly instType: string;
  /** Open interest in contracts. */
  readonly oi: string;
  /** Open interest in coin (base currency): what we keep. */
  readonly oiCcy: string;
  /** Open interest in USD (newer frames). */
  readonly oiUsd?: string;
  readonly ts: string;
}

/** `mark-price` item. */
export interface OkxMarkPrice {
  readonly instId: string;
  readonly instType: string;
  readonly markPx: string;
  readonly ts: string;
}

/** `index-tickers` item. The index is named like the spot pair (`BTC-USDT`), the swap's `uly`. */
export interface OkxIndexTicker {
  readonly instId: string;
  readonly idxPx: string;
  readonly ts: string;
}

/**
 * `liquidation-orders` item: one instrument, one or more liquidations in `details`. (Tardis's
 * generated `liquidations` frames carry the instrument in `arg.instId` and `details` items
 * directly as `data[]`.)
 */
export interface OkxLiquidationOrders {
  readonly instId: string;
  readonly instType: string;
  readonly instFamily?: string;
  readonly uly?: string;
  readonly details: readonly OkxLiquidationDetail[];
}

export interface OkxLiquidationDetail {
  /** Side of the liquidation ORDER: `sell` = a long was closed, `buy` = a short. */
  readonly side: string;
  /** The liquidated POSITION: `long`, `short` (long/short mode) or `net`. */
  readonly posSide: string;
  /** Size in contracts (SWAP/FUTURES). */
  readonly sz: string;
  /** Bankruptcy price: the only price this channel gives. */
  readonly bkPx: string;
  /** Bankruptcy loss. */
  readonly bkLoss: string;
  readonly ccy: string;
  /** Epoch ms (string). */
  readonly ts: string;
}

/**
 * OKX "Historical market data" trade history (module 1), `<instId>-trades-<YYYY-MM-DD>.zip`
 * holding one CSV; days are UTC+8. Three header variants:
 *   legacy, bilingual, no instrument column, SIZE BEFORE PRICE:
 *     trade_id/交易id,side/交易方向,size/数量,price/价格,created_time/成交时间
 *   current, PRICE BEFORE SIZE:
 *     instrument_name,trade_id,side,price,size,created_time
 *   current with the order source (`0` normal, `1` RPI):
 *     instrument_name,trade_id,side,price,size,created_time,source
 * `side` is the taker side; `size` is contracts for SWAP/FUTURES and base for SPOT, as `sz` on
 * the WebSocket; `created_time` epoch ms.
 */
export const OKX_TRADES_HEADER_LEGACY = 'trade_id/交易id,side/交易方向,size/数量,price/价格,created_time/成交时间';
export const OKX_TRADES_HEADER = 'instrument_name,trade_id,side,price,size,created_time';
export const OKX_TRADES_HEADER_SOURCE = `${OKX_TRADES_HEADER},source`;
