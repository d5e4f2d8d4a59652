/**
 * Dashboard benchmark, in headless chromium (the system's, through playwright-core; without one
 * the bench says so and reports nothing):
 *
 * - first render: `orderflow serve`'s server (`startServer`, `warm` as serve: the stored trades
 *   filled into memory at start; the untimed warm-up page below would fill them anyway) on a store holding `--bars N`
 *   (default 50,000) one-minute candles of Binance BTCUSDT, 40 synthetic trades a bar (a random
 *   walk; the app's level height gives ~24 footprint levels a bar), imported from a Binance
 *   aggTrades CSV by the real importer and cached under bench/.data/. The page opens
 *   `/?symbol=BTCUSDT&venues=binance&tf=1m&bars=N`; the figure is navigation start to the first
 *   animation frame after the app cleared `data-loading` (every pane's request settled) with the
 *   footprint request (`footprint=1`) answered and drawn: the levels of the bars on screen (plus
 *   the app's margin), which is all the page asks for at first paint (older ranges load as the
 *   user scrolls to them: docs/DASHBOARD.md). An untimed page loads first (the bundle, DuckDB's
 *   first open, the JIT) on another span (N - 1000 bars), so no answer the server keeps for a
 *   span is the timed page's. The split comes from the page's resource timing: server time
 *   (request sent to first byte) and bytes of the candles and footprint requests; the main chart's
 *   candles from the app's performance mark (api.ts CANDLES_MARK); when every pane held its whole
 *   span (`panes_full_ms`, api.ts PANES_FULL_MARK, not timed: a first load writes the points
 *   older than the screen's margin after the first render); the page's main-thread task time to
 *   the timed frame (`first_render_page_task_ms`, Chromium's Performance metrics: less weather
 *   than the wall); and the process CPU over the
 *   render (the server's, with this bench's own browser driver).
 *   Reference: a bare page giving lightweight-charts' plain candlestick series the same candles,
 *   fetched from the same server (`/api/candles`, no footprint), navigation start to the frame
 *   after setData. The ratio is reference / ours: what our panes, layers and footprint cost.
 * - server CPU: each of the page's /api requests asked again, one at a time, after the render
 *   (`fastify.inject`; process CPU time, DuckDB's threads included), summed. Reference: the
 *   reference page's one request. Wall times under load are weather; this is not.
 * - streaming: a recorder in a child process (this file again, `--dashboard-bench-writer`) holds
 *   the store and appends `--rate N` trades a second (default 2,000) for `--seconds N` (default
 *   12) after the last stored one, as `orderflow record` beside `orderflow serve` does; the page
 *   (opened on the same N bars) follows them over the websocket. Frame times are the deltas of
 *   requestAnimationFrame in the page: p50, p95, p99 and frames over 50 ms. Reference: the same
 *   page, same span, with no stream. The bench throws when no live trade reached the page. On a
 *   loaded machine frame intervals are weather (they wait for a core); the page's main-thread
 *   time per second (Chromium's Performance metrics: task, script, layout + style) is printed
 *   beside them, streaming against idle, and what the stream added per trade the page received
 *   (`stream_page_us_per_trade`: main-thread task time streaming minus idle, over the trades the
 *   websocket brought). `--profile` adds the page's top functions by self time, idle and while
 *   streaming (V8 CPU profiles through the Chrome DevTools Protocol, of the page's own bundle
 *   built unminified with lightweight-charts' development build, so the names read).
 *   `--stream-only` skips the timed first render, its reference and the server CPU.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { build } from 'esbuild';
import { chromium, type Browser, type CDPSession, type Page } from 'playwright-core';
import type { MarketEvent } from '../src/core/events.ts';
import { startServer, type RunningServer } from '../src/server/server.ts';
import { CANDLES_MARK, PANES_FULL_MARK } from '../src/server/api.ts';
import { importFile } from '../src/store/importer.ts';
import { ReadEndpoint } from '../src/store/read-endpoint.ts';
import { Recorder } from '../src/store/recorder.ts';
import { Store } from '../src/store/store.ts';
import { loadBundledInstruments } from '../src/venues/bundled-instruments.ts';
import { allFormats } from '../src/venues/formats.ts';
import { findChromium } from '../test/helpers/browser.ts';
import { flag } from './flags.ts';
import type { BenchResult } from './run.ts';

const SELF = fileURLToPath(import.meta.url);
const HERE = dirname(SELF);
const DATA = join(HERE, '.data');
const WRITER_FLAG = '--dashboard-bench-writer';
const MINUTE = 60_000;
const TRADES_PER_BAR = 40;
/** The history's first bar. */
const T0 = Date.UTC(2024, 0, 1);
/** A frame longer than this is counted as long (three 60 Hz frames). */
const LONG_FRAME_MS = 50;

/** Deterministic uniform [0, 1) (mulberry32): the cached store is the same on every machine. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `bars` minutes of synthetic BTCUSDT aggTrades (random walk, ~$40 a bar), written once. */
async function historyCsv(bars: number): Promise<string> {
  mkdirSync(DATA, { recursive: true });
  const path = join(DATA, `BTCUSDT-aggTrades-dashboard-v1-${bars}.csv`);
  if (existsSync(path)) return path;
  const r = rng(14);
  const out = createWriteStream(`${path}.tmp`);
  out.write('agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker\n');
  let mid = 42_000;
  let id = 1_000_000_000;
  for (let b = 0; b < bars; b++) {
    const lines: string[] = [];
    const drift = (r() - 0.5) * 30;
    for (let k = 0; k < TRADES_PER_BAR; k++) {
      const t = T0 + b * MINUTE + Math.floor((k * MINUTE) / TRADES_PER_BAR + r() * 1000);
      const price = mid + (drift * k) / TRADES_PER_BAR + (r() + r() + r() - 1.5) * 25;
      const qty = -Math.log(1 - r()) * 0.4 + 0.001;
      lines.push(`${id},${price.toFixed(1)},${qty.toFixed(3)},${id * 3},${id * 3 + 1},${t},${r() < 0.5}`);
      id++;
    }
    mid += drift;
    if (!out.write(`${lines.join('\n')}\n`)) await new Promise<void>((res) => out.once('drain', () => res()));
  }
  await new Promise<void>((res) => out.end(res));
  renameSync(`${path}.tmp`, path);
  return path;
}

/** A store home holding the history, imported once into bench/.data and copied for each run. */
async function historyHome(bars: number): Promise<string> {
  const cached = join(DATA, `dashboard-home-v1-${bars}`);
  if (!existsSync(cached)) {
    const csv = await historyCsv(bars);
    const building = `${cached}.tmp`;
    rmSync(building, { recursive: true, force: true });
    const store = await Store.open(building);
    try {
      const r = await importFile(store, csv, { formats: allFormats(), instruments: loadBundledInstruments() });
      console.error(`dashboard: imported ${r.rows.toLocaleString('en-US')} trades into the cached store`);
    } finally {
      store.close();
    }
    renameSync(building, cached);
  }
  const home = join(mkdtempSync(join(tmpdir(), 'orderflow-dash-bench-')), 'home');
  cpSync(cached, home, { recursive: true });
  return home;
}

/**
 * A page whose evaluated callbacks run as tsx compiled them: its keepNames wraps named inner
 * functions in `__name(...)`, a helper only the Node side defines.
 */
async function newPage(browser: Browser): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  await page.addInitScript('window.__name = (f) => f');
  page.on('pageerror', (e) => console.error(`dashboard: page error: ${e.message}`));
  return page;
}

function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

interface Frames {
  n: number;
  p50: number;
  p95: number;
  p99: number;
  long: number;
}

/** requestAnimationFrame deltas in the page for `ms`. */
async function frameTimes(page: Page, ms: number): Promise<Frames> {
  const deltas = await page.evaluate(
    (ms) =>
      new Promise<number[]>((resolve) => {
        const out: number[] = [];
        let last = -1;
        const end = performance.now() + ms;
        const tick = (t: number) => {
          if (last >= 0) out.push(t - last);
          last = t;
          if (t < end) requestAnimationFrame(tick);
          else resolve(out);
        };
        requestAnimationFrame(tick);
      }),
    ms,
  );
  const s = [...deltas].sort((a, b) => a - b);
  return { n: s.length, p50: quantile(s, 0.5), p95: quantile(s, 0.95), p99: quantile(s, 0.99), long: s.filter((d) => d > LONG_FRAME_MS).length };
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; hitCount?: number }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** The `n` functions with the most self time in a V8 CPU profile (`--profile`: where the streaming frames go). */
function topSelfTime(p: CpuProfile, n: number): string {
  const byId = new Map(p.nodes.map((x) => [x.id, x]));
  const self = new Map<string, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const f = byId.get(samples[i])?.callFrame;
    if (!f) continue;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').pop()}:${f.lineNumber + 1}:${f.columnNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (deltas[i] ?? 0) / 1000);
  }
  return [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([k, ms]) => `  ${ms.toFixed(0).padStart(6)} ms  ${k}`)
    .join('\n');
}

/** The page's main-thread work so far (Chromium's Performance domain), ms. */
interface Busy {
  task: number;
  script: number;
  layout: number;
}

async function pageBusy(cdp: CDPSession): Promise<Busy> {
  const { metrics } = (await cdp.send('Performance.getMetrics')) as { metrics: { name: string; value: number }[] };
  const m = (name: string) => (metrics.find((x) => x.name === name)?.value ?? NaN) * 1000;
  return { task: m('TaskDuration'), script: m('ScriptDuration'), layout: m('LayoutDuration') + m('RecalcStyleDuration') };
}

/**
 * Main-thread ms per second of a window: time the page's thread spent in tasks, which a loaded
 * machine stretches far less than it stretches frame intervals (those wait for a core).
 */
function perSecond(a: Busy, b: Busy, seconds: number): Busy {
  return { task: (b.task - a.task) / seconds, script: (b.script - a.script) / seconds, layout: (b.layout - a.layout) / seconds };
}

interface RenderTiming {
  totalMs: number;
  /** When the main chart got its candles (the app's performance mark), ms from navigation start. */
  candlesMs?: number;
  /** When every pane held its whole span (the app's mark, after the timed render: its older points come after the first draw). */
  fullMs?: number;
  /** Process CPU during the render: the server's, with this bench's browser driver (ms). */
  cpuMs: number;
  /** The page's main-thread task time (Chromium's Performance metrics, TaskDuration) up to the timed frame, and up to every pane's whole span (ms). */
  pageTaskMs: number;
  pageTaskFullMs: number;
  candles?: { serverMs: number; transferMs: number; bytes: number };
  footprint?: { serverMs: number; transferMs: number; bytes: number };
  /** Each /api request: path, sent, first byte, last byte (ms from navigation start). */
  timeline: string[];
  /** Each /api request's path and query, as the page sent it. */
  urls: string[];
}

/** Navigation start to the first frame after the app's every request settled, with the footprint in. */
async function firstRender(page: Page, url: string): Promise<RenderTiming> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const c0 = process.cpuUsage();
  await page.goto(url);
  await page.waitForFunction(
    () =>
      document.body.dataset.loading === undefined &&
      performance.getEntriesByType('resource').some((e) => e.name.includes('/api/candles') && e.name.includes('footprint=1') && (e as PerformanceResourceTiming).responseEnd > 0),
    undefined,
    { timeout: 120_000, polling: 'raf' },
  );
  const timing = await page.evaluate(async (mark) => {
    await new Promise<void>((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())));
    const totalMs = performance.now();
    const candlesMs = performance.getEntriesByName(mark, 'mark')[0]?.startTime;
    const split = (fp: boolean) => {
      const e = performance
        .getEntriesByType('resource')
        .find((x) => x.name.includes('/api/candles') && x.name.includes('footprint=1') === fp) as PerformanceResourceTiming | undefined;
      return e ? { serverMs: e.responseStart - e.requestStart, transferMs: e.responseEnd - e.responseStart, bytes: e.encodedBodySize } : undefined;
    };
    const timeline = performance
      .getEntriesByType('resource')
      .filter((x) => x.name.includes('/api/'))
      .map((x) => {
        const e = x as PerformanceResourceTiming;
        const path = new URL(e.name).pathname.slice(5) + (e.name.includes('footprint=1') ? '+fp' : '');
        return `${path} ${e.startTime.toFixed(0)}-${e.responseStart.toFixed(0)}-${e.responseEnd.toFixed(0)}`;
      });
    const urls = performance
      .getEntriesByType('resource')
      .filter((x) => x.name.includes('/api/'))
      .map((x) => {
        const u = new URL(x.name);
        return u.pathname + u.search;
      });
    return { totalMs, candlesMs, candles: split(false), footprint: split(true), timeline, urls };
  }, CANDLES_MARK);
  const cpu = process.cpuUsage(c0);
  const pageTaskMs = (await pageBusy(cdp)).task;
  // Not timed: the panes' points older than the screen's margin, written after the first render.
  await page.waitForFunction(() => document.body.dataset.history === undefined, undefined, { timeout: 120_000, polling: 50 });
  const fullMs = await page.evaluate((mark) => performance.getEntriesByName(mark, 'mark')[0]?.startTime, PANES_FULL_MARK);
  const pageTaskFullMs = (await pageBusy(cdp)).task;
  await cdp.detach();
  return { ...timing, fullMs, cpuMs: (cpu.user + cpu.system) / 1000, pageTaskMs, pageTaskFullMs };
}

/**
 * Server CPU of each request, asked again one at a time after the render (process CPU, the
 * server's DuckDB threads included): unlike the page's wall times, not weather on a loaded machine.
 */
async function serverCpu(server: RunningServer, urls: readonly string[]): Promise<{ url: string; ms: number; status: number }[]> {
  const out: { url: string; ms: number; status: number }[] = [];
  for (const url of urls) {
    const c0 = process.cpuUsage();
    const r = await server.app.inject(url);
    const c = process.cpuUsage(c0);
    // The page's own answers, refusals included.
    out.push({ url, ms: (c.user + c.system) / 1000, status: r.statusCode });
  }
  return out;
}

/** The reference page: lightweight-charts' candlestick series alone, on the same candles. */
async function referenceScript(): Promise<string> {
  const r = await build({
    stdin: {
      contents: `
        import { createChart, CandlestickSeries } from 'lightweight-charts';
        const chart = createChart(document.getElementById('c'), { autoSize: true });
        const series = chart.addSeries(CandlestickSeries);
        const r = await (await fetch('/api/candles' + location.search)).json();
        const data = new Array(r.t.length);
        for (let i = 0; i < r.t.length; i++) data[i] = { time: r.t[i] / 1000, open: r.o[i], high: r.h[i], low: r.l[i], close: r.c[i] };
        series.setData(data);
        requestAnimationFrame(() => requestAnimationFrame(() => { window.__rendered = performance.now(); }));
      `,
      resolveDir: HERE,
      loader: 'js',
    },
    bundle: true,
    format: 'esm',
    write: false,
    minify: true,
    target: 'es2022',
  });
  return r.outputFiles[0].text;
}

async function referenceRender(page: Page, base: string, query: string, script: string): Promise<number> {
  const html = `<!doctype html><html><body style="margin:0"><div id="c" style="width:100vw;height:100vh"></div><script type="module">${script}</script></body></html>`;
  await page.route((u) => u.pathname === '/__bench_reference', (route) => route.fulfill({ contentType: 'text/html', body: html }));
  await page.goto(`${base}/__bench_reference${query}`);
  await page.waitForFunction(() => (window as unknown as { __rendered?: number }).__rendered !== undefined, undefined, { timeout: 30_000 });
  return page.evaluate(() => (window as unknown as { __rendered: number }).__rendered);
}

/** The recorder child: it holds the store, publishes its read endpoint, and streams on `go`. */
class Writer {
  private readonly lines: AsyncIterator<string>;
  private constructor(private readonly child: ChildProcess) {
    this.lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  }
  static async start(home: string): Promise<Writer> {
    const child = spawn(process.execPath, ['--import', 'tsx', SELF, WRITER_FLAG, home], { stdio: ['pipe', 'pipe', 'inherit'] });
    const w = new Writer(child);
    await w.expect('ready');
    return w;
  }
  async expect(prefix: string): Promise<string> {
    const r = await this.lines.next();
    if (r.done || !r.value.startsWith(prefix)) throw new Error(`dashboard bench writer: expected ${prefix}, got ${r.done ? 'its exit' : r.value}`);
    return r.value;
  }
  /** Streams `rate` trades/s for `seconds`; resolves with the trades written once it has. */
  async stream(rate: number, seconds: number): Promise<number> {
    this.child.stdin!.write(`go ${rate} ${seconds}\n`);
    return Number((await this.expect('done')).split(' ')[1]);
  }
  async stop(): Promise<void> {
    this.child.stdin!.end();
    await new Promise((r) => this.child.once('exit', r));
  }
}

async function writerMain(home: string): Promise<void> {
  const store = await Store.open(home);
  const reads = await ReadEndpoint.start(store);
  const [{ last }] = await store.rows<{ last: number }>('SELECT epoch_ms(max(ts))::DOUBLE AS last FROM trades');
  const rec = await Recorder.open(store, { label: 'dashboard bench writer', flushMs: 250 });
  const r = rng(2000);
  let id = 3_000_000_000;
  let price = 42_000;
  const [{ close }] = await store.rows<{ close: number }>('SELECT arg_max(price, ts)::DOUBLE AS close FROM trades');
  price = close;
  console.log('ready');
  for await (const line of createInterface({ input: process.stdin })) {
    const [, rateText, secondsText] = line.split(' ');
    const rate = Number(rateText);
    const seconds = Number(secondsText);
    const started = Date.now();
    const tickMs = 50;
    let sent = 0;
    // Exchange time continues from the last stored trade at wall-clock pace: the page sees a live market.
    while (Date.now() - started < seconds * 1000) {
      const due = Math.floor(((Date.now() - started) / 1000) * rate);
      const events: MarketEvent[] = [];
      for (; sent < due; sent++) {
        const ts = last + 1 + (Date.now() - started) + sent / rate;
        price += (r() - 0.5) * 2;
        events.push({ type: 'trade', venue: 'binance', symbol: 'BTCUSDT', ts, localTs: ts, price: Math.round(price * 10) / 10, qty: Math.round((-Math.log(1 - r()) * 0.4 + 0.001) * 1000) / 1000, side: r() < 0.5 ? 'buy' : 'sell', id: String(id++) });
      }
      if (events.length) rec.handlers('binance').onEvents(events, 0);
      await new Promise((res) => setTimeout(res, tickMs));
    }
    console.log(`done ${sent}`);
  }
  await rec.close();
  await reads.close();
  store.close();
}

interface StreamRun {
  readonly home: string;
  readonly query: string;
  readonly seconds: number;
  readonly rate: number;
  readonly profile: boolean;
  /** The server log's failed live polls, read as the stream runs. */
  readonly failedPolls: readonly string[];
  readonly load0: number;
}

/**
 * The page's own bundle unminified, lightweight-charts' development build included (`--profile`:
 * a profile of the minified bundle names esbuild's short names only).
 */
async function readableBundle(): Promise<string> {
  const r = await build({
    entryPoints: { app: join(HERE, '../src/server/web/main.ts') },
    outdir: '/',
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: false,
    conditions: ['development'],
    write: false,
    logLevel: 'silent',
  });
  return r.outputFiles.find((f) => f.path === '/app.js')!.text;
}

/**
 * Frame times of a page following the live stream (a recorder child appending `rate` trades a
 * second for `seconds`) against the same page idle for as long, and the page's main-thread time.
 */
async function streamFigures(browser: Browser, server: RunningServer, o: StreamRun): Promise<BenchResult[]> {
  const { home, query, seconds, rate, profile, failedPolls, load0 } = o;
  // Streaming: the recorder takes the store; a fresh page follows it live.
  const writer = await Writer.start(home);
  try {
    const live = await newPage(browser);
    if (profile) {
      const js = await readableBundle();
      await live.route((u) => u.pathname === '/app.js', (route) => route.fulfill({ contentType: 'text/javascript', body: js }));
    }
    let wsFrames = 0;
    let wsBytes = 0;
    let wsTrades = 0;
    let wsDropped = 0;
    live.on('websocket', (ws) =>
      ws.on('framereceived', (f) => {
        wsFrames++;
        wsBytes += typeof f.payload === 'string' ? f.payload.length : f.payload.byteLength;
        const m = JSON.parse(f.payload.toString()) as { type: string; t?: unknown[] };
        if (m.type === 'trades') wsTrades += m.t?.length ?? 0;
        if (m.type === 'dropped') wsDropped++;
      }),
    );
    await firstRender(live, `${server.url}/${query}`);
    const cdp = await live.context().newCDPSession(live);
    await cdp.send('Performance.enable');
    if (profile) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.start');
    }
    const busy0 = await pageBusy(cdp);
    const idle = await frameTimes(live, seconds * 1000);
    const busy1 = await pageBusy(cdp);
    if (profile) console.error(`dashboard: page script idle (unminified bundle), by self time:\n${topSelfTime((await cdp.send('Profiler.stop')).profile as CpuProfile, 30)}`);
    const before = wsFrames;
    const tradesBefore = wsTrades;
    if (profile) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.start');
    }
    const [written, streaming] = await Promise.all([writer.stream(rate, seconds), frameTimes(live, seconds * 1000)]);
    const busy2 = await pageBusy(cdp);
    if (profile) {
      const prof = (await cdp.send('Profiler.stop')).profile as CpuProfile;
      console.error(`dashboard: page script while streaming (unminified bundle), by self time:\n${topSelfTime(prof, 30)}`);
    }
    const idleBusy = perSecond(busy0, busy1, seconds);
    const streamBusy = perSecond(busy1, busy2, seconds);
    const received = wsFrames - before;
    if (received === 0) throw new Error('dashboard: no websocket message reached the page while trades streamed in: the live path is broken');
    const fmtF = (f: Frames) => `p50 ${f.p50.toFixed(1)} p95 ${f.p95.toFixed(1)} p99 ${f.p99.toFixed(1)} ms, ${f.long} frames > ${LONG_FRAME_MS} ms of ${f.n}`;
    console.error(`dashboard: streaming ${written} trades over ${seconds} s (${received} websocket messages carrying ${wsTrades - tradesBefore} trades, ${wsDropped} 'dropped' notices; ${(wsBytes / 1e6).toFixed(1)} MB in all): ${fmtF(streaming)}`);
    if (failedPolls.length) console.error(`dashboard: ${failedPolls.length} live polls failed, e.g. ${failedPolls[0]}`);
    console.error(`dashboard: idle (no stream): ${fmtF(idle)}`);
    const fmtB = (b: Busy) => `task ${b.task.toFixed(0)}, script ${b.script.toFixed(0)}, layout+style ${b.layout.toFixed(0)} ms per s`;
    // The page's main-thread time the stream added, per trade it received.
    const tradesIn = wsTrades - tradesBefore;
    const usPerTrade = tradesIn > 0 ? ((streamBusy.task - idleBusy.task) * seconds * 1000) / tradesIn : NaN;
    console.error(`dashboard: page main thread (CPU, not wall clock): streaming ${fmtB(streamBusy)}; idle ${fmtB(idleBusy)}; ${usPerTrade.toFixed(0)} µs a streamed trade over idle`);
    console.error(`dashboard: machine ${availableParallelism()} cores, load ${load0.toFixed(2)} before, ${loadavg()[0].toFixed(2)} after`);
    await live.close();
    return [
      { bench: 'dashboard', metric: 'stream_frame_p95_ms', ours: streaming.p95, reference: idle.p95, referenceName: 'no stream', ratio: idle.p95 / streaming.p95, target: '< 16 ms' },
      { bench: 'dashboard', metric: 'stream_frame_p99_ms', ours: streaming.p99, reference: idle.p99, referenceName: 'no stream', ratio: idle.p99 / streaming.p99, target: 'report' },
      { bench: 'dashboard', metric: 'stream_page_busy_ms_per_s', ours: streamBusy.task, reference: idleBusy.task, referenceName: 'no stream', ratio: idleBusy.task / streamBusy.task, target: 'report' },
      { bench: 'dashboard', metric: 'stream_page_us_per_trade', ours: usPerTrade, reference: null, referenceName: null, ratio: null, target: 'report' },
      { bench: 'dashboard', metric: 'stream_long_frames', ours: streaming.long, reference: idle.long, referenceName: 'no stream', ratio: null, target: 'report' },
    ];
  } finally {
    await writer.stop();
  }
}

async function run(args: string[]): Promise<BenchResult[]> {
  const bars = flag(args, '--bars', 50_000);
  const seconds = flag(args, '--seconds', 12);
  const rate = flag(args, '--rate', 2_000);
  const profile = args.includes('--profile');
  const streamOnly = args.includes('--stream-only');
  const exe = findChromium();
  if (!exe) {
    console.error('dashboard: no chromium found (apt-get install chromium, or set CHROMIUM_PATH): nothing measured');
    return [];
  }
  const load0 = loadavg()[0];
  const home = await historyHome(bars);
  // The server's log, read only for the live tail's failed polls (a stream that stalls says why).
  const failedPolls: string[] = [];
  const log = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n')) if (line.includes('live poll failed')) failedPolls.push(line);
      done();
    },
  });
  // As `orderflow serve` starts it: the stored trades filled into memory in the background.
  const server = await startServer({ home, port: 0, log, warm: true });
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({ executablePath: exe, headless: true, args: ['--no-sandbox', '--disable-dev-shm-usage', '--no-first-run'] });
    const query = `?symbol=BTCUSDT&venues=binance&tf=1m&bars=${bars}`;

    // Untimed warm-up: the server's bundle, DuckDB's first open, the page cache, the JIT. On
    // other bars (another span), so that no answer the server keeps for a span (the sizes and
    // prints' classified prints) is the timed page's: that one computes everything it shows.
    const warm = await newPage(browser);
    await firstRender(warm, `${server.url}/?symbol=BTCUSDT&venues=binance&tf=1m&bars=${Math.max(1, bars - 1000)}`);
    await warm.close();
    if (streamOnly) return await streamFigures(browser, server, { home, query, seconds, rate, profile, failedPolls, load0 });

    const page = await newPage(browser);
    const ours = await firstRender(page, `${server.url}/${query}`);
    const refPage = await newPage(browser);
    const ref = await referenceRender(refPage, server.url, query, await referenceScript());
    await refPage.close();
    const fmtReq = (n: string, x: RenderTiming['candles']) => (x ? `${n} server ${x.serverMs.toFixed(0)} ms, transfer ${x.transferMs.toFixed(0)} ms, ${(x.bytes / 1e6).toFixed(1)} MB` : `${n}: no request seen`);
    const browserMs = ours.totalMs - (ours.candles?.serverMs ?? 0) - (ours.footprint?.serverMs ?? 0);
    console.error(`dashboard: first render ${ours.totalMs.toFixed(0)} ms (main chart's candles at ${ours.candlesMs?.toFixed(0) ?? '?'} ms): ${fmtReq('candles', ours.candles)}; ${fmtReq('footprint', ours.footprint)}; the rest (page, other panes, transfer, parse, draw) ${browserMs.toFixed(0)} ms`);
    console.error(`dashboard: every pane's whole span (after the first render) at ${ours.fullMs?.toFixed(0) ?? '?'} ms`);
    console.error(`dashboard: page main-thread task time (Performance metrics) to the timed frame ${ours.pageTaskMs.toFixed(0)} ms, to every pane's whole span ${ours.pageTaskFullMs.toFixed(0)} ms`);
    console.error(`dashboard: process CPU during the timed render (the server, and this bench's browser driver): ${ours.cpuMs.toFixed(0)} ms`);
    console.error(`dashboard: requests (sent-first byte-last byte, ms): ${ours.timeline.join(', ')}`);
    console.error(`dashboard: reference (bare lightweight-charts candlesticks, same candles from the same server) ${ref.toFixed(0)} ms`);
    await page.close();
    const cpu = await serverCpu(server, ours.urls);
    const refCpu = (await serverCpu(server, [`/api/candles${query}`]))[0].ms;
    const cpuMs = cpu.reduce((s, x) => s + x.ms, 0);
    const short = (u: string) => u.slice(5, u.indexOf('?') < 0 ? undefined : u.indexOf('?')) + (u.includes('footprint=1') ? '+fp' : '');
    console.error(`dashboard: server CPU per request (asked again one at a time, ms): ${cpu.map((x) => `${short(x.url)} ${x.ms.toFixed(0)}${x.status === 200 ? '' : ` (${x.status})`}`).join(', ')}; all ${cpuMs.toFixed(0)}; reference's candles ${refCpu.toFixed(0)}`);

    const stream = await streamFigures(browser, server, { home, query, seconds, rate, profile, failedPolls, load0 });

    return [
      { bench: 'dashboard', metric: 'first_render_ms', ours: ours.totalMs, reference: ref, referenceName: 'lightweight-charts candlesticks', ratio: ref / ours.totalMs, target: '< 1500 ms' },
      { bench: 'dashboard', metric: 'server_cpu_ms', ours: cpuMs, reference: refCpu, referenceName: "the reference page's candles request", ratio: refCpu / cpuMs, target: 'report' },
      { bench: 'dashboard', metric: 'first_render_page_task_ms', ours: ours.pageTaskMs, reference: null, referenceName: null, ratio: null, target: 'report' },
      { bench: 'dashboard', metric: 'panes_full_ms', ours: ours.fullMs ?? NaN, reference: null, referenceName: null, ratio: null, target: 'report' },
      { bench: 'dashboard', metric: 'candles_server_ms', ours: ours.candles?.serverMs ?? NaN, reference: null, referenceName: null, ratio: null, target: 'report' },
      { bench: 'dashboard', metric: 'footprint_server_ms', ours: ours.footprint?.serverMs ?? NaN, reference: null, referenceName: null, ratio: null, target: 'report' },
      { bench: 'dashboard', metric: 'footprint_mb', ours: (ours.footprint?.bytes ?? NaN) / 1e6, reference: null, referenceName: null, ratio: null, target: 'report' },
      ...stream,
    ];
  } finally {
    await browser?.close();
    await server.close();
    rmSync(dirname(home), { recursive: true, force: true });
  }
}

export const dashboardBench = {
  description: 'dashboard in headless chromium: first render of 50k candles + footprints, frame times under 2k trades/s',
  run,
};

if (process.argv[1] === SELF && process.argv.includes(WRITER_FLAG)) {
  await writerMain(process.argv[process.argv.indexOf(WRITER_FLAG) + 1]);
}
