import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createRng } from '../../src/engine/random.ts';
import { computeMetrics, dailyCloses, DAY_MS, drawdownSeries, equityCurve, metricsToJson, parseMetricsJson, type BacktestMetrics, type ClosedTrade, type EquityPoint, type MetricsOptions } from '../../src/engine/metrics.ts';
import { wilsonInterval } from '../../src/engine/stats.ts';

const D = Date.UTC(2026, 0, 1);
const H = 3_600_000;
const close = (a: number | null, b: number, tol = 1e-9): void => assert.ok(a !== null && Math.abs(a - b) <= tol, `${a} vs ${b}`);

function trade(over: Partial<ClosedTrade> & Pick<ClosedTrade, 'id' | 'entryTs' | 'exitTs' | 'grossPnl'>): ClosedTrade {
  const fees = over.fees ?? 0;
  const funding = over.funding ?? 0;
  return {
    venue: 'binance', symbol: 'BTCUSDT', side: 'long', entryPrice: 100, exitPrice: 101, qty: 1, risk: 10,
    session: 'asia', signal: 'absorption', exitReason: 'target', liquidated: false,
    pnl: over.grossPnl - fees - funding, fees, funding, ...over,
  };
}

/** No NaN anywhere in a JSON-bound value. */
function assertNoNaN(v: unknown, path = '$'): void {
  if (typeof v === 'number') assert.ok(!Number.isNaN(v), `NaN at ${path}`);
  else if (Array.isArray(v)) v.forEach((x, i) => assertNoNaN(x, `${path}[${i}]`));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) assertNoNaN(x, `${path}.${k}`);
}

// Four trades over four UTC days (D .. D + 4d), initial equity 1000.
//  id venue   side  session signal      entry..exit        gross fees funding  pnl  risk  R
//  1  binance long  asia    absorption  D+1h  .. D+3h        60    4     1      55   25   2.2
//  2  okx     short europe  divergence  D+2h  .. D+5h       -30    3    -1     -32   20  -1.6
//  3  bybit   long  us      absorption  D+24h .. D+30h      -70    5     0     -75   50  -1.5  (liquidated)
//  4  binance short asia    divergence  D+48h .. D+60h      100    6     2      92   40   2.3
const T: ClosedTrade[] = [
  trade({ id: 1, venue: 'binance', side: 'long', session: 'asia', signal: 'absorption', entryTs: D + 1 * H, exitTs: D + 3 * H, grossPnl: 60, fees: 4, funding: 1, risk: 25 }),
  trade({ id: 2, venue: 'okx', side: 'short', session: 'europe', signal: 'divergence', entryTs: D + 2 * H, exitTs: D + 5 * H, grossPnl: -30, fees: 3, funding: -1, risk: 20 }),
  trade({ id: 3, venue: 'bybit', side: 'long', session: 'us', signal: 'absorption', entryTs: D + 24 * H, exitTs: D + 30 * H, grossPnl: -70, fees: 5, funding: 0, risk: 50, liquidated: true, exitReason: 'liquidation' }),
  trade({ id: 4, venue: 'binance', side: 'short', session: 'asia', signal: 'divergence', entryTs: D + 48 * H, exitTs: D + 60 * H, grossPnl: 100, fees: 6, funding: 2, risk: 40 }),
];
// Mark-to-market equity: peak 1055 at D+3h, trough 948 at D+30h, ends at 1040 (point at toMs counts).
const E: EquityPoint[] = [
  { ts: D + 3 * H, equity: 1055 },
  { ts: D + 5 * H, equity: 1023 },
  { ts: D + 30 * H, equity: 948 },
  { ts: D + 60 * H, equity: 1040 },
  { ts: D + 96 * H, equity: 1040 },
];
const OPTS: MetricsOptions = { initialEquity: 1000, fromMs: D, toMs: D + 4 * DAY_MS };

describe('metrics: hand-computed scenario', () => {
  const m = computeMetrics(T, E, OPTS);

  it('returns, CAGR and drawdown', () => {
    assert.equal(m.finalEquity, 1040);
    close(m.netReturn, 0.04, 1e-15); // 1040 / 1000 - 1
    assert.equal(m.spanDays, 4);
    close(m.cagr, Math.pow(1.04, 365 / 4) - 1, 1e-9); // 1.04^91.25 - 1 = 34.833746
    close(m.cagr, 34.833746, 1e-6);
    // peak 1055 (D+3h), trough 948 (D+30h): 107 quote, 107 / 1055 = 0.1014218; never back to 1055
    assert.deepEqual({ ...m.maxDrawdown, fraction: 0 }, { fraction: 0, quote: 107, peakTs: D + 3 * H, troughTs: D + 30 * H, recoveryTs: null });
    close(m.maxDrawdown.fraction, 107 / 1055, 1e-15);
  });

  it('daily Sharpe and Sortino from end-of-UTC-day equity', () => {
    // closes: day 0 -> 1023 (last point before D+24h), day 1 -> 948, day 2 -> 1040, day 3 -> 1040 (final)
    // r = [0.023, 948/1023 - 1 = -0.0733138, 1040/948 - 1 = 0.0970464, 0]
    // mean = 0.01168316, sample sd = 0.07018056, Sharpe = 0.01168316 / 0.07018056 * sqrt(365) = 3.180459
    // downside dev = sqrt(0.0733138^2 / 4) = 0.0366569, Sortino = 0.01168316 / 0.0366569 * sqrt(365) = 6.089071
    assert.deepEqual(dailyCloses(equityCurve(T, E, OPTS), OPTS).map((d) => [d.dayMs, d.equity]), [[D, 1023], [D + DAY_MS, 948], [D + 2 * DAY_MS, 1040], [D + 3 * DAY_MS, 1040]]);
    assert.equal(m.dailyReturnCount, 4);
    close(m.sharpe, 3.180459334927665, 1e-9);
    close(m.sortino, 6.0890709485953, 1e-9);
    // risk-free 5%/year: rf_d = 1.05^(1/365) - 1 = 0.000133681, excess mean / excess sd * sqrt(365) = 3.144068
    close(computeMetrics(T, E, { ...OPTS, riskFreeRate: 0.05 }).sharpe, 3.144067994491712, 1e-9);
  });

  it('trade statistics', () => {
    assert.equal(m.tradeCount, 4);
    assert.equal(m.netPnl, 40); // 55 - 32 - 75 + 92
    assert.deepEqual([m.wins, m.losses, m.winRate], [2, 2, 0.5]);
    const w = wilsonInterval(2, 4);
    assert.deepEqual(m.winRateCI, { lower: w.lower, upper: w.upper });
    assert.deepEqual([m.grossProfit, m.grossLoss], [147, 107]); // 55 + 92, 32 + 75
    assert.equal(m.profitFactor, 147 / 107);
    assert.equal(m.expectancy, 10); // 40 / 4
    close(m.avgR, 0.35, 1e-15); // (2.2 - 1.6 - 1.5 + 2.3) / 4
    assert.equal(m.rCount, 4);
    assert.equal(m.feesPaid, 18); // 4 + 3 + 5 + 6
    assert.equal(m.fundingPaid, 2); // 1 - 1 + 0 + 2
    assert.equal(m.liquidations, 1);
    // exposure: [1h, 3h) U [2h, 5h) = 4h, [24h, 30h) = 6h, [48h, 60h) = 12h -> 22h / 96h
    assert.equal(m.exposure, 22 / 96);
    assert.deepEqual(m.notes, []);
  });

  it('breakdowns by session, venue and signal', () => {
    assert.deepEqual(Object.keys(m.bySession), ['asia', 'europe', 'us']);
    assert.deepEqual(Object.keys(m.byVenue), ['binance', 'bybit', 'okx']);
    assert.deepEqual(Object.keys(m.bySignal), ['absorption', 'divergence']);
    const asia = m.bySession.asia; // trades 1 and 4: 55 + 92, no losses
    assert.deepEqual([asia.count, asia.wins, asia.winRate, asia.netPnl, asia.profitFactor, asia.avgR], [2, 2, 1, 147, Infinity, 2.25]);
    assert.deepEqual(asia.winRateCI, { lower: wilsonInterval(2, 2).lower, upper: 1 });
    assert.deepEqual(m.byVenue.binance, asia);
    const us = m.bySession.us; // trade 3
    assert.deepEqual([us.count, us.wins, us.winRate, us.netPnl, us.profitFactor, us.avgR, us.liquidations, us.fees], [1, 0, 0, -75, 0, -1.5, 1, 5]);
    assert.deepEqual([m.byVenue.okx.netPnl, m.byVenue.okx.funding], [-32, -1]);
    const abs = m.bySignal.absorption; // trades 1 and 3: PF 55 / 75, avgR (2.2 - 1.5) / 2
    assert.deepEqual([abs.count, abs.wins, abs.netPnl, abs.profitFactor], [2, 1, -20, 55 / 75]);
    close(abs.avgR, 0.35, 1e-15);
    const div = m.bySignal.divergence; // trades 2 and 4: PF 92 / 32 = 2.875
    assert.deepEqual([div.count, div.netPnl, div.profitFactor], [2, 60, 2.875]);
  });

  it('JSON: Infinity as "Infinity", no NaN, round trip', () => {
    const text = metricsToJson(m);
    assert.match(text, /"profitFactor":"Infinity"/);
    assert.ok(!text.includes('NaN'));
    assert.deepEqual(parseMetricsJson(text), m);
  });
});

describe('metrics: edge cases', () => {
  it('no trades and flat equity: nulls, not NaN, with reasons', () => {
    const m = computeMetrics([], [{ ts: D + DAY_MS, equity: 1000 }], { initialEquity: 1000, fromMs: D, toMs: D + 10 * DAY_MS });
    assert.deepEqual(
      [m.tradeCount, m.winRate, m.winRateCI, m.profitFactor, m.expectancy, m.avgR, m.netPnl, m.exposure, m.sharpe, m.sortino, m.netReturn, m.cagr],
      [0, null, null, null, null, null, 0, 0, null, null, 0, 0],
    );
    assert.deepEqual(m.maxDrawdown, { fraction: 0, quote: 0, peakTs: null, troughTs: null, recoveryTs: null });
    assert.deepEqual([m.bySession, m.byVenue, m.bySignal], [{}, {}, {}]);
    assert.ok(m.notes.some((n) => n.startsWith('sharpe: null')));
    assert.ok(m.notes.some((n) => n.startsWith('sortino: null')));
    assertNoNaN(m);
    assertNoNaN(JSON.parse(metricsToJson(m)));
  });

  it('no equity at all: curve is the initial equity, returns 0', () => {
    const m = computeMetrics([], [], { initialEquity: 500, fromMs: D, toMs: D + 3 * DAY_MS });
    assert.deepEqual([m.finalEquity, m.netReturn, m.dailyReturnCount, m.sharpe], [500, 0, 3, null]);
  });

  it('one winning trade, equity from trades (realized curve)', () => {
    // +50 at D+2d+1h on 1000: final 1050; closes 1000, 1000, 1050 -> r = [0, 0, 0.05]
    const t = trade({ id: 9, entryTs: D + 2 * DAY_MS, exitTs: D + 2 * DAY_MS + H, grossPnl: 52, fees: 2, risk: 25 });
    const opts = { initialEquity: 1000, fromMs: D, toMs: D + 3 * DAY_MS };
    const m = computeMetrics([t], [], opts);
    assert.deepEqual(equityCurve([t], [], opts), [{ ts: D, equity: 1000 }, { ts: D + 2 * DAY_MS + H, equity: 1050 }]);
    assert.deepEqual([m.finalEquity, m.tradeCount, m.wins, m.winRate, m.profitFactor, m.expectancy, m.avgR], [1050, 1, 1, 1, Infinity, 50, 2]);
    close(m.netReturn, 0.05, 1e-15);
    close(m.exposure, 1 / 72, 1e-15); // 1h of 72h
    // mean 0.05 / 3, sd = sqrt(((0.05/3)^2 * 2 + (0.1/3)^2) / 2) = 0.0288675; Sharpe = 0.57735 * sqrt(365)
    close(m.sharpe, (1 / Math.sqrt(3)) * Math.sqrt(365), 1e-9);
    assert.equal(m.sortino, null); // no down day
    assert.equal(m.maxDrawdown.fraction, 0);
    assert.ok(m.notes.some((n) => n.startsWith('equity curve empty')));
  });

  it('all losers', () => {
    const ts = [trade({ id: 1, entryTs: D, exitTs: D + H, grossPnl: -10 }), trade({ id: 2, entryTs: D + 2 * H, exitTs: D + 3 * H, grossPnl: -30, risk: 15 })];
    const m = computeMetrics(ts, [], { initialEquity: 100, fromMs: D, toMs: D + DAY_MS });
    // equity 100 -> 90 -> 60: drawdown 40 / 100, peak at D (start), trough D+3h
    assert.deepEqual([m.wins, m.losses, m.winRate, m.profitFactor, m.grossProfit, m.grossLoss, m.expectancy, m.avgR], [0, 2, 0, 0, 0, 40, -20, -1.5]);
    assert.equal(m.winRateCI!.lower, 0);
    assert.deepEqual(m.maxDrawdown, { fraction: 0.4, quote: 40, peakTs: D, troughTs: D + 3 * H, recoveryTs: null });
    close(m.netReturn, -0.4, 1e-15);
    assert.equal(m.cagr, Math.pow(0.6, 365) - 1); // one day: (60/100)^365 - 1, ~ -1
    assert.equal(m.sharpe, null); // one daily return
  });

  it('breakeven trades are neither wins nor losses; profit factor null without profit or loss', () => {
    const m = computeMetrics([trade({ id: 1, entryTs: D, exitTs: D + H, grossPnl: 0 })], [], { initialEquity: 100, fromMs: D, toMs: D + DAY_MS });
    assert.deepEqual([m.wins, m.losses, m.winRate, m.profitFactor, m.expectancy], [0, 0, 0, null, 0]);
  });

  it('span under one day: CAGR null with a reason', () => {
    const m = computeMetrics([], [{ ts: D + H, equity: 110 }], { initialEquity: 100, fromMs: D, toMs: D + 12 * H });
    assert.equal(m.cagr, null);
    close(m.netReturn, 0.1, 1e-15);
    assert.ok(m.notes.includes('cagr: null, span shorter than 1 day'));
  });

  it('equity reaching zero: drawdown 1, CAGR -1, Sharpe null', () => {
    const m = computeMetrics([], [{ ts: D + H, equity: 200 }, { ts: D + DAY_MS + H, equity: -5 }, { ts: D + 2 * DAY_MS + H, equity: 0 }], { initialEquity: 100, fromMs: D, toMs: D + 3 * DAY_MS });
    assert.deepEqual(m.maxDrawdown, { fraction: 1, quote: 205, peakTs: D + H, troughTs: D + DAY_MS + H, recoveryTs: null });
    assert.deepEqual([m.cagr, m.sharpe, m.sortino], [-1, null, null]);
    assert.ok(m.notes.some((n) => n.includes('equity reached 0')));
  });

  it('drawdown recovery time, equal highs move the peak time', () => {
    // 100 -> 120 (1h) -> 90 (2h) -> 120 (3h) -> 108 (4h) -> 125 (5h): max dd 30/120 from 1h to 2h, recovered at 3h
    const pts = [[1, 120], [2, 90], [3, 120], [4, 108], [5, 125]].map(([h, e]) => ({ ts: D + h * H, equity: e }));
    const m = computeMetrics([], pts, { initialEquity: 100, fromMs: D, toMs: D + DAY_MS });
    assert.deepEqual(m.maxDrawdown, { fraction: 0.25, quote: 30, peakTs: D + H, troughTs: D + 2 * H, recoveryTs: D + 3 * H });
    // the 108 dip is 12/120 = 0.1, peak at 3h (the later equal high)
    const s = drawdownSeries(pts, 100);
    assert.deepEqual(s.map((p) => [p.peak, p.drawdownQuote]), [[120, 0], [120, 30], [120, 0], [120, 12], [125, 0]]);
    assert.deepEqual(s.map((p) => p.drawdown), [0, 0.25, 0, 0.1, 0]);
    assert.deepEqual(drawdownSeries([{ ts: 1, equity: 50 }, { ts: 2, equity: 40 }]).map((p) => p.drawdown), [0, 0.2]);
    assert.deepEqual(drawdownSeries([{ ts: 1, equity: 50 }], 100).map((p) => p.drawdown), [0.5]);
  });

  it('days without points carry the last equity; points outside the window are ignored with a note', () => {
    const opts = { initialEquity: 100, fromMs: D + 12 * H, toMs: D + 3 * DAY_MS + 6 * H };
    const pts = [{ ts: D, equity: 1 }, { ts: D + 13 * H, equity: 110 }, { ts: D + 3 * DAY_MS + 1 * H, equity: 99 }, { ts: D + 4 * DAY_MS, equity: 1 }];
    const m = computeMetrics([], pts, opts);
    // days touched: D (partial), D+1, D+2, D+3 (partial): closes 110, 110, 110, 99
    assert.deepEqual(dailyCloses(equityCurve([], pts, opts), opts).map((d) => d.equity), [110, 110, 110, 99]);
    assert.equal(m.finalEquity, 99);
    assert.ok(m.notes.includes('2 equity point(s) outside [fromMs, toMs] ignored'));
    assert.equal(m.dailyReturnCount, 4);
  });

  it('exposure: overlaps merged, clipped to the window, zero-length trades count 0', () => {
    const ts = [
      trade({ id: 1, entryTs: D - 5 * H, exitTs: D + 2 * H, grossPnl: 1 }), // clipped to [0h, 2h)
      trade({ id: 2, entryTs: D + H, exitTs: D + 4 * H, grossPnl: 1 }), // merged -> [0h, 4h)
      trade({ id: 3, entryTs: D + 4 * H, exitTs: D + 6 * H, grossPnl: 1 }), // touching -> [0h, 6h)
      trade({ id: 4, entryTs: D + 10 * H, exitTs: D + 10 * H, grossPnl: 1 }), // zero length
      trade({ id: 5, entryTs: D + 20 * H, exitTs: D + 30 * H, grossPnl: 1 }), // clipped to [20h, 24h)
    ];
    const m = computeMetrics(ts, [], { initialEquity: 100, fromMs: D, toMs: D + DAY_MS });
    assert.equal(m.exposure, 10 / 24); // 6h + 4h
  });

  it('notes inconsistent pnl and trades without risk', () => {
    const bad = { ...trade({ id: 1, entryTs: D, exitTs: D + H, grossPnl: 10, fees: 1 }), pnl: 10, risk: 0 };
    const m = computeMetrics([bad, trade({ id: 2, entryTs: D, exitTs: D + H, grossPnl: 5, risk: 5 })], [], { initialEquity: 100, fromMs: D, toMs: D + DAY_MS });
    assert.ok(m.notes.includes('1 trade(s) with pnl != grossPnl - fees - funding'));
    assert.ok(m.notes.includes('avgR: 1 trade(s) without risk > 0 left out'));
    assert.deepEqual([m.avgR, m.rCount], [1, 1]);
  });

  it('rejects bad options', () => {
    assert.throws(() => computeMetrics([], [], { initialEquity: 0, fromMs: D, toMs: D + 1 }), RangeError);
    assert.throws(() => computeMetrics([], [], { initialEquity: 1, fromMs: D, toMs: D }), RangeError);
    assert.throws(() => computeMetrics([], [{ ts: D, equity: NaN }], { initialEquity: 1, fromMs: D, toMs: D + 1 }), RangeError);
  });
});

// Random trades: pnl components in 1/8 units so every sum is exact whatever the order.
const eighth = fc.integer({ min: -800, max: 800 }).map((k) => k / 8);
const tradeArb = fc
  .record({
    start: fc.integer({ min: -DAY_MS, max: 6 * DAY_MS }),
    dur: fc.integer({ min: 0, max: 2 * DAY_MS }),
    gross: eighth,
    fees: fc.integer({ min: 0, max: 40 }).map((k) => k / 8),
    funding: eighth,
    risk: fc.integer({ min: 0, max: 400 }).map((k) => k / 4),
    venue: fc.constantFrom('binance', 'okx', 'bybit'),
    session: fc.constantFrom('asia', 'europe', 'us'),
    signal: fc.constantFrom('absorption', 'divergence', 'cluster'),
    liquidated: fc.boolean(),
  })
  .map((r) => ({ ...r }));
const tradesArb = fc.array(tradeArb, { maxLength: 25 }).map((rs) =>
  rs.map((r, i) => trade({ id: i, entryTs: D + r.start, exitTs: D + r.start + r.dur, grossPnl: r.gross, fees: r.fees, funding: r.funding, risk: r.risk, venue: r.venue, session: r.session, signal: r.signal, liquidated: r.liquidated })),
);
const equityArb = fc.array(fc.record({ ts: fc.integer({ min: 0, max: 5 * DAY_MS }).map((t) => D + t), equity: fc.integer({ min: -4000, max: 40_000 }).map((k) => k / 8) }), { maxLength: 30 });
const WINDOW: MetricsOptions = { initialEquity: 1000, fromMs: D, toMs: D + 5 * DAY_MS };

describe('metrics: properties', () => {
  it('invariant to trade order (bitwise), and to equity order for distinct timestamps', () => {
    fc.assert(
      fc.property(tradesArb, equityArb, fc.integer(), (ts, eq, seed) => {
        const rng = createRng(seed);
        const distinct = [...new Map(eq.map((p) => [p.ts, p])).values()];
        const a = computeMetrics(ts, distinct, WINDOW);
        const b = computeMetrics(rng.shuffle([...ts]), rng.shuffle([...distinct]), WINDOW);
        assert.deepEqual(b, a);
      }),
      { numRuns: 100 },
    );
  });

  it('drawdown and exposure in [0, 1]; breakdown pnl sums to the total; daily returns compound to the net return', () => {
    fc.assert(
      fc.property(tradesArb, equityArb, (ts, eq) => {
        for (const m of [computeMetrics(ts, eq, WINDOW), computeMetrics(ts, [], WINDOW)]) {
          assert.ok(m.maxDrawdown.fraction >= 0 && m.maxDrawdown.fraction <= 1);
          assert.ok(m.exposure >= 0 && m.exposure <= 1);
          for (const by of [m.bySession, m.byVenue, m.bySignal] as BacktestMetrics['bySession'][]) {
            const groups = Object.values(by);
            assert.equal(groups.reduce((s, g) => s + g.netPnl, 0), m.netPnl);
            assert.equal(groups.reduce((s, g) => s + g.count, 0), m.tradeCount);
            assert.equal(groups.reduce((s, g) => s + g.liquidations, 0), m.liquidations);
            for (const g of groups) assert.ok(g.winRateCI!.lower <= g.winRate! && g.winRate! <= g.winRateCI!.upper);
          }
          assertNoNaN(m);
        }
        const curve = equityCurve(ts, eq, WINDOW);
        const days = dailyCloses(curve, WINDOW);
        if (days.every((d) => d.ret !== null)) {
          const growth = days.reduce((g, d) => g * (1 + d.ret!), 1);
          close(growth, curve[curve.length - 1].equity / 1000, 1e-9 * Math.max(1, Math.abs(growth)));
        }
        for (const p of drawdownSeries(curve)) assert.ok(p.drawdown >= 0 && p.drawdown <= 1 && p.drawdownQuote >= 0);
      }),
      { numRuns: 100 },
    );
  });
});
