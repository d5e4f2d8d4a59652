/**
 * Hand-made labelled SimRuns for the evaluation tests: normalized events built from rows, the
 * labels given, behind the SimRun contract (src/sim/types.ts) as the simulator fills it (events
 * iterated once; labels complete only once they are exhausted).
 */
import type { BookLevel, LiquidationEvent, MarketEvent, Side, TickerEvent, TradeEvent, Venue } from '../../src/core/events.ts';
import { EMPTY_TICKER_FIELDS } from '../../src/core/events.ts';
import type { ScenarioName, SimLabel, SimRun } from '../../src/sim/types.ts';

export const SYMBOLS: Readonly<Record<'binance' | 'okx' | 'bybit', string>> = { binance: 'BTCUSDT', okx: 'BTC-USDT-SWAP', bybit: 'BTCUSDT' };

const symbolOf = (v: Venue) => SYMBOLS[v as keyof typeof SYMBOLS];
const sideOf = (s: number): Side => (s > 0 ? 'buy' : 'sell');

/** [ts, price, qty, aggressor side +1/-1] on `venue`. */
export function trades(rows: readonly (readonly [number, number, number, number])[], venue: Venue = 'binance'): TradeEvent[] {
  return rows.map(([ts, price, qty, side], i) => ({ type: 'trade', venue, symbol: symbolOf(venue), ts, localTs: NaN, price, qty, side: sideOf(side), id: `${venue}-${ts}-${i}` }));
}

/** [ts, price, qty, forced-order side +1/-1] on `venue` (test/features/cascades.ts rows). */
export function liquidations(rows: readonly (readonly [number, number, number, number])[], venue: Venue = 'binance'): LiquidationEvent[] {
  return rows.map(([ts, price, qty, side]) => ({ type: 'liquidation', venue, symbol: symbolOf(venue), ts, localTs: NaN, price, qty, side: sideOf(side), id: '' }));
}

export function book(ts: number, isSnapshot: boolean, bids: readonly BookLevel[], asks: readonly BookLevel[], venue: Venue = 'binance'): MarketEvent {
  return { type: 'book', venue, symbol: symbolOf(venue), ts, localTs: NaN, isSnapshot, bids, asks, seq: NaN };
}

export function openInterest(ts: number, oi: number, mark: number, venue: Venue = 'binance'): TickerEvent {
  return { type: 'ticker', venue, symbol: symbolOf(venue), ts, localTs: NaN, ...EMPTY_TICKER_FIELDS, openInterest: oi, markPrice: mark };
}

/** Events of every part merged by ts (stable: equal times keep the parts' order). */
export function mergeEvents(...parts: readonly MarketEvent[][]): MarketEvent[] {
  return parts.flat().sort((a, b) => a.ts - b.ts);
}

export function label(kind: SimLabel['kind'], side: Side, start_ms: number, end_ms: number, price_low: number, price_high: number, venues: readonly Venue[] = ['binance']): SimLabel {
  return { kind, side, start_ms, end_ms, price_low, price_high, venues };
}

/** A run over `events`; labels() refuses to answer before the events were read to the end. */
export function simRun(scenario: ScenarioName, events: readonly MarketEvent[], labels: readonly SimLabel[], seed = 1): SimRun {
  let read = false;
  const startMs = events.length > 0 ? events[0].ts : 0;
  const durationMs = events.length > 0 ? events[events.length - 1].ts - startMs : 0;
  return {
    config: { scenario, seed, startMs, durationMs, symbol: 'BTC', venues: ['binance', 'okx', 'bybit'] },
    symbols: SYMBOLS,
    *events() {
      yield* events;
      read = true;
    },
    labels() {
      if (!read) throw new Error('labels asked before the events were exhausted');
      return { scenario, seed, symbol: 'BTC', labels };
    },
  };
}
