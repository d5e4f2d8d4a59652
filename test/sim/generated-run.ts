/**
 * A generated SimRun (many events, any span) for the consumers of the simulator's contract (src/sim/types.ts): trades,
 * liquidations, book snapshots and diffs, and tickers on Binance, OKX and Bybit's BTC perpetuals,
 * every price on the venue's tick and every size on its lot (contracts x contract value), time-
 * ordered across venues. Deterministic (a fixed LCG), so a failing test names the same events.
 */
import type { BookEvent, BookLevel, MarketEvent, Side, TickerEvent } from '../../src/core/events.ts';
import { EMPTY_TICKER_FIELDS } from '../../src/core/events.ts';
import { loadBundledInstruments } from '../../src/venues/bundled-instruments.ts';
import type { SimConfig, SimRun } from '../../src/sim/types.ts';

export const SYNTHETIC_SYMBOLS = { binance: 'BTCUSDT', okx: 'BTC-USDT-SWAP', bybit: 'BTCUSDT' } as const;
type V = keyof typeof SYNTHETIC_SYMBOLS;
const VENUES: readonly V[] = ['binance', 'okx', 'bybit'];

export interface SyntheticOptions {
  readonly startMs: number;
  /** Exchange time from startMs to the last event. */
  readonly spanMs: number;
  /** Steps after the opening books; each is one event (trade, diff, liquidation or ticker), venues in turn. */
  readonly steps: number;
  /** Events per ms tick may share a timestamp: default spread evenly. */
  readonly seed?: number;
}

export interface SyntheticRun extends SimRun {
  /** Every event the run yields, in order (for the expected side of a comparison). */
  readonly all: readonly MarketEvent[];
}

const decimals = (step: number) => Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
const onGrid = (units: number, step: number) => Number((units * step).toFixed(decimals(step) + 2));

export function syntheticRun(o: SyntheticOptions): SyntheticRun {
  const reg = loadBundledInstruments();
  let s = o.seed ?? 11;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const grid = Object.fromEntries(
    VENUES.map((v) => {
      const i = reg.get(v, SYNTHETIC_SYMBOLS[v])!;
      return [v, { tick: i.tickSize, qtyStep: Number((i.lotSize * i.contractValue).toFixed(decimals(i.lotSize) + decimals(i.contractValue))) }];
    }),
  ) as Record<V, { tick: number; qtyStep: number }>;
  const price = (v: V, ticks: number) => onGrid(Math.round(65_000 / grid[v].tick) + ticks, grid[v].tick);
  const qty = (v: V, lots: number) => onGrid(lots, grid[v].qtyStep);
  const base = (v: V, ts: number) => ({ venue: v, symbol: SYNTHETIC_SYMBOLS[v], ts, localTs: NaN });

  const all: MarketEvent[] = [];
  const tradeNo: Record<V, number> = { binance: 5000, okx: 9000, bybit: 0 };
  for (const v of VENUES) {
    const bids: BookLevel[] = Array.from({ length: 10 }, (_, j) => [price(v, -1 - j), qty(v, 10 + j)]);
    const asks: BookLevel[] = Array.from({ length: 10 }, (_, j) => [price(v, 1 + j), qty(v, 12 + j)]);
    all.push({ type: 'book', ...base(v, o.startMs), isSnapshot: true, bids, asks, seq: NaN } satisfies BookEvent);
  }
  for (let k = 1; k <= o.steps; k++) {
    const v = VENUES[k % 3];
    const ts = o.startMs + Math.round((o.spanMs * k) / o.steps);
    const side: Side = rnd() < 0.5 ? 'buy' : 'sell';
    const kind = k % 10 === 0 ? 'ticker' : k % 7 === 0 ? 'liquidation' : k % 4 === 0 ? 'book' : 'trade';
    if (kind === 'trade') {
      const n = tradeNo[v]++;
      const id = v === 'bybit' ? `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}` : String(n);
      all.push({ type: 'trade', ...base(v, ts), price: price(v, side === 'buy' ? 1 : -1), qty: qty(v, 1 + Math.floor(rnd() * 50)), side, id });
    } else if (kind === 'liquidation') {
      // Distinct prices: Binance's forceOrder frames have no id, and the client drops repeats.
      all.push({ type: 'liquidation', ...base(v, ts), price: price(v, (side === 'sell' ? -1 : 1) * (1 + (k % 40))), qty: qty(v, 1 + Math.floor(rnd() * 500)), side, id: '' });
    } else if (kind === 'book') {
      // A level changes size, one goes away, one comes back: inside the opening book's 10 levels.
      const j = 1 + Math.floor(rnd() * 10);
      const gone = 1 + Math.floor(rnd() * 10);
      const levels: BookLevel[] = gone === j ? [[price(v, -j), qty(v, 1 + Math.floor(rnd() * 99))]] : [[price(v, -j), qty(v, 1 + Math.floor(rnd() * 99))], [price(v, -gone), 0]];
      const asks: BookLevel[] = [[price(v, 1 + Math.floor(rnd() * 10)), qty(v, 1 + Math.floor(rnd() * 99))]];
      all.push({ type: 'book', ...base(v, ts), isSnapshot: false, bids: levels, asks, seq: NaN } satisfies BookEvent);
    } else {
      const mark = price(v, Math.floor(rnd() * 20) - 10);
      all.push({
        type: 'ticker', ...base(v, ts), ...EMPTY_TICKER_FIELDS,
        markPrice: mark, indexPrice: price(v, Math.floor(rnd() * 20) - 10), lastPrice: price(v, 1),
        fundingRate: onGrid(1 + (k % 9), 0.00001), nextFundingTs: Math.ceil(ts / 28_800_000) * 28_800_000,
        openInterest: qty(v, 100_000 + k), bestBid: price(v, -1), bestBidQty: qty(v, 10), bestAsk: price(v, 1), bestAskQty: qty(v, 12),
      } satisfies TickerEvent);
    }
  }
  const config: SimConfig = { scenario: 'quiet', seed: o.seed ?? 11, startMs: o.startMs, durationMs: o.spanMs, symbol: 'BTC', venues: VENUES };
  return {
    config,
    symbols: SYNTHETIC_SYMBOLS,
    all,
    events: () => all[Symbol.iterator](),
    labels: () => ({ scenario: 'quiet', seed: config.seed, symbol: 'BTC', labels: [] }),
  };
}
