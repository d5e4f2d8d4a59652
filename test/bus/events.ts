/** Normalized events for the bus tests: trades with integer ids, a book, a ticker, a liquidation, over an hour boundary. */
import { EMPTY_TICKER_FIELDS, type MarketEvent, type TradeEvent } from '../../src/core/events.ts';

/** 2026-12-05T07:59:00Z: trades i >= 60 fall in the next hour's partition. */
export const T0 = Date.UTC(2026, 11, 5, 7, 59, 0);

export function trade(i: number, symbol = 'BTCUSDT'): TradeEvent {
  return { type: 'trade', venue: 'binance', symbol, ts: T0 + i * 1000, localTs: T0 + i * 1000 + 7, price: 90_000 + (i % 50), qty: 0.001 * (1 + (i % 7)), side: i % 3 === 0 ? 'sell' : 'buy', id: String(5_000_000 + i) };
}

export function others(i: number): MarketEvent[] {
  return [
    { type: 'book', venue: 'okx', symbol: 'BTC-USDT-SWAP', ts: T0 + i * 1000, localTs: NaN, isSnapshot: i === 0, bids: [[89_999 - i, 1.5]], asks: [[90_001 + i, 2], [90_002 + i, 0]], seq: 100 + i },
    { type: 'ticker', venue: 'bybit', symbol: 'BTCUSDT', ts: T0 + i * 1000, localTs: T0 + i * 1000 + 2, ...EMPTY_TICKER_FIELDS, markPrice: 90_000 + i, openInterest: 50_000 },
    { type: 'liquidation', venue: 'binance', symbol: 'BTCUSDT', ts: T0 + i * 1000 + 1, localTs: NaN, price: 90_000, qty: 0.1 + i, side: 'sell', id: '' },
  ];
}
