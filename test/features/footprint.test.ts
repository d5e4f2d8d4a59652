import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { TradeColumns } from '../../src/core/columns.ts';
import { FootprintOperator, footprintBatch, footprintJson, LEVEL_FIELDS, type FootprintCandle, type FootprintOptions } from '../../src/features/footprint.ts';
import { OutOfOrderError } from '../../src/features/operator.ts';
import { realLines } from '../helpers/real-data.ts';
import { columns, cuts, slice, type Row } from './trades.ts';

const MIN = 60_000;
const BUY = 1;
const SELL = -1;

function incremental(c: TradeColumns, opts: FootprintOptions, at: readonly number[] = [], sliced = true): FootprintCandle[] {
  const out: FootprintCandle[] = [];
  const op = new FootprintOperator(opts, (x) => out.push(x));
  const bounds = [0, ...at, c.length];
  for (let i = 0; i + 1 < bounds.length; i++) {
    if (sliced) op.push(slice(c, bounds[i], bounds[i + 1]));
    else op.push(c, bounds[i], bounds[i + 1]);
  }
  op.flush();
  return out;
}

/** Per-level view of a candle: level index -> [sell (bid), buy (ask), sell trades, buy trades, bid imb, ask imb]. */
function levels(c: FootprintCandle): Record<number, number[]> {
  const out: Record<number, number[]> = {};
  for (let k = 0; k < c.levels.length; k++) {
    const L = c.levels;
    out[c.low_index + k] = [L.sellVolume[k], L.buyVolume[k], L.sellTrades[k], L.buyTrades[k], L.bidImbalance[k], L.askImbalance[k]];
  }
  return out;
}

// Candle 1 (levels of 1.0): level 99: sell 4; 100: buy 2, sell 1; 101: buy 3, sell 1; 102: buy 6.
const HAND: Row[] = [
  [1000, 100.0, 2, BUY],
  [2000, 101.2, 1, SELL], // round(101.2) = 101
  [3000, 100.6, 3, BUY], // round(100.6) = 101
  [4000, 99.4, 4, SELL],
  [5000, 102, 6, BUY],
  [6000, 99.5, 1, SELL], // round(99.5) = 100
  // Candle 2: levels 200-202 sell 9 each, 203 buy 1.
  [MIN + 1, 200, 9, SELL],
  [MIN + 2, 201, 9, SELL],
  [MIN + 3, 202, 9, SELL],
  [MIN + 4, 203, 1, BUY],
];
// Prices near 100 with volumes of a few units: no notional minimum, so the rule alone decides.
const BASE: FootprintOptions = { timeframeMs: MIN, tick: 1, imbalanceRatio: 3, imbalanceVolume: 0, imbalanceNotional: 0, stackedRange: 2, valueArea: 0.7 };
/** The rule before the footprint tools' conventions: empty and edge opposites count as zero. */
const AGAINST_ZERO: FootprintOptions = { ...BASE, emptyOpposite: 0, imbalanceEdges: true };

describe('footprint: hand-computed candles', () => {
  const [c1, c2] = footprintBatch(columns(HAND), BASE);

  it('sums each level by aggressor side, with trade counts', () => {
    assert.deepEqual(levels(c1), {
      99: [4, 0, 1, 0, 0, 0],
      100: [1, 2, 1, 1, 0, 0],
      101: [1, 3, 1, 1, 0, 1], // ask 3 >= 3 x bid 1 at 100
      102: [0, 6, 0, 1, 0, 1], // ask 6 >= 3 x bid 1 at 101
    });
  });

  it('gives OHLC, volumes, delta, trade counts and running delta extremes', () => {
    const { levels: _, stacked_ask, stacked_bid, ...scalars } = c1;
    assert.deepEqual(scalars, {
      open_time_ms: 0, open: 100, high: 102, low: 99.4, close: 99.5,
      volume: 17, buy_volume: 11, sell_volume: 6, delta: 5,
      min_delta: 0, max_delta: 6, // running: 2, 1, 4, 0, 6, 5
      trades: 6, buy_trades: 3, sell_trades: 3,
      tick: 1, level_ticks: 1, level_size: 1, low_index: 99,
      poc_index: 102, poc: 102,
      // target 0.7 x 17 = 11.9: POC 6, then the pair below (101 + 100 = 7) -> 13.
      va_low_index: 100, va_high_index: 102, val: 100, vah: 102, va_volume: 13,
    });
    assert.deepEqual(stacked_ask, [{ low_index: 101, high_index: 102, low: 101, high: 102, levels: 2 }]);
    assert.deepEqual(stacked_bid, []);
  });

  it('compares bids with the ask one level up, never with an empty level', () => {
    assert.deepEqual(levels(c2), {
      200: [9, 0, 1, 0, 0, 0], // the ask at 201 is empty
      201: [9, 0, 1, 0, 0, 0], // the ask at 202 is empty
      202: [9, 0, 1, 0, 1, 0], // bid 9 >= 3 x ask 1 at 203
      203: [0, 1, 0, 1, 0, 0], // ask 1 < 3 x bid 9 at 202
    });
    assert.deepEqual(c2.stacked_bid, []);
    const [, old] = footprintBatch(columns(HAND), AGAINST_ZERO);
    assert.deepEqual([...old.levels.bidImbalance], [1, 1, 1, 0], 'with emptyOpposite 0, an empty opposite counts as zero');
    assert.deepEqual(old.stacked_bid, [{ low_index: 200, high_index: 202, low: 200, high: 202, levels: 3 }]);
    const [, lot] = footprintBatch(columns(HAND), { ...BASE, emptyOpposite: 4 });
    assert.deepEqual([...lot.levels.bidImbalance], [0, 0, 1, 0], 'an empty opposite counting as 4: 9 < 3 x 4');
    assert.equal(c2.open_time_ms, MIN);
    assert.deepEqual([c2.min_delta, c2.max_delta, c2.delta], [-27, -9, -26]);
    // POC: three levels tie at 9, the lowest wins; value area takes the pair above (18).
    assert.deepEqual([c2.poc, c2.val, c2.vah, c2.va_volume], [200, 200, 202, 27]);
  });

  it('needs the minimum volume and the run length for stacks', () => {
    const [a] = footprintBatch(columns(HAND.slice(0, 6)), { ...BASE, imbalanceVolume: 4 });
    assert.deepEqual([...a.levels.askImbalance], [0, 0, 0, 1]); // 101 has ask 3 < 4
    assert.deepEqual(a.stacked_ask, []);
    const [, b] = footprintBatch(columns(HAND), { ...AGAINST_ZERO, stackedRange: 4 });
    assert.deepEqual(b.stacked_bid, []);
  });

  it('takes both pairs when they tie, and counts empty levels inside the range', () => {
    const [tie] = footprintBatch(columns([[0, 10, 1, BUY], [1, 11, 1, BUY], [2, 12, 5, BUY], [3, 13, 1, BUY], [4, 14, 1, BUY]]), BASE);
    assert.deepEqual([tie.poc, tie.val, tie.vah, tie.va_volume], [12, 10, 14, 9]);
    const [gap] = footprintBatch(columns([[0, 10, 5, BUY], [1, 13, 5, SELL]]), BASE);
    assert.equal(gap.levels.length, 4);
    // POC 10 (tie, lowest); above: 11 + 12 = 0, then 13 alone = 5.
    assert.deepEqual([gap.poc, gap.val, gap.vah, gap.va_volume], [10, 10, 13, 10]);
  });

  it('bins by tick index, then by levels of whole ticks, and prints level prices without float noise', () => {
    // 100.1 / 0.2 is 500.49999999999994 in floats; tick index 1001 / 2 = 500.5 rounds to 501.
    const [c] = footprintBatch(columns([[0, 100.1, 1, BUY], [1, 100.3, 2, SELL], [2, 100.0, 4, SELL]]), { ...BASE, tick: 0.1, levelTicks: 2 });
    assert.equal(c.low_index, 500);
    assert.deepEqual(levels(c), { 500: [4, 0, 1, 0, 1, 0], 501: [0, 1, 0, 1, 0, 0], 502: [2, 0, 1, 0, 0, 0] });
    assert.deepEqual([c.level_size, c.poc, c.val, c.vah], [0.2, 100, 100, 100.4]);
    const [d] = footprintBatch(columns([[0, 0.30000000000000004 * 7, 1, BUY]]), { ...BASE, tick: 0.1, levelTicks: 3 });
    assert.equal(d.poc, 2.1);
  });

  it('JSON lists only levels with trades, ascending, in LEVEL_FIELDS order', () => {
    const [, gap] = [0, footprintBatch(columns([[0, 10, 5, BUY], [1, 13, 2, SELL]]), BASE)[0]];
    const j = footprintJson(gap) as { levels: unknown[][]; poc: number };
    assert.equal(LEVEL_FIELDS.length, 10);
    assert.deepEqual(j.levels, [
      [10, 10, 0, 5, 5, 5, 0, 1, false, false],
      [13, 13, 2, 0, -2, 2, 1, 0, false, false],
    ]);
    const old = footprintJson(footprintBatch(columns([[0, 10, 5, BUY], [1, 13, 2, SELL]]), AGAINST_ZERO)[0]) as { levels: unknown[][] };
    assert.deepEqual(old.levels.map((l) => l.slice(8)), [[false, true], [true, false]]);
    assert.equal(JSON.parse(JSON.stringify(j)).poc, 10);
  });

  it('the operator emits a candle only when a later candle starts, and rejects time going back', () => {
    const got: FootprintCandle[] = [];
    const op = new FootprintOperator(BASE, (c) => got.push(c));
    op.push(columns(HAND.slice(0, 6)));
    assert.equal(got.length, 0);
    op.push(columns(HAND.slice(6, 7)));
    assert.equal(got.length, 1);
    assert.throws(() => op.push(columns([[10, 1, 1, BUY]])), (e: unknown) => e instanceof OutOfOrderError && e.code === 'E_OUT_OF_ORDER');
  });

  it('the operator equals the batch on the hand case, including a window that must grow and move', () => {
    assert.deepEqual(incremental(columns(HAND), BASE, [1, 3, 7]), footprintBatch(columns(HAND), BASE));
    const far: Row[] = [[0, 1000, 1, BUY], [1, 1200, 2, SELL], [2, 800, 1, BUY], [3, 1030, 1, SELL], [MIN, 5, 1, BUY], [MIN + 1, 100, 1, BUY]];
    assert.deepEqual(incremental(columns(far), BASE), footprintBatch(columns(far), BASE));
  });
});

/** Binance USD-M BTCUSDT trades (the hftbacktest capture of 2024-08-08) as rows; tick 0.1. */
function realBtcTrades(): Row[] {
  return realLines('hftbacktest-binance-um-BTCUSDT-trade-20240808.txt').map((line) => {
    const d = (JSON.parse(line.slice(line.indexOf(' ') + 1)) as { data: { T: number; p: string; q: string; m: boolean } }).data;
    return [d.T, Number(d.p), Number(d.q), d.m ? SELL : BUY];
  });
}

/** Levels flagged on each side: [ask, bid] counts. */
function flagged(c: FootprintCandle): [number, number] {
  let a = 0;
  let b = 0;
  for (let k = 0; k < c.levels.length; k++) {
    a += c.levels.askImbalance[k];
    b += c.levels.bidImbalance[k];
  }
  return [a, b];
}

describe('footprint: imbalances as the footprint tools flag them', () => {
  it('a real 1m BTCUSDT candle has a few imbalances, none at an edge, none against an empty level, none thin', () => {
    const candles = footprintBatch(columns(realBtcTrades()), { timeframeMs: MIN, tick: 0.1 });
    // 23:56 is the first whole minute of the capture (it starts at 23:54:16).
    const c = candles.find((x) => x.open_time_ms === Date.parse('2024-08-08T23:56:00Z'))!;
    assert.equal(c.trades, 1992);
    const L = c.levels;
    const n = L.length;
    const [ask, bid] = flagged(c);
    const [oldAsk, oldBid] = flagged(footprintBatch(columns(realBtcTrades()), { timeframeMs: MIN, tick: 0.1, imbalanceNotional: 0, emptyOpposite: 0, imbalanceEdges: true }).find((x) => x.open_time_ms === c.open_time_ms)!);
    // Against zero, about every traded level was "imbalanced" (114 ask, 145 bid of 284 traded).
    assert.ok(oldAsk + oldBid > 200, `${oldAsk} + ${oldBid}`);
    assert.ok(ask + bid > 0 && (ask + bid) * 5 < oldAsk + oldBid, `now ${ask} ask + ${bid} bid, against zero ${oldAsk} + ${oldBid}`);
    assert.equal(L.askImbalance[0], 0);
    assert.equal(L.bidImbalance[n - 1], 0);
    for (let k = 0; k < n; k++) {
      const px = (c.low_index + k) * 0.1;
      if (L.askImbalance[k]) {
        assert.ok(L.sellVolume[k - 1] > 0 && L.buyVolume[k] >= 3 * L.sellVolume[k - 1], `ask at level ${k}`);
        assert.ok(L.buyVolume[k] * px >= 5000, `ask at level ${k}: ${L.buyVolume[k]} BTC is under 5000 USDT`);
      }
      if (L.bidImbalance[k]) {
        assert.ok(L.buyVolume[k + 1] > 0 && L.sellVolume[k] >= 3 * L.buyVolume[k + 1], `bid at level ${k}`);
        assert.ok(L.sellVolume[k] * px >= 5000, `bid at level ${k}`);
      }
    }
  });

  // tick 0.5, bottom to top: [bid, ask] per level; ask stack 64,212.0-64,213.5, bid stack
  // 64,209.5-64,210.5, POC 64,212.0, value area 64,210.0-64,213.0 (worked in docs/FEATURES.md).
  const BOOK: [number, number, number][] = [
    [64209.5, 3.0, 0.5], // ask at the lowest level: the edge, nothing below to compare with
    [64210.0, 2.4, 0.1], // bid 2.4 >= 3 x ask 0.2 above
    [64210.5, 1.0, 0.2], // bid 1.0 >= 3 x ask 0.3 above
    [64211.0, 0.0, 0.3],
    [64211.5, 0.5, 0.9], // ask 0.9 against an empty bid below: not an imbalance
    [64212.0, 0.4, 3.2], // ask 3.2 >= 3 x bid 0.5 below; POC (3.6)
    [64212.5, 0.2, 1.5], // ask 1.5 >= 3 x 0.4
    [64213.0, 0.1, 2.0], // ask 2.0 >= 3 x 0.2
    [64213.5, 0.01, 1.2], // ask 1.2 >= 3 x 0.1
    [64214.0, 0.0, 0.07], // ask 0.07 >= 3 x 0.01, but 0.07 x 64,214 = 4,495 USDT < 5,000
  ];
  const bookRows = (): Row[] => {
    const rows: Row[] = [];
    let ts = 1_723_161_360_000;
    for (const [px, bid, ask] of BOOK) {
      if (bid > 0) rows.push([ts++, px, bid, SELL]);
      if (ask > 0) rows.push([ts++, px, ask, BUY]);
    }
    return rows;
  };

  it('a hand-built candle: imbalances, stacks, POC and value area with the default rule', () => {
    const [c] = footprintBatch(columns(bookRows()), { timeframeMs: MIN, tick: 0.5 });
    assert.deepEqual([...c.levels.askImbalance], [0, 0, 0, 0, 0, 1, 1, 1, 1, 0]);
    assert.deepEqual([...c.levels.bidImbalance], [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
    assert.deepEqual(c.stacked_ask, [{ low_index: 128424, high_index: 128427, low: 64212, high: 64213.5, levels: 4 }]);
    assert.deepEqual(c.stacked_bid, [{ low_index: 128419, high_index: 128421, low: 64209.5, high: 64210.5, levels: 3 }]);
    // Value area: 70% of 17.58 = 12.306; from the POC (3.6) take the pair above (3.8), then below
    // (0.3 + 1.4 = 1.7, more than 1.21 + 0.07 above), then below again (1.2 + 2.5).
    assert.deepEqual([c.poc, c.val, c.vah], [64212, 64210, 64213]);
    assert.ok(Math.abs(c.va_volume - 12.8) < 1e-9, String(c.va_volume));
    // The same candle against zero: the edge ask, the ask over the empty bid and the thin ask too.
    const [old] = footprintBatch(columns(bookRows()), { timeframeMs: MIN, tick: 0.5, imbalanceNotional: 0, emptyOpposite: 0, imbalanceEdges: true });
    assert.deepEqual([...old.levels.askImbalance], [1, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    // A thinner minimum lets the top ask in; zero as a lot of 0.001 lets the ask over the empty bid in.
    assert.deepEqual([...footprintBatch(columns(bookRows()), { timeframeMs: MIN, tick: 0.5, imbalanceNotional: 4000 })[0].levels.askImbalance], [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
    assert.deepEqual([...footprintBatch(columns(bookRows()), { timeframeMs: MIN, tick: 0.5, emptyOpposite: 0.001 })[0].levels.askImbalance], [0, 0, 0, 0, 1, 1, 1, 1, 1, 0]);
  });

  it('refuses a bad notional or empty-opposite volume', () => {
    assert.throws(() => footprintBatch(columns(HAND), { ...BASE, imbalanceNotional: -1 }), /imbalanceNotional/);
    assert.throws(() => footprintBatch(columns(HAND), { ...BASE, emptyOpposite: Number.NaN }), /emptyOpposite/);
  });
});

/** Random trades in time order: a few candles, prices wandering over a handful of levels. */
const tradesArb = fc
  .array(
    fc.record({
      dt: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 40_000 }), fc.double({ min: 0, max: 5, noNaN: true })),
      move: fc.integer({ min: -8, max: 8 }),
      frac: fc.double({ min: 0, max: 1, noNaN: true }),
      qty: fc.double({ min: 0.001, max: 50, noNaN: true }),
      buy: fc.boolean(),
    }),
    { minLength: 1, maxLength: 300 },
  )
  .map((steps) => {
    let ts = 1_767_225_600_000;
    let tick = 1000;
    const rows: Row[] = steps.map((s) => {
      ts += s.dt;
      tick += s.move;
      return [ts, (tick + s.frac) * 0.1, s.qty, s.buy ? BUY : SELL];
    });
    return columns(rows);
  });

const optsArb = fc.record({
  timeframeMs: fc.constantFrom(1000, MIN, 15 * MIN),
  tick: fc.constantFrom(0.1, 0.5, 1, 0.01),
  levelTicks: fc.constantFrom(1, 2, 3, 10),
  imbalanceRatio: fc.constantFrom(1.5, 3),
  imbalanceVolume: fc.constantFrom(0, 5),
  imbalanceNotional: fc.constantFrom(0, 100, 5000),
  emptyOpposite: fc.constantFrom(undefined, 0, 0.5),
  imbalanceEdges: fc.boolean(),
  stackedRange: fc.integer({ min: 1, max: 4 }),
  valueArea: fc.constantFrom(0.5, 0.7, 1),
});

describe('footprint: properties', () => {
  it('incremental equals batch for any chunking', () => {
    fc.assert(
      fc.property(tradesArb, optsArb, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }), fc.boolean(), (c, opts, fr, sliced) => {
        assert.deepStrictEqual(incremental(c, opts, cuts(c.length, fr), sliced), footprintBatch(c, opts));
      }),
      { numRuns: 150 },
    );
  });

  it('partial() is the candle a flush would emit now, and peeking changes nothing', () => {
    fc.assert(
      fc.property(tradesArb, optsArb, fc.double({ min: 0, max: 1, noNaN: true }), (c, opts, f) => {
        const k = Math.floor(f * c.length);
        const out: FootprintCandle[] = [];
        const op = new FootprintOperator(opts, (x) => out.push(x));
        assert.equal(op.partial(), undefined);
        op.push(c, 0, k);
        const peek = op.partial();
        const prefix = footprintBatch(slice(c, 0, k), opts);
        assert.deepStrictEqual(peek, prefix.at(-1));
        op.push(c, k, c.length);
        op.flush();
        assert.deepStrictEqual(out, footprintBatch(c, opts));
      }),
      { numRuns: 100 },
    );
  });

  it('by default no level is flagged against an empty level or at the edge, and every level the rule holds for is', () => {
    const defaults = fc.record({ timeframeMs: fc.constantFrom(1000, MIN), tick: fc.constantFrom(0.1, 1), levelTicks: fc.constantFrom(1, 3), imbalanceRatio: fc.constantFrom(1.5, 3), imbalanceVolume: fc.constantFrom(0, 5), imbalanceNotional: fc.constantFrom(0, 100) });
    fc.assert(
      fc.property(tradesArb, defaults, (c, opts) => {
        for (const k of footprintBatch(c, opts)) {
          const L = k.levels;
          const n = L.length;
          for (let i = 0; i < n; i++) {
            const px = (k.low_index + i) * (opts.tick * opts.levelTicks);
            const below = i > 0 ? L.sellVolume[i - 1] : 0;
            const above = i < n - 1 ? L.buyVolume[i + 1] : 0;
            const a = L.buyVolume[i];
            const b = L.sellVolume[i];
            if (below === 0) assert.equal(L.askImbalance[i], 0, 'ask against an empty level or the edge');
            if (above === 0) assert.equal(L.bidImbalance[i], 0, 'bid against an empty level or the edge');
            assert.equal(L.askImbalance[i], below > 0 && a >= opts.imbalanceRatio * below && a >= opts.imbalanceVolume && a * px >= opts.imbalanceNotional ? 1 : 0);
            assert.equal(L.bidImbalance[i], above > 0 && b >= opts.imbalanceRatio * above && b >= opts.imbalanceVolume && b * px >= opts.imbalanceNotional ? 1 : 0);
          }
        }
      }),
      { numRuns: 150 },
    );
  });

  it('levels add up to the candle; delta = buy - sell; the value area holds the POC and its share', () => {
    fc.assert(
      fc.property(tradesArb, optsArb, (c, opts) => {
        const candles = footprintBatch(c, opts);
        let trades = 0;
        for (const k of candles) {
          const L = k.levels;
          let buy = 0;
          let sell = 0;
          let n = 0;
          for (let i = 0; i < L.length; i++) {
            buy += L.buyVolume[i];
            sell += L.sellVolume[i];
            n += L.buyTrades[i] + L.sellTrades[i];
          }
          const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
          assert.ok(close(buy, k.buy_volume) && close(sell, k.sell_volume));
          assert.equal(k.delta, k.buy_volume - k.sell_volume);
          assert.equal(k.volume, k.buy_volume + k.sell_volume);
          assert.equal(n, k.trades);
          assert.ok(k.min_delta <= k.max_delta && k.min_delta <= k.delta + 1e-9 && k.delta <= k.max_delta + 1e-9);
          assert.ok(k.va_low_index <= k.poc_index && k.poc_index <= k.va_high_index);
          assert.ok(k.va_volume >= opts.valueArea * k.volume * (1 - 1e-9));
          assert.ok(L.buyTrades[0] + L.sellTrades[0] > 0 && L.buyTrades[L.length - 1] + L.sellTrades[L.length - 1] > 0);
          assert.ok(k.low <= k.open && k.open <= k.high && k.low <= k.close && k.close <= k.high);
          assert.equal(k.open_time_ms % opts.timeframeMs, 0);
          trades += k.trades;
        }
        assert.equal(trades, c.length);
      }),
      { numRuns: 100 },
    );
  });
});
