/**
 * No look-ahead: changing anything after a cut time t (trade times, prices, sizes and sides,
 * liquidations, marks, funding rates, the book) never changes a decision at or before t. And the
 * check can fail: a strategy that peeks at the future is caught by the very same comparison.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { BookColumns, LiquidationColumns } from '../../src/core/columns.ts';
import type { BookEvent, BookLevel } from '../../src/core/events.ts';
import { parseConfig, type BacktestConfig } from '../../src/engine/config.ts';
import { Engine, type EngineResult } from '../../src/engine/engine.ts';
import { seedStrategy } from '../../src/engine/seed-strategy.ts';
import type { Strategy } from '../../src/engine/strategy.ts';
import { bookColumns } from '../../src/features/book.ts';
import { loadBundledInstruments } from '../../src/venues/bundled-instruments.ts';
import { columns } from '../features/trades.ts';
import { markColumns, type MarkRow } from './marks.ts';

const D = Date.UTC(2024, 0, 1);
const S = 1000;
const M = 60_000;
const H = 3_600_000;
const INST = loadBundledInstruments().get('binance', 'BTCUSDT')!;
type Row = [ts: number, price: number, qty: number, side: 1 | -1];

/** Every stream of a market: trades, liquidations, marks with funding rates, the book. */
interface Market {
  readonly trades: Row[];
  readonly liqs: Row[];
  readonly marks: MarkRow[];
  readonly book: BookEvent[];
}

/**
 * Quiet two-sided flow, a long-liquidation cascade at 100 at 0:10, heavy selling held at 100 from
 * 1:05 (the absorption the seed strategy buys), a drift up; more liquidations at 1:20, 1:45 and
 * 2:15 (after most cuts), a mark and funding rate every minute, and a book snapshot every 30 s
 * with a diff every 5 s around the last price.
 */
function story(): Market {
  const trades: Row[] = [];
  const marks: MarkRow[] = [];
  const book: BookEvent[] = [];
  for (let t = D; t < D + 3 * H; t += S) {
    const heavy = t >= D + H + 5 * M && t < D + H + 7 * M;
    const drift = t >= D + H + 7 * M ? Math.min(3, (t - D - H - 7 * M) / (20 * M)) : 0;
    const price = heavy ? 100 : Math.round((101 + drift) * 10) / 10;
    trades.push([t, price, heavy ? 5 : 1, heavy || (t / S) % 2 === 1 ? -1 : 1]);
    if (t % M === 0) marks.push([t + 250, price, 0.0001]);
    if (t % (5 * S) === 0) book.push(bookAt(t + 100, price, t % (30 * S) === 0));
  }
  const liqs: Row[] = [];
  for (let k = 0; k < 5; k++) liqs.push([D + 10 * M + k * S + 500, 100, 10, -1]);
  liqs.push([D + 10 * M + 20 * S, 95, 0.1, -1], [D + 10 * M + 21 * S, 96, 0.1, -1]);
  for (const [at, px] of [[H + 20 * M, 101.5], [H + 45 * M, 103], [2 * H + 15 * M, 104]] as const) {
    for (let k = 0; k < 4; k++) liqs.push([D + at + k * S + 300, px, 8, k % 2 ? 1 : -1]);
  }
  return { trades, liqs, marks, book };
}

/** Ten 1-lot levels a side around `price` (a snapshot, or a diff of the same levels). */
function bookAt(ts: number, price: number, isSnapshot: boolean, size = 1): BookEvent {
  const px = (x: number) => Math.round(x * 10) / 10;
  const bids: BookLevel[] = Array.from({ length: 10 }, (_, k) => [px(price - 0.1 * (k + 1)), size]);
  const asks: BookLevel[] = Array.from({ length: 10 }, (_, k) => [px(price + 0.1 * k), size]);
  return { type: 'book', venue: 'binance', symbol: 'BTCUSDT', ts, localTs: NaN, isSnapshot, bids, asks, seq: NaN };
}

const CONFIG = parseConfig({ nullModel: { seeds: 0 }, signals: { absorption: { lookbackWindows: 5 } } });

async function run(m: Market, strategy: (c: BacktestConfig) => Strategy = seedStrategy, c: BacktestConfig = CONFIG): Promise<EngineResult> {
  const e = new Engine(c, { venues: ['binance'], execVenue: 'binance', execSymbol: 'BTCUSDT', instrument: INST }, strategy(c), {});
  const book: BookColumns = bookColumns(m.book);
  return e.run({ trades: [columns(m.trades)], liquidations: columns(m.liqs) as LiquidationColumns, marks: markColumns(m.marks), books: [{ venue: 'binance', cols: book }] });
}

/** Everything decided or done at or before t: signals and what was made of them, orders, fills, equity. */
function decided(r: EngineResult, t: number) {
  return {
    signals: r.signals.filter((s) => s.ts <= t),
    orders: r.orders.filter((o) => o.ts <= t).map((o) => [o.id, o.ts, o.side, o.type, o.qty, o.price, o.reason]),
    fills: r.orders.filter((o) => o.fillTs !== null && o.fillTs <= t).map((o) => [o.id, o.fillTs, o.fillPrice, o.fee]),
    equity: r.equity.filter((e) => e.ts <= t),
  };
}

/** What changes after the cut. */
interface Perturbation {
  readonly noise: readonly number[];
  readonly sizes: readonly number[];
  readonly jitterMs: readonly number[];
  readonly flipSides: boolean;
  readonly dropEvery: number;
  readonly liqs: 'drop' | 'move' | 'add';
  readonly markFactor: number;
  readonly rate: number;
  readonly bookSize: number;
}

/** The same market up to t; after it every stream perturbed as `p` says. */
function perturb(m: Market, t: number, p: Perturbation): Market {
  const at = <T>(xs: readonly T[], k: number): T => xs[k % xs.length];
  const trades: Row[] = [];
  m.trades.forEach((r, k) => {
    if (r[0] <= t) return void trades.push(r);
    if (p.dropEvery > 1 && k % p.dropEvery === 0) return;
    // Times within their second (still after t and in order), prices, sizes and sides.
    const ts = Math.max(t + 1, r[0] + at(p.jitterMs, k));
    trades.push([ts, Math.round((r[1] + at(p.noise, k)) * 10) / 10, r[2] * at(p.sizes, k), p.flipSides ? (-r[3] as 1 | -1) : r[3]]);
  });
  const before = m.liqs.filter((r) => r[0] <= t);
  const after = m.liqs.filter((r) => r[0] > t);
  const liqs =
    p.liqs === 'drop'
      ? before
      : p.liqs === 'move'
        ? [...before, ...after.map((r, k): Row => [r[0] + at(p.jitterMs, k), r[1] * 0.98, r[2] * 3, r[3]])]
        : [...before, ...after, ...Array.from({ length: 6 }, (_, k): Row => [t + 1 + k * 7 * S, 100 + at(p.noise, k), 20, -1])];
  const marks = m.marks.map((r): MarkRow => (r[0] <= t ? r : [r[0], r[1] * p.markFactor, p.rate]));
  const book = m.book.map((e) => (e.ts <= t ? e : bookAt(e.ts, (e.asks[0][0] as number) + (p.noise[0] ?? 0), e.isSnapshot, p.bookSize)));
  return { trades: trades.sort((a, b) => a[0] - b[0]), liqs: liqs.sort((a, b) => a[0] - b[0]), marks, book };
}

const perturbation: fc.Arbitrary<Perturbation> = fc.record({
  // Never zero: every price after t really changes.
  noise: fc.array(fc.integer({ min: 1, max: 20 }).map((x) => (x % 2 ? x : -x) / 10), { minLength: 1, maxLength: 30 }),
  sizes: fc.array(fc.constantFrom(0.5, 2, 7), { minLength: 1, maxLength: 10 }),
  jitterMs: fc.array(fc.integer({ min: 1, max: 999 }), { minLength: 1, maxLength: 10 }),
  flipSides: fc.boolean(),
  dropEvery: fc.constantFrom(0, 2, 5),
  liqs: fc.constantFrom('drop' as const, 'move' as const, 'add' as const),
  markFactor: fc.constantFrom(0.5, 0.97, 1.03, 1.5),
  rate: fc.constantFrom(-0.003, 0.0005, 0.01),
  bookSize: fc.constantFrom(0.01, 50, 5000),
});

describe('no look-ahead', () => {
  const base = story();
  let baseRun: Promise<EngineResult> | undefined;

  it('the base market trades the absorption, and liquidations, marks and book continue after every cut', async () => {
    const a = await (baseRun ??= run(base));
    assert.ok(a.orders.some((o) => o.reason === 'entry' && o.fillTs !== null), 'an entry filled');
    // Liquidations after the cut window: dropping or moving them is a real change.
    assert.ok(base.liqs.filter((r) => r[0] > D + H + 10 * M).length >= 8);
    assert.ok(base.marks.at(-1)![0] > D + 2 * H && base.book.at(-1)!.ts > D + 2 * H);
  });

  it('changing every stream after t never changes a decision, fill or equity point at or before t', async () => {
    const a = await (baseRun ??= run(base));
    await fc.assert(
      fc.asyncProperty(
        // Mostly right around the 1:05 decision, inside the minute its trades came in.
        fc.oneof(fc.integer({ min: 5 * 60, max: 6 * 60 }), fc.integer({ min: 4 * 60, max: 9 * 60 }), fc.integer({ min: 0, max: 2 * 3600 })),
        perturbation,
        async (cutSec, p) => {
          // Any time, not only a minute boundary (runs are cut at minute timers).
          const t = D + H + cutSec * S + 500;
          const b = await run(perturb(base, t, p));
          // A cut after the base's last event would compare how the base run ENDS (positions closed
          // and equity marked at its last event) with a run that goes on: the end of the data, not a
          // decision. Compare up to just before the base's end.
          const cut = Math.min(t, a.lastTs - 1);
          assert.deepStrictEqual(decided(b, cut), decided(a, cut));
        },
      ),
      { numRuns: 20 },
    );
  });

  it('the check catches a strategy that peeks: it buys only when the price 20 minutes on is higher', async () => {
    // The leak: the strategy reads the market it runs on, whole, instead of ctx.
    const peeking = (m: Market) => (c: BacktestConfig): Strategy => {
      const seed = seedStrategy(c);
      return {
        name: 'peeking',
        onSignal(s, ctx) {
          const later = m.trades.find((r) => r[0] >= ctx.now + 20 * M);
          if (!later || later[1] <= ctx.lastPrice) return 'peeked: price will not rise';
          return seed.onSignal!(s, ctx);
        },
      };
    };
    const t = D + H + 5 * M + 30 * S;
    const falls: Perturbation = { noise: [-3], sizes: [1], jitterMs: [1], flipSides: false, dropEvery: 0, liqs: 'drop', markFactor: 1, rate: 0.0001, bookSize: 1 };
    const other = perturb(base, t, falls);
    const a = await run(base, peeking(base));
    const b = await run(other, peeking(other));
    assert.ok(a.signals.some((s) => s.ts <= t && s.acted), 'the base market rises: it buys');
    assert.notDeepStrictEqual(decided(b, t), decided(a, t), 'a decision before t changed with the market after t');
    // The honest strategy on the same two markets: no difference.
    assert.deepStrictEqual(decided(await run(other), t), decided(await (baseRun ??= run(base)), t));
  });
});
