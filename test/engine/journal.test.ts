import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DEFAULT_HORIZONS_MS, PredictionJournal, type PredictionInput, type PredictionJournalOptions } from '../../src/engine/journal.ts';
import type { HorizonOutcome, JournalReport } from '../../src/engine/run-types.ts';

const close = (a: number | null, b: number, tol = 1e-9, msg?: string): void => {
  assert.ok(a !== null && Math.abs(a - b) <= tol, msg ?? `${a} vs ${b}`);
};
const M = 60_000;
const bps = (x: number): number => 1e4 * Math.log(x);

const pred = (id: number, ts: number, direction: 'long' | 'short', level: number, extra: Partial<PredictionInput> = {}): PredictionInput => ({
  id,
  ts,
  direction,
  level,
  type: 'absorption',
  venue: 'binance',
  session: 'europe',
  ...extra,
});

/** Outcome without the numbers, for compact assertions. */
const flags = (o: HorizonOutcome): [boolean, boolean, boolean, boolean | null] => [o.touched, o.rejected, o.brokeThrough, o.hit];

describe('journal: options', () => {
  it('defaults', () => {
    const j = new PredictionJournal();
    assert.deepEqual(j.horizonsMs, [5 * M, 15 * M, 60 * M, 240 * M]);
    assert.deepEqual(DEFAULT_HORIZONS_MS, j.horizonsMs);
    assert.equal(j.touchToleranceBps, 5);
    assert.equal(j.rejectBps, 20);
    assert.equal(j.breakBps, 10);
    assert.deepEqual(new PredictionJournal({ horizonsMs: [900, 100, 300] }).horizonsMs, [100, 300, 900], 'sorted');
  });

  it('RangeError naming the bad option', () => {
    const bad: [PredictionJournalOptions, RegExp][] = [
      [{ horizonsMs: [] }, /horizonsMs/],
      [{ horizonsMs: [0] }, /horizonsMs/],
      [{ horizonsMs: [1.5] }, /horizonsMs/],
      [{ horizonsMs: [5, 5] }, /horizonsMs/],
      [{ horizonsMs: [NaN] }, /horizonsMs/],
      [{ touchToleranceBps: -1 }, /touchToleranceBps/],
      [{ touchToleranceBps: NaN }, /touchToleranceBps/],
      [{ rejectBps: 5 }, /rejectBps/], // not > touch tolerance (5)
      [{ rejectBps: Infinity }, /rejectBps/],
      [{ breakBps: -0.1 }, /breakBps/],
    ];
    for (const [o, re] of bad) assert.throws(() => new PredictionJournal(o), (e: unknown) => e instanceof RangeError && re.test(e.message), JSON.stringify(o));
  });
});

describe('journal: hand-computed scenarios', () => {
  // Thresholds for level 100 with the defaults (log bps, docs/JOURNAL.md):
  //   100 e^{+0.0005} = 100.050013, 100 e^{+0.0020} = 100.200200, 100 e^{-0.0010} = 99.900050
  //   100 e^{-0.0005} =  99.950012, 100 e^{-0.0020} =  99.800200, 100 e^{+0.0010} = 100.100050
  it('long: touch, rejection, then break (the worked example of docs/JOURNAL.md)', () => {
    const j = new PredictionJournal({ horizonsMs: [5 * M, 15 * M] });
    j.onTrade(0, 100.3);
    j.predict(pred(1, 0, 'long', 100));
    const trades: [number, number][] = [[1, 100.1], [2, 100.04], [3, 100.25], [4, 100.4], [5, 99.85], [10, 100.0], [15, 100.2]];
    for (const [t, p] of trades) j.onTrade(t * M, p);
    assert.equal(j.openCount, 0, 'left the open set once 15m resolved');
    j.finish(20 * M);
    const r = j.report();
    const p = r.predictions[0];
    assert.equal(p.refPrice, 100.3);
    const [o5, o15] = p.outcomes;
    // 5m window = trades at 1..4m: 100.04 <= 100.050013 touches, then 100.25 >= 100.200200 rejects.
    // Last price before 5m is 100.40: return = 1e4 ln(100.40 / 100.30) = +9.9651 bps, a hit.
    // MFE = the same (100.40 is the high); MAE = 1e4 ln(100.30 / 100.04) = 25.9559 bps.
    assert.deepEqual(flags(o5), [true, true, false, true]);
    assert.equal(o5.resolved, true);
    close(o5.returnBps, 9.96512289739, 1e-9);
    close(o5.mfeBps, 9.96512289739, 1e-9);
    close(o5.maeBps, 25.95588958472, 1e-9);
    // 15m window adds 99.85 (<= 99.900050: broke through) and 100.00; the trade at 15m itself is
    // not in it. Return = 1e4 ln(100.00 / 100.30) = -29.9551 (miss); MAE = 1e4 ln(100.30 / 99.85) = 44.9664.
    assert.deepEqual(flags(o15), [true, true, true, false]);
    close(o15.returnBps, -29.95508979798, 1e-9);
    close(o15.mfeBps, 9.96512289739, 1e-9);
    close(o15.maeBps, 44.96635106066, 1e-9);
  });

  it('short: the mirror (touch, rejection, then break)', () => {
    const j = new PredictionJournal({ horizonsMs: [5 * M, 15 * M] });
    j.onTrade(0, 99.7);
    j.predict(pred(1, 0, 'short', 100));
    const trades: [number, number][] = [[1, 99.9], [2, 99.96], [3, 99.75], [4, 99.6], [5, 100.15], [10, 100.0], [15, 99.8]];
    for (const [t, p] of trades) j.onTrade(t * M, p);
    j.finish(20 * M);
    const [o5, o15] = j.report().predictions[0].outcomes;
    // 99.96 >= 99.950012 touches, 99.75 <= 99.800200 rejects; return = 1e4 ln(99.70 / 99.60) = +10.0351 (hit);
    // MFE = the same; MAE = 1e4 ln(99.96 / 99.70) = 26.0443.
    assert.deepEqual(flags(o5), [true, true, false, true]);
    close(o5.returnBps, bps(99.7 / 99.6), 1e-12);
    close(o5.returnBps, 10.03512377240, 1e-9);
    close(o5.mfeBps, bps(99.7 / 99.6), 1e-12);
    close(o5.maeBps, 26.04428998959, 1e-9);
    // 100.15 >= 100.100050 breaks; return = 1e4 ln(99.70 / 100.00) = -30.0451 (miss); MAE = 1e4 ln(100.15 / 99.70) = 45.0339.
    assert.deepEqual(flags(o15), [true, true, true, false]);
    close(o15.returnBps, -30.04509020299, 1e-9);
    close(o15.mfeBps, 10.03512377240, 1e-9);
    close(o15.maeBps, 45.03385144035, 1e-9);
  });

  it('each outcome alone, long and short', () => {
    const j = new PredictionJournal({ horizonsMs: [10] });
    // id 1 long 100 from 100.3: never comes down (lowest 100.06 > 100.050013): not touched, a hit.
    j.onTrade(0, 100.3);
    j.predict(pred(1, 0, 'long', 100));
    for (const p of [100.06, 100.5]) j.onTrade(1, p);
    // id 2 long 100: touches at 100.0 (exactly the level), then breaks at 99.9 (<= 99.900050), no rejection.
    j.onTrade(20, 100.1);
    j.predict(pred(2, 20, 'long', 100));
    for (const p of [100.0, 99.9, 100.1]) j.onTrade(21, p);
    // id 3 long 100: touches (100.05 <= 100.050013), then 100.20 < 100.200200: no rejection, no break.
    j.onTrade(40, 100.2);
    j.predict(pred(3, 40, 'long', 100));
    for (const p of [100.05, 100.2]) j.onTrade(41, p);
    // id 4 long 100: 100.2002 is above the rejection line but comes before any touch: not a rejection.
    j.onTrade(60, 100.1);
    j.predict(pred(4, 60, 'long', 100));
    for (const p of [100.2003, 100.04]) j.onTrade(61, p);
    // id 5 short 100: never comes up (highest 99.95 < 99.950012); ends where it started: no hit.
    j.onTrade(80, 99.7);
    j.predict(pred(5, 80, 'short', 100));
    for (const p of [99.95, 99.7]) j.onTrade(81, p);
    // id 6 short 100: breaks at 100.11 (>= 100.100050) straight away; a later drop to 99.7 is no rejection.
    j.onTrade(100, 99.9);
    j.predict(pred(6, 100, 'short', 100));
    for (const p of [100.11, 99.7]) j.onTrade(101, p);
    // id 7 short 100: touches at 100.0 and rejects at 99.8 (<= 99.800200).
    j.onTrade(120, 99.9);
    j.predict(pred(7, 120, 'short', 100));
    for (const p of [100.0, 99.8]) j.onTrade(121, p);
    j.onTrade(200, 100);
    j.finish(200);
    const got = j.report().predictions.map((p) => flags(p.outcomes[0]));
    assert.deepEqual(got, [
      [false, false, false, true],
      [true, false, true, false],
      [true, false, false, false],
      [true, false, false, false],
      [false, false, false, false],
      [true, false, true, true],
      [true, true, false, true],
    ]);
  });

  it('horizon boundary: a trade exactly at ts + h resolves the horizon and is not in it', () => {
    const j = new PredictionJournal({ horizonsMs: [100] });
    j.onTrade(1000, 50);
    j.predict(pred(1, 1000, 'long', 49.9));
    j.onTrade(1099, 51); // in the window (ts < 1100)
    assert.equal(j.openCount, 1);
    j.onTrade(1100, 10); // ts = 1000 + 100: resolves with the price standing at the end (51), then is applied
    assert.equal(j.openCount, 0);
    const o = j.report().predictions[0].outcomes[0];
    assert.equal(o.resolved, true);
    assert.deepEqual(flags(o), [false, false, false, true], 'the crash at 1100 is not in the window');
    close(o.returnBps, bps(51 / 50), 1e-12);
    close(o.maeBps, 0, 0);
  });

  it('trades at the prediction time after predict() are in the window; the reference is the last trade before', () => {
    const j = new PredictionJournal({ horizonsMs: [10] });
    j.onTrade(5, 101);
    j.onTrade(7, 100.5);
    j.predict(pred(1, 7, 'long', 100));
    j.onTrade(7, 100); // same ms, later in the stream: touches
    j.finish(100);
    const p = j.report().predictions[0];
    assert.equal(p.refPrice, 100.5);
    assert.equal(p.outcomes[0].touched, true);
    close(p.outcomes[0].returnBps, bps(100 / 100.5), 1e-12);
  });

  it('a prediction advances the clock: due horizons of earlier predictions resolve without a trade', () => {
    const j = new PredictionJournal({ horizonsMs: [10] });
    j.onTrade(0, 100);
    j.predict(pred(1, 0, 'long', 99));
    j.predict(pred(2, 10, 'long', 99)); // 0 + 10 is due: 1 resolves with price 100 (no move: no hit)
    assert.equal(j.openCount, 1);
    const o = j.report().predictions[0].outcomes[0];
    assert.deepEqual([o.resolved, o.hit, o.returnBps], [true, false, 0]);
  });

  it('unresolved at the end: finish resolves horizons ending at or before endTs only', () => {
    const j = new PredictionJournal({ horizonsMs: [10, 20, 30] });
    j.onTrade(0, 100);
    j.predict(pred(1, 0, 'short', 100.5));
    j.onTrade(5, 100.48); // touches (>= 100.5 e^{-0.0005} = 100.449751)
    j.onTrade(15, 99); // 10 resolves before this: return 1e4 ln(100 / 100.48) < 0
    j.finish(20); // 20 ends exactly at endTs: resolved with 99; 30 is not covered
    assert.equal(j.openCount, 0);
    const r = j.report();
    const [a, b, c] = r.predictions[0].outcomes;
    assert.deepEqual([a.resolved, a.hit], [true, false]);
    close(a.returnBps, bps(100 / 100.48), 1e-12);
    assert.deepEqual([b.resolved, b.hit], [true, true]);
    close(b.returnBps, bps(100 / 99), 1e-12);
    assert.deepEqual([c.resolved, c.hit, c.returnBps], [false, null, null]);
    assert.equal(c.touched, true, 'what was seen so far is kept');
    close(c.mfeBps, bps(100 / 99), 1e-12);
    const n = r.hitRates.filter((h) => h.group === 'all').map((h) => [h.horizonMs, h.n, h.hitRate, h.ci, h.meanReturnBps, h.meanMfeBps]);
    assert.deepEqual(n[2], [30, 0, null, null, null, null], 'unresolved counts in no hit rate');
    assert.deepEqual(n.map((x) => x[1]), [1, 1, 0]);
  });

  it('report before finish: pending horizons show resolved false with the state so far', () => {
    const j = new PredictionJournal({ horizonsMs: [10, 20] });
    j.onTrade(0, 100);
    j.predict(pred(1, 0, 'long', 100));
    j.onTrade(3, 99.99);
    j.onTrade(12, 101);
    const [a, b] = j.report().predictions[0].outcomes;
    assert.equal(a.resolved, true);
    assert.deepEqual([b.resolved, b.touched, b.hit], [false, true, null]);
    close(b.mfeBps, bps(1.01), 1e-12);
    j.onTrade(25, 100);
    assert.equal(j.report().predictions[0].outcomes[1].resolved, true);
  });

  it('refuses what it cannot score honestly', () => {
    const j = new PredictionJournal({ horizonsMs: [10] });
    assert.throws(() => j.predict(pred(1, 0, 'long', 100)), /no reference price/);
    j.onTrade(10, 100);
    assert.throws(() => j.predict(pred(1, 9, 'long', 100)), (e: unknown) => e instanceof RangeError && /out of order/.test(e.message));
    assert.throws(() => j.onTrade(9, 100), RangeError);
    assert.throws(() => j.onTrade(11, 0), RangeError);
    assert.throws(() => j.onTrade(11, NaN), RangeError);
    j.predict(pred(1, 12, 'long', 100));
    assert.throws(() => j.onTrade(11, 100), /out of order/, 'no trade earlier than a prediction');
    assert.throws(() => j.predict(pred(1, 12, 'long', 100)), /duplicate id/);
    assert.throws(() => j.predict(pred(2, 12, 'long', -1)), /level/);
    assert.throws(() => j.predict({ ...pred(2, 12, 'long', 1), direction: 'up' as 'long' }), /direction/);
    assert.throws(() => j.onTrades(new Float64Array([13, 12]), new Float64Array([1, 1])), /trade 1 .*out of order/);
    assert.throws(() => j.onTrades(new Float64Array(2), new Float64Array(2), 1, 3), /bad range/);
    assert.throws(() => j.finish(11), RangeError);
    j.finish(13);
    assert.throws(() => j.onTrade(20, 1), /after finish/);
    assert.throws(() => j.finish(20), /twice/);
  });
});

describe('journal: hit-rate table', () => {
  it('Wilson 95% interval, groups and row order', () => {
    const j = new PredictionJournal({ horizonsMs: [10, 5] });
    // 10 longs from 100; 8 end higher (101), 2 lower (99), at both horizons.
    // types: ids 0..4 'divergence', 5..9 'absorption'; the two misses are ids 8, 9 (absorption).
    // venues alternate okx / binance; sessions: all 'asia'.
    let t = 0;
    for (let id = 9; id >= 0; id--) {
      // ids registered in reverse: the report lists them by id
      j.onTrade(t, 100);
      j.predict(pred(id, t, 'long', 95, { type: id < 5 ? 'divergence' : 'absorption', venue: id % 2 ? 'binance' : 'okx', session: 'asia' }));
      j.onTrade(t + 1, id >= 8 ? 99 : 101);
      t += 100;
    }
    j.finish(t);
    const r = j.report();
    assert.deepEqual(r.horizonsMs, [5, 10]);
    assert.deepEqual(r.predictions.map((p) => p.id), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(
      r.hitRates.map((h) => `${h.group}:${h.key}:${h.horizonMs}:${h.hits}/${h.n}`),
      [
        'all:all:5:8/10',
        'all:all:10:8/10',
        'type:absorption:5:3/5',
        'type:absorption:10:3/5',
        'type:divergence:5:5/5',
        'type:divergence:10:5/5',
        'session:asia:5:8/10',
        'session:asia:10:8/10',
        'venue:binance:5:4/5', // 1 3 5 7 9
        'venue:binance:10:4/5',
        'venue:okx:5:4/5', // 0 2 4 6 8
        'venue:okx:10:4/5',
      ],
    );
    const all = r.hitRates[0];
    assert.equal(all.hitRate, 0.8);
    // 8/10, z = 1.96: centre 0.716738, half 0.226582 -> [0.490156, 0.943320] (see stats.test.ts)
    close(all.ci!.lower, 0.490156, 1e-6);
    close(all.ci!.upper, 0.94332, 1e-6);
    // 5/5: lower = n / (n + z^2) = 5 / 8.8416 = 0.565508, upper 1
    const div = r.hitRates[4];
    close(div.ci!.lower, 5 / 8.8416, 1e-12);
    assert.equal(div.ci!.upper, 1);
    // means: return (8 ln 1.01 + 2 ln 0.99) / 10 in bps; MFE 8 ln 1.01 / 10; MAE 2 ln(1/0.99) / 10
    close(all.meanReturnBps, (8 * bps(1.01) + 2 * bps(0.99)) / 10, 1e-9);
    close(all.meanMfeBps, (8 * bps(1.01)) / 10, 1e-9);
    close(all.meanMaeBps, (2 * bps(1 / 0.99)) / 10, 1e-9);
    assert.deepEqual([all.touched, all.rejected, all.brokeThrough], [0, 0, 0]);
  });

  it('an empty journal still has the all rows', () => {
    const r = new PredictionJournal({ horizonsMs: [1, 2] }).report();
    assert.deepEqual(r.predictions, []);
    assert.deepEqual(
      r.hitRates.map((h) => [h.group, h.key, h.horizonMs, h.n, h.hitRate, h.ci]),
      [
        ['all', 'all', 1, 0, null, null],
        ['all', 'all', 2, 0, null, null],
      ],
    );
  });
});

// ---- properties ----

/** Prices on a log grid of 0.7 bp: never exactly on a threshold (5, 20, -10 bps), so float noise cannot flip an outcome. */
const STEP = 0.7e-4;
const priceOf = (k: number): number => 100 * Math.exp(k * STEP);
const HORIZONS = [3, 10, 40];

type Ev = { kind: 'trade'; ts: number; k: number } | { kind: 'pred'; ts: number; id: number; dir: 'long' | 'short'; kL: number; type: string; venue: string; session: string };

const stepArb = fc.record({
  dt: fc.integer({ min: 0, max: 3 }),
  dk: fc.integer({ min: -12, max: 12 }),
  pred: fc.option(
    fc.record({
      dt: fc.integer({ min: 0, max: 2 }),
      dir: fc.constantFrom('long' as const, 'short' as const),
      // level offset in grid steps, in the predicted direction: mostly on the side the level should hold (long: below)
      dL: fc.integer({ min: -35, max: 10 }),
      type: fc.constantFrom('absorption', 'divergence'),
      venue: fc.constantFrom('okx', 'binance', 'bybit'),
      session: fc.constantFrom('asia', 'us'),
    }),
    { freq: 3 },
  ),
});

type Step = typeof stepArb extends fc.Arbitrary<infer T> ? T : never;

/** A stream of trades and predictions in time order (each step is a trade, maybe followed by a prediction). */
function build(steps: readonly Step[], t0 = 0, k0 = 0, id0 = 0): Ev[] {
  const out: Ev[] = [];
  let ts = t0;
  let k = k0;
  let id = id0;
  for (const s of steps) {
    ts += s.dt;
    k += s.dk;
    out.push({ kind: 'trade', ts, k });
    if (s.pred) {
      ts += s.pred.dt;
      out.push({ kind: 'pred', ts, id: id++, dir: s.pred.dir, kL: k + (s.pred.dir === 'long' ? 1 : -1) * s.pred.dL, type: s.pred.type, venue: s.pred.venue, session: s.pred.session });
    }
  }
  return out;
}

const endOf = (evs: readonly Ev[]): number => (evs.length ? evs[evs.length - 1].ts : 0);

/** Feed one by one (chunks = null) or trades in chunks through onTrades. */
function run(evs: readonly Ev[], endTs: number, chunks: number[] | null = null, mirror = false): JournalReport {
  const j = new PredictionJournal({ horizonsMs: HORIZONS });
  const sign = mirror ? -1 : 1;
  const ts = new Float64Array(evs.length);
  const px = new Float64Array(evs.length);
  evs.forEach((e, i) => {
    ts[i] = e.ts;
    if (e.kind === 'trade') px[i] = priceOf(sign * e.k);
  });
  let c = 0;
  let i = 0;
  while (i < evs.length) {
    const e = evs[i];
    if (e.kind === 'pred') {
      const dir = mirror ? (e.dir === 'long' ? 'short' : 'long') : e.dir;
      j.predict({ id: e.id, ts: e.ts, direction: dir, level: priceOf(sign * e.kL), type: e.type, venue: e.venue, session: e.session });
      i++;
    } else if (chunks === null) {
      j.onTrade(e.ts, px[i]);
      i++;
    } else {
      let to = i;
      const want = chunks.length ? chunks[c++ % chunks.length] : 1;
      while (to < evs.length && to - i < want && evs[to].kind === 'trade') to++;
      j.onTrades(ts, px, i, to);
      i = to;
    }
  }
  j.finish(endTs);
  return j.report();
}

const scenario = fc.array(stepArb, { minLength: 1, maxLength: 60, size: 'medium' });

/**
 * Brute-force reference, straight from the definitions in docs/JOURNAL.md, in grid units: the
 * directed log distance of a trade from the level is s (k - kL) 0.7 bps; the window of horizon h
 * is the trades after the prediction with ts < ts0 + h; returns and excursions are s (k - kRef) 0.7.
 */
function reference(evs: readonly Ev[], end: number): Map<number, { resolved: boolean; touched: boolean; rejected: boolean; brokeThrough: boolean; ret: number | null; mfe: number; mae: number }[]> {
  const out = new Map<number, { resolved: boolean; touched: boolean; rejected: boolean; brokeThrough: boolean; ret: number | null; mfe: number; mae: number }[]>();
  evs.forEach((e, i) => {
    if (e.kind !== 'pred') return;
    const s = e.dir === 'long' ? 1 : -1;
    const kRef = (evs.slice(0, i).filter((x) => x.kind === 'trade').pop() as { k: number }).k;
    const rows = HORIZONS.map((h) => {
      const endH = e.ts + h;
      const win = evs.slice(i + 1).filter((x): x is Extract<Ev, { kind: 'trade' }> => x.kind === 'trade' && x.ts < endH);
      let touched = false;
      let rejected = false;
      let broke = false;
      for (const x of win) {
        const d = s * (x.k - e.kL) * 0.7;
        if (broke) continue;
        if (d <= -10) broke = touched = true;
        else if (touched && d >= 20) rejected = true;
        else if (d <= 5) touched = true;
      }
      const moves = win.map((x) => s * (x.k - kRef) * 0.7);
      const resolved = endH <= end || evs.slice(i + 1).some((x) => x.kind === 'trade' && x.ts >= endH);
      const kLast = win.length ? win[win.length - 1].k : kRef;
      return { resolved, touched, rejected, brokeThrough: broke, ret: resolved ? s * (kLast - kRef) * 0.7 : null, mfe: Math.max(0, ...moves), mae: Math.max(0, ...moves.map((m) => -m)) };
    });
    out.set(e.id, rows);
  });
  return out;
}

describe('journal: properties', () => {
  it('matches a brute-force reference built from the definitions', () => {
    const seen = { touched: 0, rejected: 0, brokeThrough: 0, hits: 0, misses: 0, unresolved: 0 };
    fc.assert(
      fc.property(scenario, fc.integer({ min: 0, max: 50 }), (steps, extra) => {
        const evs = build(steps);
        const end = endOf(evs) + extra;
        const ref = reference(evs, end);
        for (const p of run(evs, end).predictions) {
          p.outcomes.forEach((o, h) => {
            const want = ref.get(p.id)![h];
            assert.deepEqual([o.resolved, o.touched, o.rejected, o.brokeThrough], [want.resolved, want.touched, want.rejected, want.brokeThrough], `prediction ${p.id} horizon ${o.horizonMs}`);
            if (want.ret === null) assert.equal(o.returnBps, null);
            else close(o.returnBps, want.ret, 1e-7);
            close(o.mfeBps, want.mfe, 1e-7);
            close(o.maeBps, want.mae, 1e-7);
            if (!o.resolved) seen.unresolved++;
            else if (o.hit) seen.hits++;
            else seen.misses++;
            seen.touched += +o.touched;
            seen.rejected += +o.rejected;
            seen.brokeThrough += +o.brokeThrough;
          });
        }
      }),
      { numRuns: 200 },
    );
    // The generator reaches every outcome (else the properties below would be vacuous).
    for (const [k, v] of Object.entries(seen)) assert.ok(v > 0, `no ${k} generated`);
  });

  it('any chunking through onTrades gives the same report as onTrade one by one', () => {
    fc.assert(
      fc.property(scenario, fc.array(fc.integer({ min: 0, max: 7 }), { maxLength: 8 }), fc.integer({ min: 0, max: 30 }), (steps, chunks, extra) => {
        const evs = build(steps);
        const end = endOf(evs) + extra;
        assert.deepEqual(run(evs, end, chunks.map((x) => x + 1)), run(evs, end));
      }),
      { numRuns: 200 },
    );
  });

  it('no look-ahead: changing trades at or after T never changes an outcome whose horizon ends at or before T', () => {
    fc.assert(
      fc.property(scenario, scenario, fc.integer({ min: 0, max: 200 }), (steps, tail, cutPick) => {
        const evs = build(steps);
        const T = cutPick % (endOf(evs) + 2);
        const prefix = evs.filter((e) => e.ts < T);
        // A different future: other trades (and predictions) from T on.
        const last = [...prefix].reverse().find((e) => e.kind === 'trade');
        const other = [...prefix, ...build(tail, T, last && last.kind === 'trade' ? last.k + 13 : 5, 1000)];
        const end = Math.max(endOf(evs), endOf(other)) + 25; // both resolve everything
        const a = run(evs, end);
        const b = run(other, end);
        const byId = new Map(b.predictions.map((p) => [p.id, p]));
        for (const p of a.predictions) {
          if (p.ts >= T) continue;
          const q = byId.get(p.id)!;
          assert.equal(q.refPrice, p.refPrice);
          p.outcomes.forEach((o, i) => {
            if (p.ts + o.horizonMs > T) return;
            assert.equal(o.resolved, true);
            assert.deepEqual(q.outcomes[i], o, `prediction ${p.id} horizon ${o.horizonMs} (T = ${T})`);
          });
        }
      }),
      { numRuns: 200 },
    );
  });

  it('mirror symmetry: negated log-prices and swapped directions give the same touch/reject/break/hit', () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: 0, max: 30 }), (steps, extra) => {
        const evs = build(steps);
        const end = endOf(evs) + extra;
        const a = run(evs, end);
        const b = run(evs, end, null, true);
        a.predictions.forEach((p, i) => {
          const q = b.predictions[i];
          assert.notEqual(p.direction, q.direction);
          p.outcomes.forEach((o, h) => {
            const m = q.outcomes[h];
            assert.deepEqual([m.resolved, m.touched, m.rejected, m.brokeThrough, m.hit], [o.resolved, o.touched, o.rejected, o.brokeThrough, o.hit]);
            // In log-bps the numbers mirror too (up to rounding).
            if (o.returnBps === null) assert.equal(m.returnBps, null);
            else close(m.returnBps, o.returnBps, 1e-7);
            close(m.mfeBps, o.mfeBps, 1e-7);
            close(m.maeBps, o.maeBps, 1e-7);
          });
        });
      }),
      { numRuns: 200 },
    );
  });

  it('hit-rate rows are consistent: rates in [0, 1] inside their CI, counts add up', () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: 0, max: 30 }), (steps, extra) => {
        const evs = build(steps);
        const r = run(evs, endOf(evs) + extra);
        for (const p of r.predictions) {
          for (const o of p.outcomes) {
            assert.ok(o.mfeBps >= 0 && o.maeBps >= 0);
            if (o.rejected || o.brokeThrough) assert.ok(o.touched, 'rejection and break imply a touch');
            if (o.resolved) {
              assert.equal(o.hit, o.returnBps! > 0);
              assert.ok(o.returnBps! <= o.mfeBps + 1e-9 && -o.returnBps! <= o.maeBps + 1e-9);
            } else assert.deepEqual([o.hit, o.returnBps], [null, null]);
          }
        }
        for (const h of r.hitRates) {
          if (h.n === 0) {
            assert.deepEqual([h.hitRate, h.ci, h.meanReturnBps, h.meanMfeBps, h.meanMaeBps], [null, null, null, null, null]);
            continue;
          }
          assert.ok(h.hitRate! >= 0 && h.hitRate! <= 1);
          assert.ok(h.ci!.lower <= h.hitRate! && h.hitRate! <= h.ci!.upper);
          assert.ok(h.ci!.lower >= 0 && h.ci!.upper <= 1);
          assert.ok(h.rejected <= h.touched && h.brokeThrough <= h.touched && h.touched <= h.n);
        }
        for (const g of ['type', 'session', 'venue'] as const) {
          for (const hz of HORIZONS) {
            const all = r.hitRates.find((h) => h.group === 'all' && h.horizonMs === hz)!;
            const parts = r.hitRates.filter((h) => h.group === g && h.horizonMs === hz);
            assert.equal(parts.reduce((s, h) => s + h.n, 0), all.n);
            assert.equal(parts.reduce((s, h) => s + h.hits, 0), all.hits);
          }
        }
        const resolved = r.predictions.filter((p) => p.outcomes[0].resolved).length;
        assert.equal(r.hitRates[0].n, resolved);
      }),
      { numRuns: 200 },
    );
  });
});
