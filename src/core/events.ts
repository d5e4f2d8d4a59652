/**
 * Normalized market events: the one model every venue, archive and the simulator map into.
 * Read docs/NORMALIZATION.md for how each venue's wire fields map here, with evidence.
 *
 * Times are epoch milliseconds as float64. Where a venue gives microseconds (Tardis CSV, Binance
 * spot archives since 2025) the fraction is kept (1767225600039.409); float64 holds every
 * microsecond of this century exactly enough to round-trip.
 */

/** Binance USD-M futures, Binance spot (archives only), OKX, Bybit. */
export type Venue = 'binance' | 'binance-spot' | 'okx' | 'bybit';
export const VENUES: readonly Venue[] = ['binance', 'binance-spot', 'okx', 'bybit'];
/** The perpetual-futures venues: what "every venue" means for a market unless spot is asked for. */
export const PERP_VENUES: readonly Venue[] = ['binance', 'okx', 'bybit'];

export type Side = 'buy' | 'sell';

interface EventBase {
  readonly venue: Venue;
  /** Venue-native symbol: `BTCUSDT` (Binance, Bybit), `BTC-USDT-SWAP` (OKX). */
  readonly symbol: string;
  /** Exchange time, epoch ms (fractional where the venue gives µs). */
  readonly ts: number;
  /** When we received it, epoch ms; NaN when the source has no receive time (archives). */
  readonly localTs: number;
}

export interface TradeEvent extends EventBase {
  readonly type: 'trade';
  readonly price: number;
  /** Base-asset units: contracts are converted with the instrument's contract value. */
  readonly qty: number;
  /**
   * The AGGRESSOR (taker) side: `buy` lifted the ask, `sell` hit the bid.
   * Trap: Binance gives `m` = "buyer is maker", so m=true means the taker SOLD.
   */
  readonly side: Side;
  /** Venue trade id (aggregate id for Binance aggTrades), as text: Bybit ids are UUIDs. */
  readonly id: string;
}

export interface LiquidationEvent extends EventBase {
  readonly type: 'liquidation';
  readonly price: number;
  readonly qty: number;
  /**
   * Side of the FORCED ORDER: `sell` means a LONG was liquidated, `buy` a SHORT.
   * Trap: Bybit allLiquidation `S`="Buy" means a long was liquidated (the position side),
   * the opposite of this convention; parse.ts flips it.
   */
  readonly side: Side;
  /** Venue id when it has one, else ''. */
  readonly id: string;
}

/** [price, qty]; qty 0 deletes the level. */
export type BookLevel = readonly [price: number, qty: number];

export interface BookEvent extends EventBase {
  readonly type: 'book';
  /** true: replaces the whole book (on both sides). false: a diff to apply. */
  readonly isSnapshot: boolean;
  readonly bids: readonly BookLevel[];
  readonly asks: readonly BookLevel[];
  /** Venue sequence / last update id where given (Binance `u`, Bybit `u`, OKX `seqId`), else NaN. */
  readonly seq: number;
}

/**
 * Derivative ticker. Every figure is optional: venues and archives each carry a subset
 * (a Bybit ticker delta carries only the fields that changed). NaN = not given.
 */
export interface TickerEvent extends EventBase {
  readonly type: 'ticker';
  readonly markPrice: number;
  readonly indexPrice: number;
  readonly lastPrice: number;
  readonly fundingRate: number;
  /** Epoch ms of the next funding, NaN when unknown. */
  readonly nextFundingTs: number;
  /** Open interest in base units. */
  readonly openInterest: number;
  /** Open interest in quote currency. */
  readonly openInterestValue: number;
  readonly bestBid: number;
  readonly bestBidQty: number;
  readonly bestAsk: number;
  readonly bestAskQty: number;
  /** Binance `metrics` archive: global long/short account ratio. */
  readonly longShortRatio: number;
  /** Binance `metrics`: top-trader long/short ratio by accounts. */
  readonly topTraderAccountRatio: number;
  /** Binance `metrics`: top-trader long/short ratio by positions. */
  readonly topTraderPositionRatio: number;
  /** Binance `metrics`: taker buy/sell volume ratio. */
  readonly takerBuySellRatio: number;
}

export type MarketEvent = TradeEvent | LiquidationEvent | BookEvent | TickerEvent;
export type EventType = MarketEvent['type'];
export const EVENT_TYPES: readonly EventType[] = ['trade', 'liquidation', 'book', 'ticker'];

/** Ticker fields, all NaN: spread it and set what the source gives. */
export const EMPTY_TICKER_FIELDS = {
  markPrice: NaN,
  indexPrice: NaN,
  lastPrice: NaN,
  fundingRate: NaN,
  nextFundingTs: NaN,
  openInterest: NaN,
  openInterestValue: NaN,
  bestBid: NaN,
  bestBidQty: NaN,
  bestAsk: NaN,
  bestAskQty: NaN,
  longShortRatio: NaN,
  topTraderAccountRatio: NaN,
  topTraderPositionRatio: NaN,
  takerBuySellRatio: NaN,
} as const;

export type TickerFields = { -readonly [K in keyof typeof EMPTY_TICKER_FIELDS]: number };

/**
 * Candles: from archives (`klines`, `markPriceKlines`, ...) and from WebSocket captures (Binance
 * `@kline_<interval>`, Bybit `kline.<interval>.<symbol>`). Kept as bars, not events.
 */
export interface KlineRecord {
  readonly venue: Venue;
  readonly symbol: string;
  /** What was sampled: traded price, mark price, index price or premium index. */
  readonly kind: 'trade' | 'mark' | 'index' | 'premium';
  /** Binance interval code: `1m`, `1h`, `1d`... */
  readonly interval: string;
  readonly openTime: number;
  readonly closeTime: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  /** Base volume; NaN for mark/index/premium bars. */
  readonly volume: number;
  readonly quoteVolume: number;
  readonly trades: number;
  readonly takerBuyVolume: number;
  readonly takerBuyQuoteVolume: number;
  /**
   * Whether the bar is final. Archive bars always are. A capture keeps the last update it saw of
   * each candle, which is final only if the venue said so (Binance `k.x`, Bybit `confirm`): a
   * capture that stops mid-candle ends with an open bar.
   */
  readonly closed: boolean;
}

/** A candle as a venue message parser returns it, beside MarketEvents. */
export type KlineCapture = KlineRecord & { readonly type: 'kline' };

/** What a venue message parser yields for one frame: market events, and candles. */
export type CaptureRecord = MarketEvent | KlineCapture;

/** Binance `bookDepth` archive: resting depth within +-N% of the mid, sampled. */
export interface DepthBandRecord {
  readonly venue: Venue;
  readonly symbol: string;
  readonly ts: number;
  /** Signed band in percent: -1 = bids within 1% below, +1 = asks within 1% above. */
  readonly percentage: number;
  /** Base units resting in the band. */
  readonly depth: number;
  /** Quote notional resting in the band. */
  readonly notional: number;
}
