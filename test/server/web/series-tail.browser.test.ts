/**
 * A pane refresh (panes/series-tail.ts writeSeries with `from`) writes to lightweight-charts only
 * the points whose values differ from those drawn: each `update` re-indexes the whole series, so
 * an hour of unchanged points written one by one cost the page a long frame. Run against the
 * real lightweight-charts in headless chromium; the series' `update` calls are counted and the
 * series' data read back. A first load's split line (panes/progressive-load.ts) takes its older
 * points after the first render without losing a refresh written meanwhile.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { BROWSER_SKIP, launchBrowser } from '../../helpers/browser.ts';

const WEB = fileURLToPath(new URL('../../../src/server/web/', import.meta.url));

/** The page's script: a chart with a line and a histogram on a 300-candle grid, and writeSeries. */
const ENTRY = `
import { createChart, HistogramSeries, LineSeries } from 'lightweight-charts';
import { Bars } from './bars.ts';
import { writeSeries } from './panes/series-tail.ts';
import { SplitSeries } from './panes/live-series.ts';
import { ProgressiveLoad } from './panes/progressive-load.ts';
const n = 300;
const grid = new Bars(60_000);
for (let i = 0; i < n; i++) grid.t.push(i * 60_000);
const chart = createChart(document.body, { width: 600, height: 300 });
const line = chart.addSeries(LineSeries);
const hist = chart.addSeries(HistogramSeries);
const updates = { line: 0, hist: 0 };
for (const [name, s] of [['line', line], ['hist', hist]]) {
  const update = s.update.bind(s);
  s.update = (...a) => { updates[name]++; return update(...a); };
}
// A line drawn as a SplitSeries (the panes' refreshed lines): its history half's writes are counted.
const split = new SplitSeries(chart, () => chart.addSeries(LineSeries), { connect: true });
updates.history = 0;
for (const name of ['update', 'setData']) {
  const f = split.history[name].bind(split.history);
  split.history[name] = (...a) => { updates.history++; return f(...a); };
}
window.__tail = { chart, line, hist, split, grid, writeSeries, updates, n, ProgressiveLoad };
`;

async function page(browser: Browser): Promise<Page> {
  const out = await build({
    stdin: { contents: ENTRY, resolveDir: WEB, loader: 'ts' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  const p = await browser.newPage();
  const errors: string[] = [];
  p.on('pageerror', (e) => errors.push(String(e)));
  await p.setContent(`<!doctype html><body style="margin:0"></body>`);
  await p.addScriptTag({ content: out.outputFiles[0].text });
  assert.deepEqual(errors, []);
  return p;
}

describe('series tail refresh', { skip: BROWSER_SKIP }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  it('writes only the points of the refreshed tail whose values changed, and the series then holds every new value', async () => {
    const p = await page(browser);
    const r = await p.evaluate(() => {
      const { line, hist, grid, writeSeries, updates, n } = (window as any).__tail;
      const all = Array.from({ length: n }, (_, j) => j);
      // (No named functions here: tsx would wrap them in a helper the page does not have.)
      writeSeries(line, grid, all, (k: number, time: unknown) => ({ time, value: all[k] * 2 }), undefined);
      writeSeries(hist, grid, all, (k: number, time: unknown) => ({ time, value: all[k] * 2, color: (all[k] % 2 ? '#ff0000' : '#00ff00') }), undefined);
      // The refresh covers the last 60 candles: two line values changed, one bar's colour alone.
      const from = n - 60;
      writeSeries(line, grid, all, (k: number, time: unknown) => ({ time, value: all[k] === n - 1 ? -1 : all[k] === n - 30 ? -2 : all[k] * 2 }), from);
      writeSeries(hist, grid, all, (k: number, time: unknown) => ({ time, value: all[k] * 2, color: all[k] === n - 5 ? '#0000ff' : (all[k] % 2 ? '#ff0000' : '#00ff00') }), from);
      const lineData = line.data().map((d: { value: number }) => d.value);
      const histColours = hist.data().map((d: { color: string }) => d.color);
      return { updates: { line: updates.line, hist: updates.hist }, lineData, histColours, n };
    });
    assert.deepEqual(r.updates, { line: 2, hist: 1 });
    const want = Array.from({ length: r.n }, (_, j) => (j === r.n - 1 ? -1 : j === r.n - 30 ? -2 : j * 2));
    assert.deepEqual(r.lineData, want);
    assert.equal(r.histColours[r.n - 5], '#0000ff');
    assert.equal(r.histColours[r.n - 6], '#00ff00');
    assert.equal(r.histColours[r.n - 7], '#ff0000');
    await p.close();
  });

  it('writes a refresh of a split line to its live half: the loaded span is not written again', async () => {
    const p = await page(browser);
    const r = await p.evaluate(() => {
      const { split, grid, writeSeries, updates, n } = (window as any).__tail;
      // Loaded on 290 candles; ten more open live; the refresh then covers the last 60.
      const first = Array.from({ length: n - 10 }, (_, j) => j);
      writeSeries(split, grid, first, (k: number, time: unknown) => ({ time, value: first[k] }), undefined);
      const loadWrites = updates.history;
      const all = Array.from({ length: n }, (_, j) => j);
      // The refresh brings the ten new points, one of them changed again (a bar since the load).
      writeSeries(split, grid, all, (k: number, time: unknown) => ({ time, value: all[k] === n - 5 ? -5 : all[k] }), n - 60);
      const refreshWrites = updates.history - loadWrites;
      // A point of the loaded span that changed: history's own write, one.
      writeSeries(split, grid, all, (k: number, time: unknown) => ({ time, value: all[k] === n - 5 ? -5 : all[k] === n - 30 ? -7 : all[k] }), n - 60);
      const merged = new Map();
      for (const d of [...split.history.data(), ...split.live.data()]) merged.set(d.time, d.value);
      return { loadWrites, refreshWrites, oldWrites: updates.history - loadWrites - refreshWrites, live: split.live.data().length, values: [...merged.values()], n };
    });
    assert.equal(r.loadWrites, 1, 'the load is one setData of history');
    assert.equal(r.refreshWrites, 0, 'the refresh of bars since the load writes the live half only');
    assert.equal(r.oldWrites, 1);
    assert.equal(r.live, 12, 'the live half: the seed, the last loaded point, ten new');
    assert.deepEqual(r.values, Array.from({ length: r.n }, (_, j) => (j === r.n - 5 ? -5 : j === r.n - 30 ? -7 : j)));
    await p.close();
  });

  it('writes a tail point the series does not hold at its time (it is added, not skipped)', async () => {
    const p = await page(browser);
    const r = await p.evaluate(() => {
      const { line, hist, grid, writeSeries, updates, n } = (window as any).__tail;
      // As in the app, a series holds every candle (the chart's logical indices are the grid);
      // the line holds every other candle, and the refresh brings a point on the last candle too.
      const all = Array.from({ length: n }, (_, j) => j);
      writeSeries(hist, grid, all, (k: number, time: unknown) => ({ time, value: all[k] }), undefined);
      const even = Array.from({ length: n / 2 }, (_, k) => k * 2);
      writeSeries(line, grid, even, (k: number, time: unknown) => ({ time, value: even[k] }), undefined);
      const withLast = [...even, n - 1];
      writeSeries(line, grid, withLast, (k: number, time: unknown) => ({ time, value: withLast[k] }), n - 10);
      return { updates: updates.line, length: line.data().length, last: line.data().at(-1).value, n };
    });
    assert.equal(r.updates, 1);
    assert.equal(r.length, r.n / 2 + 1);
    assert.equal(r.last, r.n - 1);
    await p.close();
  });

  it('puts a first load\'s older points in front of a split line after the first render, keeping a refresh written meanwhile', async () => {
    const p = await page(browser);
    const r = await p.evaluate(async () => {
      const { hist, split, grid, writeSeries, n, ProgressiveLoad } = (window as any).__tail;
      const all = Array.from({ length: n }, (_, j) => j);
      // The candles' part: every candle's time on the chart, as in the app.
      writeSeries(hist, grid, all, (k: number, time: unknown) => ({ time, value: all[k] }), undefined);
      const progressive = new ProgressiveLoad();
      progressive.fromTime = grid.t[200] / 1000;
      writeSeries(split, grid, all, (k: number, time: unknown) => ({ time, value: all[k] }), undefined, progressive);
      const firstDrawn = split.history.data()[0].time;
      const pending = progressive.pending;
      // A refresh before the older points land changes a point of the first draw's.
      writeSeries(split, grid, all, (k: number, time: unknown) => ({ time, value: all[k] === 250 ? -250 : all[k] }), 240);
      await progressive.drain(new AbortController().signal);
      const merged = new Map();
      for (const d of [...split.history.data(), ...split.live.data()]) merged.set(d.time, d.value);
      return { firstDrawn, pending, left: progressive.pending, history: split.history.data().length, times: [...merged.keys()], values: [...merged.values()], n };
    });
    assert.equal(r.firstDrawn, 200 * 60, 'the first draw starts at fromTime');
    assert.equal(r.pending, 1);
    assert.equal(r.left, 0);
    assert.equal(r.history, r.n - 1, 'history then holds every point but the live half\'s');
    assert.deepEqual(r.times, Array.from({ length: r.n }, (_, j) => j * 60));
    assert.deepEqual(r.values, Array.from({ length: r.n }, (_, j) => (j === 250 ? -250 : j)));
    await p.close();
  });
});
