import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { TradeColumns } from '../../src/core/columns.ts';
import { OutOfOrderError } from '../../src/features/operator.ts';
import { SessionStatsOperator, sessionStatsBatch, type SessionStats, type SessionStatsOptions } from '../../src/features/sessions.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, parseSessions } from '../../src/features/timeframe.ts';
import { columns, cuts, slice, type Row } from './trades.ts';

const D = Date.UTC(2026, 0, 1);
const BUY = 1;
const SELL = -1;

function incremental(c: TradeColumns, opts: SessionStatsOptions, at: readonly number[] = []): SessionStats[] {
  const out: SessionStats[] = [];
  const op = new SessionStatsOperator(opts, (s) => out.push(s));
  const bounds = [0, ...at, c.length];
  for (let i = 0; i + 1 < bounds.length; i++) op.push(slice(c, bounds[i], bounds[i + 1]));
  op.flush();
  return out;
}

/** Least squares of y on x, the textbook two-pass way: [slope, r^2]. */
function ols(x: number[], y: number[]): [number, number] {
  const mx = x.reduce((a, b) => a + b) / x.length;
  const my = y.reduce((a, b) => a + b) / y.length;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < x.length; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return [sxy / sxx, (sxy * sxy) / (sxx * syy)];
}

function close(a: number, b: number, what: string): void {
  assert.ok(Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)), `${what}: ${a} vs ${b}`);
}

const FIXED = { fixed: [100, 1000, 10_000] as const };
const T1 = D + HOUR_MS; // 01:00 UTC, Asia
const HAND: Row[] = [
  [T1, 100, 2, BUY],
  [T1, 101, 1, BUY], // one print: qty 3, notional 301 (medium), fills 2
  [T1 + MINUTE_MS, 100, 0.5, SELL], // 50 (small)
  [T1 + 2 * MINUTE_MS, 102, 10, BUY], // 1020 (large)
  [T1 + 2 * MINUTE_MS + 1000, 101, 200, SELL], // 20200 (whale)
  [D + 9 * HOUR_MS, 110, 1, BUY], // Europe: 110 (medium)
];

describe('sessions: hand-computed statistics', () => {
  it('every field of two session occurrences', () => {
    const c = columns(HAND);
    const opts: SessionStatsOptions = { sizes: FIXED };
    const [asia, europe, ...rest] = sessionStatsBatch(c, opts);
    assert.equal(rest.length, 0);
    const { impact_bps_per_m, impact_r2, print_p50, vwap, return_bps, print_mean, ...exact } = asia;
    assert.deepEqual(exact, {
      session: 'Asia',
      date: '2026-01-01',
      start_ms: D,
      end_ms: D + 9 * HOUR_MS, // 09:00-18:00 Asia/Tokyo
      first_ts: T1,
      last_ts: T1 + 2 * MINUTE_MS + 1000,
      open: 100,
      high: 102,
      low: 100,
      close: 101,
      trades: 5,
      prints: 4,
      buy_prints: 2,
      sell_prints: 2,
      volume: 213.5,
      buy_volume: 13,
      sell_volume: 200.5,
      delta_volume: -187.5,
      notional: 21571,
      buy_notional: 1321,
      sell_notional: 20250,
      delta_notional: -18929,
      small: { prints: 1, notional: 50, delta_notional: -50 },
      medium: { prints: 1, notional: 301, delta_notional: 301 },
      large: { prints: 1, notional: 1020, delta_notional: 1020 },
      whale: { prints: 1, notional: 20200, delta_notional: -20200 },
      // p90 and p99 are rank 4 of 4 = 20200; its bin centre (0.01 x 10^(126.5/20) = 21135) is clamped to the max.
      print_p90: 20200,
      print_p99: 20200,
      print_min: 50,
      print_max: 20200,
      impact_bars: 3,
    });
    close(vwap, 21571 / 213.5, 'vwap');
    close(return_bps, 1e4 * Math.log(101 / 100), 'return_bps');
    close(print_mean, 21571 / 4, 'print_mean');
    // p50: rank 2 = 301, in bin floor(log10(301 / 0.01) x 20) = 89, centre 0.01 x 10^(89.5/20).
    close(print_p50, 0.01 * 10 ** (89.5 / 20), 'print_p50');
    // Sub-bars 01:00 (ref = first fill 100, close 101, net +301), 01:01 (close 100, net -50),
    // 01:02 (close 101, net 1020 - 20200).
    const [slope, r2] = ols([301e-6, -50e-6, -19180e-6], [1e4 * Math.log(101 / 100), 1e4 * Math.log(100 / 101), 1e4 * Math.log(101 / 100)]);
    close(impact_bps_per_m, slope, 'impact slope');
    close(impact_r2, r2, 'impact r2');

    assert.deepEqual(europe, {
      session: 'Europe',
      date: '2026-01-01',
      start_ms: D + 8 * HOUR_MS,
      end_ms: D + 16.5 * HOUR_MS, // 08:00-16:30 Europe/London (GMT in January)
      first_ts: D + 9 * HOUR_MS,
      last_ts: D + 9 * HOUR_MS,
      open: 110,
      high: 110,
      low: 110,
      close: 110,
      vwap: 110,
      return_bps: 0,
      trades: 1,
      prints: 1,
      buy_prints: 1,
      sell_prints: 0,
      volume: 1,
      buy_volume: 1,
      sell_volume: 0,
      delta_volume: 1,
      notional: 110,
      buy_notional: 110,
      sell_notional: 0,
      delta_notional: 110,
      small: { prints: 0, notional: 0, delta_notional: 0 },
      medium: { prints: 1, notional: 110, delta_notional: 110 },
      large: { prints: 0, notional: 0, delta_notional: 0 },
      whale: { prints: 0, notional: 0, delta_notional: 0 },
      print_p50: 110,
      print_p90: 110,
      print_p99: 110,
      print_mean: 110,
      print_min: 110,
      print_max: 110,
      impact_bps_per_m: NaN,
      impact_r2: NaN,
      impact_bars: 1,
    });
    assert.deepStrictEqual(incremental(c, opts, [1, 3]), [asia, europe]);
  });

  it('the default windows are market time: in January Asia is 00:00-09:00 UTC and US 14:30-21:00 UTC; after the close counts nowhere', () => {
    const c = columns([
      [D + 15 * HOUR_MS, 100, 1, BUY],
      [D + 22 * HOUR_MS, 100, 1, BUY],
      [D + DAY_MS + 30 * MINUTE_MS, 100, 1, BUY],
    ]);
    assert.deepEqual(
      sessionStatsBatch(c, {}).map((s) => [s.session, s.date, s.start_ms, s.end_ms, s.trades]),
      [
        ['Europe', '2026-01-01', D + 8 * HOUR_MS, D + 16.5 * HOUR_MS, 1],
        ['US', '2026-01-01', D + 14.5 * HOUR_MS, D + 21 * HOUR_MS, 1],
        ['Asia', '2026-01-02', D + DAY_MS, D + DAY_MS + 9 * HOUR_MS, 1],
      ],
    );
  });

  it('an occurrence is emitted as soon as a trade of the next session arrives', () => {
    const out: SessionStats[] = [];
    const op = new SessionStatsOperator({ sizes: FIXED }, (s) => out.push(s));
    op.push(columns(HAND.slice(0, 5)));
    assert.equal(out.length, 0);
    op.push(columns(HAND.slice(5)));
    assert.equal(out.length, 1);
    op.flush();
    assert.equal(out.length, 2);
  });

  it('refuses trades going back in time and bad options', () => {
    assert.throws(() => sessionStatsBatch(columns([[D + 5, 1, 1, BUY], [D, 1, 1, BUY]]), {}), OutOfOrderError);
    assert.throws(() => sessionStatsBatch(columns([]), { sessions: [] }), RangeError);
    assert.throws(() => sessionStatsBatch(columns([]), { impactBarMs: 0 }), RangeError);
  });
});

const tradesArb = fc
  .array(
    fc.record({
      dt: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 2 * MINUTE_MS }), fc.integer({ min: 1, max: 3 * HOUR_MS })),
      px: fc.integer({ min: -40, max: 40 }),
      q8: fc.integer({ min: 1, max: 8000 }),
      buy: fc.boolean(),
      venue: fc.integer({ min: 0, max: 1 }),
    }),
    { minLength: 1, maxLength: 300, size: 'max' },
  )
  .map((steps) => {
    let ts = D - 2 * HOUR_MS;
    return steps.map((s): Row => [(ts += s.dt), 100 + s.px / 4, s.q8 / 8, s.buy ? BUY : SELL, s.venue]);
  });

/** UTC windows that tile the day: every trade is in exactly one occurrence. */
const WHOLE_DAY = parseSessions('A=00:00-08:00,B=08:00-13:30,C=13:30-24:00');

describe('sessions: properties', () => {
  it('incremental equals batch for any chunking; totals add up', () => {
    fc.assert(
      fc.property(tradesArb, fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 }), (rows, fr) => {
        const c = columns(rows, ['binance', 'okx']);
        const opts: SessionStatsOptions = { sessions: WHOLE_DAY, sizes: { windowMs: 4 * HOUR_MS, slotMs: HOUR_MS, minPrints: 5 } };
        const batch = sessionStatsBatch(c, opts);
        assert.deepStrictEqual(incremental(c, opts, cuts(c.length, fr)), batch);
        let trades = 0;
        let prevKey = '';
        for (const s of batch) {
          trades += s.trades;
          assert.notEqual(`${s.date} ${s.session}`, prevKey);
          prevKey = `${s.date} ${s.session}`;
          assert.ok(s.start_ms <= s.first_ts && s.last_ts < s.end_ms);
          assert.equal(s.prints, s.small.prints + s.medium.prints + s.large.prints + s.whale.prints);
          assert.ok(s.print_min <= s.print_p50 && s.print_p50 <= s.print_p90 && s.print_p90 <= s.print_p99 && s.print_p99 <= s.print_max);
          assert.ok(s.low <= s.open && s.open <= s.high && s.low <= s.close && s.close <= s.high);
        }
        assert.equal(trades, rows.length);
      }),
      { numRuns: 150 },
    );
  });
});

describe('liquidations per session', () => {
  it('counts the liquidations in an occurrence\'s window, by the side that was liquidated', async () => {
    const { LiquidationWindows } = await import('../../src/features/sessions.ts');
    const day = Date.UTC(2024, 7, 8);
    const at = (h: number, m = 0) => day + h * 3_600_000 + m * 60_000;
    // Out of time order on purpose: 09:30 forced sell (long liquidated), 01:00 forced sell,
    // 09:00 forced buy (short), 23:00 forced sell.
    const ts = [at(9, 30), at(1), at(9), at(23)];
    const liqs = {
      length: 4, ts: Float64Array.from(ts), price: Float64Array.from([300, 100, 200, 400]), qty: Float64Array.from([0.5, 1, 2, 1]),
      side: Int8Array.from([-1, -1, 1, -1]), venue: new Uint8Array(4), venues: ['binance' as const],
    };
    const w = new LiquidationWindows(liqs);
    assert.deepEqual(w.between(at(0), at(9)), { long_count: 1, long_notional: 100, short_count: 0, short_notional: 0 });
    assert.deepEqual(w.between(at(9), at(16, 30)), { long_count: 1, long_notional: 150, short_count: 1, short_notional: 400 });
    assert.deepEqual(w.between(at(0), at(24)), { long_count: 3, long_notional: 650, short_count: 1, short_notional: 400 });
    assert.deepEqual(w.between(at(21), at(23)), { long_count: 0, long_notional: 0, short_count: 0, short_notional: 0 }, 'end is exclusive');
  });
});
