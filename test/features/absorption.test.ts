import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { LiquidationColumns, TradeColumns } from '../../src/core/columns.ts';
import {
  AbsorptionOperator,
  absorptionBatch,
  selectRank,
  zonesFromClusters,
  zonesFromPredicted,
  type AbsorptionEvent,
  type AbsorptionOptions,
  type AbsorptionZone,
} from '../../src/features/absorption.ts';
import type { LiquidationCluster } from '../../src/features/liquidations.ts';
import { OutOfOrderError } from '../../src/features/operator.ts';
import { columns, slice, type Row } from './trades.ts';

const D = Date.UTC(2026, 0, 1);
const BUY = 1;
const SELL = -1;
/** Forced-order sides: a forced sell closes a long, a forced buy a short. */
const LONG_LIQ = -1;
const SHORT_LIQ = 1;

const LONG_ZONE: AbsorptionZone = { low: 99, high: 100, side: 'long', source: 'realized' };
/** 1 s sub-bars, 3 s windows, typical = median of the 3 previous windows, no tolerance. */
const SMALL: AbsorptionOptions = { zones: [LONG_ZONE], stepMs: 1000, windowMs: 3000, lookbackWindows: 3, toleranceBps: 0 };

interface Scenario {
  trades: Row[];
  readonly liqs: Row[];
}

/**
 * Seconds 0..11: a buy and a sell of 1 at 101 each second (typical sell volume 3 per window).
 * Seconds 12..14: sells of 2 walk into the long zone (99.8, 99.6, 99.5) while 5 longs are
 * liquidated at 99.7 each second. Seconds 15..17: sells of 3 (and a buy of 1) at `hold[i]`,
 * longs liquidated `liqAfter` each second. One trade at 18 s closes the 17 s sub-bar.
 */
function scenario(hold: readonly number[] = [99.5, 99.5, 99.5], liqAfter = 0, tail: readonly number[] = [99.5]): Scenario {
  const trades: Row[] = [];
  const liqs: Row[] = [];
  const at = (s: number, ms = 100) => D + s * 1000 + ms;
  for (let s = 0; s < 12; s++) trades.push([at(s), 101, 1, BUY], [at(s, 200), 101, 1, SELL]);
  [99.8, 99.6, 99.5].forEach((p, i) => {
    trades.push([at(12 + i), p, 2, SELL]);
    liqs.push([at(12 + i, 50), 99.7, 5, LONG_LIQ]);
  });
  hold.forEach((p, i) => {
    trades.push([at(15 + i), p, 3, SELL]);
    if (i === 0) trades.push([at(15, 300), p, 1, BUY]);
    if (liqAfter > 0) liqs.push([at(15 + i, 50), 99.7, liqAfter, LONG_LIQ]);
  });
  tail.forEach((p, i) => trades.push([at(18 + i), p, 1, SELL]));
  return { trades, liqs };
}

/** Price reflected around 101 and every side flipped: the same story at a short zone above price. */
function mirror(s: Scenario): Scenario {
  const flip = ([ts, p, q, side]: Row): Row => [ts, Math.round((202 - p) * 1e9) / 1e9, q, -side];
  return { trades: s.trades.map(flip), liqs: s.liqs.map(flip) };
}

function incremental(tr: TradeColumns, lq: LiquidationColumns, opts: AbsorptionOptions, cutsAt: readonly number[]): AbsorptionEvent[] {
  // Merge rows (trades first at equal ts), cut the merged sequence at `cutsAt`, push each piece as
  // runs of one kind.
  const merged: ['t' | 'l', number][] = [];
  let i = 0;
  let j = 0;
  while (i < tr.length || j < lq.length) {
    if (j >= lq.length || (i < tr.length && tr.ts[i] <= lq.ts[j])) merged.push(['t', i++]);
    else merged.push(['l', j++]);
  }
  const out: AbsorptionEvent[] = [];
  const op = new AbsorptionOperator(opts, (e) => out.push(e));
  const bounds = [0, ...[...new Set(cutsAt)].filter((c) => c > 0 && c < merged.length).sort((a, b) => a - b), merged.length];
  for (let b = 0; b + 1 < bounds.length; b++) {
    let a = bounds[b];
    while (a < bounds[b + 1]) {
      let e = a;
      while (e + 1 < bounds[b + 1] && merged[e + 1][0] === merged[a][0]) e++;
      const [kind, from] = merged[a];
      const to = merged[e][1] + 1;
      if (kind === 't') op.pushTrades(slice(tr, from, to));
      else op.pushLiquidations(lq, from, to);
      a = e + 1;
    }
  }
  op.flush();
  return out;
}

function run(s: Scenario, opts: AbsorptionOptions): AbsorptionEvent[] {
  const tr = columns(s.trades);
  const lq = columns(s.liqs);
  const batch = absorptionBatch(tr, lq, opts);
  assert.deepStrictEqual(incremental(tr, lq, opts, [1, 7, 30]), batch);
  return batch;
}

describe('absorption: hand-computed events', () => {
  it('heavy selling into a long-liquidation zone, price holding and liquidations stopping: buyers_absorb', () => {
    const ev = run(scenario(), SMALL);
    // Close 15 s: window 12..14 s, attack 6 >= 2 x 3 but liquidations 15 during vs 0 before.
    // Close 16 s: liquidations 10 vs 5; close 17 s: 5 vs 10 (> 0.25 x 10).
    // Close 18 s: window 15..17 s: attack 9 >= 2 x median(6, 3, 3) = 6; liquidations 0 vs 15;
    // ref = last price at 15 s = 99.5, lowest visit trade 99.5: progress 0. Liquidations were
    // printing on the approach and stopped: a cascade-stop.
    assert.deepStrictEqual(ev, [
      {
        ts: D + 18_000,
        kind: 'cascade-stop',
        direction: 'buyers_absorb',
        bias: 'bullish',
        zone_index: 0,
        zone: LONG_ZONE,
        attack_side: 'sell',
        window_start_ms: D + 15_000,
        window_end_ms: D + 18_000,
        visit_start_ms: D + 12_100,
        entry_price: 99.8,
        attack_volume: 9,
        typical_volume: 3,
        attack_ratio: 3,
        vwap: 99.5,
        liquidations_before: 15,
        liquidations_during: 0,
        ref_price: 99.5,
        extreme_price: 99.5,
        progress_bps: 0,
        close: 99.5,
      },
    ]);
  });

  it('the mirror at a short-liquidation zone above price: sellers_absorb', () => {
    const zone: AbsorptionZone = { low: 102, high: 103, side: 'short', source: 'predicted' };
    const ev = run(mirror(scenario()), { ...SMALL, zones: [zone] });
    assert.equal(ev.length, 1);
    assert.deepStrictEqual(ev[0], {
        ts: D + 18_000,
        kind: 'cascade-stop',
        direction: 'sellers_absorb',
        bias: 'bearish',
        zone_index: 0,
        zone,
        attack_side: 'buy',
        window_start_ms: D + 15_000,
        window_end_ms: D + 18_000,
        visit_start_ms: D + 12_100,
        entry_price: 102.2,
        attack_volume: 9,
        typical_volume: 3,
        attack_ratio: 3,
        vwap: 102.5,
        liquidations_before: 15,
        liquidations_during: 0,
        ref_price: 102.5,
        extreme_price: 102.5,
        progress_bps: 0,
      close: 102.5,
    });
  });

  it('price breaking through the zone emits nothing', () => {
    // Still inside the band but 20 bps lower by 17 s (progress 1e4 x 0.2 / 99.5 > 5), then below it.
    assert.deepStrictEqual(run(scenario([99.5, 99.4, 99.3], 0, [98.5, 98.5, 98.5, 98.5]), SMALL), []);
    // A little give is still absorption: 99.46 is 4.02 bps below 99.5, 99.44 is 6.03.
    const within = run(scenario([99.5, 99.5, 99.46]), SMALL);
    assert.equal(within.length, 1);
    assert.ok(Math.abs(within[0].progress_bps - (1e4 * 0.04) / 99.5) < 1e-9);
    assert.deepStrictEqual(run(scenario([99.5, 99.5, 99.44]), SMALL), []);
  });

  it('liquidations continuing emit nothing', () => {
    assert.deepStrictEqual(run(scenario(undefined, 5), SMALL), []);
    // Falling to a quarter of the previous window's is enough: 5 x 3 = 15 during vs 15 x 4 = 60 before.
    const s = scenario();
    s.liqs.splice(0, 3, ...[12, 13, 14].map((x): Row => [D + x * 1000 + 50, 99.7, 20, LONG_LIQ]));
    s.liqs.push(...[15, 16, 17].map((x): Row => [D + x * 1000 + 50, 99.7, 5, LONG_LIQ]));
    const ev = run(s, SMALL);
    assert.equal(ev.length, 1);
    assert.equal(ev[0].liquidations_before, 60);
    assert.equal(ev[0].liquidations_during, 15);
  });

  it('short liquidations and buying do not count at a long zone', () => {
    const s = scenario();
    // Short liquidations in the band and buys in the band are neither attack nor zone liquidations.
    s.liqs.push([D + 16_050, 99.7, 50, SHORT_LIQ]);
    const ev = run(s, SMALL);
    assert.equal(ev.length, 1);
    assert.equal(ev[0].liquidations_during, 0);
  });

  it('attack volume below the multiple of typical volume emits nothing', () => {
    assert.deepStrictEqual(run(scenario(), { ...SMALL, volumeMultiple: 3.01 }), []);
  });

  it('fires once per visit; leaving the band and coming back allows another event', () => {
    const s = scenario([99.5, 99.5, 99.5], 0, [99.5, 99.5, 99.5, 99.5]);
    assert.equal(run(s, SMALL).length, 1);
    // Leave (101) at 22 s, come back at 23 s and sell hard for 3 s with no liquidations.
    s.trades.push([D + 22_100, 101, 1, BUY]);
    for (let x = 23; x <= 26; x++) s.trades.push([D + x * 1000 + 100, 99.5, 4, SELL]);
    const ev = run(s, SMALL);
    // The second visit had no liquidations before or during its window: a revisit.
    assert.deepStrictEqual(
      ev.map((e) => [e.ts, e.visit_start_ms, e.kind]),
      [
        [D + 18_000, D + 12_100, 'cascade-stop'],
        [D + 26_000, D + 23_100, 'revisit'],
      ],
    );
  });

  it('a revisit: heavy selling held at an old zone with no liquidations at all', () => {
    // The same story without any liquidation: nothing to stop, so the kind is revisit, with its evidence.
    const s = scenario();
    const ev = run({ trades: s.trades, liqs: [] }, SMALL);
    assert.deepStrictEqual(
      ev.map((e) => [e.ts, e.kind, e.attack_volume, e.typical_volume, e.attack_ratio, e.liquidations_before, e.liquidations_during, e.progress_bps]),
      [[D + 18_000, 'revisit', 9, 3, 3, 0, 0, 0]],
    );
    // Liquidations that start during the window (none before) are the zone giving way: no event.
    assert.deepStrictEqual(run({ trades: s.trades, liqs: [[D + 16_050, 99.7, 1, LONG_LIQ]] }, SMALL), []);
    // One before the window and none during: a (small) cascade stopped.
    const stopped = run({ trades: s.trades, liqs: [[D + 14_050, 99.7, 1, LONG_LIQ]] }, SMALL);
    assert.deepStrictEqual(stopped.map((e) => [e.ts, e.kind, e.liquidations_before, e.liquidations_during]), [[D + 18_000, 'cascade-stop', 1, 0]]);
  });

  it('no event before warm-up or before the zone is known', () => {
    assert.deepStrictEqual(run(scenario(), { ...SMALL, lookbackWindows: 6, warmupWindows: 6 }), []);
    // Known from 16 s: the visit starts at the first trade in the band from then on (16.1 s). A
    // zone sees no trade from before it was known, so the 15.1 s selling (3) is not in the 18 s
    // window's attack: 16.1 s + 17.1 s = 3 + 3. (Liquidations before it are: they are past.)
    const later: AbsorptionZone = { ...LONG_ZONE, from_ts: D + 16_000 };
    const ev = run(scenario(), { ...SMALL, zones: [later] });
    assert.deepStrictEqual(
      ev.map((e) => [e.ts, e.visit_start_ms, e.entry_price, e.ref_price, e.attack_volume]),
      [[D + 18_000, D + 16_100, 99.5, 99.5, 6]],
    );
    assert.deepStrictEqual(run(scenario(), { ...SMALL, zones: [{ ...LONG_ZONE, to_ts: D + 17_999 }] }), []);
  });

  it('a visit that begins exactly at the window start is measured from its entry price', () => {
    // Selling at 100.5 (above the band) until 15 s, entry at exactly 15.000 s at 99.5: ref = 99.5,
    // not the 100.5 last printed before the window.
    const s = scenario();
    s.trades = s.trades.map((r) => (r[0] >= D + 12_000 && r[0] < D + 15_000 ? [r[0], 100.5, r[2], r[3]] : r));
    s.trades.splice(s.trades.findIndex((r) => r[0] >= D + 15_000), 0, [D + 15_000, 99.5, 1, SELL]);
    const ev = run(s, SMALL);
    assert.deepStrictEqual(
      ev.map((e) => [e.ts, e.visit_start_ms, e.ref_price, e.progress_bps, e.attack_volume, e.typical_volume]),
      [[D + 18_000, D + 15_000, 99.5, 0, 10, 3]],
    );
  });

  it('the tolerance widens the band', () => {
    const zone: AbsorptionZone = { low: 99.6, high: 100, side: 'long', source: 'realized' };
    assert.deepStrictEqual(run(scenario(), { ...SMALL, zones: [zone] }), []);
    // 99.5 is 10.04 bps below 99.6.
    assert.equal(run(scenario(), { ...SMALL, zones: [zone], toleranceBps: 10.1 }).length, 1);
  });

  it('refuses events before the open sub-bar, accepts any order inside it', () => {
    const op = new AbsorptionOperator(SMALL, () => {});
    op.pushTrades(columns([[D + 5_500, 101, 1, BUY]]));
    op.pushLiquidations(columns([[D + 5_000, 99.7, 1, LONG_LIQ]]));
    assert.throws(
      () => op.pushLiquidations(columns([[D + 4_999, 99.7, 1, LONG_LIQ]])),
      (e: unknown) => e instanceof OutOfOrderError && e.code === 'E_OUT_OF_ORDER',
    );
    assert.throws(() => absorptionBatch(columns([[D + 2, 1, 1, BUY], [D + 1, 1, 1, BUY]]), undefined, SMALL), OutOfOrderError);
    assert.throws(() => absorptionBatch(columns([[D, 1, 1, 0]]), undefined, SMALL), /trade row 0 has side 0/);
    assert.throws(() => new AbsorptionOperator({ ...SMALL, windowMs: 2500 }, () => {}), /whole multiple/);
    assert.throws(() => new AbsorptionOperator({ ...SMALL, zones: [{ ...LONG_ZONE, low: 101 }] }, () => {}), /zones\[0\]/);
  });
});

describe('absorption: zone sources', () => {
  it('clusters become realized zones, widened to bin edges when the bins are given', () => {
    const c = { side: 'long', low_index: 990, high_index: 1000, low: 99, high: 100 } as LiquidationCluster;
    assert.deepStrictEqual(zonesFromClusters([c], { fromTs: D }), [{ low: 99, high: 100, side: 'long', source: 'realized', from_ts: D }]);
    const [z] = zonesFromClusters([c], { fromTs: D, toTs: D + 1, bins: { tick: 0.1 } });
    assert.ok(Math.abs(z.low - 98.95) < 1e-9 && Math.abs(z.high - 100.05) < 1e-9);
    assert.equal(z.to_ts, D + 1);
  });

  it('predicted levels become zones: runs of adjacent bins above minNotional, from the snapshot time', () => {
    const lvl = (index: number, notional: number) => ({ index, price: index, qty: 1, notional, count: 1, venue_mask: 1, venues: [], first_ts: 0, last_ts: 0 });
    const zs = zonesFromPredicted(
      { ts: D, longs: [lvl(90, 5), lvl(91, 5), lvl(92, 1), lvl(93, 5)], shorts: [lvl(110, 9)], long_notional: 16, short_notional: 9 },
      { minNotional: 5 },
    );
    assert.deepStrictEqual(zs, [
      { low: 90, high: 91, side: 'long', source: 'predicted', from_ts: D },
      { low: 93, high: 93, side: 'long', source: 'predicted', from_ts: D },
      { low: 110, high: 110, side: 'short', source: 'predicted', from_ts: D },
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties: a from-scratch reference, chunking, causality.

/** The definition evaluated directly at every sub-bar close, scanning all rows each time. */
function reference(trades: readonly Row[], liqs: readonly Row[], o: AbsorptionOptions): AbsorptionEvent[] {
  const step = o.stepMs!;
  const W = o.windowMs!;
  const K = W / step;
  const M = o.lookbackWindows!;
  const warm = o.warmupWindows ?? M;
  const tol = o.toleranceBps ?? 5;
  const all = [...trades, ...liqs].map((r) => r[0]);
  if (all.length === 0) return [];
  const k0 = Math.floor(Math.min(...all) / step);
  const k1 = Math.floor(Math.max(...all) / step);
  const out: AbsorptionEvent[] = [];
  const fired = o.zones.map(() => new Set<number>());
  for (let k = k0; k <= k1; k++) {
    const t = (k + 1) * step;
    const t0 = t - W;
    const before = trades.filter((r) => r[0] < t);
    o.zones.forEach((z, zi) => {
      const lo = z.low * (1 - tol / 1e4);
      const hi = z.high * (1 + tol / 1e4);
      const inBand = (p: number) => p >= lo && p <= hi;
      let visit = false;
      let start = NaN;
      let entry = NaN;
      let from = 0;
      before.forEach(([ts, p], i) => {
        if (inBand(p)) {
          if (!visit && ts >= (z.from_ts ?? -Infinity) && ts < (z.to_ts ?? Infinity)) [visit, start, entry, from] = [true, ts, p, i];
        } else visit = false;
      });
      if (!visit || fired[zi].has(start) || t > (z.to_ts ?? Infinity)) return;
      const atk = z.side === 'long' ? SELL : BUY;
      const win = before.filter((r) => r[0] >= t0 && r[0] >= (z.from_ts ?? -Infinity) && inBand(r[1]) && r[3] === atk);
      const attack = win.reduce((s, r) => s + r[2], 0);
      if (!(attack > 0)) return;
      const valid = Math.min(M, Math.floor((k - k0 + 1) / K) - 1);
      if (valid < warm) return;
      const sums: number[] = [];
      for (let j = 1; j <= valid; j++) sums.push(trades.filter((r) => r[3] === atk && r[0] >= t - (j + 1) * W && r[0] < t - j * W).reduce((s, r) => s + r[2], 0));
      sums.sort((a, b) => a - b);
      const typical = valid % 2 ? sums[valid >> 1] : (sums[(valid >> 1) - 1] + sums[valid >> 1]) / 2;
      if (!(attack >= (o.volumeMultiple ?? 2) * typical)) return;
      const lside = z.side === 'long' ? LONG_LIQ : SHORT_LIQ;
      const liq = (a: number, b: number) => liqs.filter((r) => r[3] === lside && inBand(r[1]) && r[0] >= a && r[0] < b).reduce((s, r) => s + r[2], 0);
      const during = liq(t0, t);
      const prev = liq(t0 - W, t0);
      // Liquidations printed before and stopped, or none at all.
      const stopped = prev > 0 && during <= (o.maxLiquidationRatio ?? 0.25) * prev;
      const none = prev === 0 && during === 0;
      if (!stopped && !none) return;
      const ref = start >= t0 ? entry : before.filter((r) => r[0] < t0).at(-1)![1];
      const visitPx = before.slice(from).filter((r) => r[0] >= t0).map((r) => r[1]);
      const ext = atk < 0 ? Math.min(...visitPx) : Math.max(...visitPx);
      const progress = (1e4 * (atk < 0 ? ref - ext : ext - ref)) / ref;
      if (!(progress <= (o.maxProgressBps ?? 5))) return;
      fired[zi].add(start);
      out.push({
        ts: t,
        kind: stopped ? 'cascade-stop' : 'revisit',
        direction: atk < 0 ? 'buyers_absorb' : 'sellers_absorb',
        bias: atk < 0 ? 'bullish' : 'bearish',
        zone_index: zi,
        zone: z,
        attack_side: atk < 0 ? 'sell' : 'buy',
        window_start_ms: t0,
        window_end_ms: t,
        visit_start_ms: start,
        entry_price: entry,
        attack_volume: attack,
        typical_volume: typical,
        attack_ratio: attack / typical,
        vwap: win.reduce((s, r) => s + r[1] * r[2], 0) / attack,
        liquidations_before: prev,
        liquidations_during: during,
        ref_price: ref,
        extreme_price: ext,
        progress_bps: progress,
        close: before.at(-1)![1],
      });
    });
  }
  return out;
}

/** Prices on a 0.5 grid and whole quantities: every sum is exact, so paths can be compared with ===. */
const rowsArb = fc
  .array(
    fc.record({
      // Quarter-second steps hit sub-bar edges; 2-15 s gaps stay inside the volume history (9 sub-bars
      // here), 20-90 s gaps pass it (the engine jumps those).
      dt: fc.oneof(
        { weight: 12, arbitrary: fc.integer({ min: 0, max: 6 }).map((x) => 250 * x) },
        { weight: 2, arbitrary: fc.integer({ min: 2000, max: 15_000 }) },
        { weight: 1, arbitrary: fc.integer({ min: 20_000, max: 90_000 }) },
      ),
      move: fc.integer({ min: -2, max: 2 }),
      qty: fc.integer({ min: 1, max: 6 }),
      side: fc.constantFrom(BUY, SELL, SELL),
      liq: fc.option(fc.record({ qty: fc.integer({ min: 1, max: 8 }), short: fc.boolean() }), { freq: 3 }),
    }),
    { minLength: 5, maxLength: 160 },
  )
  .map((steps) => {
    const trades: Row[] = [];
    const liqs: Row[] = [];
    let ts = D;
    let p = 101;
    for (const s of steps) {
      ts += s.dt;
      p = Math.min(104, Math.max(98, p + s.move * 0.5));
      trades.push([ts, p, s.qty, s.side]);
      if (s.liq) liqs.push([ts, p, s.liq.qty, s.liq.short ? SHORT_LIQ : LONG_LIQ]);
    }
    return { trades, liqs };
  });

const PROP: AbsorptionOptions = {
  zones: [
    { low: 99, high: 100, side: 'long', source: 'realized' },
    { low: 102, high: 103, side: 'short', source: 'realized' },
    { low: 98, high: 101, side: 'long', source: 'predicted', from_ts: D + 20_000, to_ts: D + 200_000 },
  ],
  stepMs: 1000,
  windowMs: 3000,
  lookbackWindows: 2,
  warmupWindows: 1,
  volumeMultiple: 1,
  maxLiquidationRatio: 0.5,
  maxProgressBps: 60,
  toleranceBps: 0,
};

describe('absorption: properties', () => {
  it('matches a from-scratch evaluation of the definition (long gaps included)', () => {
    let events = 0;
    fc.assert(
      fc.property(rowsArb, ({ trades, liqs }) => {
        const got = absorptionBatch(columns(trades), columns(liqs), PROP);
        events += got.length;
        assert.deepStrictEqual(got, reference(trades, liqs, PROP));
      }),
      { numRuns: 150 },
    );
    assert.ok(events > 20, `the generator should produce events, got ${events}`);
  });

  it('matches the from-scratch evaluation when price keeps crossing band edges (the trade path that scans only the zones holding the price)', () => {
    // Bands of one price each and a wide one overlapping them, crossed back and forth: the
    // operator scans every zone only when a trade leaves the cell between the last band edges.
    const narrow: AbsorptionOptions = {
      ...PROP,
      zones: [
        { low: 98.5, high: 98.5, side: 'long', source: 'realized' },
        { low: 100, high: 100, side: 'long', source: 'realized' },
        { low: 101, high: 101, side: 'long', source: 'predicted', from_ts: D + 20_000, to_ts: D + 200_000 },
        { low: 99, high: 102, side: 'long', source: 'realized', from_ts: D + 10_000 },
        { low: 102.5, high: 102.5, side: 'short', source: 'realized' },
        { low: 103.5, high: 103.5, side: 'short', source: 'realized', from_ts: D + 50_000 },
      ],
    };
    let events = 0;
    fc.assert(
      fc.property(rowsArb, ({ trades, liqs }) => {
        const got = absorptionBatch(columns(trades), columns(liqs), narrow);
        events += got.length;
        assert.deepStrictEqual(got, reference(trades, liqs, narrow));
      }),
      { numRuns: 200 },
    );
    assert.ok(events > 5, `the generator should produce events, got ${events}`);
  });

  it('incremental == batch under random chunking and interleaving of trades and liquidations', () => {
    fc.assert(
      fc.property(rowsArb, fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 12 }), ({ trades, liqs }, cutsAt) => {
        const tr = columns(trades);
        const lq = columns(liqs);
        assert.deepStrictEqual(incremental(tr, lq, PROP, cutsAt), absorptionBatch(tr, lq, PROP));
      }),
      { numRuns: 150 },
    );
  });

  it('rolling zones through setZones == the same zones given up front with their live intervals', () => {
    const pool = PROP.zones.map((z) => ({ low: z.low, high: z.high, side: z.side, source: z.source }));
    const scheduleArb = fc.array(fc.record({ at: fc.integer({ min: 0, max: 150_000 }), pick: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }) }), { maxLength: 6 });
    let events = 0;
    fc.assert(
      fc.property(rowsArb, scheduleArb, ({ trades, liqs }, schedule) => {
        const plan = [...schedule].sort((a, b) => a.at - b.at).map((s) => ({ ts: D + s.at, zones: pool.filter((_, i) => s.pick[i]) }));
        // What setZones promises, written out: indexes in order of first appearance, retirement at the next set without the zone.
        const fixed: AbsorptionZone[] = [];
        const live = new Map<string, number>();
        for (const { ts, zones } of plan) {
          const keep = new Set<number>();
          for (const z of zones) {
            const key = `${z.side}${z.low}`;
            if (!live.has(key)) {
              live.set(key, fixed.length);
              fixed.push({ ...z, from_ts: ts });
            }
            keep.add(live.get(key)!);
          }
          for (const [key, i] of live) {
            if (!keep.has(i)) {
              fixed[i] = { ...fixed[i], to_ts: ts };
              live.delete(key);
            }
          }
        }
        const opts = { ...PROP, zones: [] };
        const out: AbsorptionEvent[] = [];
        const op = new AbsorptionOperator(opts, (e) => out.push(e));
        const tr = columns(trades);
        const lq = columns(liqs);
        let i = 0;
        let j = 0;
        let k = 0;
        while (i < tr.length || j < lq.length) {
          const t = Math.min(i < tr.length ? tr.ts[i] : Infinity, j < lq.length ? lq.ts[j] : Infinity);
          while (k < plan.length && plan[k].ts <= t) op.setZones(plan[k].ts, plan[k++].zones);
          if (i < tr.length && tr.ts[i] === t) op.pushTrades(tr, i, ++i);
          else op.pushLiquidations(lq, j, ++j);
        }
        // Sets after the last event still retire zones before the final close, as to_ts does.
        while (k < plan.length) op.setZones(plan[k].ts, plan[k++].zones);
        op.flush();
        const strip = (e: AbsorptionEvent) => ({ ...e, zone: undefined });
        const want = absorptionBatch(tr, lq, { ...PROP, zones: fixed });
        events += want.length;
        assert.deepStrictEqual(out.map(strip), want.map(strip));
      }),
      { numRuns: 150 },
    );
    assert.ok(events > 5, `the generator should produce events, got ${events}`);
  });

  it('liquidations pushed before trades of the same sub-bar give the same events', () => {
    fc.assert(
      fc.property(rowsArb, ({ trades, liqs }) => {
        const out: AbsorptionEvent[] = [];
        const op = new AbsorptionOperator(PROP, (e) => out.push(e));
        const tr = columns(trades);
        const lq = columns(liqs);
        // Per sub-bar: all its liquidations first, then its trades.
        let i = 0;
        let j = 0;
        while (i < tr.length || j < lq.length) {
          const k = Math.floor(Math.min(i < tr.length ? tr.ts[i] : Infinity, j < lq.length ? lq.ts[j] : Infinity) / 1000);
          const j0 = j;
          while (j < lq.length && Math.floor(lq.ts[j] / 1000) === k) j++;
          const i0 = i;
          while (i < tr.length && Math.floor(tr.ts[i] / 1000) === k) i++;
          op.pushLiquidations(lq, j0, j);
          op.pushTrades(tr, i0, i);
        }
        op.flush();
        assert.deepStrictEqual(out, absorptionBatch(tr, lq, PROP));
      }),
      { numRuns: 100 },
    );
  });

  it('causality: appending later events never changes an event at or before the cut', () => {
    fc.assert(
      fc.property(rowsArb, rowsArb, fc.double({ min: 0, max: 1, noNaN: true }), (a, b, f) => {
        const cut = a.trades[Math.floor(f * (a.trades.length - 1))][0];
        const keep = (rs: readonly Row[]) => rs.filter((r) => r[0] <= cut);
        const shift = (rs: readonly Row[]): Row[] => rs.map(([ts, ...rest]) => [ts - D + cut + 1, ...rest] as unknown as Row);
        const prefix = absorptionBatch(columns(keep(a.trades)), columns(keep(a.liqs)), PROP).filter((e) => e.ts <= cut);
        const full = absorptionBatch(columns([...keep(a.trades), ...shift(b.trades)]), columns([...keep(a.liqs), ...shift(b.liqs)]), PROP).filter((e) => e.ts <= cut);
        assert.deepStrictEqual(full, prefix);
      }),
      { numRuns: 100 },
    );
  });
});

describe('absorption: the median of past windows by selection', () => {
  it('selectRank gives the sorted value of every rank and partitions around it, for any values with repeats', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.integer({ min: 0, max: 5 }).map((x) => x / 4), fc.double({ min: 0, max: 1e6, noNaN: true })), { minLength: 1, maxLength: 80 }), (xs) => {
        const sorted = Float64Array.from(xs).sort();
        for (let r = 0; r < xs.length; r++) {
          const a = Float64Array.from(xs);
          const v = selectRank(a, xs.length, r);
          assert.equal(v, sorted[r]);
          for (let i = 0; i < xs.length; i++) assert.ok(i < r ? a[i] <= v : i > r ? a[i] >= v : a[i] === v, `rank ${r}, position ${i}`);
          assert.deepEqual(Float64Array.from(a).sort(), sorted, 'a permutation');
        }
      }),
      { numRuns: 300 },
    );
  });
});
