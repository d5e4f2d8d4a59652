/**
 * The dashboard in headless chromium against the real server (`startServer`) on a small fixture
 * store (test/server/fixture.ts: BTC on three venues, liquidation clusters, tickers, a Binance
 * book), with a recorder in another process (test/server/writer-process.ts) adding rows while the
 * page is open. The server runs with a token, so every page opens with `?token=` as a user would.
 *
 * Panes are checked by reading their canvases back (chart.ts tags each pane's element): only
 * saturated or near-white pixels count as drawn, so the background, grid and captions never do.
 * Screenshots go to test-artifacts/ (gitignored).
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { WebSocket } from 'ws';
import { RecorderProcess } from '../recorder-process.ts';
import { startServer, type RunningServer } from '../../../src/server/server.ts';
import { BROWSER_SKIP, launchBrowser } from '../../helpers/browser.ts';
import { fixtureHome, removeHome, T0 } from '../fixture.ts';

const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
const TOKEN = 'tok-dashboard';
const M = 60_000;
/**
 * The store holds the story up to here (the long liquidation cluster, the heavy selling absorbed
 * at 1h05-1h07, the start of the drift up); the recorder adds the next minutes while a page is open.
 */
const STORED_TO = T0 + 80 * M;
/** Drawn-pixel floors per pane: a line across the pane is a few hundred; the book's cells far more. */
const FLOOR: Record<string, number> = { main: 2_000, cvd: 200, sizes: 200, marketState: 200, book: 5_000, agreement: 50 };

interface PanePixels {
  /** Pixels a series or plugin drew: saturated colour, or near-white (the aggregate lines; the axis text, #c9d1d9, stays under). */
  readonly drawn: number;
  /** A checksum of every pixel, to see that something changed. */
  readonly hash: number;
}

/** Reads back the canvases of the pane named `name`. */
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
        if (mx - mn > 40 || mn > 215) drawn++;
        hash = (Math.imul(hash, 31) + d[i] * 65_536 + d[i + 1] * 256 + d[i + 2]) | 0;
      }
    }
    return { drawn, hash };
  }, name);
}

/** Two animation frames: lightweight-charts paints on the frame after a change. */
function frames(page: Page): Promise<unknown> {
  return page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

/** The pane once two reads a couple of frames apart agree (a change can take a few frames to paint under load). */
async function settled(page: Page, name: string): Promise<PanePixels> {
  let last = await panePixels(page, name);
  for (let i = 0; i < 50; i++) {
    await frames(page);
    const now = await panePixels(page, name);
    if (now.hash === last.hash) return now;
    last = now;
  }
  return last;
}

/** Polls `probe` until `ok` holds (a probe that throws counts as not yet); on timeout names what it waited for and what it last saw. 30 s by default: a wait ends as soon as its condition holds, and a loaded machine (a second test file beside) must not turn a slow pass into a failure. */
async function until<T>(probe: () => Promise<T>, ok: (x: T) => boolean, what: string, timeoutMs = 30_000): Promise<T> {
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
  let server: RunningServer;
  let home: string;
  let writer: RecorderProcess;

  /** Opens `/` + `query` with the token (a fresh context: no cookie yet) and waits for the live feed and the panes. */
  async function open(query: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, deviceScaleFactor: 1 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}/${query}${query ? '&' : '?'}token=${TOKEN}`);
    await until(() => page.locator('[data-testid=live-status]').getAttribute('class'), (c) => !!c?.includes('open'), 'the websocket to open');
    // app.ts marks the body while a view loads: then every pane's request has been answered.
    await until(() => page.evaluate(() => document.body.dataset.loading ?? ''), (l) => l === '', 'the view to load');
    await frames(page);
    return { page, errors };
  }

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    home = await fixtureHome(STORED_TO);
    writer = await RecorderProcess.start(home);
    [browser, server] = await Promise.all([launchBrowser(), startServer({ home, port: 0, pollMs: 100, token: TOKEN })]);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await writer?.stop();
    removeHome(home);
  });

  it('refuses the page, the API and the websocket without the token', async () => {
    for (const path of ['/', '/app.js', '/api/markets', '/api/candles?symbol=BTCUSDT']) assert.equal((await fetch(`${server.url}${path}`)).status, 401, path);
    const ws = new WebSocket(`${server.url.replace('http', 'ws')}/ws?symbol=BTCUSDT`);
    ws.on('error', () => {}); // the refused handshake also surfaces as an error once terminated
    const [, res] = (await once(ws, 'unexpected-response')) as [unknown, { statusCode: number }];
    ws.terminate();
    assert.equal(res.statusCode, 401, 'websocket upgrade');
    const page = await browser.newPage();
    const nav = await page.goto(`${server.url}/?symbol=BTCUSDT`);
    assert.equal(nav?.status(), 401);
    await page.close();
  });

  it('opens the view the URL names, drops the token from the address bar and never exposes it to scripts', async () => {
    const { page, errors } = await open('?symbol=BTCUSDT&venues=binance,okx&tf=5m');
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('token'), null);
    assert.deepEqual([url.searchParams.get('symbol'), url.searchParams.get('venues'), url.searchParams.get('tf')], ['BTCUSDT', 'binance,okx', '5m']);
    assert.doesNotMatch(await page.evaluate(() => document.cookie), new RegExp(TOKEN));
    assert.equal(await page.locator('[data-testid=symbol]').inputValue(), 'BTCUSDT');
    assert.match((await page.locator('button[data-tf="5m"]').getAttribute('class')) ?? '', /\bon\b/);
    assert.deepEqual((await page.locator('[data-testid=venues] input:checked').evaluateAll((xs) => xs.map((x) => (x as HTMLInputElement).value))).sort(), ['binance', 'okx']);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('draws the candles, CVD, size, open-interest, book heatmap and agreement panes with data', async () => {
    const { page, errors } = await open('?symbol=BTCUSDT&tf=1m');
    for (const pane of Object.keys(FLOOR)) {
      const { drawn } = await panePixels(page, pane);
      assert.ok(drawn > FLOOR[pane], `pane ${pane} drew ${drawn} data pixels (floor ${FLOOR[pane]})`);
    }
    assert.equal(await page.locator('[data-testid=errors]').isVisible(), false, (await page.locator('[data-testid=errors]').textContent()) ?? '');
    await page.screenshot({ path: `${ARTIFACTS}dashboard.png` });
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('draws the liquidation heatmap and the predicted layer, each switched off by its key', async () => {
    const { page } = await open('?symbol=BTCUSDT&tf=1m');
    const on = await settled(page, 'main');
    await page.keyboard.press('h');
    const noHeat = await until(() => settled(page, 'main'), (p) => p.hash !== on.hash, 'the heatmap to go');
    assert.ok(on.drawn > noHeat.drawn, `the liquidation heatmap drew ${on.drawn - noHeat.drawn} pixels`);
    assert.equal(await page.locator('button[data-layer=heatmap]').getAttribute('class'), 'toggle');
    await page.keyboard.press('p');
    await until(() => settled(page, 'main'), (p) => p.hash !== noHeat.hash, 'the predicted levels to go');
    await page.keyboard.press('h');
    await page.keyboard.press('p');
    await until(() => settled(page, 'main'), (p) => p.hash === on.hash, 'both layers back as they were');
    await page.close();
  });

  it('draws the footprint when zoomed in, candles when zoomed out or with it off', async () => {
    const { page } = await open('?symbol=BTCUSDT&tf=1m');
    const wideOn = await settled(page, 'main');
    await page.keyboard.press('f');
    await frames(page);
    assert.equal((await settled(page, 'main')).hash, wideOn.hash, 'zoomed out, the footprint series draws candles');
    await page.keyboard.press('f');
    // Eight steps of 1.6x reach the 120 px cap from any starting spacing the view may have had. With
    // five, one run in many ended on a view where 'f' changed nothing (levels not drawn, probably
    // under the footprint's 20 px a bar or its row height): the test is about the toggle, not the zoom.
    for (let i = 0; i < 8; i++) await page.keyboard.press('+');
    const near = await until(() => settled(page, 'main'), (p) => p.hash !== wideOn.hash, 'the zoom');
    await page.screenshot({ path: `${ARTIFACTS}dashboard-footprint.png` });
    assert.ok(near.drawn > FLOOR.main, `zoomed in, the footprint drew ${near.drawn} pixels`);
    await page.keyboard.press('f');
    await until(() => settled(page, 'main'), (p) => p.hash !== near.hash, 'candles in place of the levels');
    await page.close();
  });

  it('redraws the candles and the CVD and lists the trades a recorder commits while the page is open', async () => {
    const { page, errors } = await open('?symbol=BTCUSDT&tf=1m');
    const before = { main: await settled(page, 'main'), cvd: await settled(page, 'cvd'), tape: await page.locator('[data-testid=tape] > div').count() };
    await writer.record(STORED_TO, STORED_TO + 3 * M);
    await until(async () => (await panePixels(page, 'main')).hash, (h) => h !== before.main.hash, 'the price pane to change');
    await until(async () => (await panePixels(page, 'cvd')).hash, (h) => h !== before.cvd.hash, 'the CVD pane to change');
    await until(() => page.locator('[data-testid=tape] > div').first().textContent(), (t) => !!t && t.startsWith(new Date(STORED_TO).toISOString().slice(11, 15)), 'a live trade at the top of the tape');
    assert.ok((await page.locator('[data-testid=tape] > div').count()) >= before.tape);
    await page.screenshot({ path: `${ARTIFACTS}dashboard-live.png` });
    assert.deepEqual(errors, []);
    await page.close();
  });

  it('writes the pickers back into the URL, lists the shortcuts, and shows a failed request', async () => {
    const { page } = await open('?symbol=BTCUSDT&tf=1m');
    await page.keyboard.press('4');
    await until(async () => new URL(page.url()).searchParams.get('tf'), (tf) => tf === '1h', 'tf=1h in the URL');
    await page.keyboard.press('?');
    assert.equal(await page.locator('[data-testid=help]').isVisible(), true);
    assert.match((await page.locator('[data-testid=help]').textContent()) ?? '', /footprint.*heatmap.*predicted/s);
    await page.keyboard.press('Escape');
    assert.equal(await page.locator('[data-testid=help]').isVisible(), false);
    // The venues' candles are held until the user has typed a symbol: the load that ends then must
    // leave their text alone, or their Enter asks for the old symbol again (a race seen under load).
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let heldRequests = 0;
    await page.route(/\/api\/candles\?.*venues=binance(,|%2C)bybit/, async (route) => {
      heldRequests++;
      await held;
      await route.continue();
    });
    await page.locator('[data-testid=venues] input[value=okx]').uncheck();
    await until(async () => new URL(page.url()).searchParams.get('venues'), (v) => v === 'binance,bybit', 'venues=binance,bybit in the URL');
    await until(async () => heldRequests, (n) => n > 0, 'the venues\' candles request');
    await page.locator('[data-testid=symbol]').fill('NOSUCHCOIN');
    release();
    await until(() => page.evaluate(() => document.body.dataset.loading ?? ''), (l) => l === '', 'the venues\' view to load');
    assert.equal(await page.locator('[data-testid=symbol]').inputValue(), 'NOSUCHCOIN', 'the finished load left the typed symbol alone');
    await page.locator('[data-testid=symbol]').press('Enter');
    await until(() => page.locator('[data-testid=errors]').textContent(), (t) => !!t && /NOSUCHCOIN/i.test(t), 'the error banner naming the symbol');
    await page.close();
  });
});
