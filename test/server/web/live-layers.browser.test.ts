/**
 * The layers that follow the websocket, not only reloads: detector events drawn as markers as they
 * arrive, and the book heatmap extended by live `book` messages. The store holds the fixture story
 * (test/server/fixture.ts) up to 62 minutes, before the heavy selling absorbed at 1h05-1h07; a
 * recorder in another process then commits 62-72 minutes while the page is open. Once the page
 * has loaded, its later requests for /api/events and /api/book-heatmap are refused, so whatever
 * the panes gain can only have come over the websocket. Pixels are read back from the canvases.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { RecorderProcess } from '../recorder-process.ts';
import { startServer, type RunningServer } from '../../../src/server/server.ts';
import { THEME } from '../../../src/server/web/plugins/theme.ts';
import { BROWSER_SKIP, launchBrowser } from '../../helpers/browser.ts';
import { waitFor } from '../../helpers/wait.ts';
import { fixtureHome, removeHome, T0 } from '../fixture.ts';

const ARTIFACTS = fileURLToPath(new URL('../../../test-artifacts/', import.meta.url));
const M = 60_000;
const STORED_TO = T0 + 62 * M;

/**
 * Pixels of a pane's plot canvases: how many are near `rgb` (within 40 a channel), and how many
 * are near white (the book's strongest cells) in the plot's rightmost tenth, where the newest bars are.
 */
function pixels(page: Page, pane: string, rgb: readonly [number, number, number]): Promise<{ near: number; rightWhite: number }> {
  return page.evaluate(
    ({ pane, rgb }) => {
      const host = document.querySelector(`[data-pane="${pane}"]`);
      if (!host) throw new Error(`no pane ${pane}`);
      let near = 0;
      let rightWhite = 0;
      // The widest canvas is the plot; the price scale's are narrow.
      const canvases = [...host.querySelectorAll('canvas')].filter((c) => c.width > 200);
      for (const canvas of canvases) {
        const ctx = canvas.getContext('2d');
        if (!ctx) continue;
        const { width, height } = canvas;
        const d = ctx.getImageData(0, 0, width, height).data;
        for (let i = 0; i < d.length; i += 4) {
          if (!d[i + 3]) continue;
          if (Math.abs(d[i] - rgb[0]) < 40 && Math.abs(d[i + 1] - rgb[1]) < 40 && Math.abs(d[i + 2] - rgb[2]) < 40) near++;
          if ((i / 4) % width >= 0.9 * width && Math.min(d[i], d[i + 1], d[i + 2]) > 215) rightWhite++;
        }
      }
      return { near, rightWhite };
    },
    { pane, rgb },
  );
}

function rgbOf(hex: string): [number, number, number] {
  const n = Number.parseInt(hex.slice(1), 16);
  return [n >> 16, (n >> 8) & 255, n & 255];
}

describe('live layers in a browser', { skip: BROWSER_SKIP }, () => {
  let browser: Browser;
  let server: RunningServer;
  let home: string;
  let writer: RecorderProcess;

  before(async () => {
    mkdirSync(ARTIFACTS, { recursive: true });
    home = await fixtureHome(STORED_TO);
    writer = await RecorderProcess.start(home);
    [browser, server] = await Promise.all([launchBrowser(), startServer({ home, port: 0, pollMs: 100 })]);
  });
  after(async () => {
    await browser?.close();
    await server?.close();
    await writer?.stop();
    removeHome(home);
  });

  it('draws live absorption markers and extends the book heatmap from websocket messages alone', async () => {
    const page = await browser.newPage({ viewport: { width: 1366, height: 768 }, deviceScaleFactor: 1 });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    const got = { events: 0, books: 0 };
    page.on('websocket', (ws) =>
      ws.on('framereceived', (f) => {
        const m = JSON.parse(String(f.payload)) as { type: string };
        if (m.type === 'event') got.events++;
        if (m.type === 'book') got.books++;
      }),
    );
    await page.goto(`${server.url}/?symbol=BTCUSDT&venues=binance,okx,bybit&tf=1m`);
    await waitFor(async () => (await page.evaluate(() => document.body.dataset.loading ?? '')) === '' && (await page.locator('[data-testid=live-status]').getAttribute('class'))?.includes('open') === true, 'the view to load and the websocket to open', 20_000, 50);
    // From here on the history of these layers is frozen: only the websocket can add to them.
    await page.route(/\/api\/(events|book-heatmap)/, (route) => route.abort());
    // Candles only (no footprint imbalance colours), so the marker colour is the markers'.
    await page.keyboard.press('f');
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const marker = rgbOf(THEME.buyStrong);
    const main0 = await pixels(page, 'main', marker);
    const book0 = await pixels(page, 'book', [0, 0, 0]);

    // A minute at a time, as a recorder flushes while the market trades: each poll's book is a column.
    for (let t = STORED_TO; t < T0 + 72 * M; t += M) {
      const books = got.books;
      await writer.record(t, t + M);
      await waitFor(() => got.books > books, `a book message after minute ${(t - T0) / M}`, 30_000, 20);
    }
    await waitFor(() => got.events > 0, 'event messages over the websocket', 30_000, 50);
    // Up absorption markers (circles labelled ABS in the strong buy colour) appear on the price pane.
    await waitFor(async () => (await pixels(page, 'main', marker)).near > main0.near + 30, 'live markers drawn on the price pane', 30_000, 100);
    // Ten new minutes pushed the stored columns out of the rightmost tenth: what is drawn there now came live.
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const book1 = await pixels(page, 'book', [0, 0, 0]);
    await page.screenshot({ path: `${ARTIFACTS}dashboard-live-layers.png` });
    // A live column is about 15 px x 40 px of white cells (ten levels of 50 a side): a few columns are thousands of pixels; the price line alone a hundred.
    assert.ok(book1.rightWhite > 1000, `live book columns at the right edge (${book1.rightWhite} near-white px there; ${book0.rightWhite} before the stream)`);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
