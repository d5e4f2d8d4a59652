import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { TradeColumns } from '../../src/core/columns.ts';
import { VENUES, type Venue } from '../../src/core/events.ts';
import { OutOfOrderError } from '../../src/features/operator.ts';
import { MINUTE_MS } from '../../src/features/timeframe.ts';
import { CrossVenueOperator, crossVenueBatch, type CrossVenueOptions, type CrossVenueWindow } from '../../src/features/venues.ts';
import { columns, cuts, slice, type Row } from './trades.ts';

const D = Date.UTC(2026, 0, 1);
const BUY = 1;
const SELL = -1;
const BO: readonly Venue[] = ['binance', 'okx'];
const M1: CrossVenueOptions = { timeframeMs: MINUTE_MS, bucketMs: 10_000 };

function incremental(c: TradeColumns, opts: CrossVenueOptions, at: readonly number[] = []): CrossVenueWindow[] {
  const out: CrossVenueWindow[] = [];
  const op = new CrossVenueOperator(opts, (w) => out.push(w));
  const bounds = [0, ...at, c.length];
  for (let i = 0; i + 1 < bounds.length; i++) op.push(slice(c, bounds[i], bounds[i + 1]));
  op.flush();
  return out;
}

/** Binance buys 1, 3, 2 in the first three 10s sub-buckets at 100, 101, 102. */
const binanceBuys: Row[] = [
  [D + 1_000, 100, 1, BUY, 0],
  [D + 11_000, 101, 3, BUY, 0],
  [D + 21_000, 102, 2, BUY, 0],
];

/** OKX trades of the given signed sizes in the first sub-buckets, one second after Binance's. */
function okx(sizes: readonly number[]): Row[] {
  return sizes.map((q, j): Row => [D + 2_000 + j * 10_000, 100 + j, Math.abs(q), q > 0 ? BUY : SELL, 1]);
}

function merged(...parts: Row[][]): TradeColumns {
  return columns(parts.flat().sort((x, y) => x[0] - y[0]), BO);
}

describe('venues: hand-computed windows', () => {
  it('two venues buying with correlated flow: agreement 1, correlation 0.5, score 0.5', () => {
    const c = merged(binanceBuys, okx([1, 2, 3]));
    const [w, ...rest] = crossVenueBatch(c, M1);
    assert.equal(rest.length, 0);
    assert.equal(w.window_start, D);
    assert.equal(w.ts, D + MINUTE_MS);
    assert.deepEqual(w.venues, [
      { venue: 'binance', trades: 3, volume: 6, notional: 607, delta: 6, delta_notional: 607, share: 0.5, return_bps: (102 / 100 - 1) * 10_000, sign: 1, material: true },
      { venue: 'okx', trades: 3, volume: 6, notional: 608, delta: 6, delta_notional: 608, share: 0.5, return_bps: (102 / 100 - 1) * 10_000, sign: 1, material: true },
    ]);
    assert.equal(w.agreement, 1);
    // Delta series [1, 3, 2] and [1, 2, 3]: centred [-1, 1, 0] and [-1, 0, 1] -> 1 / sqrt(2 x 2).
    assert.equal(w.correlation, 0.5);
    // Lag +1 gives 0.33, -1 and +-2 negative, +-3 a constant side (NaN): lag 0 wins.
    assert.deepEqual(w.lead_lag, [{ a: 'binance', b: 'okx', lag: 0, corr: 0.5, corr0: 0.5, leader: null }]);
    assert.equal(w.score, 0.5);
    assert.equal(w.disagree, false);
    assert.deepStrictEqual(incremental(c, M1, [1, 4]), [w]);
  });

  it('opposite delta signs disagree; agreement is notional-weighted and the negative correlation zeroes the score', () => {
    const w = crossVenueBatch(merged(binanceBuys, okx([-2, -4, -6])), M1)[0];
    assert.deepEqual(w.venues.map((v) => [v.venue, v.delta, v.notional, v.sign]), [['binance', 6, 607, 1], ['okx', -12, 1216, -1]]);
    assert.equal(w.agreement, (607 - 1216) / (607 + 1216));
    assert.equal(w.correlation, -0.5);
    assert.ok(Object.is(w.score, 0));
    assert.equal(w.disagree, true);
  });

  it('same signs but opposite flow timing: disagree by correlation', () => {
    const w = crossVenueBatch(merged(binanceBuys, okx([3, 1, 2])), M1)[0];
    assert.equal(w.agreement, 1);
    assert.equal(w.correlation, -1);
    assert.equal(w.score, 0);
    assert.equal(w.disagree, true);
    assert.equal(crossVenueBatch(merged(binanceBuys, okx([3, 1, 2])), { ...M1, disagreeCorrelation: -1 })[0].disagree, false);
  });

  it('one venue leading the other by 2 sub-buckets', () => {
    const pattern = [2, -1, 3, 1, -2, 4];
    const rows = (lead: number, follow: number): Row[] =>
      pattern.flatMap((q, j): Row[] => [
        [D + j * 5_000 + 100, 100, Math.abs(q), Math.sign(q), lead],
        [D + (j + 2) * 5_000 + 200, 100, Math.abs(q), Math.sign(q), follow],
      ]).sort((x, y) => x[0] - y[0]);
    const opts = { timeframeMs: MINUTE_MS, bucketMs: 5_000 };
    const [ab] = crossVenueBatch(columns(rows(0, 1), BO), opts)[0].lead_lag;
    assert.equal(ab.a, 'binance');
    assert.equal(ab.lag, 2);
    assert.equal(ab.leader, 'binance');
    assert.ok(Math.abs(ab.corr - 1) < 1e-12, String(ab.corr));
    assert.ok(ab.corr0 < 0.5, String(ab.corr0));
    // OKX leading, and OKX listed first: the pair is still (binance, okx), lag negative.
    const [ba] = crossVenueBatch(columns(rows(0, 1), ['okx', 'binance']), opts)[0].lead_lag;
    assert.deepEqual([ba.a, ba.b, ba.lag, ba.leader], ['binance', 'okx', -2, 'okx']);
    // A lag beyond maxLag is not found.
    assert.notEqual(crossVenueBatch(columns(rows(0, 1), BO), { ...opts, maxLag: 1 })[0].lead_lag[0].lag, 2);
  });

  it('ignores venues below minShare; a delta inside the neutral band has sign 0; correlation NaN under 3 sub-buckets', () => {
    const rows: Row[] = [
      [D + 1_000, 100, 10, BUY, 0],
      [D + 1_500, 100, 5, BUY, 1],
      [D + 1_600, 100, 4.75, SELL, 1], // okx: delta 0.25 of 9.75 = 2.6% < 5%: no direction
      [D + 2_000, 100, 0.5, SELL, 2], // bybit: 0.5 of 20.25 = 2.5% < 10%: not material
    ];
    const c = columns(rows, ['binance', 'okx', 'bybit']);
    const w = crossVenueBatch(c, M1)[0];
    assert.deepEqual(w.venues.map((v) => [v.venue, v.sign, v.material]), [['binance', 1, true], ['okx', 0, true], ['bybit', -1, false]]);
    assert.equal(w.agreement, 1000 / (1000 + 975));
    assert.ok(Number.isNaN(w.correlation));
    assert.equal(w.score, w.agreement);
    assert.equal(w.disagree, false);
    assert.deepEqual(w.lead_lag.map((l) => [l.a, l.b, l.lag, l.leader]), [['binance', 'okx', NaN, null]]);
    const all = crossVenueBatch(c, { ...M1, minShare: 0 })[0];
    assert.equal(all.disagree, true, 'bybit selling counts once material');
    assert.equal(crossVenueBatch(c, { ...M1, neutralImbalance: 0 })[0].venues[1].sign, 1);
  });

  it('one material venue corroborates nothing: score null, however one-sided its flow', () => {
    // Binance buys 95, Bybit sells 5 (share 0.05 < 0.1): only Binance is material.
    const rows: Row[] = [
      [D + 1_000, 100, 50, BUY, 0],
      [D + 12_000, 100, 45, BUY, 0],
      [D + 20_000, 100, 5, SELL, 1],
    ];
    const lone = crossVenueBatch(columns(rows, ['binance', 'bybit']), M1)[0];
    assert.deepEqual(lone.venues.map((v) => [v.venue, v.share, v.material]), [['binance', 0.95, true], ['bybit', 0.05, false]]);
    assert.equal(lone.agreement, 1, "agreement stays the material venue's sign");
    assert.equal(lone.score, null);
    assert.equal(lone.disagree, false);
    // A venue trading alone in the window: null as well, also in the JSON the command prints.
    const alone = crossVenueBatch(columns([[D + 1_000, 100, 1, SELL, 0]], ['okx']), M1)[0];
    assert.equal(alone.score, null);
    assert.match(JSON.stringify(alone), /"score":null/);
    // Bybit selling 15 of 110 (share 0.136) is material: two venues, a number, and a veto.
    const two = crossVenueBatch(columns([...rows.slice(0, 2), [D + 20_000, 100, 15, SELL, 1]], ['binance', 'bybit']), M1)[0];
    assert.equal(two.agreement, (95 - 15) / 110);
    assert.equal(typeof two.score, 'number');
    assert.equal(two.disagree, true);
    // Lowering the materiality bar brings the small venue in.
    assert.equal(typeof crossVenueBatch(columns(rows, ['binance', 'bybit']), { ...M1, minShare: 0.05 })[0].score, 'number');
  });

  it('emits only windows with trades, each at its close', () => {
    const rows: Row[] = [
      [D + 1_000, 100, 1, BUY, 0],
      [D + MINUTE_MS - 1, 100, 1, BUY, 1],
      [D + 3 * MINUTE_MS, 100, 1, SELL, 0],
    ];
    const out: CrossVenueWindow[] = [];
    const op = new CrossVenueOperator(M1, (w) => out.push(w));
    const c = columns(rows, BO);
    op.push(c, 0, 2);
    assert.equal(out.length, 0, 'the open window waits for its close');
    op.push(c, 2, 3);
    assert.deepEqual(out.map((w) => w.window_start), [D]);
    op.flush();
    assert.deepEqual(out.map((w) => [w.window_start, w.ts]), [[D, D + MINUTE_MS], [D + 3 * MINUTE_MS, D + 4 * MINUTE_MS]]);
    assert.deepStrictEqual(out, crossVenueBatch(c, M1));
  });

  it('rejects trades before the open window and bad parameters', () => {
    const op = new CrossVenueOperator(M1, () => {});
    op.push(columns([[D + MINUTE_MS, 1, 1, BUY]]));
    assert.throws(() => op.push(columns([[D + 59_000, 1, 1, BUY]])), OutOfOrderError);
    assert.throws(() => crossVenueBatch(columns([[D + MINUTE_MS, 1, 1, BUY], [D, 1, 1, BUY]]), M1), OutOfOrderError);
    for (const bad of [{ bucketMs: 7_000 }, { bucketMs: 0 }, { maxLag: 6 }, { maxLag: 1.5 }, { minShare: 2 }, { neutralImbalance: -1 }, { disagreeCorrelation: 2 }, { timeframeMs: 0 }]) {
      assert.throws(() => crossVenueBatch(columns([]), { ...M1, ...bad }), RangeError, JSON.stringify(bad));
    }
    assert.deepEqual(crossVenueBatch(columns([])), []);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const PERP: readonly Venue[] = ['binance', 'okx', 'bybit'];

/** Trades of three venues in time order; qty in 1/8 units and integer prices so that every sum is exact. */
const rowsArb = fc
  .array(
    fc.record({ dt: fc.integer({ min: 0, max: 40_000 }), q8: fc.integer({ min: 1, max: 800 }), buy: fc.boolean(), venue: fc.integer({ min: 0, max: 2 }), dp: fc.integer({ min: -2, max: 2 }) }),
    { minLength: 1, maxLength: 300 },
  )
  .map((steps) => {
    let ts = D - 7 * 1_000;
    let price = 100;
    return steps.map((s): Row => {
      ts += s.dt;
      price = Math.max(50, price + s.dp);
      return [ts, price, s.q8 / 8, s.buy ? BUY : SELL, s.venue];
    });
  });

const optsArb = fc
  .record({
    timeframeMs: fc.constantFrom(MINUTE_MS, 5 * MINUTE_MS, 30_000),
    bucketMs: fc.constantFrom(5_000, 10_000),
    maxLag: fc.integer({ min: 0, max: 3 }),
    minShare: fc.constantFrom(0, 0.1, 0.3),
  })
  .map((o) => ({ ...o, maxLag: Math.min(o.maxLag, o.timeframeMs / o.bucketMs - 1) }));

const fracsArb = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 });

/** Rows [from, to) of `c` re-encoded against another `venues` list (a permutation of VENUES). */
function reencode(c: TradeColumns, from: number, to: number, venues: readonly Venue[]): TradeColumns {
  const s = slice(c, from, to);
  const venue = s.venue.map((v) => venues.indexOf(c.venues[v]));
  return { ...s, venue, venues };
}

describe('venues: properties', () => {
  it('incremental equals batch for any chunking, each chunk with its own venues list', () => {
    fc.assert(
      fc.property(rowsArb, optsArb, fracsArb, fc.array(fc.constantFrom(...permutations(VENUES)), { minLength: 9, maxLength: 9 }), (rows, opts, fr, lists) => {
        const c = columns(rows, PERP);
        const batch = crossVenueBatch(c, opts);
        const out: CrossVenueWindow[] = [];
        const op = new CrossVenueOperator(opts, (w) => out.push(w));
        const bounds = [0, ...cuts(c.length, fr), c.length];
        for (let i = 0; i + 1 < bounds.length; i++) op.push(reencode(c, bounds[i], bounds[i + 1], lists[i]));
        op.flush();
        assert.deepStrictEqual(out, batch);
        for (const w of batch) {
          const material = w.venues.filter((v) => v.material).length;
          assert.equal(w.score === null, material < 2, 'score is null exactly when fewer than two venues are material');
          assert.ok((w.score === null || (w.score >= -1 && w.score <= 1)) && w.agreement >= -1 && w.agreement <= 1);
          assert.ok(Number.isNaN(w.correlation) || (w.correlation >= -1 && w.correlation <= 1));
          assert.deepEqual(w.venues.map((v) => v.venue), VENUES.filter((v) => w.venues.some((x) => x.venue === v)), 'venues in VENUES order');
          for (const l of w.lead_lag) assert.ok(Number.isNaN(l.lag) || Math.abs(l.lag) <= opts.maxLag);
        }
        assert.equal(batch.reduce((s, w) => s + w.venues.reduce((t, v) => t + v.trades, 0), 0), rows.length);
      }),
      { numRuns: 150 },
    );
  });

  it('pushing each window as one chunk per venue (venues out of step inside the window) changes nothing', () => {
    fc.assert(
      fc.property(rowsArb, optsArb, fc.constantFrom(...permutations([0, 1, 2])), (rows, opts, order) => {
        const tf = opts.timeframeMs;
        const grouped = rows
          .map((r, i) => ({ r, i }))
          .sort((x, y) => Math.floor(x.r[0] / tf) - Math.floor(y.r[0] / tf) || order.indexOf(x.r[4]!) - order.indexOf(y.r[4]!) || x.i - y.i)
          .map((x) => x.r);
        const g = columns(grouped, PERP);
        const at: number[] = [];
        for (let i = 1; i < grouped.length; i++) if (grouped[i][4] !== grouped[i - 1][4] || Math.floor(grouped[i][0] / tf) !== Math.floor(grouped[i - 1][0] / tf)) at.push(i);
        assert.deepStrictEqual(incremental(g, opts, at), crossVenueBatch(columns(rows, PERP), opts));
      }),
      { numRuns: 150 },
    );
  });

  it('does not depend on the order of venues in the venues list', () => {
    fc.assert(
      fc.property(rowsArb, optsArb, fc.constantFrom(...permutations(VENUES)), (rows, opts, list) => {
        const c = columns(rows, PERP);
        assert.deepStrictEqual(crossVenueBatch(reencode(c, 0, c.length, list), opts), crossVenueBatch(c, opts));
      }),
      { numRuns: 100 },
    );
  });

  it('is causal: appending later trades leaves every closed window unchanged', () => {
    fc.assert(
      fc.property(rowsArb, rowsArb, optsArb, fc.integer({ min: 0, max: 10 * MINUTE_MS }), (past, future, opts, gap) => {
        const last = past[past.length - 1][0];
        const shift = last + gap - future[0][0];
        const all = [...past, ...future.map((r): Row => [r[0] + shift, r[1], r[2], r[3], r[4]])];
        const first = last + gap;
        const closed = (ws: CrossVenueWindow[]) => ws.filter((w) => w.ts <= first);
        assert.deepStrictEqual(closed(crossVenueBatch(columns(all, PERP), opts)), closed(crossVenueBatch(columns(past, PERP), opts)));
        // The operator has emitted exactly the windows closed by the last trade pushed.
        const seen: CrossVenueWindow[] = [];
        new CrossVenueOperator(opts, (w) => seen.push(w)).push(columns(past, PERP));
        assert.deepStrictEqual(seen, crossVenueBatch(columns(past, PERP), opts).filter((w) => w.ts <= last));
      }),
      { numRuns: 100 },
    );
  });
});

function permutations<T>(xs: readonly T[]): T[][] {
  if (xs.length <= 1) return [[...xs]];
  return xs.flatMap((x, i) => permutations([...xs.slice(0, i), ...xs.slice(i + 1)]).map((p) => [x, ...p]));
}
