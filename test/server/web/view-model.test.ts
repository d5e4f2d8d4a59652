/**
 * The dashboard's pure parts, run in node: URL state (src/server/web/url-state.ts), live candle
 * folding and grid placement (bars.ts), reconnect backoff (live-client.ts), per-frame batching
 * (frame-batch.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { Bars, footprintLevelTicks, placeOnGrid } from '../../../src/server/web/bars.ts';
import type { TapeRow } from '../../../src/server/api.ts';
import { FrameBatch } from '../../../src/server/web/frame-batch.ts';
import { keepNotable } from '../../../src/server/web/panels/tape.ts';
import { backoffDelay } from '../../../src/server/web/live-client.ts';
import { formatViewState, parseViewState, withoutToken } from '../../../src/server/web/url-state.ts';
import { MAX_BARS } from '../../../src/server/api.ts';

describe('URL state', () => {
  it('opens the view the URL names', () => {
    assert.deepEqual(parseViewState('?symbol=btcusdt&venues=binance,okx,bybit&tf=15m'), { symbol: 'BTCUSDT', venues: ['binance', 'okx', 'bybit'], tf: '15m' });
  });

  it('falls back to 1m and every venue for a missing or unknown timeframe and no venues', () => {
    assert.deepEqual(parseViewState('?symbol=ETHUSDT&tf=7m'), { symbol: 'ETHUSDT', venues: [], tf: '1m' });
    assert.deepEqual(parseViewState(''), { symbol: '', venues: [], tf: '1m' });
  });

  it('opens a longer span with bars=N, capped at the server\'s limit, and ignores a bad count', () => {
    assert.equal(parseViewState('?symbol=BTCUSDT&bars=50000').bars, 50_000);
    assert.equal(parseViewState(`?bars=${MAX_BARS + 1}`).bars, MAX_BARS);
    for (const bad of ['0', '-5', '1.5', 'x', '']) assert.equal(parseViewState(`?bars=${bad}`).bars, undefined, bad);
    assert.equal(formatViewState({ symbol: 'BTCUSDT', venues: [], tf: '1m', bars: 5000 }), '?symbol=BTCUSDT&tf=1m&bars=5000');
  });

  it('drops venue names that are not names (no markup or paths reach the API)', () => {
    assert.deepEqual(parseViewState('?venues=binance,<script>,../x,okx,okx').venues, ['binance', 'okx']);
  });

  it('writes the documented form, commas unescaped, and reads back what it wrote', () => {
    assert.equal(formatViewState({ symbol: 'BTCUSDT', venues: ['binance', 'okx'], tf: '1h' }), '?symbol=BTCUSDT&venues=binance,okx&tf=1h');
    const view = fc.record({
      symbol: fc.stringMatching(/^[A-Z0-9-]{1,14}$/),
      venues: fc.uniqueArray(fc.constantFrom('binance', 'okx', 'bybit', 'binance-spot')),
      tf: fc.constantFrom('1m', '5m', '15m', '1h', '4h', '1d' as const),
    });
    fc.assert(fc.property(view, (v) => assert.deepEqual(parseViewState(formatViewState(v)), { ...v })));
  });

  it('removes the token and keeps everything else; reports when there was none', () => {
    assert.equal(withoutToken('?symbol=BTCUSDT&token=s3cret&tf=1m'), '?symbol=BTCUSDT&tf=1m');
    assert.equal(withoutToken('?token=s3cret'), '');
    assert.equal(withoutToken('?symbol=BTCUSDT'), null);
  });
});

describe('live candles', () => {
  it('folds trades into the last bar and opens the next bar on its boundary', () => {
    const b = new Bars(60_000);
    assert.equal(b.addTrade(120_000, 100, 1, 1), 0);
    assert.equal(b.addTrade(150_000, 103, 2, -1), 0);
    assert.equal(b.addTrade(170_000, 99, 1, 1), 0);
    assert.equal(b.addTrade(180_000, 101, 5, -1), 1);
    assert.deepEqual([b.t, b.o, b.h, b.l, b.c, b.buy, b.sell], [[120_000, 180_000], [100, 101], [103, 101], [99, 101], [99, 101], [2, 0], [2, 5]]);
  });

  it('ignores a trade older than the last bar instead of rewriting history', () => {
    const b = new Bars(60_000);
    b.addTrade(180_000, 100, 1, 1);
    assert.equal(b.addTrade(100_000, 90, 1, 1), -1);
    assert.deepEqual([b.length, b.l[0]], [1, 100]);
  });

  it('keeps high >= open, close >= low for any trade sequence', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 600_000 }), fc.double({ min: 1, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 10, noNaN: true }), fc.constantFrom(1 as const, -1 as const))), (trades) => {
        const b = new Bars(60_000);
        for (const [t, p, q, s] of trades.sort((x, y) => x[0] - y[0])) b.addTrade(t, p, q, s);
        for (let i = 0; i < b.length; i++) {
          assert.ok(b.h[i] >= Math.max(b.o[i], b.c[i]) && b.l[i] <= Math.min(b.o[i], b.c[i]));
          if (i) assert.ok(b.t[i] > b.t[i - 1]);
        }
      }),
    );
  });
});

describe('placing other bar sizes on the candle grid', () => {
  const grid = Bars.from({ symbol: 'X', venues: [], tf: '1m', tfMs: 60_000, t: [0, 60_000, 120_000, 180_000, 300_000], o: [1, 1, 1, 1, 1], h: [1, 1, 1, 1, 1], l: [1, 1, 1, 1, 1], c: [1, 1, 1, 1, 1], buy: [0, 0, 0, 0, 0], sell: [0, 0, 0, 0, 0], trades: [0, 0, 0, 0, 0] });

  it('puts a coarser bar on the last candle inside it (its value at its close)', () => {
    assert.deepEqual(placeOnGrid(grid, [0, 120_000], 120_000, [7, 8]), { index: [1, 3], value: [7, 8] });
  });

  it('keeps the last of several finer bars falling in one candle', () => {
    assert.deepEqual(placeOnGrid(grid, [0, 30_000, 60_000], 30_000, [1, 2, 3]), { index: [0, 1], value: [2, 3] });
  });

  it('skips bars before the first candle or inside a gap of candles', () => {
    assert.deepEqual(placeOnGrid(grid, [-60_000, 240_000, 300_000], 60_000, [1, 2, 3]), { index: [4], value: [3] });
  });

  it('never yields a time outside the grid, and indices strictly ascend', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: -10, max: 20 }), { minLength: 0, maxLength: 20 }), fc.constantFrom(30_000, 60_000, 900_000), (starts, tf) => {
        const t = starts.map((s) => s * tf).sort((a, b) => a - b);
        const g = placeOnGrid(grid, t, tf, t.map((_, i) => i));
        for (let k = 0; k < g.index.length; k++) {
          assert.ok(g.index[k] >= 0 && g.index[k] < grid.length);
          if (k) assert.ok(g.index[k] > g.index[k - 1]);
        }
      }),
    );
  });
});

describe('placing bars on the grid by one walk', () => {
  it('finds each bar the candle a search for its close finds, in any order of times', () => {
    /** The placement by a binary search per bar (the definition). */
    const bySearch = (grid: Bars, t: readonly number[], tfMs: number, values: readonly number[]) => {
      const out = { index: [] as number[], value: [] as number[] };
      t.forEach((x, i) => {
        const j = grid.indexAt(x + tfMs - 1);
        if (j < 0 || grid.t[j] + grid.tfMs <= x) return;
        if (out.index.length && out.index[out.index.length - 1] === j) out.value[out.value.length - 1] = values[i];
        else {
          out.index.push(j);
          out.value.push(values[i]);
        }
      });
      return out;
    };
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 0, max: 60 }), { maxLength: 30 }), fc.array(fc.integer({ min: -5, max: 70 }), { maxLength: 40 }), fc.boolean(), fc.constantFrom(60_000, 300_000, 30_000), (candles, starts, sorted, tf) => {
        const ct = candles.map((c) => c * 60_000).sort((a, b) => a - b);
        const z = ct.map(() => 1);
        const grid = Bars.from({ symbol: 'X', venues: [], tf: '1m', tfMs: 60_000, t: ct, o: z, h: z, l: z, c: z, buy: z, sell: z, trades: z });
        const t = starts.map((s) => s * 60_000);
        if (sorted) t.sort((a, b) => a - b);
        const values = t.map((_, i) => i);
        assert.deepEqual(placeOnGrid(grid, t, tf, values), bySearch(grid, t, tf, values));
      }),
    );
  });
});

describe('footprint level height', () => {
  it('gives the median bar about the asked number of levels, never less than a tick', () => {
    const b = new Bars(60_000);
    // Ranges 10, 20, 30 (median 20) at tick 0.1, 20 levels: 1 per level = 10 ticks.
    [10, 20, 30].forEach((r, i) => {
      b.addTrade(i * 60_000, 100, 1, 1);
      b.addTrade(i * 60_000 + 1, 100 + r, 1, 1);
    });
    assert.equal(footprintLevelTicks(b, 0.1, 20), 10);
    assert.equal(footprintLevelTicks(b, 5, 20), 1);
    assert.equal(footprintLevelTicks(new Bars(60_000), 0.1, 20), 1);
  });
});

describe('tape under a burst', () => {
  const row = (t: number, kind: TapeRow['kind'] = 'trade', large = false): TapeRow => ({ t, venue: 'binance', kind, price: 100, qty: 1, side: kind === 'trade' ? 'buy' : 'long', notional: 100, large });

  it('keeps every liquidation and large print, then the newest others, in time order', () => {
    const rows = [row(1, 'liquidation'), row(2), row(3, 'trade', true), row(4), row(5), row(6)];
    assert.deepEqual(keepNotable(rows, 4).map((r) => r.t), [1, 3, 5, 6]);
    assert.deepEqual(keepNotable(rows, 10).map((r) => r.t), [1, 2, 3, 4, 5, 6]);
  });

  it('never returns more than asked, even when the notable rows alone are more', () => {
    const rows = Array.from({ length: 30 }, (_, i) => row(i, 'liquidation'));
    assert.deepEqual(keepNotable(rows, 24).map((r) => r.t), rows.slice(6).map((r) => r.t));
  });
});

describe('reconnect backoff', () => {
  it('doubles from the minimum up to the cap, within +-20%', () => {
    const mid = () => 0.5;
    assert.deepEqual([0, 1, 2, 3, 10, 100].map((a) => backoffDelay(a, 500, 15_000, mid)), [500, 1000, 2000, 4000, 15_000, 15_000]);
    assert.equal(backoffDelay(0, 500, 15_000, () => 0), 400);
    assert.equal(backoffDelay(0, 500, 15_000, () => 1), 600);
  });
});

describe('per-frame batching', () => {
  it('applies everything pushed before a frame once, in order, then schedules again on the next push', () => {
    const frames: (() => void)[] = [];
    const applied: number[][] = [];
    const batch = new FrameBatch<number>((xs) => applied.push(xs), (cb) => frames.push(cb));
    for (let i = 0; i < 2000; i++) batch.push(i);
    assert.equal(frames.length, 1);
    frames.shift()!();
    assert.equal(applied.length, 1);
    assert.equal(applied[0].length, 2000);
    assert.equal(applied[0][1999], 1999);
    batch.push(5);
    assert.equal(frames.length, 1);
    frames.shift()!();
    assert.deepEqual(applied[1], [5]);
  });

  it('drops the queue past its bound and tells the owner once, at the next frame, instead of applying a partial stream', () => {
    const frames: (() => void)[] = [];
    const applied: number[][] = [];
    let overflows = 0;
    const batch = new FrameBatch<number>((xs) => applied.push(xs), (cb) => frames.push(cb), 100, () => overflows++);
    for (let i = 0; i < 250; i++) batch.push(i);
    assert.equal(batch.pending, 0);
    frames.shift()!();
    assert.deepEqual([overflows, applied.length], [1, 0]);
    batch.push(1);
    frames.shift()!();
    assert.deepEqual([overflows, applied], [1, [[1]]]);
  });
});
