import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, it } from 'node:test';
import vm from 'node:vm';
import { computeMetrics, DAY_MS, type EquityPoint } from '../../src/engine/metrics.ts';
import { buildChartData, lightweightChartsPath, MAX_SIGNAL_ROWS, renderReport, writeReport } from '../../src/engine/report.ts';
import { makeLogicalMapper, MAX_CHART_BARS } from '../../src/engine/report/chart-data.ts';
import { ERROR_HOOK_SCRIPT, PAGE_SCRIPT } from '../../src/engine/report/page-script.ts';
import type { HitRateRow, NullModelResult, RunBar, RunResult, RunSignal, RunTrade, WalkForwardFold, ZoneBand } from '../../src/engine/run-types.ts';
import { findChromium } from '../helpers/browser.ts';

const D = Date.UTC(2026, 0, 5);
const H = 3_600_000;
const HOSTILE = '</script><script>alert(1)</script>';
const HOSTILE_SIGNAL = 'absorption</script><script>alert(2)</script>';
const HOSTILE_VETO = 'venues disagree <img src=x onerror=alert(3)> & </script>';

function trade(over: Partial<RunTrade> & Pick<RunTrade, 'id' | 'entryTs' | 'exitTs' | 'grossPnl'>): RunTrade {
  const fees = over.fees ?? 1;
  const funding = over.funding ?? 0.5;
  return {
    venue: 'binance', symbol: HOSTILE, side: 'long', entryPrice: 2.5, exitPrice: 2.6, qty: 100, risk: 10,
    session: 'asia', signal: HOSTILE_SIGNAL, exitReason: 'target', liquidated: false,
    leverage: 3, stop: 2.4, target: 2.7, liquidationPrice: 1.7, signalId: over.id,
    pnl: over.grossPnl - fees - funding, fees, funding, ...over,
  };
}

function bars(n: number, from = D, stepMs = H): RunBar[] {
  return Array.from({ length: n }, (_, i) => {
    const mid = 2.5 + 0.2 * Math.sin(i / 6);
    return { ts: from + i * stepMs, open: mid - 0.01, high: mid + 0.03, low: mid - 0.03, close: mid + 0.01, volume: 1000 + i };
  });
}

function signals(n: number): RunSignal[] {
  return Array.from({ length: n }, (_, i) => ({
    id: i + 1, ts: D + i * 60_000, type: HOSTILE_SIGNAL, direction: i % 2 === 0 ? 'long' : 'short', level: 2.5,
    venue: 'bybit', session: 'europe', acted: i < 3, vetoReason: i < 3 ? null : HOSTILE_VETO,
    evidence: { cvd: 1.23456789, note: HOSTILE, missing: null },
  }));
}

const hitRate = (group: HitRateRow['group'], key: string, horizonMs: number, n: number, hits: number): HitRateRow => ({
  group, key, horizonMs, n, hits, hitRate: n > 0 ? hits / n : null, ci: n > 0 ? { lower: 0.2, upper: 0.8 } : null,
  touched: n, rejected: hits, brokeThrough: n - hits, meanReturnBps: 3.5, meanMfeBps: 20, meanMaeBps: 12,
});

const NULL_MODEL: NullModelResult = {
  kind: 'shuffled_times', seeds: 200, walkForward: false, realTrades: 12, realMeanR: 0.2,
  nullTrades: Array.from({ length: 200 }, (_, i) => (i === 0 ? 0 : 10)),
  nullMeanR: Array.from({ length: 200 }, (_, i) => (i === 0 ? null : (i - 100) / 500)),
  realNetReturn: 0.012,
  nullNetReturns: Array.from({ length: 200 }, (_, i) => (i - 100) / 2000),
  percentile: 0.61, pValue: 0.39,
  diffCI: { estimate: 1.5, lower: -2.1, upper: 4.8, confidence: 0.95, resamples: 2000, nanResamples: 0 },
  edge: false,
  verdict: 'Not distinguishable from chance: 39% of null runs did at least as well.',
};

const FOLDS: WalkForwardFold[] = [
  { inSample: { fromMs: D, toMs: D + DAY_MS }, outOfSample: { fromMs: D + DAY_MS, toMs: D + 2 * DAY_MS }, chosen: { threshold: 2, side: 'both' }, inSampleScore: 1.7, outOfSampleNetReturn: 0.01, outOfSampleTrades: 2 },
  { inSample: { fromMs: D + DAY_MS, toMs: D + 2 * DAY_MS }, outOfSample: { fromMs: D + 2 * DAY_MS, toMs: D + 3 * DAY_MS }, chosen: { threshold: 3, side: 'long' }, inSampleScore: 0.9, outOfSampleNetReturn: -0.004, outOfSampleTrades: 1 },
];

interface FixtureOptions {
  trades?: RunTrade[];
  bars?: RunBar[];
  warnings?: string[];
  nullModel?: NullModelResult | null;
  walkForward?: WalkForwardFold[] | null;
  signals?: RunSignal[];
  zones?: ZoneBand[];
  equity?: EquityPoint[];
  hitRates?: HitRateRow[];
}

const DEFAULT_TRADES: RunTrade[] = [
  trade({ id: 1, entryTs: D + 2 * H, exitTs: D + 6 * H, grossPnl: 40 }),
  trade({ id: 2, side: 'short', venue: 'okx', session: 'europe', entryTs: D + 26 * H, exitTs: D + 30 * H, grossPnl: -15, entryPrice: 2.6, exitPrice: 2.65, stop: 2.7, target: null, liquidationPrice: 3.4 }),
  trade({ id: 3, venue: 'bybit', session: 'us', entryTs: D + 50 * H + 1234, exitTs: D + 50 * H + 5678, grossPnl: -60, exitReason: 'liquidation', liquidated: true }),
];

function fixture(o: FixtureOptions = {}): RunResult {
  const trades = o.trades ?? DEFAULT_TRADES;
  const equity = o.equity ?? [];
  const fromMs = D;
  const toMs = D + 3 * DAY_MS;
  const metrics = computeMetrics(trades, equity, { initialEquity: 1000, fromMs, toMs });
  return {
    meta: {
      symbol: HOSTILE, venues: ['binance', 'okx', 'bybit'], fromMs, toMs, seed: 42, initialEquity: 1000,
      strategy: 'seed', config: { riskPct: 1, note: HOSTILE }, events: 123_456, ruinedAtMs: null,
      warnings: o.warnings ?? ['fees turned off', `sampled liquidation feed \u2028 ${HOSTILE}`],
    },
    metrics,
    trades,
    orders: [
      { id: 1, ts: D + 2 * H, arrivalTs: D + 2 * H + 50, venue: 'binance', symbol: HOSTILE, side: 'buy', type: 'market', qty: 100, price: null, reason: 'entry', status: 'filled', fillTs: D + 2 * H + 50, fillPrice: 2.5, fee: 0.5, slippageBps: 1.2, rejectReason: null },
      { id: 2, ts: D + 3 * H, arrivalTs: D + 3 * H + 50, venue: 'binance', symbol: HOSTILE, side: 'sell', type: 'limit', qty: 100, price: 2.7, reason: 'target', status: 'cancelled', fillTs: null, fillPrice: null, fee: 0, slippageBps: null, rejectReason: null },
    ],
    equity,
    bars: o.bars ?? bars(72),
    zones: o.zones ?? [
      { fromTs: D + 1 * H, toTs: D + 20 * H, low: 2.4, high: 2.45, side: 'long', source: 'realized' },
      { fromTs: D + 40 * H, toTs: null, low: 2.7, high: 2.75, side: 'short', source: 'predicted' },
      { fromTs: D + 400 * H, toTs: null, low: 2.7, high: 2.75, side: 'short', source: 'predicted' }, // after the bars
    ],
    signals: o.signals ?? signals(MAX_SIGNAL_ROWS + 20),
    journal: {
      horizonsMs: [300_000, 3_600_000],
      predictions: [],
      hitRates: o.hitRates ?? [
        hitRate('all', 'all', 300_000, 10, 6), hitRate('type', HOSTILE_SIGNAL, 300_000, 10, 6),
        hitRate('all', 'all', 3_600_000, 8, 3), hitRate('venue', 'bybit', 3_600_000, 8, 3),
      ],
    },
    nullModel: o.nullModel === undefined ? NULL_MODEL : o.nullModel,
    walkForward: o.walkForward === undefined ? FOLDS : o.walkForward,
  };
}

function emptyRun(): RunResult {
  return fixture({ trades: [], bars: [], warnings: [], nullModel: null, walkForward: null, signals: [], zones: [], hitRates: [] });
}

const DATA_RE = /<script type="application\/json" id="report-data">([\s\S]*?)<\/script>/;
function payloadOf(html: string): any {
  const m = DATA_RE.exec(html);
  assert.ok(m, 'report-data script present');
  return JSON.parse(m[1]);
}
const count = (s: string, sub: string): number => s.split(sub).length - 1;
/** The inline scripts (without attributes) in document order. */
function inlineScripts(html: string): string[] {
  return [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1]);
}

describe('report: self-contained', () => {
  const html = renderReport(fixture());

  it('loads nothing from the network', () => {
    assert.doesNotMatch(html, /\bsrc\s*=\s*["']?\s*https?:/i);
    assert.doesNotMatch(html, /\bhref\s*=\s*["']?\s*https?:/i);
    assert.ok(!html.includes('//cdn'), 'no CDN reference');
    assert.doesNotMatch(html, /<link\b/i);
    assert.match(html, /http-equiv="Content-Security-Policy" content="default-src 'none';/);
  });

  it('inlines the lightweight-charts bundle exactly once', () => {
    assert.equal(count(html, 'window.LightweightCharts='), 1);
    assert.equal(count(html, 'TradingView Lightweight Charts\u2122 v5'), 1);
    const bundle = readFileSync(lightweightChartsPath(), 'utf8');
    assert.ok(html.includes(bundle.slice(200, 5000)), 'bundle text inlined verbatim');
  });

  it('is deterministic: the same run gives the same bytes', () => {
    assert.equal(renderReport(fixture()), html);
  });
});

describe('report: escaping', () => {
  const html = renderReport(fixture());

  it('hostile symbol, signal type and veto reason cannot break out', () => {
    assert.ok(!html.includes('<script>alert('), 'no injected script element');
    assert.ok(!html.includes('</script><script>alert'), 'raw hostile string absent');
    assert.ok(!html.includes('<img src=x'), 'no injected img');
    assert.ok(html.includes('&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;'), 'symbol shown escaped');
    assert.ok(html.includes('absorption&lt;/script&gt;'), 'signal type shown escaped');
    assert.ok(html.includes('venues disagree &lt;img src=x onerror=alert(3)&gt; &amp; &lt;/script&gt;'), 'veto reason shown escaped');
    // Exactly our four script elements open and close.
    assert.equal(count(html, '<script'), 4);
    assert.equal(count(html, '</script>'), 4);
    assert.ok(!html.includes('\u2028') && !html.includes('\u2029'), 'no raw line separators');
  });

  it('the embedded JSON parses back to the run', () => {
    const run = fixture();
    const p = payloadOf(html);
    assert.equal(p.version, 1);
    assert.equal(p.meta.symbol, HOSTILE);
    assert.deepEqual(p.meta.venues, ['binance', 'okx', 'bybit']);
    assert.deepEqual(p.meta.warnings, run.meta.warnings);
    assert.equal(p.meta.seed, 42);
    assert.equal(p.meta.events, 123_456);
    assert.deepEqual(p.counts, { trades: 3, orders: 2, signals: MAX_SIGNAL_ROWS + 20, predictions: 0, bars: 72, zones: 3 });
    assert.equal(p.metrics.netReturn, run.metrics.netReturn);
    assert.equal(p.metrics.tradeCount, 3);
    assert.equal(p.metrics.liquidations, 1);
    assert.equal(p.nullModel.verdict, NULL_MODEL.verdict);
    assert.equal(p.walkForward.length, 2);
    assert.equal(p.charts.bars.length, 72);
    assert.equal(p.charts.bars[0].time, D / 1000, 'times in seconds');
    assert.equal(p.charts.markers.length, 6, 'entry and exit per trade');
    assert.equal(p.charts.levels.length, 3 * 3 - 1, 'liq, stop, target per trade; trade 2 has no target');
    assert.equal(p.charts.zones.length, 2);
    assert.equal(p.charts.zonesOffChart, 1);
    assert.equal(p.charts.zones[1].x1, null, 'live zone runs to the right edge');
    const exit3 = p.charts.markers.find((m: { text: string }) => m.text.startsWith('LIQ #3'));
    assert.ok(exit3, 'liquidation exit marker');
    assert.match(exit3.text, /\u2212\d\.\d\dR$/);
  });
});

describe('report: sections', () => {
  it('warnings box present iff warnings are non-empty', () => {
    const withW = renderReport(fixture());
    assert.match(withW, /<section class="box warnings" id="warnings"/);
    assert.ok(withW.includes('<li>fees turned off</li>'));
    const without = renderReport(fixture({ warnings: [] }));
    assert.ok(!without.includes('id="warnings"'));
  });

  it('shows ∞ for an infinite profit factor (and the JSON keeps "Infinity")', () => {
    const winners = [trade({ id: 1, entryTs: D + H, exitTs: D + 2 * H, grossPnl: 30 }), trade({ id: 2, entryTs: D + 3 * H, exitTs: D + 4 * H, grossPnl: 20 })];
    const run = fixture({ trades: winners });
    assert.equal(run.metrics.profitFactor, Infinity);
    const html = renderReport(run);
    assert.match(html, /<th scope="row">Profit factor<\/th><td class="num val">\u221e<\/td>/);
    assert.equal(payloadOf(html).metrics.profitFactor, 'Infinity');
  });

  it('null-model verdict in plain words, with percentile, p-value and CI', () => {
    const html = renderReport(fixture());
    assert.ok(html.includes(NULL_MODEL.verdict));
    assert.ok(html.includes('61.0th percentile'));
    assert.ok(html.includes('<b>0.390</b>'));
    assert.ok(html.includes('[\u22122.100, 4.800]'), 'the CI of the mean R difference');
    assert.ok(html.includes('199 with trades'), 'a null run without trades is not ranked');
    assert.match(html, /class="box verdict chance"/);
    const notRun = renderReport(fixture({ nullModel: null }));
    assert.ok(notRun.includes('Null model: not run.'));
  });

  it('walk-forward folds with out-of-sample as the headline', () => {
    const html = renderReport(fixture());
    assert.ok(html.includes('Walk-forward: out-of-sample results are the headline'));
    assert.ok(html.includes('side=both, threshold=2'));
    assert.ok(html.includes((((1.01 * 0.996) - 1) * 100).toFixed(2) + '%'), 'compounded OOS return');
    assert.ok(!renderReport(fixture({ walkForward: null })).includes('id="walk-forward"'));
  });

  it('metrics table shows nulls as – with the reason', () => {
    const html = renderReport(fixture({ trades: [] }));
    assert.match(html, /<th scope="row">Win rate<\/th><td class="num val">\u2013<\/td>/);
    assert.ok(html.includes('undefined for this run'));
  });

  it('trade table, breakdowns, journal by horizon and capped signals', () => {
    const html = renderReport(fixture());
    assert.match(html, /<h2>Trades \(3\)<\/h2>/);
    assert.match(html, /<tr class="liquidated">/);
    assert.ok(html.includes('By session (at entry)') && html.includes('By venue') && html.includes('By signal type'));
    assert.ok(html.includes('<h3>Horizon 5m</h3>') && html.includes('<h3>Horizon 1h</h3>'));
    assert.ok(html.includes('20 omitted'));
    // Veto reason: once in the summary, then once per listed signal that was not acted on (ids 4..500).
    assert.equal(count(html, 'onerror=alert(3)&gt;'), 1 + (MAX_SIGNAL_ROWS - 3));
  });

  it('says which features were computed, and that zones were not when the strategy reads none', () => {
    const base = fixture();
    const lean = renderReport({ ...base, meta: { ...base.meta, features: ['divergence', 'sizes'] }, zones: [] });
    assert.ok(lean.includes('<dt>Features computed</dt><dd>divergence, sizes'));
    assert.ok(lean.includes('Zones were not computed'));
    const seed = renderReport({ ...base, meta: { ...base.meta, features: ['absorption', 'divergence'] } });
    assert.ok(seed.includes('<dt>Features computed</dt><dd>absorption, divergence') && !seed.includes('Zones were not computed'));
    // A run written before features were declared computed everything: no such row.
    assert.ok(!renderReport(base).includes('Features computed'));
  });

  it('renders an empty run (no trades, no bars) without throwing', () => {
    const html = renderReport(emptyRun());
    assert.ok(html.includes('No price bars in this run'));
    assert.ok(html.includes('No trades.'));
    assert.ok(html.includes('No signals.'));
    assert.ok(!html.includes('id="chart-price"'));
    assert.ok(html.includes('id="chart-equity"'), 'equity chart still drawn from the initial point');
    const p = payloadOf(html);
    assert.equal(p.charts.bars.length, 0);
    assert.equal(p.charts.markers.length, 0);
  });

  it('writeReport writes <dir>/report.html and returns the path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-test-'));
    try {
      const path = writeReport(join(dir, 'run'), fixture());
      assert.equal(path, join(dir, 'run', 'report.html'));
      assert.equal(readFileSync(path, 'utf8'), renderReport(fixture()));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('report: chart data', () => {
  it('maps times onto bar indices (bar i spans [i - 0.5, i + 0.5])', () => {
    const toX = makeLogicalMapper([0, 100, 200]);
    assert.equal(toX(0), -0.5);
    assert.equal(toX(50), 0);
    assert.equal(toX(100), 0.5);
    assert.equal(toX(250), 2);
    assert.equal(toX(-100), -1.5);
    assert.equal(makeLogicalMapper([])(5), null);
  });

  it('merges bars of the same second and keeps times ascending and unique', () => {
    const b = [...bars(3), { ts: D + 500, open: 1, high: 9, low: 0.5, close: 2, volume: 1 }];
    const c = buildChartData(fixture({ bars: b, trades: [], zones: [] }));
    assert.deepEqual(c.bars.map((x) => x.time), [D / 1000, D / 1000 + 3600, D / 1000 + 7200]);
    assert.equal(c.bars[0].high, 9);
    assert.equal(c.bars[0].close, 2);
  });

  it('reduces very long bar series', () => {
    const n = MAX_CHART_BARS * 2 + 10;
    const c = buildChartData(fixture({ bars: bars(n, D, 1000), trades: [], zones: [] }));
    assert.equal(c.barsMerged, 3);
    assert.equal(c.bars.length, Math.ceil(n / 3));
    for (let i = 1; i < c.bars.length; i++) assert.ok(c.bars[i].time > c.bars[i - 1].time);
  });

  it('equity: drawdown is negative percent from the running peak', () => {
    const equity = [{ ts: D + H, equity: 1100 }, { ts: D + 2 * H, equity: 990 }, { ts: D + 3 * H, equity: 1200 }];
    const c = buildChartData(fixture({ equity }));
    assert.deepEqual(c.equity.map((p) => p.value), [1000, 1100, 990, 1200]);
    assert.deepEqual(c.drawdown.map((p) => p.value), [0, 0, -10, 0]);
  });
});

// ---------------------------------------------------------------- page script, with a stub library

interface Call { readonly what: string; readonly args: unknown[] }

/** Run the inline scripts against a stub LightweightCharts and DOM; returns the recorded calls and body attributes. */
function runPageScript(html: string): { calls: Call[]; attrs: Record<string, string>; drawOps: string[] } {
  const calls: Call[] = [];
  const drawOps: string[] = [];
  const attrs: Record<string, string> = {};
  const data = DATA_RE.exec(html)![1];
  const primitives: any[] = [];
  const elements: Record<string, any> = {
    'report-data': { textContent: data },
    'script-error': { textContent: '', hidden: true },
  };
  for (const id of ['chart-equity', 'chart-price', 'fit-levels']) if (html.includes(`id="${id}"`)) elements[id] = { id, addEventListener: () => {} };
  // Like the real library: whole logical indices only (a fraction gives 0).
  const timeScale = { logicalToCoordinate: (x: number) => (Number.isInteger(x) ? x * 10 : 0), fitContent: () => calls.push({ what: 'fitContent', args: [] }) };
  const makeSeries = (type: string) => ({
    setData: (d: unknown[]) => calls.push({ what: `setData:${type}`, args: [d.length] }),
    priceToCoordinate: (p: number) => 500 - p * 100,
    priceScale: () => ({ applyOptions: () => {} }),
    attachPrimitive: (p: any) => {
      primitives.push(p);
      calls.push({ what: 'attachPrimitive', args: [] });
    },
  });
  const chart = () => {
    const c: any = {
      addSeries: (def: { type: string }, _opts: unknown, pane?: number) => {
        calls.push({ what: 'addSeries', args: [def.type, pane ?? 0] });
        const s = makeSeries(def.type);
        return s;
      },
      timeScale: () => timeScale,
      panes: () => [{ setHeight: () => {} }, { setHeight: (hgt: number) => calls.push({ what: 'setHeight', args: [hgt] }) }],
      priceScale: () => ({ applyOptions: () => {} }),
    };
    return c;
  };
  const LightweightCharts = {
    ColorType: { Solid: 'solid' },
    CrosshairMode: { Normal: 0 },
    LineSeries: { type: 'Line' }, AreaSeries: { type: 'Area' }, CandlestickSeries: { type: 'Candlestick' }, HistogramSeries: { type: 'Histogram' },
    createChart: (el: { id: string }) => {
      calls.push({ what: 'createChart', args: [el.id] });
      return chart();
    },
    createSeriesMarkers: (_s: unknown, m: unknown[]) => calls.push({ what: 'createSeriesMarkers', args: [m.length] }),
  };
  const window: any = { LightweightCharts };
  const document = {
    body: { setAttribute: (k: string, v: string) => (attrs[k] = v), getAttribute: (k: string) => attrs[k] ?? null },
    getElementById: (id: string) => elements[id] ?? null,
  };
  const ctx = vm.createContext({ window, document, Math, JSON, String, Infinity });
  vm.runInContext(ERROR_HOOK_SCRIPT, ctx);
  vm.runInContext(PAGE_SCRIPT, ctx);
  // Drive the primitive as the library would: attach, update, draw.
  for (const p of primitives) {
    const series = makeSeries('Candlestick');
    p.attached({ chart: chart(), series, requestUpdate: () => drawOps.push('requestUpdate') });
    p.updateAllViews();
    const target = {
      useBitmapCoordinateSpace: (cb: (scope: unknown) => void) =>
        cb({
          context: new Proxy({}, { get: (_t, k) => (typeof k === 'string' && /^[a-z]/.test(k) ? (...a: unknown[]) => drawOps.push(`${k}(${a.join(',')})`) : undefined), set: () => true }),
          horizontalPixelRatio: 2, verticalPixelRatio: 2, bitmapSize: { width: 2000, height: 1000 }, mediaSize: { width: 1000, height: 500 },
        }),
    };
    for (const v of p.paneViews()) {
      assert.ok(['bottom', 'normal', 'top'].includes(v.zOrder()));
      v.renderer().draw(target);
    }
    const noFit = p.autoscaleInfo(-10, 1000);
    assert.equal(noFit, null);
    p.setFitLevels(true);
    const fit = p.autoscaleInfo(-10, 1000);
    assert.ok(fit && fit.priceRange.minValue <= 1.7 && fit.priceRange.maxValue >= 3.4, 'autoscale covers liquidation prices when asked');
  }
  return { calls, attrs, drawOps };
}

describe('report: page script (stub library)', () => {
  it('builds both charts, the markers and the zone/level primitive', () => {
    const { calls, attrs, drawOps } = runPageScript(renderReport(fixture()));
    assert.equal(attrs['data-rendered'], 'ok');
    assert.equal(attrs['data-charts'], 'equity,price');
    const what = calls.map((c) => c.what);
    assert.deepEqual(calls.filter((c) => c.what === 'createChart').map((c) => c.args[0]), ['chart-equity', 'chart-price']);
    assert.deepEqual(calls.filter((c) => c.what === 'addSeries').map((c) => c.args), [['Line', 0], ['Area', 1], ['Candlestick', 0], ['Histogram', 0]]);
    assert.deepEqual(calls.find((c) => c.what === 'createSeriesMarkers')?.args, [6]);
    assert.ok(what.includes('attachPrimitive'));
    assert.deepEqual(calls.find((c) => c.what === 'setData:Candlestick')?.args, [72]);
    // Zone 1 spans D+1h .. D+20h on hourly bars: logical 0.5 .. 19.5, 10 px per bar, pixel ratio 2.
    // Prices map to 500 - 100 p: high 2.45 -> 255, low 2.4 -> 260 (media px; x2 in bitmap px).
    assert.ok(drawOps.includes('fillRect(10,510,380,10)'), drawOps.filter((op) => op.startsWith('fillRect')).join(' '));
    assert.ok(drawOps.includes('fillRect(790,450,1210,10)'), 'live zone runs to the right edge');
    assert.ok(drawOps.filter((op) => op.startsWith('lineTo')).length >= 8, 'level segments painted');
    assert.ok(drawOps.includes('requestUpdate'));
  });

  it('an empty run builds only the equity chart and still ends "ok"', () => {
    const { calls, attrs } = runPageScript(renderReport(emptyRun()));
    assert.equal(attrs['data-rendered'], 'ok');
    assert.equal(attrs['data-charts'], 'equity');
    assert.ok(!calls.some((c) => c.what === 'createSeriesMarkers'));
  });

  it('reports a missing library on the body', () => {
    const html = renderReport(emptyRun());
    const attrs: Record<string, string> = {};
    const box = { textContent: '', hidden: true };
    const ctx = vm.createContext({
      window: {},
      document: { body: { setAttribute: (k: string, v: string) => (attrs[k] = v), getAttribute: (k: string) => attrs[k] ?? null }, getElementById: (id: string) => (id === 'script-error' ? box : null) },
    });
    vm.runInContext(PAGE_SCRIPT, ctx);
    assert.match(attrs['data-rendered'], /^error: the lightweight-charts library did not load/);
    assert.equal(box.hidden, false);
    assert.ok(inlineScripts(html).length === 3);
  });
});

// ---------------------------------------------------------------- real browser, when there is one


describe('report: headless browser render', () => {
  const chromium = findChromium();
  const skip = chromium ? false : 'chromium not found: skipping the browser render check';
  for (const [name, make, charts] of [
    ['full run', fixture, 'equity,price'],
    ['empty run', emptyRun, 'equity'],
  ] as const) {
    it(`${name}: charts render with no script error`, { skip, timeout: 30_000 }, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'report-browser-'));
      try {
        const path = writeReport(dir, make());
        const dom = await new Promise<string>((resolve, reject) => {
          execFile(
            chromium!,
            ['--headless', '--disable-gpu', '--no-sandbox', '--disable-dev-shm-usage', '--no-first-run', `--user-data-dir=${join(dir, 'profile')}`, '--virtual-time-budget=5000', '--window-size=1280,2000', '--dump-dom', pathToFileURL(path).href],
            { timeout: 25_000, maxBuffer: 64 * 1024 * 1024 },
            (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
          );
        });
        const rendered = /<body[^>]*data-rendered="([^"]*)"/.exec(dom)?.[1];
        assert.equal(rendered, 'ok', `data-rendered: ${rendered}`);
        assert.equal(/<body[^>]*data-charts="([^"]*)"/.exec(dom)?.[1], charts);
        assert.ok(count(dom, '<canvas') >= 2, 'chart canvases in the DOM');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
