/**
 * The live path's series devices (src/server/web/panes/live-series.ts, marker-layer.ts) against
 * the real lightweight-charts in headless chromium: bars drawn through a SplitSeries and a
 * TimeRunway (a load, then live trades redrawing the forming bar, bars opening, a closed bar
 * rewritten, a gap) must paint the very pixels that the same final bars set whole on a plain
 * series paint, while the loaded half is never written after the load and the runway is laid
 * again only for the gap. Markers on their own carrier land on their candles and a live one is
 * appended, not a rewrite of every marker.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { BROWSER_SKIP, launchBrowser } from '../../helpers/browser.ts';

const WEB = fileURLToPath(new URL('../../../src/server/web/', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));

/**
 * Two charts of one size: `split` draws footprint candles (no levels: candles), a volume
 * histogram and a close line through SplitSeries with a runway; `whole` the same series kinds set
 * whole. Bars are a seeded walk on a 1m grid; `window.__live` drives them.
 */
const ENTRY = `
import { createChart, createSeriesMarkers, HistogramSeries, LineSeries } from 'lightweight-charts';
import { Bars } from './bars.ts';
import { FootprintSeries } from './plugins/footprint/footprint-series.ts';
import { toFootprintData } from './plugins/footprint/data.ts';
import { SplitSeries, TimeRunway } from './panes/live-series.ts';
import { MarkerLayer } from './panes/marker-layer.ts';

const M = 60_000;
const T0 = Date.UTC(2024, 0, 1);
const opts = { width: 700, height: 400, layout: { attributionLogo: false }, timeScale: { allowShiftVisibleRangeOnWhitespaceReplacement: true } };
const make = () => {
  const host = document.createElement('div');
  document.body.append(host);
  const chart = createChart(host, opts);
  return chart;
};
let seed = 7;
const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
const grid = new Bars(M);
const candles = [];
let p = 100;
for (let i = 0; i < 300; i++) {
  const o = p, c = p + (rnd() - 0.5) * 4;
  p = c;
  grid.t.push(T0 + i * M); grid.o.push(o); grid.h.push(Math.max(o, c) + rnd()); grid.l.push(Math.min(o, c) - rnd()); grid.c.push(c); grid.buy.push(rnd() * 10); grid.sell.push(rnd() * 10);
}
const store = toFootprintData({ t: grid.t, o: grid.o, h: grid.h, l: grid.l, c: grid.c, buy: grid.buy, sell: grid.sell }).store;
const fpItem = (j) => ({ time: grid.t[j] / 1000, open: grid.o[j], high: grid.h[j], low: grid.l[j], close: grid.c[j], i: Math.min(j, 299), store });
const volItem = (j) => ({ time: grid.t[j] / 1000, value: grid.buy[j] + grid.sell[j], color: grid.c[j] >= grid.o[j] ? '#26a69a' : '#ef5350' });
const lineItem = (j) => ({ time: grid.t[j] / 1000, value: grid.c[j] });

const a = make();
const fp = new SplitSeries(a, () => a.addCustomSeries(new FootprintSeries(), { priceLineVisible: true }), { connect: false });
const vol = new SplitSeries(a, () => a.addSeries(HistogramSeries, { priceScaleId: 'v', lastValueVisible: false, priceLineVisible: false }), { connect: false });
const line = new SplitSeries(a, () => a.addSeries(LineSeries, { priceScaleId: 'left', color: '#2962ff' }), { connect: true });
const runway = new TimeRunway(a, 0);
const markers = new MarkerLayer(a, 0);
const writes = { history: 0 };
for (const s of [fp, vol, line]) {
  for (const name of ['update', 'setData']) {
    const f = s.history[name].bind(s.history);
    s.history[name] = (...args) => { writes.history++; return f(...args); };
  }
}

const b = make();
const wholeFp = b.addCustomSeries(new FootprintSeries(), { priceLineVisible: true });
const wholeVol = b.addSeries(HistogramSeries, { priceScaleId: 'v', lastValueVisible: false, priceLineVisible: false });
const wholeLine = b.addSeries(LineSeries, { priceScaleId: 'left', color: '#2962ff' });
// The plugin on the candles themselves, as the page had it: where the markers should land.
const plainMarkers = createSeriesMarkers(wholeFp, []);
for (const c of [a, b]) {
  c.priceScale('v').applyOptions({ scaleMargins: { top: 0.8, bottom: 0 } });
  c.applyOptions({ leftPriceScale: { visible: true } });
}

const all = (f) => grid.t.map((_, j) => f(j));
fp.reset(all(fpItem)); vol.reset(all(volItem)); line.reset(all(lineItem));
wholeFp.setData(all(fpItem)); wholeVol.setData(all(volItem)); wholeLine.setData(all(lineItem));
writes.history = 0;
const n0 = grid.t.length;
runway.ensure(grid.t[n0 - 1], grid.t[n0 - 1] + M, M);

/** A live trade into the last bar, or opening the bar at 'open' (ms). */
const trade = (price, open) => {
  const last = grid.t.length - 1;
  if (open !== undefined && open > grid.t[last]) {
    runway.ensure(grid.t[last], open, M);
    grid.t.push(open); grid.o.push(price); grid.h.push(price); grid.l.push(price); grid.c.push(price); grid.buy.push(1); grid.sell.push(0);
  } else {
    grid.h[last] = Math.max(grid.h[last], price); grid.l[last] = Math.min(grid.l[last], price); grid.c[last] = price; grid.sell[last] += 0.5;
  }
  const j = grid.t.length - 1;
  fp.update(fpItem(j)); vol.update(volItem(j)); line.update(lineItem(j));
};

window.__live = {
  trade,
  writes,
  runway,
  markers: (list) => {
    markers.set(list, grid);
    plainMarkers.setMarkers(list.map((m) => ({ ...m, time: Math.floor(m.time / 60) * 60 })));
    return { ...markers.writes };
  },
  /** The same runway on the second chart: the time axis' marks then match (future times can add one at the right end). */
  wholeRunway: () => new TimeRunway(b, 0).ensure(grid.t[grid.t.length - 1], grid.t[grid.t.length - 1] + M, M),
  /** Every bar again through setHistory (the footprint's levels arriving), bar j's close changed first. */
  relevel: (j, close) => { grid.c[j] = close; fp.setHistory(all(fpItem)); vol.setHistory(all(volItem)); line.setHistory(all(lineItem)); },
  /** A closed bar's stored values written again (a refresh after it closed). */
  rewrite: (j, close) => { grid.c[j] = close; fp.update(fpItem(j)); vol.update(volItem(j)); line.update(lineItem(j)); },
  /** The same bars, set whole on the second chart; both charts on one logical range. */
  settle: (from, to) => {
    wholeFp.setData(all(fpItem)); wholeVol.setData(all(volItem)); wholeLine.setData(all(lineItem));
    for (const c of [a, b]) c.timeScale().setVisibleLogicalRange({ from, to });
  },
  bars: () => grid.t.length,
  shots: () => [a, b].map((c) => c.takeScreenshot().toDataURL()),
  /** Lines hidden: a polyline split in two strokes antialiases a few pixels differently from one stroke. */
  hideLines: () => { for (const s of [line.history, line.live, wholeLine]) s.applyOptions({ visible: false }); },
  /** The close line's points: what the two halves hold, and the same bars whole. */
  lineData: () => ({ history: line.history.data(), live: line.live.data(), whole: wholeLine.data() }),
  high: (k) => grid.h[k],
  diff: () => {
    const [x, y] = [a, b].map((c) => { const cv = c.takeScreenshot(); return cv.getContext('2d').getImageData(0, 0, cv.width, cv.height).data; });
    let d = 0;
    for (let i = 0; i < x.length; i += 4) if (x[i] !== y[i] || x[i + 1] !== y[i + 1] || x[i + 2] !== y[i + 2]) d++;
    return { differing: d, pixels: x.length / 4 };
  },
};
`;

async function page(browser: Browser): Promise<Page> {
  const out = await build({ stdin: { contents: ENTRY, resolveDir: WEB, loader: 'ts' }, bundle: true, format: 'iife', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent' });
  const p = await browser.newPage({ viewport: { width: 800, height: 900 }, deviceScaleFactor: 1 });
  const errors: string[] = [];
  p.on('pageerror', (e) => errors.push(String(e)));
  await p.setContent(`<!doctype html><body style="margin:0;background:#fff"></body>`);
  // tsx compiles the evaluated callbacks with keepNames: their named arrows call a helper only Node defines.
  await p.evaluate('window.__name = (f) => f');
  await p.addScriptTag({ content: out.outputFiles[0].text });
  assert.deepEqual(errors, []);
  return p;
}

/** Two animation frames: lightweight-charts paints on the next one. */
function frames(p: Page): Promise<unknown> {
  return p.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

interface Point {
  time: number;
  value: number;
}

/**
 * The close line's two halves join (the live half starts at history's last point) and together
 * hold the whole line's points, the live half's value where both have one.
 */
async function assertLineJoins(p: Page): Promise<void> {
  const d = (await p.evaluate(() => (window as any).__live.lineData())) as { history: Point[]; live: Point[]; whole: Point[] };
  assert.ok(d.live.length >= 2 && d.live.length < 20, `the live half holds the bars drawn live (${d.live.length})`);
  assert.equal(d.live[0].time, d.history.at(-1)!.time, 'the live half starts at history\'s last point');
  const merged = new Map<number, number>();
  for (const x of [...d.history, ...d.live]) merged.set(x.time, x.value);
  assert.deepEqual([...merged].map(([time, value]) => ({ time, value })), d.whole.map((x) => ({ time: x.time, value: x.value })));
}

/** The two charts' screenshots saved side by side for a reader of a failure. */
async function saveShots(p: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const shots = (await p.evaluate(() => (window as any).__live.shots())) as string[];
  shots.forEach((s, i) => writeFileSync(`${ARTIFACTS}${name}-${i ? 'whole' : 'split'}.png`, Buffer.from(s.split(',')[1], 'base64')));
}

/**
 * With the close lines hidden, the split chart paints the same pixels as the reference chart
 * (`against` names it in the failure); on a failure both are saved as `name`-split/-whole.png.
 */
async function assertSamePixels(p: Page, name: string, against: string): Promise<void> {
  await p.evaluate(() => (window as any).__live.hideLines());
  await frames(p);
  const d = (await p.evaluate(() => (window as any).__live.diff())) as { differing: number; pixels: number };
  if (d.differing) await saveShots(p, name);
  assert.equal(d.differing, 0, `${d.differing} of ${d.pixels} pixels differ from ${against}`);
}

describe('live series in a browser', { skip: BROWSER_SKIP }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  it('paints live bars, bars opening, a rewritten closed bar and levels arriving late as the same bars set whole, without writing the loaded half live', async () => {
    const p = await page(browser);
    const r = await p.evaluate(() => {
      const live = (window as any).__live;
      const M = 60_000;
      const n0 = live.bars();
      const t = (k: number) => Date.UTC(2024, 0, 1) + k * M;
      // The forming bar (the last loaded one) takes trades, then five bars open and trade.
      for (const price of [101, 99.5, 103, 102]) live.trade(price);
      for (let k = 0; k < 5; k++) {
        live.trade(100 + k, t(n0 + k));
        live.trade(104 - k);
        live.trade(101 + k / 2);
      }
      // A closed bar written again with its stored close (the refresh after it closed).
      live.rewrite(n0 + 1, 97);
      return { bars: live.bars(), historyWrites: live.writes.history, laid: live.runway.laid, n0 };
    });
    assert.equal(r.bars, r.n0 + 5);
    assert.equal(r.historyWrites, 0, 'the loaded half is not written by live updates');
    assert.equal(r.laid, 1, 'the runway laid once, at connection');
    // The levels of the loaded span arrive after the live bars: the loaded last bar, in the live
    // half, takes them too (its close moved here, so the pixels tell).
    await p.evaluate((j) => (window as any).__live.relevel(j, 95), r.n0 - 1);
    await p.evaluate(() => (window as any).__live.settle(250, 304));
    await assertLineJoins(p);
    await assertSamePixels(p, 'live-series', 'the bars set whole');
    await p.close();
  });

  it('lays the runway again for a bar after a gap, so no empty slot opens on the time axis', async () => {
    const p = await page(browser);
    const r = await p.evaluate(() => {
      const live = (window as any).__live;
      const M = 60_000;
      const n0 = live.bars();
      const t = (k: number) => Date.UTC(2024, 0, 1) + k * M;
      live.trade(100, t(n0));
      // Three minutes without a trade, then the market trades again.
      live.trade(102, t(n0 + 4));
      live.trade(101, t(n0 + 5));
      return { laid: live.runway.laid, historyWrites: live.writes.history };
    });
    assert.equal(r.laid, 2, 'laid at connection and again after the gap, not for the bar after it');
    assert.equal(r.historyWrites, 0);
    await p.evaluate(() => (window as any).__live.settle(250, 302));
    await assertLineJoins(p);
    await assertSamePixels(p, 'live-series-gap', 'the bars set whole');
    await p.close();
  });

  it('draws markers from a carrier series where the plugin on the candles draws them, a live one appended to it', async () => {
    const p = await page(browser);
    const r = await p.evaluate(() => {
      const live = (window as any).__live;
      const M = 60_000;
      const T0 = Date.UTC(2024, 0, 1);
      // Markers within a bar (12:03:17 style times) land on the bar's open.
      // Above each bar's high: in view (the carrier does not count in the price scale).
      const mk = (k: number, sec: number, above: number) => ({ time: (T0 + k * M + sec * 1000) / 1000, position: 'atPriceTop', price: live.high(k) + above, shape: 'circle', color: '#ff00ff', text: 'ABS' });
      const first = live.markers([mk(270, 17, 0.5), mk(280, 0, 0.5)]);
      const again = live.markers([mk(270, 17, 0.5), mk(280, 30, 0.8)]);
      const later = live.markers([mk(270, 17, 0.5), mk(280, 0, 0.5), mk(290, 42, 0.5)]);
      const earlier = live.markers([mk(260, 5, 0.5), mk(270, 17, 0.5), mk(280, 0, 0.5), mk(290, 42, 0.5)]);
      return { first, again, later, earlier };
    });
    assert.deepEqual(r.first, { set: 0, append: 1 });
    assert.deepEqual(r.again, { set: 0, append: 1 }, 'markers on the same bars leave the carrier as it is');
    assert.deepEqual(r.later, { set: 0, append: 2 }, 'a marker on a later bar is appended');
    assert.deepEqual(r.earlier, { set: 1, append: 2 }, 'a marker before the last is a rewrite');
    await p.evaluate(() => (window as any).__live.wholeRunway());
    await p.evaluate(() => (window as any).__live.settle(250, 299));
    await assertSamePixels(p, 'live-series-markers', 'the markers attached to the candles');
    const magenta = await p.evaluate(() => {
      const cv = (window as any).__live ? document.querySelectorAll('canvas') : [];
      let n = 0;
      for (const c of cv as NodeListOf<HTMLCanvasElement>) {
        const ctx = c.getContext('2d');
        if (!ctx || c.width < 300) continue;
        const px = ctx.getImageData(0, 0, c.width, c.height).data;
        for (let i = 0; i < px.length; i += 4) if (px[i] > 200 && px[i + 1] < 60 && px[i + 2] > 200) n++;
      }
      return n;
    });
    assert.ok(magenta > 50, `markers drawn (${magenta} magenta px)`);
    await p.close();
  });
});
