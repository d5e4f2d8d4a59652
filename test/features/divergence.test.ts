import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { TradeColumns } from '../../src/core/columns.ts';
import { cvdBatch } from '../../src/features/cvd.ts';
import { DivergenceOperator, divergenceBatch, type DivergenceEvent, type DivergenceOptions } from '../../src/features/divergence.ts';
import { OutOfOrderError } from '../../src/features/operator.ts';
import { HOUR_MS, MINUTE_MS } from '../../src/features/timeframe.ts';
import { columns, cuts, slice, type Row } from './trades.ts';

const D = Date.UTC(2026, 0, 1);
const BUY = 1;
const SELL = -1;

function incremental(c: TradeColumns, opts: DivergenceOptions, at: readonly number[] = []): DivergenceEvent[] {
  const out: DivergenceEvent[] = [];
  const op = new DivergenceOperator(opts, (e) => out.push(e));
  const bounds = [0, ...at, c.length];
  for (let i = 0; i + 1 < bounds.length; i++) op.push(slice(c, bounds[i], bounds[i + 1]));
  op.flush();
  return out;
}

/**
 * One bar per [delta, price] of `tf` from `start`: a single trade of |delta| at the price on the
 * delta's side, or a buy and a sell of 1 for delta 0. Every bar's first price is its close, so
 * the first bar's return is 0.
 */
function barRows(bars: readonly (readonly [number, number])[], tf = MINUTE_MS, start = D): Row[] {
  const rows: Row[] = [];
  bars.forEach(([delta, price], i) => {
    const t = start + i * tf + 1000;
    if (delta > 0) rows.push([t, price, delta, BUY]);
    else if (delta < 0) rows.push([t, price, -delta, SELL]);
    else rows.push([t, price, 1, BUY], [t + 1, price, 1, SELL]);
  });
  return rows;
}

const SMALL: DivergenceOptions = { timeframesMs: [MINUTE_MS], window: 3, lookback: 3 };

function both(rows: readonly Row[], opts: DivergenceOptions): DivergenceEvent[] {
  const c = columns(rows);
  const batch = divergenceBatch(c, opts);
  assert.deepStrictEqual(incremental(c, opts, [1]), batch);
  return batch;
}

describe('divergence: hand-computed events', () => {
  it('rising CVD with flat price emits buy_flow_no_rise at the third bar close, once until the condition clears', () => {
    const flat = (d: number) => [d, 100] as const;
    const ev = both(barRows([1, 1, 1, 1, -1, 1, 1, 1].map(flat)), SMALL);
    // Bar 3: deltas 1,1,1 -> rms 1, cvd_z = 3 / (1 x sqrt 3); price unchanged -> price_z 0.
    // Bar 4: still true (debounced). Bar 5 window 1,1,-1: cvd_z = 1/sqrt(3) clears. Bar 8: 1,1,1 again.
    const at = (bar: number, start: number): DivergenceEvent => ({
      ts: D + bar * MINUTE_MS,
      timeframe_ms: MINUTE_MS,
      direction: 'buy_flow_no_rise',
      cvd_z: 3 / Math.sqrt(3),
      price_z: 0,
      window_delta: 3,
      window_volume: 3,
      window_return_bps: 0,
      one_sided_share: 1,
      window_start_ms: D + start * MINUTE_MS,
      window_end_ms: D + bar * MINUTE_MS,
      close: 100,
    });
    assert.deepStrictEqual(ev, [at(3, 0), at(8, 5)]);
  });

  it('price rising with CVD rising emits nothing; a strong fall under buying is not "price flat"', () => {
    assert.deepStrictEqual(both(barRows([[1, 100], [1, 101], [1, 102], [1, 103], [1, 104]]), SMALL), []);
    // r = 0, ln 0.99, ln(98/99): price_z = sum / (rms x sqrt 3) = -1.41, outside the band of 0.5.
    // (The old one-sided rule, price_z <= 0, called this a flat-price divergence.)
    const falling = barRows([[1, 100], [1, 99], [1, 98]]);
    assert.deepStrictEqual(both(falling, SMALL), []);
    // Widening the band to 1.5 takes it in: the band, not the sign, decides.
    const ev = both(falling, { ...SMALL, priceBand: 1.5 });
    assert.equal(ev.length, 1);
    assert.equal(ev[0].direction, 'buy_flow_no_rise');
    const r = [0, Math.log(0.99), Math.log(98 / 99)];
    const rms = Math.sqrt(r.reduce((a, x) => a + x * x, 0) / 3);
    assert.ok(Math.abs(ev[0].price_z - (r[1] + r[2]) / (rms * Math.sqrt(3))) < 1e-12 && ev[0].price_z < -1.4);
    assert.ok(Math.abs(ev[0].window_return_bps - 1e4 * Math.log(0.98)) < 1e-9);
  });

  it('a small move either way inside the band is flat price: buying with a slight rise or fall emits', () => {
    // A noisy lookback (+-1% bars), then three buy bars moving +0.1%, -0.1%, +0.1%: price_z is
    // small and positive, which the old rule (price_z <= 0) rejected.
    const lookback = { timeframesMs: [MINUTE_MS], window: 3, lookback: 6 };
    const bars: [number, number][] = [[-1, 100], [1, 101], [-1, 100], [1, 100.1], [1, 100], [1, 100.1]];
    const ev = both(barRows(bars), lookback);
    assert.equal(ev.length, 1);
    const e = ev[0];
    assert.equal(e.direction, 'buy_flow_no_rise');
    assert.equal(e.ts, D + 6 * MINUTE_MS);
    assert.ok(e.price_z > 0 && e.price_z <= 0.5, String(e.price_z));
    // The mirror: selling while price edges down inside the band is flat too.
    const sells = both(barRows(bars.map(([d, p]) => [-d, 200 - p] as [number, number])), lookback);
    assert.deepStrictEqual(sells.map((x) => [x.direction, x.ts]), [['sell_flow_no_fall', D + 6 * MINUTE_MS]]);
    assert.ok(sells[0].price_z < 0 && sells[0].price_z >= -0.5);
    // A band of 0 accepts only an unchanged price.
    assert.deepStrictEqual(both(barRows(bars), { ...lookback, priceBand: 0 }), []);
  });

  it('refuses a negative or non-finite price band', () => {
    for (const priceBand of [-0.1, NaN, Infinity]) assert.throws(() => divergenceBatch(columns([]), { ...SMALL, priceBand }), RangeError);
  });

  it('mirror: falling CVD with rising price is outside the default band; a wide band emits sell_flow_no_fall; falling price with selling emits nothing', () => {
    const rising = barRows([[-1, 100], [-1, 101], [-1, 102]]);
    assert.deepStrictEqual(both(rising, SMALL), [], 'price_z 1.41 is a strong rise, not flat');
    const ev = both(rising, { ...SMALL, priceBand: 1.5 });
    assert.equal(ev.length, 1);
    const e = ev[0];
    assert.equal(e.direction, 'sell_flow_no_fall');
    assert.equal(e.ts, D + 3 * MINUTE_MS);
    assert.equal(e.cvd_z, -3 / Math.sqrt(3));
    assert.equal(e.window_delta, -3);
    assert.equal(e.one_sided_share, 1);
    // r = 0, ln(1.01), ln(102/101): price_z = sum / (rms x sqrt 3).
    const r = [0, Math.log(101 / 100), Math.log(102 / 101)];
    const rms = Math.sqrt(r.reduce((s, x) => s + x * x, 0) / 3);
    assert.ok(Math.abs(e.price_z - (r[1] + r[2]) / (rms * Math.sqrt(3))) < 1e-12 && e.price_z > 1);
    assert.ok(Math.abs(e.window_return_bps - 1e4 * Math.log(1.02)) < 1e-9);
    assert.deepStrictEqual(both(barRows([[-1, 100], [-1, 99], [-1, 98]]), SMALL), []);
  });

  it('one burst is not persistence: too few one-sided bars blocks the event', () => {
    // Deltas 10,10,10,0,0: cvd_z = 30 / (sqrt(300/5) x sqrt 5) = sqrt 3 >= 1.5, but only 3/5 bars are buys.
    const rows = barRows([10, 10, 10, 0, 0].map((d) => [d, 100] as const));
    const five = { timeframesMs: [MINUTE_MS], window: 5, lookback: 5 };
    assert.deepStrictEqual(both(rows, five), []);
    const ev = both(rows, { ...five, minShare: 0.6 });
    assert.equal(ev.length, 1);
    assert.equal(ev[0].one_sided_share, 0.6);
    assert.equal(ev[0].window_volume, 34);
  });

  it('the lookback sets the scale: small steady buying after large swings is not significant', () => {
    const rows = barRows([10, -10, 1, 1, 1].map((d) => [d, 100] as const));
    // L = 5: rms = sqrt(203 / 5), cvd_z = 3 / (6.37 x 1.73) = 0.27. L = 3: the window alone, cvd_z = sqrt 3.
    assert.deepStrictEqual(both(rows, { timeframesMs: [MINUTE_MS], window: 3, lookback: 5 }), []);
    assert.equal(both(rows, { timeframesMs: [MINUTE_MS], window: 3, lookback: 3 }).length, 1);
    // Warm-up: no event before `warmup` bars, even when the window already qualifies.
    const steady = barRows([1, 1, 1, 1].map((d) => [d, 100] as const));
    assert.deepStrictEqual(both(steady, { timeframesMs: [MINUTE_MS], window: 3, lookback: 5 }).map((e) => e.ts), []);
    assert.deepStrictEqual(both(steady, { timeframesMs: [MINUTE_MS], window: 3, lookback: 5, warmup: 4 }).map((e) => e.ts), [D + 4 * MINUTE_MS]);
  });

  it('with the defaults (15m, 1h, 1d; N 20, L 100, k 1.5, f 0.65, band 0.5) a planted buy-flow stall fires on 15m', () => {
    const tf = 15 * MINUTE_MS;
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648);
    const bars: [number, number][] = [];
    let price = 100;
    for (let i = 0; i < 150; i++) {
      price *= Math.exp((rnd() - 0.5) * 0.004);
      bars.push([Math.round((rnd() - 0.5) * 20), price]);
    }
    // 25 bars of buying (most bars, not all) while price holds (tiny wiggles around one level).
    for (let i = 0; i < 25; i++) bars.push([i % 5 === 4 ? -2 : 8, price * (1 + (i % 2) * 0.0002)]);
    const ev = both(barRows(bars, tf), {});
    assert.ok(ev.length >= 1);
    const planted = ev.filter((e) => e.ts > D + 150 * tf);
    assert.ok(planted.length >= 1 && planted.length <= 3, 'debounced: not one event per bar of the stall');
    for (const e of planted) {
      assert.equal(e.timeframe_ms, tf);
      assert.equal(e.direction, 'buy_flow_no_rise');
      assert.ok(e.cvd_z >= 1.5 && Math.abs(e.price_z) <= 0.5 && e.one_sided_share >= 0.65);
    }
    assert.ok(ev.every((e) => e.timeframe_ms !== 24 * HOUR_MS), 'two days of 1d bars are still warming up');
  });

  it('rejects trades before the open bar', () => {
    const op = new DivergenceOperator(SMALL, () => {});
    op.push(columns([[D + MINUTE_MS, 1, 1, BUY]]));
    assert.throws(() => op.push(columns([[D, 1, 1, BUY]])), OutOfOrderError);
    assert.throws(() => divergenceBatch(columns([[D + MINUTE_MS, 1, 1, BUY], [D, 1, 1, BUY]]), SMALL), OutOfOrderError);
  });
});

/**
 * Reference: bars rebuilt from scratch as objects, each event recomputed from array slices (no
 * rings, no running state but the debounce). Sums in the same order, so results are bit-equal.
 */
function reference(c: TradeColumns, o: DivergenceOptions): DivergenceEvent[] {
  const tfs = o.timeframesMs ?? [15 * MINUTE_MS, HOUR_MS, 24 * HOUR_MS];
  const N = o.window ?? 20;
  const L = o.lookback ?? 100;
  const W = o.warmup ?? L;
  const k = o.k ?? 1.5;
  const f = o.minShare ?? 0.65;
  const band = o.priceBand ?? 0.5;
  const only = o.venue === undefined ? -1 : c.venues.indexOf(o.venue);
  const found: { ev: DivergenceEvent; at: number; k: number }[] = [];
  tfs.forEach((tf, ki) => {
    type Bar = { open: number; buy: number; sell: number; first: number; last: number; at: number };
    const bars: Bar[] = [];
    for (let i = 0; i < c.length; i++) {
      if (o.venue !== undefined && c.venue[i] !== only) continue;
      const open = Math.floor(c.ts[i] / tf) * tf;
      let b = bars[bars.length - 1];
      if (!b || b.open !== open) {
        if (b) b.at = i;
        b = { open, buy: 0, sell: 0, first: c.price[i], last: 0, at: c.length };
        bars.push(b);
      }
      if (c.side[i] > 0) b.buy += c.qty[i];
      else b.sell += c.qty[i];
      b.last = c.price[i];
    }
    const d = bars.map((b) => b.buy - b.sell);
    const r = bars.map((b, i) => Math.log(b.last / (i === 0 ? b.first : bars[i - 1].last)));
    let armed = { buy: true, sell: true };
    bars.forEach((b, i) => {
      const m = Math.min(i + 1, L);
      if (m < W) return;
      const look = (a: number[]) => a.slice(i + 1 - m, i + 1);
      const win = (a: number[]) => a.slice(i + 1 - N, i + 1);
      const sq = (a: number[]) => a.reduce((s, x) => s + x * x, 0);
      const sum = (a: number[]) => a.reduce((s, x) => s + x, 0);
      const sdD = Math.sqrt(sq(look(d)) / m);
      const sdR = Math.sqrt(sq(look(r)) / m);
      const wd = sum(win(d));
      const wr = sum(win(r));
      const cz = sdD > 0 ? wd / (sdD * Math.sqrt(N)) : 0;
      const pz = sdR > 0 ? wr / (sdR * Math.sqrt(N)) : 0;
      const pos = win(d).filter((x) => x > 0).length;
      const neg = win(d).filter((x) => x < 0).length;
      const isBuy = cz >= k && pos / N >= f && Math.abs(pz) <= band;
      const isSell = cz <= -k && neg / N >= f && Math.abs(pz) <= band;
      const fire = (isBuy && armed.buy) || (isSell && armed.sell);
      armed = { buy: !isBuy, sell: !isSell };
      if (!fire) return;
      found.push({
        at: b.at,
        k: ki,
        ev: {
          ts: b.open + tf,
          timeframe_ms: tf,
          direction: isBuy ? 'buy_flow_no_rise' : 'sell_flow_no_fall',
          cvd_z: cz,
          price_z: pz,
          window_delta: wd,
          window_volume: sum(win(bars.map((x) => x.buy + x.sell))),
          window_return_bps: 1e4 * wr,
          one_sided_share: (isBuy ? pos : neg) / N,
          window_start_ms: bars[i + 1 - N].open,
          window_end_ms: b.open + tf,
          close: b.last,
        },
      });
    });
  });
  found.sort((a, b) => a.at - b.at || a.k - b.k);
  return found.map((x) => x.ev);
}

/** A small deterministic generator: fast-check's own values cluster at the bounds. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Trades of two venues in regimes: each step is a run of trades with a buy probability and a
 * price drift, so one-sided stretches with flat or opposite price are common.
 */
const tradesArb = fc
  .array(
    fc.record({
      n: fc.integer({ min: 1, max: 40 }),
      pBuy: fc.constantFrom(0.05, 0.5, 0.95),
      drift: fc.constantFrom(-2, 0, 0, 2),
      dt: fc.integer({ min: 1000, max: 40_000 }),
      seed: fc.integer(),
    }),
    { minLength: 1, maxLength: 40 },
  )
  .map((steps) => {
    let ts = D - HOUR_MS;
    let tick = 10_000;
    const rows: Row[] = [];
    for (const s of steps) {
      const rnd = mulberry32(s.seed);
      for (let j = 0; j < s.n; j++) {
        ts += Math.floor(s.dt * rnd() * 2);
        tick += s.drift * (rnd() < 0.6 ? 1 : -1) + (rnd() < 0.1 ? 1 : 0);
        // qty in 1/8 units: sums are exact, so venue filtering and reference sums agree to the bit.
        rows.push([ts, tick / 100, (1 + Math.floor(rnd() * 80)) / 8, rnd() < s.pBuy ? BUY : SELL, rnd() < 0.5 ? 0 : 1]);
      }
    }
    return rows;
  });

const optsArb = fc.record({
  timeframesMs: fc.constantFrom([MINUTE_MS], [MINUTE_MS, 5 * MINUTE_MS], [7 * MINUTE_MS, MINUTE_MS, 3 * MINUTE_MS]),
  window: fc.integer({ min: 2, max: 5 }),
  extra: fc.integer({ min: 0, max: 6 }),
  k: fc.constantFrom(0.8, 1.2, 1.5),
  minShare: fc.constantFrom(0.5, 0.65, 1),
  priceBand: fc.constantFrom(0, 0.5, 1.5),
  venue: fc.constantFrom(undefined, 'okx' as const),
});

function toOpts(o: { timeframesMs: readonly number[]; window: number; extra: number; k: number; minShare: number; priceBand: number; venue?: 'okx' }): DivergenceOptions {
  return { timeframesMs: o.timeframesMs, window: o.window, lookback: o.window + o.extra, warmup: o.window + (o.extra >> 1), k: o.k, minShare: o.minShare, priceBand: o.priceBand, venue: o.venue };
}

const fractions = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 6 });

describe('divergence: properties', () => {
  it('incremental equals batch for any chunking, and both equal a from-scratch reference', () => {
    let events = 0;
    fc.assert(
      fc.property(tradesArb, optsArb, fractions, (rows, o, fr) => {
        const c = columns(rows, ['binance', 'okx']);
        const opts = toOpts(o);
        const batch = divergenceBatch(c, opts);
        assert.deepStrictEqual(incremental(c, opts, cuts(c.length, fr)), batch);
        assert.deepStrictEqual(batch, reference(c, opts));
        events += batch.length;
      }),
      { numRuns: 200 },
    );
    assert.ok(events > 50, `the generator should produce events (got ${events})`);
  });

  it('window figures are those of the CVD bars (cvd.ts) the window covers', () => {
    fc.assert(
      fc.property(tradesArb, optsArb, (rows, o) => {
        const c = columns(rows, ['binance', 'okx']);
        const opts = toOpts(o);
        for (const e of divergenceBatch(c, opts)) {
          const bars = cvdBatch(c, { timeframeMs: e.timeframe_ms, venue: opts.venue }).filter((b) => b.open_time_ms >= e.window_start_ms && b.open_time_ms < e.window_end_ms);
          assert.equal(bars.length, opts.window);
          assert.equal(bars[bars.length - 1].open_time_ms + e.timeframe_ms, e.ts);
          assert.ok(Math.abs(bars.reduce((s, b) => s + b.delta, 0) - e.window_delta) < 1e-9);
          const signed = bars.filter((b) => (e.direction === 'buy_flow_no_rise' ? b.delta > 0 : b.delta < 0)).length;
          assert.equal(e.one_sided_share, signed / opts.window!);
        }
      }),
      { numRuns: 100 },
    );
  });

  it('causality: events only at bar close, and no later trade changes an earlier event', () => {
    fc.assert(
      fc.property(tradesArb, tradesArb, optsArb, fc.double({ min: 0, max: 1, noNaN: true }), (rows, other, o, cutAt) => {
        const opts = toOpts(o);
        const cut = Math.min(rows.length - 1, Math.floor(cutAt * rows.length));
        const T = rows[cut][0];
        // The same past, another future starting at the same time T.
        const shift = T - other[0][0];
        const alt = [...rows.slice(0, cut), ...other.map((r): Row => [r[0] + shift, r[1], r[2], r[3], r[4]])];
        const known = (rs: readonly Row[]) => divergenceBatch(columns(rs, ['binance', 'okx']), opts).filter((e) => e.ts <= T);
        assert.deepStrictEqual(known(alt), known(rows));
        // Pushed one trade at a time: each event appears at the first trade at or after its bar's close.
        const c = columns(rows, ['binance', 'okx']);
        // With a venue filter the operator sees only that venue's trades (okx is venue 1).
        const seenBy = (i: number) => opts.venue === undefined || c.venue[i] === 1;
        const seen: { e: DivergenceEvent; at: number }[] = [];
        let at = -1;
        let lastSeen = -Infinity;
        const op = new DivergenceOperator(opts, (e) => seen.push({ e, at }));
        for (let i = 0; i < c.length; i++) {
          at = i;
          op.push(c, i, i + 1);
          if (seenBy(i)) lastSeen = c.ts[i];
          if (i === cut - 1) assert.deepStrictEqual(seen.map((s) => s.e), known(rows).filter((e) => e.ts <= lastSeen), 'events known before the cut');
        }
        at = c.length;
        op.flush();
        for (const { e, at: i } of seen) {
          if (i === c.length) continue; // flush
          assert.ok(c.ts[i] >= e.ts, 'emitted no earlier than the bar close');
          let j = i - 1;
          while (j >= 0 && !seenBy(j)) j--;
          assert.ok(j >= 0 && c.ts[j] < e.ts, 'emitted by the first trade after the bar close');
        }
      }),
      { numRuns: 150 },
    );
  });
});

/** Elements held by an object graph: typed-array and array lengths plus object keys. */
function footprint(x: unknown, seen = new Set<unknown>()): number {
  if (x === null || typeof x !== 'object' || seen.has(x)) return 0;
  seen.add(x);
  if (ArrayBuffer.isView(x)) return (x as Float64Array).length;
  let n = Array.isArray(x) ? x.length : 0;
  for (const v of Object.values(x)) n += 1 + footprint(v, seen);
  return n;
}

describe('divergence: bounded state', () => {
  it('holds the same amount of state after 300 bars as after 20 000 bars per timeframe', () => {
    const opts: DivergenceOptions = { timeframesMs: [MINUTE_MS, 15 * MINUTE_MS], window: 20, lookback: 100 };
    const op = new DivergenceOperator(opts, () => {});
    const rows: Row[] = [];
    for (let i = 0; i < 20_000; i++) rows.push([D + i * MINUTE_MS, 100 + (i % 7), 1 + (i % 3), i % 4 === 0 ? SELL : BUY]);
    const c = columns(rows);
    op.push(c, 0, 300);
    const early = footprint(op);
    op.push(c, 300, c.length);
    assert.equal(footprint(op), early);
  });
});
