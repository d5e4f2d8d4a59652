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
      const canvas = (window as any).__example.chart.takeScreenshot() as HTMLCanvasElement;
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
      const canvas = (window as any).__example.chart.takeScreenshot() as HTMLCanvasElement;
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

/** Media y of a price on the example's series. */
function yOf(page: Page, price: number): Promise<number> {
  return page.evaluate((p) => (window as any).__example.series.priceToCoordinate(p) as number, price);
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
    e.series.applyOptions({ upColor: none, downColor: none, wickUpColor: none, wickDownColor: none, borderUpColor: none, borderDownColor: none });
  });
  await frames(page);
}

async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: `${ARTIFACTS}plugin-${name}.png` });
}

const hex = (h: string): Rgb => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];

describe('chart plugins in chromium', { skip: BROWSER_SKIP }, () => {
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
        return { mode: e.view.mode, bars: e.candles.t.length, renderMs: e.renderMs };
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
      console.log(`footprint example: 50k bars first render ${info.renderMs.toFixed(0)} ms`);
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
      const walls = await page.evaluate(() => (window as any).__example.book.walls as { price: number; outcome: string }[]);
      for (const w of walls) {
        const y = await yOf(page, w.price);
        const colour = { pulled: THEME.wallPulled, consumed: THEME.wallConsumed, bait: THEME.wallBait }[w.outcome as 'pulled']!;
        const band = { x0: 0, y0: y - 3, x1: 925, y1: y + 3 };
        const px = await countColour(page, band, hex(colour), 30);
        assert.ok(px > 20, `${w.outcome} wall drawn at its price: ${px} px`);
      }
      const bid = await countColour(page, { x0: 0, y0: 0, x1: 925, y1: 570 }, hex(THEME.bestBid), 8);
      assert.ok(bid > 200, `best bid line drawn: ${bid} px`);
    } finally {
      await page.close();
    }
  });
});
