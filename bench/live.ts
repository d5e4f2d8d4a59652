/**
 * Live benchmark: the loopback exchange servers of Binance USD-M, OKX and Bybit push a steady
 * market at `--rate` frames per second combined (default 50,000, a third per venue) for
 * `--seconds` (default 20, after a 2 s warm-up) into the three live connectors and a Recorder
 * writing a temporary store, wired exactly as `orderflow record` wires them
 * (`createLiveClient(venue, { symbols, instruments, handlers: recorder.handlers(venue) })`, all
 * channels, `Recorder.open(store, { label, flushMs })`), with the endpoints pointed at the servers.
 *
 * The servers run in a child process (this file again, `--live-bench-server`) so that generating
 * and encoding 50k frames/s does not share the consumer's event loop or CPU core; `--inproc` runs
 * them in the bench process instead (one event loop for both sides).
 *
 * The market (seeded, src/engine/random.ts), per venue, BTCUSDT / BTC-USDT-SWAP: ~85% trades
 * (one per frame, price near 60,000), ~13% book diffs (1-3 levels of a 100-level-a-side book
 * published as a snapshot before the clients connect), ~1.5% tickers (mark price; Binance also
 * index and funding), ~0.5% liquidations. Every event carries the server's clock as exchange
 * time. Frames are published in small batches (every 2 ms, as many as the rate says are due).
 *
 * Measured (handlers wrapped around the recorder's, nothing else changed):
 * - frames sent per venue (server counters) vs data frames received (onRawFrame): dropped;
 * - events delivered (onEvents) vs rows stored (SQL counts after the run; book messages by
 *   `msg`): lost; trades and liquidations also against what was published;
 * - dispatch latency: frame receipt (onRawFrame's epoch ns, taken by the socket on `message`) to
 *   the return of the recorder's onEvents for that frame's events: parse, checks, book sync,
 *   dispatch. Events emitted outside a frame (REST back-fill, snapshots, polls) are counted apart;
 * - store latency: frame receipt to the commit of the flush that wrote its events (onFlush);
 *   dominated by the flush period;
 * - wire latency: the server's exchange time (ms) to local receipt (ms): queueing in sockets and
 *   behind a busy event loop, which the dispatch latency cannot see;
 * - sustained throughput over the measured window, event-loop delay (monitorEventLoopDelay),
 *   CPU and peak RSS of the consumer process (and the server process's, apart).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { EMPTY_TICKER_FIELDS, type BookLevel, type CaptureRecord, type MarketEvent } from '../src/core/events.ts';
import { toBaseQty, type InstrumentRegistry } from '../src/core/instruments.ts';
import { createRng, type Rng } from '../src/engine/random.ts';
import { DEFAULT_FLUSH_MS, Recorder, recordLabel, type RecorderStats } from '../src/store/recorder.ts';
import { Store } from '../src/store/store.ts';
import { startBinanceMockServer, type BinanceMockServer } from '../src/venues/binance/mock-server.ts';
import { startBybitMockServer, type BybitMockServer } from '../src/venues/bybit/mock-server.ts';
import { loadBundledInstruments } from '../src/venues/bundled-instruments.ts';
import { createLiveClient, LIVE_VENUES, type LiveVenue } from '../src/venues/live/clients.ts';
import type { LiveClient, LiveHandlers } from '../src/venues/live/types.ts';
import { epochNs } from '../src/venues/live/socket.ts';
import { startOkxMockServer, type OkxMockServer } from '../src/venues/okx/mock-server.ts';
import type { BenchResult } from './run.ts';

const SELF = fileURLToPath(import.meta.url);
const SERVER_FLAG = '--live-bench-server';
const SEED = 20241125;
const SYMBOL: Record<LiveVenue, string> = { binance: 'BTCUSDT', okx: 'BTC-USDT-SWAP', bybit: 'BTCUSDT' };
/** Data frames start with these keys (acks, replies and pongs do not). */
const DATA_PREFIX: Record<LiveVenue, string> = { binance: '{"stream"', okx: '{"arg"', bybit: '{"topic"' };
const TICK_MS = 2;
const WARMUP_MS = 2000;
const LEVELS = 100;
/** 60,000.0 in ticks of 0.1. */
const MID = 600_000;
type EvType = MarketEvent['type'];
const TYPES: readonly EvType[] = ['trade', 'book', 'ticker', 'liquidation'];
type PerType = Record<EvType, number>;
const perType = (): PerType => ({ trade: 0, book: 0, ticker: 0, liquidation: 0 });

// ---------------------------------------------------------------------------------------------
// The server side: three loopback servers and a paced generator

interface FeedCounts {
  /** Data frames written to sockets, per venue (the servers' own counters). */
  readonly sent: Record<LiveVenue, number>;
  /** Events published, per venue and type. */
  readonly published: Record<LiveVenue, PerType>;
  /** Most messages one tick had to publish (the generator falling behind shows here). */
  readonly maxBatch: number;
  readonly at: number;
  readonly cpuMs: number;
  readonly maxRssMB: number;
}

interface FeedUrls {
  readonly urls: Record<LiveVenue, { readonly wsUrl: string; readonly restUrl: string }>;
}

/** One venue's synthetic market: a 100-level book each side around 60,000 and trades near the touch. */
class VenueMarket {
  private readonly bids = new Map<number, number>();
  private readonly asks = new Map<number, number>();
  private tradeId = 0;
  private tickers = 0;
  private liquidations = 0;
  private lastTs = 0;
  readonly published = perType();

  constructor(
    readonly venue: LiveVenue,
    private readonly r: Rng,
    private readonly instruments: InstrumentRegistry,
  ) {
    for (let k = 0; k < LEVELS; k++) {
      this.bids.set(MID - 1 - k, 1 + r.nextInt(500));
      this.asks.set(MID + k, 1 + r.nextInt(500));
    }
  }

  private get symbol(): string {
    return SYMBOL[this.venue];
  }

  /** Contracts of 0.01 BTC (OKX's BTC-USDT-SWAP) to base units, exactly. */
  private qty(contracts: number, price: number): number {
    if (this.venue === 'okx') return toBaseQty(this.instruments.get('okx', this.symbol)!, contracts, price);
    return contracts / 100;
  }

  /** Server time, strictly increasing per venue for tickers (Binance drops a mark price not newer than the last). */
  private now(strict: boolean): number {
    const t = Date.now();
    this.lastTs = strict ? Math.max(t, this.lastTs + 1) : Math.max(t, this.lastTs);
    return this.lastTs;
  }

  private levels(side: Map<number, number>): BookLevel[] {
    return [...side].map(([p, c]) => [p / 10, this.qty(c, p / 10)] as const);
  }

  snapshot(): MarketEvent {
    return { type: 'book', venue: this.venue, symbol: this.symbol, ts: this.now(false), localTs: NaN, isSnapshot: true, bids: this.levels(this.bids), asks: this.levels(this.asks), seq: NaN };
  }

  next(): MarketEvent {
    const r = this.r;
    const u = r.nextFloat();
    const symbol = this.symbol;
    const venue = this.venue;
    if (u < 0.85) {
      this.published.trade++;
      const buy = r.nextFloat() < 0.5;
      const tick = buy ? MID + r.nextInt(3) : MID - 1 - r.nextInt(3);
      const price = tick / 10;
      // Bybit ids are UUIDs: the server makes one for an empty id.
      const id = venue === 'bybit' ? '' : String(++this.tradeId);
      return { type: 'trade', venue, symbol, ts: this.now(false), localTs: NaN, price, qty: this.qty(1 + r.nextInt(200), price), side: buy ? 'buy' : 'sell', id };
    }
    if (u < 0.98) {
      this.published.book++;
      const bids: BookLevel[] = [];
      const asks: BookLevel[] = [];
      const n = 1 + r.nextInt(3);
      for (let i = 0; i < n; i++) {
        const bid = r.nextFloat() < 0.5;
        const side = bid ? this.bids : this.asks;
        // Mostly near the touch; every diff changes the book (a new size, a level removed or added back).
        const k = Math.floor(r.nextFloat() ** 2 * LEVELS);
        const tick = bid ? MID - 1 - k : MID + k;
        if ((bid ? bids : asks).some((l) => l[0] === tick / 10)) continue;
        const had = side.get(tick);
        let c: number;
        if (had !== undefined && r.nextFloat() < 0.15) c = 0;
        else {
          c = 1 + r.nextInt(500);
          if (c === had) c = c === 500 ? 1 : c + 1;
        }
        if (c === 0) side.delete(tick);
        else side.set(tick, c);
        (bid ? bids : asks).push([tick / 10, c === 0 ? 0 : this.qty(c, tick / 10)]);
      }
      return { type: 'book', venue, symbol, ts: this.now(false), localTs: NaN, isSnapshot: false, bids, asks, seq: NaN };
    }
    if (u < 0.995) {
      this.published.ticker++;
      // A different mark every time (Bybit sends only what changed: an unchanged ticker is no frame).
      const n = ++this.tickers;
      const markPrice = (MID - 500 + (n % 1000)) / 10;
      const extra = venue === 'okx' ? {} : venue === 'binance' ? { indexPrice: markPrice - 1.5, fundingRate: 0.0001, nextFundingTs: Math.ceil(Date.now() / 28_800_000) * 28_800_000 } : { indexPrice: markPrice - 1.5 };
      return { type: 'ticker', venue, symbol, ts: this.now(true), localTs: NaN, ...EMPTY_TICKER_FIELDS, markPrice, ...extra };
    }
    this.published.liquidation++;
    const n = ++this.liquidations;
    const sell = r.nextFloat() < 0.5;
    const price = (sell ? MID - 20 - r.nextInt(50) : MID + 20 + r.nextInt(50)) / 10;
    // Sizes step with a counter: venues (and our de-duplication) treat identical ones in one ms as repeats.
    return { type: 'liquidation', venue, symbol, ts: this.now(false), localTs: NaN, price, qty: this.qty(1 + (n % 5000), price), side: sell ? 'sell' : 'buy', id: '' };
  }
}

class Feed {
  private timer: NodeJS.Timeout | undefined;
  private started = 0;
  private due = 0;
  private done = 0;
  private maxBatch = 0;

  private constructor(
    private readonly binance: BinanceMockServer,
    private readonly okx: OkxMockServer,
    private readonly bybit: BybitMockServer,
    private readonly markets: Record<LiveVenue, VenueMarket>,
  ) {}

  static async start(): Promise<Feed> {
    const instruments = loadBundledInstruments();
    const root = createRng(SEED);
    const markets = Object.fromEntries(LIVE_VENUES.map((v) => [v, new VenueMarket(v, root.fork(v), instruments)])) as Record<LiveVenue, VenueMarket>;
    // Every liquidation pushed (Binance samples one a second per symbol by default), trade history for REST kept small.
    const binance = await startBinanceMockServer({ symbols: [SYMBOL.binance], liquidationSampleMs: 0, historyLimit: 10_000 });
    const okx = await startOkxMockServer();
    const bybit = await startBybitMockServer({ symbols: [SYMBOL.bybit], instruments });
    const feed = new Feed(binance, okx, bybit, markets);
    // The venue books exist before anyone subscribes: REST / subscribe snapshots carry them.
    for (const v of LIVE_VENUES) feed.publish(v, markets[v].snapshot());
    return feed;
  }

  get urls(): FeedUrls['urls'] {
    return {
      binance: { wsUrl: this.binance.wsUrl, restUrl: this.binance.restUrl },
      okx: { wsUrl: this.okx.wsUrl, restUrl: this.okx.restUrl },
      bybit: { wsUrl: this.bybit.wsUrl, restUrl: this.bybit.restUrl },
    };
  }

  private publish(v: LiveVenue, ev: MarketEvent): void {
    if (v === 'binance') this.binance.publish(ev);
    else if (v === 'okx') this.okx.publish(ev);
    else this.bybit.publish(ev);
  }

  /** Publish `rate` events per second, round robin over the venues, every TICK_MS as many as are due. */
  run(rate: number): void {
    this.started = performance.now();
    this.timer = setInterval(() => {
      this.due = Math.floor(((performance.now() - this.started) / 1000) * rate);
      const batch = this.due - this.done;
      if (batch > this.maxBatch) this.maxBatch = batch;
      for (; this.done < this.due; this.done++) {
        const v = LIVE_VENUES[this.done % 3];
        this.publish(v, this.markets[v].next());
      }
    }, TICK_MS);
  }

  stop(): FeedCounts {
    clearInterval(this.timer);
    this.timer = undefined;
    return this.counts();
  }

  /** Counters now; `maxBatch` is the largest since the previous call. */
  counts(): FeedCounts {
    const cpu = process.cpuUsage();
    const maxBatch = this.maxBatch;
    this.maxBatch = 0;
    return {
      sent: { binance: this.binance.stats().framesSent, okx: this.okx.stats().framesSent, bybit: this.bybit.stats.framesSent },
      published: { binance: { ...this.markets.binance.published }, okx: { ...this.markets.okx.published }, bybit: { ...this.markets.bybit.published } },
      maxBatch,
      at: Date.now(),
      cpuMs: (cpu.user + cpu.system) / 1000,
      maxRssMB: process.resourceUsage().maxRSS / 1024,
    };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all([this.binance.close(), this.okx.close(), this.bybit.close()]);
  }
}

/** The feed as the bench drives it: in this process, or in a child speaking over IPC. */
interface FeedHandle extends FeedUrls {
  readonly where: 'child process' | 'bench process';
  run(rate: number): Promise<void>;
  counts(): Promise<FeedCounts>;
  stop(): Promise<FeedCounts>;
  close(): Promise<void>;
}

async function inprocFeed(): Promise<FeedHandle> {
  const feed = await Feed.start();
  return {
    where: 'bench process',
    urls: feed.urls,
    run: async (rate) => feed.run(rate),
    counts: async () => feed.counts(),
    stop: async () => feed.stop(),
    close: () => feed.close(),
  };
}

type Call = { op: 'run'; rate: number } | { op: 'counts' | 'stop' | 'close' };
type Request = Call & { id: number };
type Reply = { id: number; result?: unknown; error?: string } | { ready: FeedUrls['urls'] };

async function childFeed(): Promise<FeedHandle> {
  const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', SELF, SERVER_FLAG], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiting = new Map<number, { resolve: (x: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let exited = false;
  const urls = await new Promise<FeedUrls['urls']>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`live bench: the server process exited (${code}) before it was ready`)));
    child.on('message', (m: Reply) => {
      if ('ready' in m) return resolve(m.ready);
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.error !== undefined) w?.reject(new Error(`live bench server: ${m.error}`));
      else w?.resolve(m.result);
    });
  });
  child.on('exit', () => {
    exited = true;
    for (const w of waiting.values()) w.reject(new Error('live bench: the server process exited'));
  });
  const call = <T>(req: Call): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      if (exited) return reject(new Error('live bench: the server process exited'));
      const id = nextId++;
      waiting.set(id, { resolve: resolve as (x: unknown) => void, reject });
      child.send({ ...req, id });
    });
  return {
    where: 'child process',
    urls,
    run: (rate) => call({ op: 'run', rate }),
    counts: () => call({ op: 'counts' }),
    stop: () => call({ op: 'stop' }),
    async close() {
      if (exited) return;
      const gone = new Promise((r) => child.once('exit', r));
      await call({ op: 'close' }).catch(() => undefined);
      await gone;
    },
  };
}

/** The child process: servers and generator, driven over IPC. */
async function serverMain(): Promise<void> {
  const feed = await Feed.start();
  process.on('message', (req: Request) => {
    const answer = (result?: unknown) => process.send!({ id: req.id, result });
    try {
      switch (req.op) {
        case 'run':
          feed.run(req.rate);
          return answer();
        case 'counts':
          return answer(feed.counts());
        case 'stop':
          return answer(feed.stop());
        case 'close':
          void feed.close().then(() => {
            answer();
            process.disconnect();
          });
          return;
      }
    } catch (e) {
      process.send!({ id: req.id, error: (e as Error).message });
    }
  });
  process.on('disconnect', () => void feed.close().finally(() => process.exit(0)));
  process.send!({ ready: feed.urls });
}

// ---------------------------------------------------------------------------------------------
// The consumer side: measuring around the recorder's handlers

/**
 * A log-scale histogram (1% wide buckets from 0.01 up to 1e9 units, values <= 0.01 count as 0):
 * constant memory however long the run, so the RSS measured is the consumer's, not the bench's.
 */
class Hist {
  private static readonly LO = 0.01;
  private static readonly LN_STEP = Math.log(1.01);
  private readonly counts = new Float64Array(2 + Math.ceil(Math.log(1e11) / Hist.LN_STEP));
  n = 0;
  max = -Infinity;
  push(x: number): void {
    const i = x <= Hist.LO ? 0 : Math.min(this.counts.length - 1, 1 + Math.floor(Math.log(x / Hist.LO) / Hist.LN_STEP));
    this.counts[i]++;
    this.n++;
    if (x > this.max) this.max = x;
  }
  /** The value at quantile p: the middle of its bucket (within 0.5%), the exact maximum at p = 1. */
  pct(p: number): number {
    if (this.n === 0) return NaN;
    if (p >= 1) return this.max;
    const rank = Math.max(1, Math.ceil(p * this.n));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i];
      if (seen >= rank) return i === 0 ? 0 : Math.min(this.max, Hist.LO * Math.exp((i - 0.5) * Hist.LN_STEP));
    }
    return this.max;
  }
  get bytes(): number {
    return this.counts.byteLength;
  }
}

interface VenueMeter {
  frames: number;
  dataFrames: number;
  /** Events delivered, by type, and those delivered outside a frame (REST). */
  readonly events: PerType;
  outOfFrame: number;
  snapshots: number;
}

class Meter {
  /** Origin (epoch ns, the clock of the socket's receipt stamps), so times fit a float64 in ns. */
  private readonly base = epochNs();
  measuring = false;
  readonly venues: Record<LiveVenue, VenueMeter>;
  /** Receipt time (ns from base) of the frame being handled, per venue; -1 outside a frame. */
  private readonly cur: Record<LiveVenue, number> = { binance: -1, okx: -1, bybit: -1 };
  private clearing = false;
  totalEvents = 0;
  readonly dispatchUs = new Hist();
  readonly dispatchByVenue: Record<LiveVenue, Hist> = { binance: new Hist(), okx: new Hist(), bybit: new Hist() };
  readonly wireMs = new Hist();
  readonly storeMs = new Hist();
  /** Per onEvents call, in order: receipt ns (-1: not sampled) and the running event count after it. */
  private qAt = new Float64Array(1 << 16);
  private qCum = new Float64Array(1 << 16);
  private qHead = 0;
  private qTail = 0;
  readonly flushMs = new Hist();
  /** Per flush in the window: seconds into the window and duration (ms), to see a trend. */
  readonly flushTrend: [number, number][] = [];
  windowStart = 0;
  flushes = 0;

  constructor() {
    const vm = (): VenueMeter => ({ frames: 0, dataFrames: 0, events: perType(), outOfFrame: 0, snapshots: 0 });
    this.venues = { binance: vm(), okx: vm(), bybit: vm() };
  }

  now(): number {
    return Number(epochNs() - this.base);
  }

  private readonly clear = (): void => {
    this.clearing = false;
    this.cur.binance = this.cur.okx = this.cur.bybit = -1;
  };

  private enqueue(at: number, cum: number): void {
    const cap = this.qAt.length;
    if (this.qTail - this.qHead === cap) {
      const at2 = new Float64Array(cap * 2);
      const cum2 = new Float64Array(cap * 2);
      for (let i = this.qHead; i < this.qTail; i++) {
        at2[i - this.qHead] = this.qAt[i & (cap - 1)];
        cum2[i - this.qHead] = this.qCum[i & (cap - 1)];
      }
      this.qAt = at2;
      this.qCum = cum2;
      this.qTail -= this.qHead;
      this.qHead = 0;
    }
    const m = this.qAt.length - 1;
    this.qAt[this.qTail & m] = at;
    this.qCum[this.qTail & m] = cum;
    this.qTail++;
  }

  /** The recorder committed a flush: every event it held is in the store now. */
  onFlush(s: RecorderStats): void {
    const t = this.now();
    this.flushes++;
    if (this.measuring) {
      this.flushMs.push(s.lastFlushMs);
      this.flushTrend.push([(t - this.windowStart) / 1e9, s.lastFlushMs]);
    }
    const committed = s.events - s.pending;
    const m = this.qAt.length - 1;
    while (this.qHead < this.qTail && this.qCum[this.qHead & m] <= committed) {
      const at = this.qAt[this.qHead & m];
      if (at >= 0) this.storeMs.push((t - at) / 1e6);
      this.qHead++;
    }
  }

  wrap(venue: LiveVenue, inner: LiveHandlers): LiveHandlers {
    const vm = this.venues[venue];
    const prefix = DATA_PREFIX[venue];
    return {
      onRawFrame: (text, localNs) => {
        vm.frames++;
        if (text.startsWith(prefix)) vm.dataFrames++;
        this.cur[venue] = Number(localNs - this.base);
        // Cleared once the synchronous handling of this frame (and any frame in the same read) is over.
        if (!this.clearing) {
          this.clearing = true;
          queueMicrotask(this.clear);
        }
        inner.onRawFrame?.(text, localNs);
      },
      onEvents: (records: readonly CaptureRecord[], localTs: number) => {
        inner.onEvents(records, localTs);
        const t = this.now();
        const at = this.cur[venue];
        this.totalEvents += records.length;
        let maxTs = -Infinity;
        for (const r of records) {
          if (r.type === 'kline') continue;
          vm.events[r.type]++;
          if (r.type === 'book' && r.isSnapshot) vm.snapshots++;
          if (r.ts > maxTs) maxTs = r.ts;
        }
        if (at < 0) vm.outOfFrame += records.length;
        const sampled = at >= 0 && this.measuring;
        if (sampled) {
          this.dispatchUs.push((t - at) / 1000);
          this.dispatchByVenue[venue].push((t - at) / 1000);
          // Liquidation times are when it happened, not when it was sent: no wire latency from them.
          if (records[0]?.type !== 'liquidation' && Number.isFinite(maxTs)) this.wireMs.push(localTs - maxTs);
        }
        this.enqueue(sampled ? at : -1, this.totalEvents);
      },
      onGap: inner.onGap,
      onStatus: inner.onStatus,
    };
  }

  /** What the bench's measuring state takes (part of the RSS measured). */
  sampleBytes(): number {
    const all = [this.dispatchUs, this.wireMs, this.storeMs, ...LIVE_VENUES.map((v) => this.dispatchByVenue[v])];
    return all.reduce((s, x) => s + x.bytes, 0) + this.qAt.byteLength + this.qCum.byteLength;
  }

  dataFrames(): number {
    return LIVE_VENUES.reduce((s, v) => s + this.venues[v].dataFrames, 0);
  }
}

function argNumber(args: string[], name: string, dflt: number): number {
  const i = args.indexOf(name);
  if (i < 0) return dflt;
  const n = Number(args[i + 1]);
  if (!(Number.isFinite(n) && n > 0)) throw new RangeError(`live bench: ${name} takes a number > 0, got ${args[i + 1]}`);
  return n;
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

/** Machine-wide CPU time (busy, total) in jiffies from /proc/stat; undefined off Linux. */
function machineCpu(): { busy: number; total: number } | undefined {
  try {
    const f = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    return { busy: total - f[3] - (f[4] ?? 0), total };
  } catch {
    return undefined;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const log = (line: string) => console.error(line);
const fmtN = (x: number) => Math.round(x).toLocaleString('en-US');

async function waitFor(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await sleep(20);
  }
  return true;
}

/** Rows stored per venue and type (book: messages). */
async function storedCounts(store: Store): Promise<Record<LiveVenue, PerType>> {
  const out = { binance: perType(), okx: perType(), bybit: perType() };
  const q = [
    ['trade', 'SELECT venue::VARCHAR AS venue, count(*) AS n FROM trades GROUP BY 1'],
    ['liquidation', 'SELECT venue::VARCHAR AS venue, count(*) AS n FROM liquidations GROUP BY 1'],
    ['book', 'SELECT venue::VARCHAR AS venue, count(DISTINCT msg) AS n FROM book GROUP BY 1'],
    ['ticker', 'SELECT venue::VARCHAR AS venue, count(*) AS n FROM tickers GROUP BY 1'],
  ] as const;
  for (const [type, sql] of q) {
    for (const row of await store.rows<{ venue: string; n: bigint }>(sql)) {
      if (row.venue in out) out[row.venue as LiveVenue][type] = Number(row.n);
    }
  }
  return out;
}

async function runLive(args: string[]): Promise<BenchResult[]> {
  const seconds = argNumber(args, '--seconds', 20);
  const rate = argNumber(args, '--rate', 50_000);
  const flushMs = argNumber(args, '--flush-ms', DEFAULT_FLUSH_MS);
  const inproc = args.includes('--inproc');
  const raw = args.includes('--raw');

  const feed = inproc ? await inprocFeed() : await childFeed();
  const home = mkdtempSync(join(tmpdir(), 'orderflow-live-bench-'));
  const meter = new Meter();
  let store: Store | undefined;
  let recorder: Recorder | undefined;
  const clients: LiveClient[] = [];
  try {
    store = await Store.open(home);
    const instruments = loadBundledInstruments();
    recorder = await Recorder.open(store, {
      label: recordLabel([...LIVE_VENUES], [...new Set(Object.values(SYMBOL))]),
      flushMs,
      rawDir: raw ? join(home, 'raw') : undefined,
      onFlush: (s) => meter.onFlush(s),
      onError: (e) => log(`live bench: a flush failed (kept, retried): ${e.message}`),
    });
    for (const v of LIVE_VENUES) {
      clients.push(createLiveClient(v, { symbols: [SYMBOL[v]], instruments, handlers: meter.wrap(v, recorder.handlers(v)), wsUrl: feed.urls[v].wsUrl, restUrl: feed.urls[v].restUrl }));
    }
    await Promise.all(clients.map((c) => c.start()));
    // Subscribed: every stream but the books (Binance's syncs only once diffs flow) says connected.
    const ready = () => clients.every((c) => c.status().every((s) => s.state === 'connected' || /depth|books|orderbook/.test(s.stream)));
    if (!(await waitFor(ready, 15_000))) {
      throw new Error(`live bench: clients not subscribed after 15 s: ${clients.flatMap((c) => c.status().filter((s) => s.state !== 'connected').map((s) => `${s.venue} ${s.stream} ${s.state} ${s.lastError ?? ''}`)).join('; ')}`);
    }
    log(`live: servers in the ${feed.where}; ${fmtN(rate)} frames/s offered (a third per venue) for ${WARMUP_MS / 1000} s warm-up + ${seconds} s measured; flush every ${flushMs} ms${raw ? '; raw capture on' : ''}; load average ${loadavg()[0].toFixed(2)}`);

    const rss = { peak: 0, base: process.memoryUsage.rss() };
    const rssTimer = setInterval(() => (rss.peak = Math.max(rss.peak, process.memoryUsage.rss())), 100);
    await feed.run(rate);
    await sleep(WARMUP_MS);

    // The measured window.
    const eld = monitorEventLoopDelay({ resolution: 1 });
    const f0 = await feed.counts();
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const m0 = machineCpu();
    const elu0 = performance.eventLoopUtilization();
    const frames0 = meter.dataFrames();
    const events0 = meter.totalEvents;
    meter.windowStart = meter.now();
    meter.measuring = true;
    eld.enable();
    const rssTrend: number[] = [];
    const trendTimer = setInterval(() => rssTrend.push(process.memoryUsage.rss() / 2 ** 20), (seconds * 1000) / 4);
    await sleep(seconds * 1000);
    meter.measuring = false;
    eld.disable();
    clearInterval(trendTimer);
    const window = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const m1 = machineCpu();
    const elu = performance.eventLoopUtilization(elu0).utilization;
    const framesIn = meter.dataFrames() - frames0;
    const eventsIn = meter.totalEvents - events0;
    const f1 = await feed.stop();

    // Drain: everything sent is received (or the wait gives up), then a graceful stop.
    const sentTotal = LIVE_VENUES.reduce((s, v) => s + f1.sent[v], 0);
    const stopAt = performance.now();
    const drained = await waitFor(() => meter.dataFrames() >= sentTotal, 10_000);
    const drainMs = performance.now() - stopAt;
    await sleep(300); // late REST answers (open interest polls) settle
    await Promise.all(clients.map((c) => c.stop()));
    const statuses = clients.flatMap((c) => c.status());
    await recorder.close();
    clearInterval(rssTimer);
    rss.peak = Math.max(rss.peak, process.memoryUsage.rss());
    const mem = process.memoryUsage();
    const stored = await storedCounts(store);
    const [{ b: duckBytes }] = await store.rows<{ b: number | bigint | null }>('SELECT sum(memory_usage_bytes) AS b FROM duckdb_memory()');
    const duckMB = Number(duckBytes ?? 0) / 2 ** 20;
    const rec = recorder.stats();
    const fEnd = await feed.counts();

    // ------------------------------------------------------------------------------------------
    // Report (details on stderr; the metrics are the returned lines)
    const sentIn = LIVE_VENUES.reduce((s, v) => s + f1.sent[v] - f0.sent[v], 0);
    const sentRate = sentIn / ((f1.at - f0.at) / 1000);
    let dropped = 0;
    let lost = 0;
    let unpublished = 0;
    log(`live: venue    frames sent  received  dropped | events delivered (trade/book/ticker/liq)     stored (same)                      out-of-frame  published trade/book/ticker/liq`);
    for (const v of LIVE_VENUES) {
      const m = meter.venues[v];
      const d = f1.sent[v] - m.dataFrames;
      dropped += Math.max(0, d);
      const e = m.events;
      const s = stored[v];
      for (const t of TYPES) lost += Math.abs(e[t] - s[t]);
      const p = f1.published[v];
      // Every published trade and liquidation must arrive once (books: all diffs after the client's sync).
      unpublished += Math.abs(p.trade - e.trade) + Math.abs(p.liquidation - e.liquidation);
      log(
        `live: ${v.padEnd(8)} ${fmtN(f1.sent[v]).padStart(11)} ${fmtN(m.dataFrames).padStart(9)} ${String(d).padStart(8)} | ` +
          `${TYPES.map((t) => fmtN(e[t])).join(' / ').padEnd(40)} ${TYPES.map((t) => fmtN(s[t])).join(' / ').padEnd(34)} ${fmtN(m.outOfFrame).padStart(12)}  ` +
          `${TYPES.map((t) => fmtN(p[t])).join(' / ')} (book snapshots delivered ${m.snapshots}, other frames ${m.frames - m.dataFrames})`,
      );
    }
    const bad = statuses.filter((s) => s.parseErrors > 0 || s.gaps > 0 || s.resyncs > 0 || s.reconnects > 0);
    for (const s of bad) log(`live: ${s.venue} ${s.stream}: parse errors ${s.parseErrors}, gaps ${s.gaps}, resyncs ${s.resyncs}, reconnects ${s.reconnects}${s.lastError ? `; last error: ${s.lastError}` : ''}`);
    const fl = meter.flushMs;
    log(`live: recorder ${fmtN(rec.events)} events, ${fmtN(rec.rowsWritten)} rows in ${rec.flushes} flushes, ${rec.gaps} gaps, pending ${rec.pending}; flushes in the window take p50 ${fl.pct(0.5).toFixed(0)} ms, max ${fl.pct(1).toFixed(0)} ms (BEGIN to COMMIT); DuckDB holds ${duckMB.toFixed(0)} MB`);
    const d = meter.dispatchUs;
    const st = meter.storeMs;
    const w = meter.wireMs;
    const eldMs = (p: number) => eld.percentile(p) / 1e6;
    const quarters = [0, 1, 2, 3].map((q) => meter.flushTrend.filter(([at]) => at >= (q * seconds) / 4 && at < ((q + 1) * seconds) / 4).map(([, ms]) => ms));
    log(`live: flush ms by quarter of the window (median / max): ${quarters.map((x) => (x.length ? `${median(x).toFixed(0)} / ${Math.max(...x).toFixed(0)}` : '-')).join(', ')}; RSS at each quarter ${rssTrend.map((x) => x.toFixed(0)).join(', ')} MB`);
    log(`live: window ${window.toFixed(2)} s: received ${fmtN(framesIn / window)} frames/s (offered ${fmtN(sentRate)}/s, generator's largest batch ${f1.maxBatch}), ${fmtN(eventsIn / window)} events/s; drained ${drained ? 'in' : 'NOT within'} ${drainMs.toFixed(0)} ms after the stop`);
    log(`live: dispatch (receipt -> onEvents returned), ${fmtN(d.n)} frames: p50 ${d.pct(0.5).toFixed(1)} µs, p99 ${d.pct(0.99).toFixed(1)} µs, p99.9 ${d.pct(0.999).toFixed(1)} µs, max ${d.pct(1).toFixed(1)} µs`);
    log(`live: dispatch p99 per venue: ${LIVE_VENUES.map((v) => `${v} ${meter.dispatchByVenue[v].pct(0.99).toFixed(1)} µs`).join(', ')}`);
    log(`live: store (receipt -> flush committed), ${fmtN(st.n)} frames: p50 ${st.pct(0.5).toFixed(1)} ms, p99 ${st.pct(0.99).toFixed(1)} ms, p99.9 ${st.pct(0.999).toFixed(1)} ms, max ${st.pct(1).toFixed(1)} ms`);
    log(`live: wire (server exchange time -> receipt, 1 ms resolution): p50 ${w.pct(0.5).toFixed(0)} ms, p99 ${w.pct(0.99).toFixed(0)} ms, p99.9 ${w.pct(0.999).toFixed(0)} ms, max ${w.pct(1).toFixed(0)} ms`);
    log(`live: event loop busy ${(elu * 100).toFixed(0)}% of the window (the consumer's headroom: ~${fmtN(framesIn / window / Math.max(elu, 1e-9))} frames/s if it scaled linearly)`);
    const consumerPct = ((cpu.user + cpu.system) / 1e6 / window) * 100;
    const serverPct = ((f1.cpuMs - f0.cpuMs) / 1000 / window) * 100;
    if (m0 && m1) {
      const cores = availableParallelism();
      const busyPct = ((m1.busy - m0.busy) / (m1.total - m0.total)) * cores * 100;
      log(`live: machine CPU busy ${busyPct.toFixed(0)}% of ${cores * 100}% (${cores} cores): consumer ${consumerPct.toFixed(0)}% + servers ${inproc ? '(same process)' : `${serverPct.toFixed(0)}%`}, everything else ~${Math.max(0, busyPct - consumerPct - (inproc ? 0 : serverPct)).toFixed(0)}%`);
    }
    log(`live: event-loop delay p50 ${eldMs(50).toFixed(2)} ms, p99 ${eldMs(99).toFixed(2)} ms, max ${(eld.max / 1e6).toFixed(2)} ms; consumer CPU ${consumerPct.toFixed(0)}% of a core, peak RSS ${(rss.peak / 2 ** 20).toFixed(0)} MB (${(rss.base / 2 ** 20).toFixed(0)} MB before the feed started; JS heap ${(mem.heapUsed / 2 ** 20).toFixed(0)} of ${(mem.heapTotal / 2 ** 20).toFixed(0)} MB at the end; the bench's own histograms and queue ${(meter.sampleBytes() / 2 ** 20).toFixed(0)} MB); server process CPU ${serverPct.toFixed(0)}%${inproc ? ' (same process)' : `, peak RSS ${fEnd.maxRssMB.toFixed(0)} MB`}`);
    if (sentRate < 0.95 * rate) log(`live: WARNING: the servers offered ${fmtN(sentRate)} frames/s, not ${fmtN(rate)}: the generator (server side) could not keep up; see the machine CPU line (load average now ${loadavg()[0].toFixed(2)})`);
    if (!drained || unpublished > 0) log(`live: WARNING: ${drained ? '' : 'not drained; '}${unpublished} published trades/liquidations not delivered exactly once`);

    const r = (metric: string, ours: number, target: string, reference: number | null = null, referenceName: string | null = null): BenchResult => ({
      bench: 'live',
      metric,
      ours,
      reference,
      referenceName,
      ratio: reference === null || reference === 0 ? null : ours / reference,
      target,
    });
    return [
      r('live_msgs_per_s', framesIn / window, '>= 50000 and all of the offered load', sentRate, 'offered (frames/s sent)'),
      r('live_events_per_s', eventsIn / window, 'informational'),
      r('live_dispatch_p50_us', d.pct(0.5), 'informational'),
      r('live_dispatch_p99_us', d.pct(0.99), '< 1000'),
      r('live_dispatch_p999_us', d.pct(0.999), 'informational'),
      r('live_store_p50_ms', st.pct(0.5), 'informational (flush period)'),
      r('live_store_p99_ms', st.pct(0.99), `< 1000 (flush every ${flushMs} ms)`),
      r('live_store_p999_ms', st.pct(0.999), 'informational'),
      r('live_wire_p99_ms', w.pct(0.99), 'informational'),
      r('live_loop_delay_p99_ms', eldMs(99), 'informational'),
      r('live_loop_utilization', elu, 'informational (< 1: the consumer keeps up)'),
      r('live_dropped', dropped, '0'),
      r('live_lost_events', lost + unpublished, '0'),
      r('live_peak_rss_mb', rss.peak / 2 ** 20, '< 500 MB'),
    ];
  } finally {
    await Promise.all(clients.map((c) => c.stop().catch(() => undefined)));
    await recorder?.close().catch(() => undefined);
    store?.close();
    await feed.close();
    rmSync(home, { recursive: true, force: true });
  }
}

export const liveBench = {
  description: 'loopback Binance/OKX/Bybit servers -> live connectors -> recorder: throughput, latency, drops (--seconds N, --rate N, --flush-ms N, --inproc, --raw)',
  run: runLive,
};

if (process.argv[1] === SELF && process.argv.includes(SERVER_FLAG)) await serverMain();
