/**
 * `sim --serve` (src/sim/serve.ts): a SimRun fed to the three loopback exchange servers, read by
 * the REAL live connectors the way `orderflow watch` / `record` reach them (ORDERFLOW_<VENUE>_*_URL,
 * instruments resolved against the servers' own lists), compared with what the run yielded; the
 * pacing against the wall clock; the printed export lines.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { BookEvent, CaptureRecord, MarketEvent, TickerEvent, Venue } from '../../src/core/events.ts';
import { formatExports, liveSimConfig, serveSimulation, SERVE_ENV_KEYS, SERVE_PORT_LAYOUT, type SimServing } from '../../src/sim/serve.ts';
import { Recorder } from '../../src/store/recorder.ts';
import { Store } from '../../src/store/store.ts';
import { createLiveClient, LIVE_VENUES, type LiveVenue } from '../../src/venues/live/clients.ts';
import { loadLiveInstruments } from '../../src/venues/live/instrument-source.ts';
import { urlHost } from '../../src/venues/live/mock-kit.ts';
import type { LiveClient, LiveHandlers } from '../../src/venues/live/types.ts';
import { tempDir } from '../helpers/store.ts';
import { waitFor } from '../helpers/wait.ts';
import { SYNTHETIC_SYMBOLS, syntheticRun, type SyntheticRun } from './generated-run.ts';

/** A book built by applying events, as a consumer would. */
class LocalBook {
  readonly bids = new Map<number, number>();
  readonly asks = new Map<number, number>();
  apply(e: BookEvent): void {
    if (e.isSnapshot) {
      this.bids.clear();
      this.asks.clear();
    }
    for (const [p, q] of e.bids) q === 0 ? this.bids.delete(p) : this.bids.set(p, q);
    for (const [p, q] of e.asks) q === 0 ? this.asks.delete(p) : this.asks.set(p, q);
  }
  levels(): { bids: [number, number][]; asks: [number, number][] } {
    return { bids: [...this.bids].sort((a, b) => b[0] - a[0]), asks: [...this.asks].sort((a, b) => a[0] - b[0]) };
  }
}

/**
 * 12 significant digits: OKX sizes travel in contracts, and the parser's contracts -> base
 * conversion (core/instruments `scale`: 0.34 / 100) may land one ulp off the simulated size.
 */
const r12 = (x: number) => Number(x.toPrecision(12));

/** The venue's trades / liquidations as [price, qty, side], in order. */
const prints = (events: readonly CaptureRecord[], venue: Venue, type: 'trade' | 'liquidation') =>
  events.filter((e): e is MarketEvent & { type: typeof type } => e.type === type && e.venue === venue).map((e) => [e.price, r12(e.qty), e.side]);

function finalBook(events: readonly CaptureRecord[], venue: Venue) {
  const b = new LocalBook();
  for (const e of events) if (e.type === 'book' && e.venue === venue) b.apply(e);
  const l = b.levels();
  return { bids: l.bids.map(([p, q]) => [p, r12(q)]), asks: l.asks.map(([p, q]) => [p, r12(q)]) };
}

const tickers = (events: readonly CaptureRecord[], venue: Venue) => events.filter((e): e is TickerEvent => e.type === 'ticker' && e.venue === venue);

/**
 * Start the live clients as `orderflow watch` / `record` do: endpoints from the printed
 * environment, instruments fetched from the servers and the symbol resolved against them.
 */
async function connect(serving: SimServing, handlers: (v: LiveVenue) => LiveHandlers, channels?: ('trades' | 'liquidations' | 'book' | 'ticker')[]): Promise<LiveClient[]> {
  const saved = SERVE_ENV_KEYS.map((k) => [k, process.env[k]] as const);
  Object.assign(process.env, serving.env);
  try {
    // A timeout no loaded machine reaches: a slow answer must not become a snapshot fallback.
    const live = await loadLiveInstruments({ venues: LIVE_VENUES, inputs: ['BTC'], timeoutMs: 30_000 });
    for (const r of live.reports) assert.equal(r.origin, 'venue', `${r.venue}: instruments from the loopback server (${r.reason ?? ''})`);
    for (const v of LIVE_VENUES) assert.deepEqual(live.symbols.get(v), [SYNTHETIC_SYMBOLS[v]], `${v} resolves BTC against the server's list`);
    const clients = LIVE_VENUES.map((v) => createLiveClient(v, { symbols: live.symbols.get(v)!, channels, instruments: live.registry, handlers: handlers(v) }));
    for (const c of clients) void c.start();
    return clients;
  } finally {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

/** Every stream of every venue subscribed on its server (the feed may start). */
async function subscribed(s: SimServing): Promise<void> {
  const sym = 'BTCUSDT';
  const instId = SYNTHETIC_SYMBOLS.okx;
  await waitFor(
    () => {
      const b = s.servers.binance.subscriptions();
      const y = s.servers.bybit.subscriptions().flat();
      return (
        ['aggTrade', 'forceOrder', 'depth', 'markPrice'].every((k) => b.some((x) => x.startsWith(`${sym.toLowerCase()}@${k}`))) &&
        ['trades', 'books', 'mark-price', 'funding-rate', 'open-interest'].every((channel) => s.servers.okx.subscribers({ channel, instId }) > 0) &&
        s.servers.okx.subscribers({ channel: 'liquidation-orders', instType: 'SWAP' }) > 0 &&
        [`publicTrade.${sym}`, `allLiquidation.${sym}`, `tickers.${sym}`].every((t) => y.includes(t)) &&
        y.some((t) => t.startsWith('orderbook.') && t.endsWith(sym))
      );
    },
    'every stream subscribed',
    30_000,
    20,
  );
}

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

const count = (run: SyntheticRun, venue: Venue, type: MarketEvent['type']) => run.all.filter((e) => e.venue === venue && e.type === type).length;

describe('sim --serve', () => {
  it('the real connectors of all three venues receive the trades, liquidations, book and tickers as simulated', async () => {
    const { startMs } = liveSimConfig({ scenario: 'quiet', seed: 1, durationMs: 5_000, symbol: 'BTC', venues: LIVE_VENUES });
    const run = syntheticRun({ startMs, spanMs: 5_000, steps: 600 });
    const start = gate();
    const serving = await serveSimulation(run, { speed: Infinity, startWhen: start.promise });
    const got: CaptureRecord[] = [];
    const clients = await connect(serving, () => ({ onEvents: (r) => got.push(...r) }));
    try {
      await subscribed(serving);
      start.open();
      const result = await serving.done;
      assert.equal(result.events, run.all.length);
      assert.equal(result.aborted, false);
      const want = (v: Venue, t: MarketEvent['type']) => count(run, v, t);
      await waitFor(() => LIVE_VENUES.every((v) => prints(got, v, 'trade').length >= want(v, 'trade') && prints(got, v, 'liquidation').length >= want(v, 'liquidation')), 'every trade and liquidation', 30_000, 20);
      const lastMark = (es: readonly CaptureRecord[], v: Venue) => tickers(es, v).filter((t) => !Number.isNaN(t.markPrice)).at(-1)?.markPrice;
      await waitFor(() => LIVE_VENUES.every((v) => lastMark(got, v) === lastMark(run.all, v)), 'the last mark price', 30_000, 20);
      await waitFor(() => LIVE_VENUES.every((v) => JSON.stringify(finalBook(got, v)) === JSON.stringify(finalBook(run.all, v))), 'the final books', 30_000, 20).catch(() => undefined);
      for (const v of LIVE_VENUES) {
        assert.ok(want(v, 'trade') > 50 && want(v, 'liquidation') > 5 && want(v, 'ticker') > 5 && want(v, 'book') > 10, `${v}: the run has every type`);
        assert.deepEqual(prints(got, v, 'trade'), prints(run.all, v, 'trade'), `${v}: trades`);
        assert.deepEqual(prints(got, v, 'liquidation'), prints(run.all, v, 'liquidation'), `${v}: liquidations`);
        assert.deepEqual(finalBook(got, v), finalBook(run.all, v), `${v}: the book after every diff`);
        const marks = new Set(tickers(got, v).map((t) => t.markPrice));
        for (const t of tickers(run.all, v)) assert.ok(marks.has(t.markPrice), `${v}: mark price ${t.markPrice} at ${t.ts} received`);
        const funding = new Set(tickers(got, v).map((t) => t.fundingRate));
        for (const t of tickers(run.all, v)) assert.ok(funding.has(t.fundingRate), `${v}: funding rate ${t.fundingRate} received`);
      }
      // Open interest streams on OKX and Bybit (Binance's is polled over REST).
      for (const v of ['okx', 'bybit'] as const) {
        const ois = tickers(got, v).map((t) => t.openInterest).filter((x) => !Number.isNaN(x));
        assert.equal(r12(ois.at(-1)!), r12(tickers(run.all, v).at(-1)!.openInterest), `${v}: open interest`);
      }
    } finally {
      await Promise.all(clients.map((c) => c.stop()));
      await serving.close();
    }
  });

  it('a client connecting after the feed gets the current book in its snapshot (REST on Binance, subscribe-time on OKX and Bybit)', async () => {
    const run = syntheticRun({ startMs: Date.now(), spanMs: 2_000, steps: 300, seed: 5 });
    const serving = await serveSimulation(run, { speed: 0 });
    const got: CaptureRecord[] = [];
    let clients: LiveClient[] = [];
    try {
      await serving.done;
      clients = await connect(serving, () => ({ onEvents: (r) => got.push(...r) }), ['book']);
      await waitFor(() => LIVE_VENUES.every((v) => finalBook(got, v).bids.length > 0), 'a book on every venue', 30_000, 20);
      for (const v of LIVE_VENUES) assert.deepEqual(finalBook(got, v), finalBook(run.all, v), `${v}: the late snapshot is the book after every event`);
    } finally {
      await Promise.all(clients.map((c) => c.stop()));
      await serving.close();
    }
  });

  it('a record-style session stores the simulated trades and liquidations of every venue', async () => {
    // Exchange times after the clients' subscriptions, however long a loaded machine takes to set
    // them up (the waits below allow 30 s each): OKX's client drops a liquidation more than 1 s
    // older than its subscription as OKX's subscribe-time replay (src/venues/okx/live.ts), which
    // cost this case its first OKX liquidations on a loaded machine.
    const run = syntheticRun({ startMs: Date.now() + 60_000, spanMs: 3_000, steps: 300, seed: 9 });
    const store = await Store.open(join(tempDir(), 'home'));
    const recorder = await Recorder.open(store, { label: 'record sim', flushMs: 200 });
    const start = gate();
    const serving = await serveSimulation(run, { speed: Infinity, startWhen: start.promise });
    const clients = await connect(serving, (v) => recorder.handlers(v));
    try {
      await subscribed(serving);
      start.open();
      await serving.done;
      const want = run.all.filter((e) => e.type === 'trade' || e.type === 'liquidation').length;
      await waitFor(async () => {
        await recorder.flush();
        const [{ n }] = await store.rows<{ n: bigint }>('SELECT (SELECT count(*) FROM trades) + (SELECT count(*) FROM liquidations) AS n');
        return Number(n) >= want;
      }, 'the rows stored', 30_000, 50);
    } finally {
      await Promise.all(clients.map((c) => c.stop()));
      await serving.close();
      await recorder.close();
    }
    try {
      for (const [table, type] of [['trades', 'trade'], ['liquidations', 'liquidation']] as const) {
        const rows = await store.rows<{ venue: string; price: number; qty: number; side: string }>(`SELECT venue::VARCHAR AS venue, price, qty, side::VARCHAR AS side FROM ${table} ORDER BY venue, ts, price, qty`);
        for (const v of LIVE_VENUES) {
          const stored = rows.filter((r) => r.venue === v).map((r) => [r.price, r12(r.qty), r.side]);
          const sim = run.all.filter((e): e is MarketEvent & { type: typeof type } => e.venue === v && e.type === type).sort((a, b) => a.ts - b.ts || a.price - b.price || a.qty - b.qty).map((e) => [e.price, r12(e.qty), e.side]);
          assert.deepEqual(stored, sim, `${v} ${table}`);
        }
      }
    } finally {
      store.close();
    }
  });

  it('at speed 1 the exchange time advances with the wall clock', async () => {
    // 20 000 events over 1.5 s of exchange time: batched, never a timer per event.
    const run = syntheticRun({ startMs: Date.now(), spanMs: 1_500, steps: 20_000, seed: 3 });
    const arrivals: number[] = [];
    const serving = await serveSimulation(run, { speed: 1, onProgress: (p) => arrivals.push(p.events), progressMs: 100 });
    try {
      const r = await serving.done;
      assert.equal(r.events, run.all.length);
      assert.equal(r.exchangeMs, 1_500);
      // Never early (due times are absolute). Late only by what the machine's load costs: 4.5 s was
      // seen at load 14 (publishing 20,000 events needs the CPU it did not get). Pacing gone wrong
      // is far slower: a timer per event is 20,000 timers of at least 1 ms one after another, over 20 s.
      assert.ok(r.wallMs >= 1_500 - 5, `wall ${r.wallMs.toFixed(0)} ms for 1500 ms of exchange time: too fast`);
      assert.ok(r.wallMs <= 1_500 + 6_000, `wall ${r.wallMs.toFixed(0)} ms for 1500 ms of exchange time: too slow`);
      // Progress came in steps over the span, not all at the end.
      assert.ok(arrivals.length >= 5 && arrivals[2] < run.all.length, `progress ${arrivals.join(',')}`);
    } finally {
      await serving.close();
    }
  });

  it('as fast as possible, the feed yields to the event loop between slices', async () => {
    // About a second of publishing on this machine: in one go it would block the loop that long.
    const run = syntheticRun({ startMs: Date.now(), spanMs: 10_000, steps: 150_000, seed: 8 });
    // The longest the loop went without running a 5 ms interval timer.
    let last = performance.now();
    let longest = 0;
    const probe = setInterval(() => {
      const now = performance.now();
      longest = Math.max(longest, now - last);
      last = now;
    }, 5);
    const serving = await serveSimulation(run, { speed: 0 });
    try {
      const r = await serving.done;
      await new Promise((res) => setTimeout(res, 20)); // the probe notes a block when it runs next
      assert.equal(r.events, run.all.length);
      assert.ok(longest < Math.max(250, r.wallMs / 3), `the event loop was blocked ${longest.toFixed(0)} ms of ${r.wallMs.toFixed(0)}`);
    } finally {
      clearInterval(probe);
      await serving.close();
    }
  });

  it('speed scales exchange time against wall time', async () => {
    const run = syntheticRun({ startMs: Date.now(), spanMs: 4_000, steps: 200, seed: 4 });
    const serving = await serveSimulation(run, { speed: 10 });
    try {
      const r = await serving.done;
      assert.ok(r.wallMs >= 400 - 5 && r.wallMs <= 400 + 600, `4000 ms at x10 took ${r.wallMs.toFixed(0)} ms`);
    } finally {
      await serving.close();
    }
  });

  it('binds 127.0.0.1 by default, and the five ports from basePort in the documented layout', async () => {
    const serving = await serveSimulation(syntheticRun({ startMs: Date.now(), spanMs: 10, steps: 3 }), { speed: 0 });
    try {
      assert.deepEqual(Object.keys(serving.env), SERVE_ENV_KEYS);
      for (const url of Object.values(serving.env)) assert.equal(new URL(url).hostname, '127.0.0.1', url);
      assert.equal(serving.env.ORDERFLOW_OKX_WS_URL.replace(/^ws/, 'http'), serving.env.ORDERFLOW_OKX_REST_URL, 'OKX serves both on one port');
      assert.equal(urlHost('::1'), '[::1]', 'an IPv6 host is bracketed in the URLs');
      assert.equal(urlHost('127.0.0.1'), '127.0.0.1');
    } finally {
      await serving.close();
    }
    // A base port in the ephemeral range; another process may hold one: then try another.
    for (let attempt = 0; ; attempt++) {
      const base = 20_000 + Math.floor(Math.random() * 20_000);
      let s: SimServing;
      try {
        s = await serveSimulation(syntheticRun({ startMs: Date.now(), spanMs: 10, steps: 3 }), { speed: 0, basePort: base });
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EADDRINUSE' && attempt < 5) continue;
        throw e;
      }
      try {
        const port = (k: string) => Number(new URL(s.env[k]).port);
        assert.equal(port('ORDERFLOW_BINANCE_WS_URL'), base + SERVE_PORT_LAYOUT.binanceWs);
        assert.equal(port('ORDERFLOW_BINANCE_REST_URL'), base + SERVE_PORT_LAYOUT.binanceRest);
        assert.equal(port('ORDERFLOW_OKX_WS_URL'), base + SERVE_PORT_LAYOUT.okx);
        assert.equal(port('ORDERFLOW_BYBIT_WS_URL'), base + SERVE_PORT_LAYOUT.bybitWs);
        assert.equal(port('ORDERFLOW_BYBIT_REST_URL'), base + SERVE_PORT_LAYOUT.bybitRest);
      } finally {
        await s.close();
      }
      break;
    }
  });

  it('an event of a venue without a server fails the feed naming it; bad options are refused', async () => {
    const run = syntheticRun({ startMs: Date.now(), spanMs: 10, steps: 3 });
    const spot = { ...run, events: () => [...run.all, { ...run.all[0], venue: 'binance-spot' } as MarketEvent][Symbol.iterator]() };
    const serving = await serveSimulation(spot, { speed: 0 });
    try {
      await assert.rejects(serving.done, /event 7 is for binance-spot, which has no loopback server/);
    } finally {
      await serving.close();
    }
    await assert.rejects(serveSimulation(run, { speed: -1 }), /speed: expected a number >= 0/);
    await assert.rejects(serveSimulation(run, { basePort: 70_000 }), /port: expected an integer/);
    await assert.rejects(serveSimulation({ ...run, symbols: { ...run.symbols, okx: 'NOPE-USDT-SWAP' } }, { instruments: undefined }), /no instrument data for okx NOPE-USDT-SWAP/);
  });

  it('close() and the abort signal stop the feed before the end', async () => {
    const run = syntheticRun({ startMs: Date.now(), spanMs: 60_000, steps: 100 });
    const ac = new AbortController();
    const serving = await serveSimulation(run, { speed: 1, signal: ac.signal });
    setTimeout(() => ac.abort(), 50);
    const r = await serving.done;
    assert.equal(r.aborted, true);
    assert.ok(r.events < run.all.length);
    await serving.close();
  });
});

describe('formatExports', () => {
  it('prints one export line per variable, in order', () => {
    const env = { ORDERFLOW_BINANCE_WS_URL: 'ws://127.0.0.1:9400', ORDERFLOW_BINANCE_REST_URL: 'http://127.0.0.1:9401' };
    assert.equal(formatExports(env), 'export ORDERFLOW_BINANCE_WS_URL=ws://127.0.0.1:9400\nexport ORDERFLOW_BINANCE_REST_URL=http://127.0.0.1:9401');
  });

  it('a shell evaluating the lines gets every value back exactly', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('a', ' ', "'", '"', '$', '`', '\\', ':', '/', '[', ']', '!', '*', ';', '&', '\n') }), (value) => {
        const out = execFileSync('sh', ['-c', `${formatExports({ V: value })}\nprintf %s "$V"`], { encoding: 'utf8' });
        assert.equal(out, value);
      }),
      { numRuns: 40 },
    );
  });

  it('refuses a name that is not a shell variable', () => {
    assert.throws(() => formatExports({ 'A-B': 'x' }), /not a shell variable name/);
  });
});
