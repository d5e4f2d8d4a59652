/**
 * A SimRun over a hand-made event list, for the consumers of src/sim/types.ts (capture writer,
 * servers, evaluation) to be tested without the simulator: every event type on Binance, OKX and
 * Bybit at realistic BTC prices, on each venue's tick and lot grid (bundled instruments: tick 0.1
 * everywhere; lot 0.001 BTC on Binance and Bybit, 0.01 contracts x 0.01 BTC = 0.0001 BTC on OKX).
 */
import { EMPTY_TICKER_FIELDS, type BookEvent, type BookLevel, type LiquidationEvent, type MarketEvent, type Side, type TickerEvent, type TradeEvent, type Venue } from '../../src/core/events.ts';
import type { SimLabels, SimRun } from '../../src/sim/types.ts';

export const SYMBOLS = { binance: 'BTCUSDT', okx: 'BTC-USDT-SWAP', bybit: 'BTCUSDT' } as const;
export const SIM_VENUES: readonly Venue[] = ['binance', 'okx', 'bybit'];
/** Base-asset lot per venue (BTC). */
export const LOT: Readonly<Record<string, number>> = { binance: 0.001, okx: 0.0001, bybit: 0.001 };
/** 2026-01-01T00:00:00Z. */
export const START_MS = 1_767_225_600_000;

/** Whole ticks / lots -> exact decimals (n x 0.1 is not always the shortest decimal of the product). */
export const px = (ticks: number) => Number((ticks / 10).toFixed(1));
export const lots = (venue: Venue, n: number) => Number((n * LOT[venue]).toFixed(4));

/**
 * A run that yields `events` (sorted by ts, as the contract promises) and then `labels`; a
 * function is a stream made as it is read (a long run that never sits in memory).
 */
export function syntheticRun(events: readonly MarketEvent[] | (() => Iterable<MarketEvent>), labels: SimLabels = DEFAULT_LABELS, durationMs = 60_000): SimRun {
  let exhausted = false;
  return {
    config: { scenario: labels.scenario, seed: labels.seed, startMs: START_MS, durationMs, symbol: 'BTC', venues: SIM_VENUES },
    symbols: SYMBOLS,
    *events() {
      yield* typeof events === 'function' ? events() : events;
      exhausted = true;
    },
    labels() {
      if (!exhausted) throw new Error('labels() before events() was exhausted');
      return labels;
    },
  };
}

export const DEFAULT_LABELS: SimLabels = {
  scenario: 'long-cascade',
  seed: 7,
  symbol: 'BTC',
  labels: [
    { kind: 'long-cascade', side: 'sell', start_ms: START_MS + 20_000, end_ms: START_MS + 31_500, price_low: 96_850.5, price_high: 97_000.1, venues: ['binance', 'okx', 'bybit'] },
    { kind: 'bait', side: 'buy', start_ms: START_MS + 40_000, end_ms: START_MS + 41_000, price_low: 96_900, price_high: 96_900, venues: ['okx'] },
  ],
};

const base = (venue: Venue, ts: number) => ({ venue, symbol: SYMBOLS[venue as keyof typeof SYMBOLS], ts, localTs: NaN });

export function trade(venue: Venue, ts: number, priceTicks: number, lotCount: number, side: Side, id = ''): TradeEvent {
  return { type: 'trade', ...base(venue, ts), price: px(priceTicks), qty: lots(venue, lotCount), side, id };
}

export function liquidation(venue: Venue, ts: number, priceTicks: number, lotCount: number, side: Side): LiquidationEvent {
  return { type: 'liquidation', ...base(venue, ts), price: px(priceTicks), qty: lots(venue, lotCount), side, id: '' };
}

/** Levels from [priceTicks, lots] pairs. */
function levels(venue: Venue, ls: readonly (readonly [number, number])[]): BookLevel[] {
  return ls.map(([p, n]) => [px(p), lots(venue, n)]);
}

export function book(venue: Venue, ts: number, isSnapshot: boolean, bids: readonly (readonly [number, number])[], asks: readonly (readonly [number, number])[], seq = NaN): BookEvent {
  return { type: 'book', ...base(venue, ts), isSnapshot, bids: levels(venue, bids), asks: levels(venue, asks), seq };
}

export function ticker(venue: Venue, ts: number, fields: Partial<Omit<TickerEvent, 'type' | 'venue' | 'symbol' | 'ts' | 'localTs'>>): TickerEvent {
  return { type: 'ticker', ...base(venue, ts), ...EMPTY_TICKER_FIELDS, ...fields };
}

/**
 * About a minute of a long cascade on three venues: books (snapshot, then diffs that add, change
 * and delete levels), trades both ways, forced sells then a forced buy, tickers with mark, index,
 * funding, open interest and the top of book. Time-ordered across venues, several events in
 * one millisecond.
 */
export function handMadeEvents(): MarketEvent[] {
  const out: MarketEvent[] = [];
  const mid = 970_000; // 97 000.0 in ticks
  for (const [k, venue] of SIM_VENUES.entries()) {
    const t = START_MS + k;
    out.push(book(venue, t, true,
      [[mid, 1200], [mid - 1, 35], [mid - 5, 80], [mid - 20, 4000]],
      [[mid + 1, 900], [mid + 2, 17], [mid + 10, 250], [mid + 50, 3000]]));
  }
  let ms = START_MS + 1_000;
  for (let i = 0; i < 12; i++, ms += 2_500) {
    const down = i >= 6 ? (i - 5) * 150 : 0; // the cascade: price walks down 15 USD a step
    for (const [k, venue] of SIM_VENUES.entries()) {
      const t = ms + k * 7;
      const p = mid - down;
      out.push(trade(venue, t, p + 1, 3 + i, 'buy'));
      out.push(trade(venue, t, p, 40 + 13 * i, 'sell'));
      out.push(book(venue, t + 1, false, [[p, 500 + i], [p - 1, 0]], [[p + 1, 600], [p + 3, 20 + i]]));
      if (i >= 6) out.push(liquidation(venue, t + 2, p - 3, 25 * i, 'sell'));
      if (i === 11) out.push(liquidation(venue, t + 3, p + 5, 7, 'buy'));
      if (i % 3 === 0) {
        out.push(ticker(venue, t + 4, {
          markPrice: px(p), indexPrice: px(p - 2), lastPrice: px(p), fundingRate: 0.0001 - i * 0.00001, nextFundingTs: START_MS + 8 * 3_600_000,
          openInterest: lots(venue, 80_000 + i * 10), openInterestValue: Number((lots(venue, 80_000 + i * 10) * px(p)).toFixed(4)),
          bestBid: px(p), bestBidQty: lots(venue, 500 + i), bestAsk: px(p + 1), bestAskQty: lots(venue, 600),
        }));
      }
    }
  }
  return out.sort((a, b) => a.ts - b.ts);
}
