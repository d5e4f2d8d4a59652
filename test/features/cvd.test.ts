import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { TradeColumns } from '../../src/core/columns.ts';
import { CvdOperator, cvdBatch, cvdByVenue, type CvdBar, type CvdOptions } from '../../src/features/cvd.ts';
import { OutOfOrderError } from '../../src/features/operator.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, parseTimeframe } from '../../src/features/timeframe.ts';
import { readTrades } from '../../src/store/trade-reader.ts';
import { importInto, openTempStore } from '../helpers/store.ts';
import { columns, cuts, slice, type Row } from './trades.ts';

const D = Date.UTC(2026, 0, 1);
const BUY = 1;
const SELL = -1;

function incremental(c: TradeColumns, opts: CvdOptions, at: readonly number[] = []): CvdBar[] {
  const out: CvdBar[] = [];
  const op = new CvdOperator(opts, (b) => out.push(b));
  const bounds = [0, ...at, c.length];
  for (let i = 0; i + 1 < bounds.length; i++) op.push(slice(c, bounds[i], bounds[i + 1]));
  op.flush();
  return out;
}

const bar = (open_time_ms: number, buy_volume: number, sell_volume: number, cvd: number): CvdBar => ({ open_time_ms, buy_volume, sell_volume, delta: buy_volume - sell_volume, cvd });

describe('cvd: hand-computed bars', () => {
  it('outputs only bars with trades, cvd running from the first bar', () => {
    const c = columns([
      [D + 10_000, 100, 2, BUY],
      [D + 20_000, 101, 0.5, SELL],
      [D + 150_000, 99, 3, SELL], // bar D+2m; D+1m has no trade
      [D + 181_000, 99, 1, BUY],
    ]);
    const want = [bar(D, 2, 0.5, 1.5), bar(D + 2 * MINUTE_MS, 0, 3, -1.5), bar(D + 3 * MINUTE_MS, 1, 0, -0.5)];
    assert.deepEqual(cvdBatch(c, { timeframeMs: MINUTE_MS }), want);
    assert.deepEqual(incremental(c, { timeframeMs: MINUTE_MS }, [1, 2]), want);
    assert.deepEqual(cvdBatch(c, { timeframeMs: HOUR_MS }), [bar(D, 3, 3.5, -0.5)]);
  });

  it('reset day restarts at UTC midnight', () => {
    const c = columns([
      [D + 22.5 * HOUR_MS, 1, 1, BUY],
      [D + 23.2 * HOUR_MS, 1, 2, BUY],
      [D + DAY_MS + 5 * MINUTE_MS, 1, 1, SELL],
    ]);
    assert.deepEqual(cvdBatch(c, { timeframeMs: HOUR_MS, reset: 'day' }), [bar(D + 22 * HOUR_MS, 1, 0, 1), bar(D + 23 * HOUR_MS, 2, 0, 3), bar(D + DAY_MS, 0, 1, -1)]);
    assert.deepEqual(cvdBatch(c, { timeframeMs: HOUR_MS }).map((b) => b.cvd), [1, 3, 2]);
  });

  it('reset session restarts when the bar opens in a new session; after US close is still US', () => {
    const at = [7, 8, 14, 15, 22, 24].map((h) => D + h * HOUR_MS + 60_000);
    const c = columns(at.map((t): Row => [t, 1, 1, BUY]));
    // January: 07 Asia (Tokyo 16:00), 08 Europe (London 08:00), 14:00 opens in Europe (New York
    // opens 14:30 UTC in winter), 15 US, 22 US (after the close, until Asia opens), 00 Asia.
    assert.deepEqual(cvdBatch(c, { timeframeMs: HOUR_MS, reset: 'session' }).map((b) => b.cvd), [1, 1, 2, 1, 2, 1]);
    const custom = [{ name: 'A', timeZone: 'UTC', startMin: 60, endMin: 600 }, { name: 'B', timeZone: 'UTC', startMin: 600, endMin: 1200 }];
    // 00:xx is before the first session: the previous day's B, like 22:00.
    assert.deepEqual(cvdBatch(c, { timeframeMs: HOUR_MS, reset: 'session', sessions: custom }).map((b) => b.cvd), [1, 2, 1, 2, 3, 4]);
  });

  it('per venue and merged', () => {
    const c = columns([[D, 1, 1, BUY, 0], [D + 1, 1, 2, SELL, 1], [D + MINUTE_MS, 1, 4, BUY, 1]], ['binance', 'okx']);
    const r = cvdByVenue(c, { timeframeMs: MINUTE_MS });
    assert.deepEqual(r.all, [bar(D, 1, 2, -1), bar(D + MINUTE_MS, 4, 0, 3)]);
    assert.deepEqual(r.venues, { binance: [bar(D, 1, 0, 1)], okx: [bar(D, 0, 2, -2), bar(D + MINUTE_MS, 4, 0, 2)] });
    assert.deepEqual(incremental(c, { timeframeMs: MINUTE_MS, venue: 'okx' }, [1]), r.venues.okx);
    assert.deepEqual(cvdBatch(c, { timeframeMs: MINUTE_MS, venue: 'bybit' }), []);
  });

  it('rejects trades before the open bar', () => {
    const op = new CvdOperator({ timeframeMs: MINUTE_MS }, () => {});
    op.push(columns([[D + MINUTE_MS, 1, 1, BUY]]));
    assert.throws(() => op.push(columns([[D, 1, 1, BUY]])), OutOfOrderError);
    assert.throws(() => cvdBatch(columns([[D + MINUTE_MS, 1, 1, BUY], [D, 1, 1, BUY]]), { timeframeMs: MINUTE_MS }), OutOfOrderError);
  });
});

/** Trades of two venues, each in time order, qty in 1/8 units so that every sum is exact. */
const twoVenuesArb = fc
  .array(
    fc.record({ dt: fc.integer({ min: 0, max: 3 * HOUR_MS }), q8: fc.integer({ min: 1, max: 800 }), buy: fc.boolean(), venue: fc.integer({ min: 0, max: 1 }) }),
    { minLength: 1, maxLength: 300 },
  )
  .map((steps) => {
    let ts = D - 2 * HOUR_MS;
    return steps.map((s): Row => {
      ts += s.dt;
      return [ts, 100, s.q8 / 8, s.buy ? BUY : SELL, s.venue];
    });
  });

const optsArb = fc.record({
  timeframeMs: fc.constantFrom(MINUTE_MS, 15 * MINUTE_MS, HOUR_MS, DAY_MS, 7 * HOUR_MS),
  reset: fc.constantFrom('none' as const, 'session' as const, 'day' as const),
});

describe('cvd: properties', () => {
  it('incremental equals batch for any chunking; delta = buy - sell; cvd sums delta between resets', () => {
    fc.assert(
      fc.property(twoVenuesArb, optsArb, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }), (rows, opts, fr) => {
        const c = columns(rows, ['binance', 'okx']);
        const batch = cvdBatch(c, opts);
        assert.deepStrictEqual(incremental(c, opts, cuts(c.length, fr)), batch);
        let prev: CvdBar | undefined;
        for (const b of batch) {
          assert.equal(b.delta, b.buy_volume - b.sell_volume);
          assert.ok(b.buy_volume + b.sell_volume > 0);
          if (prev && b.cvd !== prev.cvd + b.delta) assert.equal(b.cvd, b.delta, 'cvd either continues or restarts');
          if (opts.reset === 'none' && prev) assert.equal(b.cvd, prev.cvd + b.delta);
          prev = b;
        }
      }),
      { numRuns: 200 },
    );
  });

  it('partial() is the bar a flush would emit now, and peeking changes nothing', () => {
    fc.assert(
      fc.property(twoVenuesArb, optsArb, fc.double({ min: 0, max: 1, noNaN: true }), (rows, opts, f) => {
        const c = columns(rows, ['binance', 'okx']);
        const k = Math.floor(f * c.length);
        const out: CvdBar[] = [];
        const op = new CvdOperator(opts, (x) => out.push(x));
        op.push(c, 0, k);
        assert.deepStrictEqual(op.partial(), cvdBatch(columns(rows.slice(0, k), ['binance', 'okx']), opts).at(-1));
        op.push(c, k, c.length);
        op.flush();
        assert.deepStrictEqual(out, cvdBatch(c, opts));
      }),
      { numRuns: 100 },
    );
  });

  it('the merged series does not depend on the venue order at equal times, and is the sum of the venues', () => {
    fc.assert(
      fc.property(twoVenuesArb, optsArb, (rows, opts) => {
        const ab = columns(rows, ['binance', 'okx']);
        // Same trades, venues listed the other way round and ties at one ts broken the other way.
        const swapped = rows.map((r, i) => [r[0], r[1], r[2], r[3], 1 - (r[4] ?? 0), i] as const);
        swapped.sort((x, y) => x[0] - y[0] || x[4] - y[4] || x[5] - y[5]);
        const ba = columns(swapped.map((r): Row => [r[0], r[1], r[2], r[3], r[4]]), ['okx', 'binance']);
        const x = cvdByVenue(ab, opts);
        const y = cvdByVenue(ba, opts);
        assert.deepStrictEqual(y.all, x.all);
        assert.deepStrictEqual(y.venues, x.venues);
        const perBar = new Map<number, number>();
        for (const bars of Object.values(x.venues)) for (const b of bars) perBar.set(b.open_time_ms, (perBar.get(b.open_time_ms) ?? 0) + b.delta);
        assert.deepStrictEqual(new Map(x.all.map((b) => [b.open_time_ms, b.delta])), perBar);
      }),
      { numRuns: 200 },
    );
  });
});

const SAMPLE = fileURLToPath(new URL('../../samples/binance-spot/BTCUSDT-aggTrades-2026-01-01.csv.gz', import.meta.url));

describe('cvd: real sample against DuckDB', () => {
  it('matches a SQL GROUP BY over the same stored trades on every timeframe', async () => {
    const store = await openTempStore();
    await importInto(store, SAMPLE);
    const trades = await readTrades(store, { venues: ['binance-spot'], symbols: ['BTCUSDT'] });
    assert.equal(trades.length, 5000);
    for (const tf of ['1s', '1m', '15m', '1h', '1d']) {
      const tfMs = parseTimeframe(tf);
      const ours = cvdBatch(trades, { timeframeMs: tfMs });
      const sql = await store.rows<{ open_ms: number; buy: number; sell: number; cvd: number }>(
        `SELECT open_ms, buy, sell, sum(buy - sell) OVER (ORDER BY open_ms) AS cvd FROM (
           SELECT (floor(epoch_us(ts) / ($1::BIGINT * 1000)) * $1::BIGINT)::DOUBLE AS open_ms,
                  sum(CASE WHEN side = 'buy' THEN qty ELSE 0 END) AS buy,
                  sum(CASE WHEN side = 'sell' THEN qty ELSE 0 END) AS sell
           FROM trades WHERE venue = 'binance-spot' AND symbol = 'BTCUSDT' GROUP BY 1) ORDER BY open_ms`,
        [tfMs],
      );
      assert.equal(ours.length, sql.length, tf);
      const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));
      sql.forEach((r, i) => {
        const o = ours[i];
        assert.equal(o.open_time_ms, r.open_ms, tf);
        assert.ok(close(o.buy_volume, r.buy) && close(o.sell_volume, r.sell) && close(o.cvd, r.cvd), `${tf} bar ${i}: ${JSON.stringify(o)} vs ${JSON.stringify(r)}`);
      });
      assert.deepStrictEqual(incremental(trades, { timeframeMs: tfMs }, [1000, 2048, 4999]), ours);
    }
  });
});
