/**
 * The footprint levels load by range: the first `footprint=1` request covers the bars on screen
 * (plus a margin), not the view's whole span, and scrolling into older bars fetches their levels,
 * which the series then draws. The store holds 1,000 one-minute Binance BTCUSDT bars (the
 * server's default span) of a seeded random walk, four trades a bar, written through the real
 * recorder; the page opens at the default zoom (about 200 bars on a 1366 px screen).
 *
 * Levels drawn are read back as pixels of the POC colour (the footprint marks each bar's point of
 * control; candles have none) in the plot's left 60 %, away from the volume profile at its right.
 *
 * The same store checks the panes' first draw (web/panes/progressive-load.ts): the first load
 * writes the pane lines from three screens before the last bar, the older points after the first
 * render; zoomed out over all 1,000 bars (0.5 px a bar), the delta-by-size lines must then span
 * all of them.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page, Route } from 'playwright-core';
import type { MarketEvent } from '../../../src/core/events.ts';
import { startServer, type RunningServer } from '../../../src/server/server.ts';
import { THEME } from '../../../src/server/web/plugins/theme.ts';
import { THEME as PAGE } from '../../../src/server/web/theme.ts';
import { Store } from '../../../src/store/store.ts';
import { BROWSER_SKIP, launchBrowser } from '../../helpers/browser.ts';
import { waitFor } from '../../helpers/wait.ts';
import { record } from '../fixture.ts';

const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
const M = 60_000;
const T0 = Date.UTC(2026, 0, 5, 0, 0);
const BARS = 1_000;

/**
 * Four trades a minute, sides alternating, about $40 apart within a bar around a slow seeded walk:
 * bars tall against the screen's price span, so zoomed in their levels are rows of several px.
 */
function walk(): MarketEvent[] {
  let seed = 7;
  const rnd = () => ((seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0) / 2 ** 32);
  let base = 90_000;
  const out: MarketEvent[] = [];
  for (let b = 0; b < BARS; b++) {
    base += (rnd() - 0.5) * 6;
    for (let k = 0; k < 4; k++) {
      const price = Math.round((base + (rnd() - 0.5) * 40) * 10) / 10;
      const ts = T0 + b * M + k * 15_000;
      out.push({ type: 'trade', venue: 'binance', symbol: 'BTCUSDT', ts, localTs: ts, price, qty: 0.1 + rnd(), side: k % 2 ? 'buy' : 'sell', id: String(b * 4 + k) });
    }
  }
  return out;
}

/** Pixels near the POC colour in the left 60 % of the price pane's plot canvas. */
function pocPixels(page: Page): Promise<number> {
  const [r, g, b] = [1, 3, 5].map((k) => Number.parseInt(THEME.poc.slice(k, k + 2), 16));
  return page.evaluate(
    ({ r, g, b }) => {
      const host = document.querySelector('[data-pane="main"]');
      if (!host) throw new Error('no pane main');
      let near = 0;
      for (const canvas of [...host.querySelectorAll('canvas')].filter((c) => c.width > 200)) {
        const ctx = canvas.getContext('2d');
        if (!ctx) continue;
        const d = ctx.getImageData(0, 0, Math.floor(canvas.width * 0.6), canvas.height).data;
        for (let i = 0; i < d.length; i += 4) if (d[i + 3] && Math.abs(d[i] - r) < 30 && Math.abs(d[i + 1] - g) < 30 && Math.abs(d[i + 2] - b) < 30) near++;
      }
      return near;
    },
    { r, g, b },
  );
}

/**
 * Plot x (css px) of the leftmost and rightmost pixels near any of `colors` ('#rrggbb') on a
 * pane's plot canvas, below its caption (the top `skipTop` px); null when none.
 */
function xSpan(page: Page, pane: string, colors: readonly string[], skipTop: number): Promise<[number, number] | null> {
  const rgb = colors.map((c) => [1, 3, 5].map((k) => Number.parseInt(c.slice(k, k + 2), 16)));
  return page.evaluate(
    ({ pane, rgb, skipTop }) => {
      const host = document.querySelector(`[data-pane="${pane}"]`);
      if (!host) throw new Error(`no pane ${pane}`);
      let lo = Infinity;
      let hi = -Infinity;
      for (const canvas of [...host.querySelectorAll('canvas')].filter((c) => c.width > 200)) {
        const ctx = canvas.getContext('2d');
        if (!ctx) continue;
        const { width, height } = canvas;
        const d = ctx.getImageData(0, 0, width, height).data;
        for (let y = skipTop; y < height; y++)
          for (let x = 0; x < width; x++) {
            const i = (y * width + x) * 4;
            if (d[i + 3] && rgb.some(([r, g, b]) => Math.abs(d[i] - r) < 30 && Math.abs(d[i + 1] - g) < 30 && Math.abs(d[i + 2] - b) < 30)) {
              if (x < lo) lo = x;
              if (x > hi) hi = x;
            }
          }
      }
      return hi >= lo ? ([lo, hi] as [number, number]) : null;
    },
    { pane, rgb, skipTop },
  );
}

function frames(page: Page): Promise<unknown> {
  return page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

describe('footprint levels loaded by range in a browser', { skip: BROWSER_SKIP }, () => {
  let browser: Browser;
  let server: RunningServer;
  let home: string;

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    home = join(mkdtempSync(join(tmpdir(), 'orderflow-fp-lazy-')), 'home');
    const store = await Store.open(home);
    try {
      await record(store, walk());
    } finally {
      store.close();
    }
    [browser, server] = await Promise.all([launchBrowser(), startServer({ home, port: 0, pollMs: 100 })]);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    if (home) rmSync(join(home, '..'), { recursive: true, force: true });
  });

  it('fetches the levels of the bars on screen first, then those of older bars scrolled into, and draws them', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, deviceScaleFactor: 1 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const spans: [number, number][] = [];
    // Requests after the first are held until the test has seen the older bars drawn as candles.
    const held: Route[] = [];
    await page.route(/\/api\/candles\?.*footprint=1/, (route) => {
      const u = new URL(route.request().url());
      spans.push([Number(u.searchParams.get('from')), Number(u.searchParams.get('to'))]);
      if (spans.length === 1) void route.continue();
      else held.push(route);
    });
    await page.goto(`${server.url}/?symbol=BTCUSDT&venues=binance&tf=1m`);
    await waitFor(async () => (await page.evaluate(() => document.body.dataset.loading ?? '')) === '', 'the view to load', 20_000, 50);

    // The first request: the latest bars, a few hundred of the thousand (~200 on screen plus margins).
    assert.equal(spans.length, 1, `one footprint request at first paint, got ${JSON.stringify(spans)}`);
    const [from0, to0] = spans[0];
    assert.ok(to0 >= T0 + (BARS - 1) * M, `covers the last bar (to ${(to0 - T0) / M} min)`);
    const bars0 = (to0 - from0) / M;
    assert.ok(bars0 >= 150 && bars0 <= 500, `covers the screen and a margin, not the whole view: ${bars0} bars`);

    // Scroll 700 bars back (drags of 1,000 px at 6 px a bar), then zoom in to footprint spacing.
    const box = (await page.locator('[data-pane="main"]').boundingBox())!;
    for (let k = 0; k < 4; k++) {
      await page.mouse.move(box.x + 100, box.y + box.height / 2);
      await page.mouse.down();
      await page.mouse.move(box.x + 1100, box.y + box.height / 2, { steps: 10 });
      await page.mouse.up();
    }
    // About 40 px a bar (the footprint shows levels from 20); a key between frames is one zoom step.
    for (let k = 0; k < 4; k++) {
      await page.keyboard.press('+');
      await frames(page);
    }
    await waitFor(() => held.length > 0, 'a footprint request for the older bars', 30_000, 50);
    // The view settles (debounced) before its levels are asked for: let a late one arrive too.
    await new Promise((r) => setTimeout(r, 400));
    for (const [from1, to1] of spans.slice(1)) {
      assert.ok(to1 <= from0 && from1 < to1, `older bars only: [${(from1 - T0) / M}, ${(to1 - T0) / M}) min, the first request was from ${(from0 - T0) / M}`);
    }
    await frames(page);
    const candlesOnly = await pocPixels(page);
    for (const route of held) void route.continue();
    await waitFor(async () => (await pocPixels(page)) > candlesOnly + 200, `POC marks of the older bars' levels (${candlesOnly} px before they came)`, 30_000, 100);
    await page.screenshot({ path: `${ARTIFACTS}dashboard-footprint-lazy.png` });
    // Zooming in over what is held asks for nothing more.
    const asked = spans.length;
    await page.keyboard.press('+');
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(spans.length, asked, `no request for held bars: ${JSON.stringify(spans.slice(asked))}`);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('writes the panes\' points before the first draw\'s bars after the first render, so zoomed out the size lines span every bar', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, deviceScaleFactor: 1 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}/?symbol=BTCUSDT&venues=binance&tf=1m`);
    await waitFor(async () => (await page.evaluate(() => document.body.dataset.loading ?? '')) === '', 'the view to load', 20_000, 50);
    // Zoomed out to the least bar spacing (0.5 px) at once, older points landed or not: all 1,000 bars on screen.
    for (let k = 0; k < 6; k++) {
      await page.keyboard.press('-');
      await frames(page);
    }
    await waitFor(async () => (await page.evaluate(() => document.body.dataset.history ?? '')) === '', 'every pane to hold its whole span', 20_000, 50);
    await frames(page);
    await page.screenshot({ path: `${ARTIFACTS}dashboard-progressive-zoomed-out.png` });
    const span = await xSpan(page, 'sizes', Object.values(PAGE.bucket), 18);
    assert.ok(span !== null, 'the size lines are drawn');
    // 1,000 bars at 0.5 px a bar: ~500 px. The first draw's bars alone (three screens of ~170) are ~255.
    const bars = (span[1] - span[0]) / 0.5 + 1;
    assert.ok(bars >= 950, `the size lines span ${bars} bars of 1,000 (x ${span[0]} to ${span[1]})`);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
