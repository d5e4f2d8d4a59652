import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { BookColumns, TradeColumns } from '../../src/core/columns.ts';
import type { BookEvent } from '../../src/core/events.ts';
import { createRng, type Rng } from '../../src/engine/random.ts';
import { bookColumns } from '../../src/features/book.ts';
import { marketColumns, readFileEvents } from '../../src/sim/capture-columns.ts';
import {
  autocorrelation,
  bookFacts,
  clusteringFacts,
  gridLogReturns,
  hillTailIndex,
  interTradeFacts,
  liquidationFacts,
  MarketColumnsBuilder,
  returnFacts,
  stylizedFacts,
  tradeSizeFacts,
} from '../../src/sim/stylized-facts.ts';
import { loadBundledInstruments } from '../../src/venues/bundled-instruments.ts';
import { realFile } from '../helpers/real-data.ts';

function normal(rng: Rng): number {
  // Box-Muller; 1 - u keeps the log finite.
  return Math.sqrt(-2 * Math.log(1 - rng.nextFloat())) * Math.cos(2 * Math.PI * rng.nextFloat());
}

function pareto(rng: Rng, alpha: number, n: number): Float64Array {
  return Float64Array.from({ length: n }, () => (1 - rng.nextFloat()) ** (-1 / alpha));
}

/** Trades at price 1, so a print's notional is its qty. */
function tradesOf(qty: ArrayLike<number>, ts?: ArrayLike<number>, price?: ArrayLike<number>): TradeColumns {
  const n = qty.length;
  return {
    length: n,
    ts: Float64Array.from({ length: n }, (_, i) => ts?.[i] ?? i),
    price: Float64Array.from({ length: n }, (_, i) => price?.[i] ?? 1),
    qty: Float64Array.from(qty),
    side: new Int8Array(n).fill(1),
    venue: new Uint8Array(n),
    venues: ['binance'],
  };
}

describe('trade sizes', () => {
  it('estimates the tail index of Pareto sizes near alpha (Hill)', () => {
    const rng = createRng('hill');
    for (const alpha of [1.5, 3]) {
      const x = pareto(rng, alpha, 20_000);
      const est = hillTailIndex(x, 1000);
      assert.ok(Math.abs(est - alpha) < 0.1 * alpha, `alpha ${alpha}: Hill gave ${est}`);
    }
  });

  it('puts about p(1 + ln(1/p)) of the volume in the top p of exponential sizes, far more for Pareto(1.5)', () => {
    const rng = createRng('shares');
    const exp = Float64Array.from({ length: 50_000 }, () => -Math.log(1 - rng.nextFloat()));
    const e = tradeSizeFacts(tradesOf(exp));
    assert.ok(Math.abs(e.top1Share - 0.01 * (1 + Math.log(100))) < 0.005, `exp top1 ${e.top1Share}`);
    assert.ok(Math.abs(e.top10Share - 0.1 * (1 + Math.log(10))) < 0.01, `exp top10 ${e.top10Share}`);
    assert.ok(Math.abs(e.medianNotional - Math.LN2) < 0.02, `exp median ${e.medianNotional}`);
    assert.ok(Math.abs(e.p99Notional - Math.log(100)) < 0.15, `exp p99 ${e.p99Notional}`);
    const p = tradeSizeFacts(tradesOf(pareto(rng, 1.5, 50_000)));
    assert.ok(p.top1Share > 0.15, `pareto top1 ${p.top1Share}`);
    assert.ok(Math.abs(p.hillAlpha - 1.5) < 0.15, `pareto hill ${p.hillAlpha} (k=${p.hillK})`);
    assert.equal(p.hillK, 2500);
  });

  it('measures notional as price x qty, and equal prints share volume evenly', () => {
    const f = tradeSizeFacts(tradesOf(new Float64Array(200).fill(0.5), undefined, new Float64Array(200).fill(60_000)));
    assert.equal(f.top1Share, 2 / 200);
    assert.equal(f.top10Share, 20 / 200);
    assert.equal(f.medianNotional, 30_000);
    assert.equal(f.p99Notional, 30_000);
    assert.ok(Number.isNaN(f.hillAlpha), 'no tail when every size is equal');
  });

  it('gives NaN below 100 prints (shares) and 200 prints (Hill)', () => {
    const few = tradeSizeFacts(tradesOf(pareto(createRng(1), 2, 99)));
    assert.ok(Number.isNaN(few.top1Share) && Number.isNaN(few.medianNotional) && Number.isNaN(few.hillAlpha));
    const mid = tradeSizeFacts(tradesOf(pareto(createRng(2), 2, 199)));
    assert.ok(Number.isFinite(mid.top1Share) && Number.isNaN(mid.hillAlpha));
    assert.ok(Number.isNaN(hillTailIndex([1, 2, 3], 3)), 'k must leave a threshold value');
  });
});

describe('inter-trade times', () => {
  it('gives a coefficient of variation near 1 for Poisson arrivals', () => {
    const rng = createRng('poisson');
    let t = 0;
    const ts = Float64Array.from({ length: 20_000 }, () => (t += -50 * Math.log(1 - rng.nextFloat())));
    const f = interTradeFacts(ts);
    assert.ok(Math.abs(f.cv - 1) < 0.05, `cv ${f.cv}`);
    assert.ok(Math.abs(f.meanMs - 50) < 2, `mean ${f.meanMs}`);
    assert.ok(Math.abs(f.medianMs - 50 * Math.LN2) < 2, `median ${f.medianMs}`);
    assert.equal(f.zeroShare, 0);
  });

  it('counts zero gaps and sees bursts as cv > 1', () => {
    // Bursts of 5 prints at one timestamp, 1 s apart: 4 of every 5 gaps are 0.
    const ts = Float64Array.from({ length: 100 }, (_, i) => Math.floor(i / 5) * 1000);
    const f = interTradeFacts(ts);
    assert.equal(f.gaps, 99);
    assert.equal(f.zeroShare, 80 / 99);
    assert.equal(f.medianMs, 0);
    assert.ok(f.cv > 1.9, `cv ${f.cv}`);
  });

  it('gives NaN below 20 gaps', () => {
    assert.ok(Number.isNaN(interTradeFacts(Float64Array.from({ length: 20 }, (_, i) => i)).cv));
    assert.ok(Number.isFinite(interTradeFacts(Float64Array.from({ length: 21 }, (_, i) => i * i)).cv));
  });
});

describe('returns on a time grid', () => {
  it('samples the last print at or before each grid point', () => {
    const r = gridLogReturns([0, 400, 1000, 2500], [100, 101, 102, 99], 1000);
    assert.deepEqual(Array.from(r), [Math.log(102 / 100), 0]);
  });

  it('finds excess kurtosis near 0 for Gaussian returns and clearly positive for Student-t(4)', () => {
    const rng = createRng('kurt');
    const g = Float64Array.from({ length: 20_000 }, () => normal(rng) * 1e-4);
    const fg = returnFacts(g);
    assert.ok(Math.abs(fg.excessKurtosis) < 0.15, `gaussian ${fg.excessKurtosis}`);
    assert.ok(Math.abs(fg.std - 1e-4) < 3e-6, `std ${fg.std}`);
    const t4 = Float64Array.from({ length: 20_000 }, () => {
      let chi = 0;
      for (let k = 0; k < 4; k++) chi += normal(rng) ** 2;
      return normal(rng) / Math.sqrt(chi / 4);
    });
    assert.ok(returnFacts(t4).excessKurtosis > 2, `t4 ${returnFacts(t4).excessKurtosis}`);
  });

  it('gives NaN below 20 returns', () => {
    assert.ok(Number.isNaN(returnFacts(new Float64Array(19).fill(0.001)).std));
    assert.ok(Number.isNaN(returnFacts(new Float64Array(30)).excessKurtosis), 'flat returns have no kurtosis');
  });
});

describe('volatility clustering', () => {
  it('finds positive |r| autocorrelation in a GARCH(1,1) series and none in iid returns', () => {
    const rng = createRng('garch');
    const n = 20_000;
    const garch = new Float64Array(n);
    let v = 1e-8 / (1 - 0.1 - 0.85);
    for (let i = 0; i < n; i++) {
      garch[i] = Math.sqrt(v) * normal(rng);
      v = 1e-8 + 0.1 * garch[i] ** 2 + 0.85 * v;
    }
    const c = clusteringFacts(garch);
    assert.ok(c.absAcf1 > 0.1 && c.absAcf5 > 0.05 && c.absAcf20 > 0, JSON.stringify(c));
    assert.ok(Math.abs(c.rawAcf1) < 4 / Math.sqrt(n), `raw ${c.rawAcf1}`);
    const iid = clusteringFacts(Float64Array.from({ length: n }, () => normal(rng)));
    for (const x of [iid.absAcf1, iid.absAcf5, iid.absAcf20, iid.rawAcf1]) assert.ok(Math.abs(x) < 4 / Math.sqrt(n), JSON.stringify(iid));
  });

  it('gives -(n-1)/n at lag 1 for an alternating series, and NaN without 20 pairs', () => {
    const alt = Float64Array.from({ length: 40 }, (_, i) => (i % 2 ? 1 : -1));
    assert.ok(Math.abs(autocorrelation(alt, 1) + 39 / 40) < 1e-12);
    assert.ok(Number.isNaN(autocorrelation(alt, 21)));
    assert.ok(Number.isFinite(autocorrelation(alt, 20)));
  });
});

describe('liquidations during moves', () => {
  // 12 five-minute windows of 1 s trades; window 5 falls 2%, window 8 rises 1%, the rest drift
  // by a few 1e-5: the two large ones are the top decile.
  const STEP = 300_000;
  const increments = [1e-5, -2e-5, 3e-5, -1e-5, 2e-5, -0.02, 1e-5, -3e-5, 0.01, 2e-5, -1e-5, 3e-5];
  const ts: number[] = [0];
  const price: number[] = [100];
  let level = 0;
  for (let j = 0; j < 12; j++) {
    level += increments[j];
    for (let s = 1; s <= 300; s++) {
      ts.push(j * STEP + s * 1000);
      price.push(100 * Math.exp(level));
    }
  }
  const trades = tradesOf(new Float64Array(ts.length).fill(1), ts, price);
  /** [window, side] -> a liquidation of 1 at 100, 1 s into the window. */
  const liqs = (rows: [number, 1 | -1][]) => {
    const l = tradesOf(new Float64Array(rows.length).fill(1), rows.map(([j]) => j * STEP + 1000), new Float64Array(rows.length).fill(100));
    rows.forEach(([, side], i) => (l.side[i] = side));
    return l;
  };

  it('counts forced sells and buys in move and calm windows', () => {
    const f = liquidationFacts(trades, liqs([[1, 1], [1, 1], [5, -1], [5, -1], [5, -1], [5, -1], [5, -1], [5, -1], [5, 1], [10, -1]]));
    assert.equal(f.windows, 12);
    assert.equal(f.moveWindows, 2);
    assert.deepEqual([f.inMoves, f.moveSells, f.moveBuys, f.calmSells, f.calmBuys], [7, 6, 1, 1, 2]);
    assert.ok(Math.abs(f.rateRatio - 7 / 2 / (3 / 10)) < 1e-12);
    assert.ok(Math.abs(f.moveNotionalShare - 0.7) < 1e-12);
    assert.ok(Math.abs(f.withMoveShare - 6 / 7) < 1e-12, 'the sells go with the fall; the buy does not');
  });

  it('gives NaN below 10 windows or without liquidations', () => {
    const short = tradesOf(new Float64Array(100).fill(1), Float64Array.from({ length: 100 }, (_, i) => i * 25_000));
    assert.ok(Number.isNaN(liquidationFacts(short, liqs([[1, -1]])).rateRatio));
    assert.ok(Number.isNaN(liquidationFacts(trades, liqs([])).moveNotionalShare));
  });
});

describe('spread and depth near the touch', () => {
  const ev = (ts: number, isSnapshot: boolean, bids: [number, number][], asks: [number, number][], seq = NaN): BookEvent => ({
    type: 'book', venue: 'binance', symbol: 'BTCUSDT', ts, localTs: NaN, isSnapshot, bids, asks, seq,
  });
  const diffs = (from: number, to: number): BookEvent[] => {
    const out: BookEvent[] = [];
    for (let t = from; t <= to; t += 100) out.push(ev(t, false, [[95, t]], [], 10 + t));
    return out;
  };

  it('reads the rebuilt book every 100 ms: spread in ticks and bps, notional within 10 bps of the mid', () => {
    const b: BookColumns = bookColumns([
      ev(-50, false, [[100.05, 7]], [], 1), // before any snapshot: ignored
      ev(0, true, [[100, 2], [99.9, 3]], [[100.1, 1], [100.2, 4]], 10),
      ev(50, false, [[100, 0]], [], 5), // already in the snapshot (seq <= 10): dropped
      ...diffs(100, 1400),
      ev(1500, false, [], [[100.1, 0]], 2000), // the touch ask goes: 2 ticks from 1500 on
      ...diffs(1600, 2000),
    ]);
    const f = bookFacts(b, 0.1);
    assert.equal(f.samples, 20);
    assert.equal(f.badSamples, 0);
    assert.equal(f.spreadTicksMedian, 1);
    assert.equal(f.spreadTicksP90, 2);
    assert.ok(Math.abs(f.spreadBpsMedian - (0.1 / 100.05) * 1e4) < 1e-9);
    // Within 10 bps of 100.05: the bid at 100 and the ask at 100.1 (99.9 and 100.2 are beyond).
    assert.ok(Math.abs(f.depthMedian - (100 * 2 + 100.1 * 1)) < 1e-9, `depth ${f.depthMedian}`);
  });

  it('skips crossed samples and gives NaN below 10 samples', () => {
    const b = bookColumns([ev(0, true, [[100, 1]], [[100.1, 1]]), ev(100, false, [[100.2, 1]], []), ...diffs(200, 1000)]);
    const f = bookFacts(b, 0.1);
    assert.equal(f.samples, 1);
    assert.equal(f.badSamples, 9);
    assert.ok(Number.isNaN(f.spreadTicksMedian) && Number.isNaN(f.depthMedian));
    assert.ok(Number.isNaN(bookFacts(bookColumns([]), NaN).spreadBpsMedian), 'no book: NaN, whatever the tick');
  });
});

describe('events to columns', () => {
  it('keeps one venue and symbol and splits trades, liquidations and book', () => {
    const b = new MarketColumnsBuilder('okx', 'BTC-USDT-SWAP');
    const base = { venue: 'okx', symbol: 'BTC-USDT-SWAP', localTs: NaN, id: '' } as const;
    b.add({ ...base, type: 'trade', ts: 1, price: 10, qty: 2, side: 'sell' });
    b.add({ ...base, type: 'trade', venue: 'bybit', symbol: 'BTCUSDT', ts: 2, price: 11, qty: 1, side: 'buy' });
    b.add({ ...base, type: 'liquidation', ts: 3, price: 9, qty: 5, side: 'sell' });
    b.add({ ...base, type: 'book', ts: 4, isSnapshot: true, bids: [[9, 1]], asks: [[10, 2], [11, 3]], seq: 7 });
    const c = b.columns();
    assert.deepEqual([c.trades.length, c.trades.side[0], c.liquidations.qty[0], c.book.length], [1, -1, 5, 1]);
    assert.deepEqual(Array.from(c.book.levelStart), [0, 3]);
    assert.deepEqual(Array.from(c.book.side), [1, -1, -1]);
  });
});

describe('thin or odd data', () => {
  it('never throws: every figure is a number or NaN', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double({ min: 1, max: 1e5, noNaN: true }), fc.double({ min: 0, max: 10, noNaN: true })), { maxLength: 40 }), (rows) => {
        rows.sort((a, b) => a[0] - b[0]);
        const t = tradesOf(rows.map((r) => r[2]), rows.map((r) => r[0]), rows.map((r) => r[1]));
        const f = stylizedFacts({ venue: 'binance', symbol: 'X', trades: t, liquidations: t, book: bookColumns([]) }, 0.1);
        for (const v of [f.sizes.top1Share, f.gaps.cv, f.returns[0].returns.excessKurtosis, f.returns[1].clustering.absAcf1, f.liquidations.rateRatio]) assert.equal(typeof v, 'number');
      }),
    );
  });
});

describe('the real Binance BTCUSDT tape (10,000 prints, 2024-08-08 23:54-23:58)', () => {
  it('shows the stylized facts a Gaussian, Poisson, exponential-size market would not', async () => {
    const events = await readFileEvents(realFile('hftbacktest-binance-um-BTCUSDT-trade-20240808.txt'), loadBundledInstruments());
    const f = stylizedFacts(marketColumns('binance', 'BTCUSDT', events), 0.1);
    assert.equal(f.sizes.prints, 10_000);
    // Measured 27% and 69% (docs/SIMULATOR.md); exponential sizes give 5.6% and 33%.
    assert.ok(f.sizes.top1Share > 0.15, `top 1% carry ${f.sizes.top1Share}`);
    assert.ok(f.sizes.top10Share > 0.5, `top 10% carry ${f.sizes.top10Share}`);
    assert.ok(f.sizes.hillAlpha < 2.5, `Hill ${f.sizes.hillAlpha}`);
    // Measured cv 3.0; Poisson arrivals give 1.
    assert.ok(f.gaps.cv > 1.5, `cv ${f.gaps.cv}`);
    // 3.6 minutes hold only 21 ten-second returns (too few to judge); 500 ms returns: 436.
    const fine = f.returns.find((r) => r.stepMs === 500)!;
    assert.equal(fine.returns.returns, 436);
    // Measured 57; a Gaussian's sample kurtosis over 436 returns has a standard error of ~0.23.
    assert.ok(fine.returns.excessKurtosis > 2, `kurtosis ${fine.returns.excessKurtosis}`);
    // Measured 0.149: above the 95% band of an iid series, 2 / sqrt(436) = 0.096.
    assert.ok(fine.clustering.absAcf1 > 2 / Math.sqrt(436), `|r| acf1 ${fine.clustering.absAcf1}`);
  });
});

describe('reading a capture for the realism figures', () => {
  it('names the file and line of a bad row', async () => {
    const dir = mkdtempSync(`${tmpdir()}/realism-`);
    const good = '1723161255088176367 {"stream":"btcusdt@trade","data":{"e":"trade","E":1723161256322,"T":1723161256322,"s":"BTCUSDT","t":5266583935,"p":"61800.30","q":"0.006","X":"MARKET","m":false}}';
    writeFileSync(`${dir}/cap.txt`, `${good}\n${good.replace('"p":"61800.30"', '"p":"sixty"')}\n`);
    try {
      await assert.rejects(readFileEvents(`${dir}/cap.txt`, loadBundledInstruments()), (e: Error) => /cap\.txt:cap\.txt:2: .*field data\.p, value "sixty"/.test(e.message));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
