/**
 * The chart plugins paint what they should: each example (src/server/web/plugins/<name>/example)
 * is bundled in memory with esbuild, loaded in headless chromium, and the chart's own screenshot
 * (chart.takeScreenshot(), every pane canvas composited) is read back as pixels at the prices
 * and times the example's data puts things. Screenshots go to test-artifacts/.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import { BROWSER_SKIP, launchBrowser } from '../../../helpers/browser.ts';

const PLUGINS = fileURLToPath(new URL('../../../../src/server/web/plugins/', import.meta.url));
const ARTIFACTS = fileURLToPath(new URL('../../../../test-artifacts/', import.meta.url));

type Rgb = readonly [number, number, number];
interface Rect {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

async function examplePage(browser: Browser, name: string, query = ''): Promise<Page> {
  const dir = `${PLUGINS}${name}/example/`;
  const out = await build({ entryPoints: [`${dir}example.ts`], bundle: true, format: 'iife', platform: 'browser', target: 'es2022', write: false, logLevel: 'silent' });
  const script = out.outputFiles[0].text.replace(/<\/script/gi, '<\\/script');
  const html = readFileSync(`${dir}index.html`, 'utf8');
  assert.match(html, /<script type="module" src="\.\/example\.js"><\/script>/);
  const page = await browser.newPage({ viewport: { width: 1000, height: 600 }, deviceScaleFactor: 1 });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.route('http://example.test/**', (route) =>
    route.fulfill({ contentType: 'text/html', body: html.replace('<script type="module" src="./example.js"></script>', () => `<script>${script}</script>`) }),
  );
  await page.goto(`http://example.test/${query}`);
  await page.waitForFunction(() => (window as any).__example?.ready === true, null, { timeout: 15_000 }).catch(() => {
    throw new Error(`example ${name} did not become ready: ${errors.join('; ')}`);
  });
  await frames(page);
  assert.deepEqual(errors, []);
  return page;
}

/** Waits for two animation frames (lightweight-charts paints on the next frame). */
function frames(page: Page): Promise<unknown> {
  return page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/** Pixels in `rect` (media px of the chart) within `tol` of `rgb`, from the chart's own screenshot. */
function countColour(page: Page, rect: Rect, rgb: Rgb, tol = 12): Promise<number> {
  return page.evaluate(
    ({ rect, rgb, tol }) => {
      const canvas = (window as any).__example.chart.takeScreenshot(true, false) as HTMLCanvasElement;
      const x0 = Math.max(0, Math.floor(Math.min(rect.x0, rect.x1)));
      const y0 = Math.max(0, Math.floor(Math.min(rect.y0, rect.y1)));
      const w = Math.min(canvas.width, Math.ceil(Math.max(rect.x0, rect.x1))) - x0;
      const h = Math.min(canvas.height, Math.ceil(Math.max(rect.y0, rect.y1))) - y0;
      if (w <= 0 || h <= 0) return 0;
      const d = canvas.getContext('2d')!.getImageData(x0, y0, w, h).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) {
        if (Math.abs(d[i] - rgb[0]) <= tol && Math.abs(d[i + 1] - rgb[1]) <= tol && Math.abs(d[i + 2] - rgb[2]) <= tol) n++;
      }
      return n;
    },
    { rect, rgb, tol },
  );
}

/** Pixels in `rect` that differ from the chart background by more than `tol`. */
function countPainted(page: Page, rect: Rect, tol = 24): Promise<number> {
  return page.evaluate(
    ({ rect, tol }) => {
      const canvas = (window as any).__example.chart.takeScreenshot(true, false) as HTMLCanvasElement;
      const x0 = Math.max(0, Math.floor(Math.min(rect.x0, rect.x1)));
      const y0 = Math.max(0, Math.floor(Math.min(rect.y0, rect.y1)));
      const w = Math.min(canvas.width, Math.ceil(Math.max(rect.x0, rect.x1))) - x0;
      const h = Math.min(canvas.height, Math.ceil(Math.max(rect.y0, rect.y1))) - y0;
      if (w <= 0 || h <= 0) return 0;
      const d = canvas.getContext('2d')!.getImageData(x0, y0, w, h).data;
      let n = 0;
      // #0f1117, the theme's background; grid lines (#1c212b) stay under the tolerance.
      for (let i = 0; i < d.length; i += 4) if (Math.abs(d[i] - 15) + Math.abs(d[i + 1] - 17) + Math.abs(d[i + 2] - 23) > tol) n++;
      return n;
    },
    { rect, tol },
  );
}

/** Media y (in the chart's screenshot) of a price on the example's series, in whichever pane it is. */
function yOf(page: Page, price: number): Promise<number> {
  return page.evaluate((p) => {
    const e = (window as any).__example;
    return (e.series.priceToCoordinate(p) as number) + (e.paneTop ?? 0);
  }, price);
}

/** Media x of a logical bar index (its centre). */
function xOf(page: Page, logical: number): Promise<number> {
  return page.evaluate((l) => (window as any).__example.chart.timeScale().logicalToCoordinate(l) as number, logical);
}

/** Makes the host candles and the grid transparent so only the plugin's own pixels remain. */
async function hideHost(page: Page): Promise<void> {
  await page.evaluate(() => {
    const e = (window as any).__example;
    const none = 'rgba(0, 0, 0, 0)';
    e.chart.applyOptions({ grid: { vertLines: { visible: false }, horzLines: { visible: false } } });
    for (const series of [e.series, e.candleSeries]) {
      if (series?.seriesType() === 'Candlestick') series.applyOptions({ upColor: none, downColor: none, wickUpColor: none, wickDownColor: none, borderUpColor: none, borderDownColor: none });
    }
  });
  await frames(page);
}

/** One pixel [r, g, b] of the chart's screenshot at media (x, y). */
function pixelAt(page: Page, x: number, y: number): Promise<number[]> {
  return page.evaluate(({ x, y }) => {
    const canvas = (window as any).__example.chart.takeScreenshot(true, false) as HTMLCanvasElement;
    return Array.from(canvas.getContext('2d')!.getImageData(Math.round(x), Math.round(y), 1, 1).data.slice(0, 3));
  }, { x, y });
}

/** Media x of a time (ms), through the logical index of the example's bars (uniform tfMs). */
function xOfMs(page: Page, ms: number): Promise<number> {
  return page.evaluate((ms) => {
    const e = (window as any).__example;
    const ts = e.chart.timeScale();
    const a = ts.logicalToCoordinate(0);
    const b = ts.logicalToCoordinate(1);
    return a + ((ms - e.candles.t[0]) / e.candles.tfMs - 0.5) * (b - a);
  }, ms);
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}plugin-${name}.png` });
}

const hex = (h: string): Rgb => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];

// Each test has its own page: they run side by side and wait on chromium together.
describe('chart plugins in chromium', { skip: BROWSER_SKIP, concurrency: true }, () => {
  let browser: Browser;
  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });

  it('footprint draws bid x ask levels with imbalance colours on 50k bars, and candles when zoomed out', async () => {
    const { THEME } = await import('../../../../src/server/web/plugins/theme.ts');
    const page = await examplePage(browser, 'footprint');
    try {
      const info = await page.evaluate(() => {
        const e = (window as any).__example;
        return { mode: e.view.mode, bars: e.candles.t.length, renderMs: e.renderMs as number, generateMs: e.generateMs as number };
      });
      assert.equal(info.bars, 50_000);
      assert.equal(info.mode, 'levels');
      const chartArea = { x0: 0, y0: 0, x1: 900, y1: 570 };
      const imbalance = (await countColour(page, chartArea, hex(THEME.buyStrong), 20)) + (await countColour(page, chartArea, hex(THEME.sellStrong), 20));
      assert.ok(imbalance > 50, `imbalance cells painted: ${imbalance} px`);
      const poc = await countColour(page, chartArea, hex(THEME.poc), 20);
      assert.ok(poc > 50, `POC outlines painted: ${poc} px`);
      await screenshot(page, 'footprint');

      await page.evaluate(() => (window as any).__example.chart.timeScale().setVisibleLogicalRange({ from: 49_700, to: 50_000 }));
      await frames(page);
      assert.equal(await page.evaluate(() => (window as any).__example.view.mode), 'candles');
      const zoomedOut = (await countColour(page, chartArea, hex(THEME.buyStrong), 20)) + (await countColour(page, chartArea, hex(THEME.sellStrong), 20));
      assert.equal(zoomedOut, 0, 'no imbalance cells once zoomed out');
      const candles = (await countColour(page, chartArea, hex(THEME.up), 10)) + (await countColour(page, chartArea, hex(THEME.down), 10));
      assert.ok(candles > 500, `candle bodies painted: ${candles} px`);
      await screenshot(page, 'footprint-zoomed-out');
      console.log(`footprint example: 50k bars, conversion + setData + first paint ${info.renderMs.toFixed(0)} ms (generating the data ${info.generateMs.toFixed(0)} ms)`);
    } finally {
      await page.close();
    }
  });
  it('liquidation heatmap paints cells where the data is and nothing where it is not', async () => {
    const page = await examplePage(browser, 'heatmap');
    try {
      await screenshot(page, 'heatmap-liquidation');
      await hideHost(page);
      const n = await page.evaluate(() => (window as any).__example.candles.t.length as number);
      const half = await xOf(page, n / 2 - 1);
      // The example's cells cover the second half of the bars only.
      const emptyHalf = await countPainted(page, { x0: 0, y0: 0, x1: half - 2, y1: 570 });
      const dataHalf = await countPainted(page, { x0: half + 2, y0: 0, x1: 925, y1: 570 });
      assert.equal(emptyHalf, 0, 'no cells in the half without data');
      assert.ok(dataHalf > 2000, `cells painted in the half with data: ${dataHalf} px`);
      // The strongest cell is painted at its own time and price.
      const cell = await page.evaluate(() => {
        const h = (window as any).__example.liquidations.heatmap;
        let k = 0;
        for (let j = 0; j < h.value.length; j++) if (h.value[j] > h.value[k]) k = j;
        return { logical: h.tIndex[k], price: h.p0 + (h.pIndex[k] + 0.5) * h.binSize };
      });
      const x = await xOf(page, cell.logical);
      const y = await yOf(page, cell.price);
      assert.ok((await countPainted(page, { x0: x - 1, y0: y - 1, x1: x + 1, y1: y + 1 })) > 0, 'strongest cell painted');
    } finally {
      await page.close();
    }
  });

  it('book heatmap paints resting size, best bid / ask and pulled, consumed and bait walls in distinct colours', async () => {
    const { THEME } = await import('../../../../src/server/web/plugins/theme.ts');
    const page = await examplePage(browser, 'heatmap', '?mode=book');
    try {
      await screenshot(page, 'heatmap-book');
      await hideHost(page);
      const paneTop = await page.evaluate(() => (window as any).__example.paneTop as number);
      assert.ok(paneTop > 150, `book heatmap in its own pane below the candles (top ${paneTop})`);
      // Nothing of the book is painted in the candles' pane.
      assert.equal(await countPainted(page, { x0: 0, y0: 0, x1: 925, y1: paneTop - 2 }), 0);
      const walls = await page.evaluate(() => (window as any).__example.book.walls as { price: number; outcome: string }[]);
      for (const w of walls) {
        const y = await yOf(page, w.price);
        const colour = { pulled: THEME.wallPulled, consumed: THEME.wallConsumed, bait: THEME.wallBait }[w.outcome as 'pulled']!;
        const band = { x0: 0, y0: y - 3, x1: 925, y1: y + 3 };
        const px = await countColour(page, band, hex(colour), 30);
        assert.ok(px > 20, `${w.outcome} wall drawn at its price: ${px} px`);
      }
      const bid = await countColour(page, { x0: 0, y0: paneTop, x1: 925, y1: 570 }, hex(THEME.bestBid), 8);
      assert.ok(bid > 200, `best bid line drawn: ${bid} px`);
    } finally {
      await page.close();
    }
  });
  it('zones: realized clusters as bands from their first liquidation to the right edge, the revisited one dimmed, predicted levels as a separate dashed layer, detector markers', async () => {
    const { THEME } = await import('../../../../src/server/web/plugins/theme.ts');
    const page = await examplePage(browser, 'zones');
    try {
      await screenshot(page, 'zones');
      await hideHost(page);
      const { clusters, levels } = await page.evaluate(() => {
        const e = (window as any).__example;
        return { clusters: e.liquidations.clusters, levels: e.predictions.levels };
      });
      for (const c of clusters) {
        const x = await xOfMs(page, c.firstMs);
        const yTop = await yOf(page, c.high);
        const yBottom = await yOf(page, c.low);
        const inside = { x0: x + 150, y0: yTop + 2, x1: 900, y1: yBottom - 2 };
        const before = { x0: 0, y0: yTop + 2, x1: x - 4, y1: yBottom - 2 };
        const area = (inside.x1 - inside.x0) * (inside.y1 - inside.y0);
        // Strongly painted (more than 80 off the background): a fresh zone is, a revisited one is dimmed below that.
        const strong = await countPainted(page, inside, 80);
        if (c.revisited) assert.equal(strong, 0, 'revisited zone dimmed');
        else assert.ok(strong > area * 0.9, `fresh zone filled: ${strong} of ${area} px`);
        assert.ok((await countPainted(page, inside, 24)) > area * 0.9, `${c.side} zone drawn to the right edge`);
        assert.ok((await countPainted(page, before, 24)) < 40, `${c.side} zone does not start before its first liquidation`);
      }
      let checked = 0;
      for (const l of levels) {
        const y = await yOf(page, l.price);
        // Predicted levels do not rescale the chart: one off the visible prices is simply not seen.
        if (!(y > 5 && y < 565)) continue;
        checked++;
        const px = await countColour(page, { x0: 0, y0: y - 2, x1: 920, y1: y + 2 }, hex(THEME.predicted), 30);
        assert.ok(px > 200, `predicted ${l.side} level drawn across the pane: ${px} px`);
        let row = 0;
        for (let dy = -2; dy <= 2; dy++) row = Math.max(row, await countColour(page, { x0: 0, y0: Math.round(y) + dy, x1: 920, y1: Math.round(y) + dy + 1 }, hex(THEME.predicted), 30));
        assert.ok(row > 300 && row < 850, `predicted level dashed, not solid: ${row} of 920 px in its row`);
      }
      assert.ok(checked >= 2, `predicted levels in view: ${checked}`);
      // Detector events through createSeriesMarkers: the bait marker in its colour near its bar.
      const bait = await page.evaluate(() => (window as any).__example.events.find((e: { kind: string }) => e.kind === 'bait'));
      const bx = await xOf(page, 180);
      const by = await yOf(page, bait.price);
      const baitPx = await countColour(page, { x0: bx - 15, y0: by - 5, x1: bx + 15, y1: by + 40 }, hex(THEME.wallBait), 30);
      assert.ok(baitPx > 20, `bait marker drawn: ${baitPx} px`);
    } finally {
      await page.close();
    }
  });

  it('bubbles: big prints as circles at their price, coloured by aggressor, larger for larger notional', async () => {
    const page = await examplePage(browser, 'bubbles');
    try {
      await screenshot(page, 'bubbles');
      await hideHost(page);
      const prints = await page.evaluate(() => (window as any).__example.prints);
      const order = prints.notional.map((_: number, k: number) => k).sort((a: number, b: number) => prints.notional[b] - prints.notional[a]);
      const big = order[0];
      const x = await xOfMs(page, prints.t[big]);
      const y = await yOf(page, prints.price[big]);
      const [r, g] = await pixelAt(page, x, y);
      if (prints.side[big] === 1) assert.ok(g > r + 20, `buy print green at its centre: ${r},${g}`);
      else assert.ok(r > g + 20, `sell print red at its centre: ${r},${g}`);
      // The largest circle covers more than a small one: 28 px radius against the smallest's few px.
      const bigArea = await countPainted(page, { x0: x - 30, y0: y - 30, x1: x + 30, y1: y + 30 });
      assert.ok(bigArea > 1500, `largest bubble area: ${bigArea} px`);
    } finally {
      await page.close();
    }
  });

  it('volume profile: rows at the right edge over the visible bars, POC highlighted', async () => {
    const { THEME } = await import('../../../../src/server/web/plugins/theme.ts');
    const page = await examplePage(browser, 'volume-profile');
    try {
      await screenshot(page, 'volume-profile');
      await hideHost(page);
      const width = await page.evaluate(() => (window as any).__example.chart.paneSize(0).width as number);
      const edge = await countPainted(page, { x0: width - 20, y0: 0, x1: width - 1, y1: 570 });
      const middle = await countPainted(page, { x0: width * 0.4, y0: 0, x1: width * 0.5, y1: 570 });
      assert.ok(edge > 1000, `profile rows at the right edge: ${edge} px`);
      assert.equal(middle, 0, 'nothing left of the profile');
      const poc = await countColour(page, { x0: width * 0.7, y0: 0, x1: width, y1: 570 }, hex(THEME.poc), 12);
      assert.ok(poc > 20, `POC row highlighted: ${poc} px`);
    } finally {
      await page.close();
    }
  });

  it('session shading: Asia and US hours shaded in their own colours', async () => {
    const page = await examplePage(browser, 'session-shading');
    try {
      await screenshot(page, 'session-shading');
      await hideHost(page);
      const t0 = await page.evaluate(() => (window as any).__example.candles.t[0] as number);
      const h = 3_600_000;
      const asia = await pixelAt(page, await xOfMs(page, t0 + 3 * h), 300);
      const us = await pixelAt(page, await xOfMs(page, t0 + 18 * h), 300);
      const quiet = await pixelAt(page, await xOfMs(page, t0 + 22 * h), 300);
      assert.deepEqual(quiet, [15, 17, 23], 'no shading outside sessions');
      assert.ok(asia[0] > quiet[0] + 8 && asia[0] > asia[2], `Asia warm: ${asia}`);
      assert.ok(us[1] > quiet[1] + 6 && us[0] < asia[0], `US green: ${us}`);
    } finally {
      await page.close();
    }
  });
});
