/**
 * `orderflow sim --serve`: a simulated market on the three loopback exchange servers
 * (src/venues/<venue>/mock-server.ts), so `watch`, `record` and anything else that speaks to a
 * venue runs against it unchanged, pointed there by the `ORDERFLOW_<VENUE>_WS_URL` / `_REST_URL`
 * variables this prints (docs/SIMULATOR.md, "Serving (`--serve`)").
 *
 * Each event goes to its venue's server when its exchange time is due: wall time since the start
 * x `speed` = exchange time since `config.startMs`. Due times are computed from the absolute start,
 * never from the previous wake-up, so the schedule does not drift; every event already due is
 * published in one batch, and the loop yields to the event loop between batches (and within a
 * batch after `sliceMs`), so thousands of events a second cost a handful of timers and the
 * servers keep answering. The servers keep the venue state the events build (books, trade history,
 * open interest): a client connecting late gets the current book in its REST or subscribe-time
 * snapshot, as from the venue.
 */
import { performance } from 'node:perf_hooks';
import { UsageError } from '../core/errors.ts';
import type { MarketEvent, Venue } from '../core/events.ts';
import type { InstrumentRegistry } from '../core/instruments.ts';
import { startBinanceMockServer, type BinanceMockServer } from '../venues/binance/mock-server.ts';
import { loadBundledInstruments } from '../venues/bundled-instruments.ts';
import { decimalText } from '../venues/bybit/encode.ts';
import { startBybitMockServer, type BybitMockServer } from '../venues/bybit/mock-server.ts';
import { LIVE_VENUES, type LiveVenue } from '../venues/live/clients.ts';
import { startOkxMockServer, type OkxMockServer } from '../venues/okx/mock-server.ts';
import type { SimConfig, SimRun } from './types.ts';

export interface ServeOptions {
  /** Exchange ms per wall ms: 1 = real time (default); 0 or Infinity = as fast as the servers take them. */
  readonly speed?: number;
  /** Interface the servers bind. Default 127.0.0.1 (loopback only). */
  readonly host?: string;
  /**
   * First of five consecutive ports (SERVE_PORT_LAYOUT: Binance WS, Binance REST, OKX WS+REST,
   * Bybit WS, Bybit REST), so the exported URLs stay the same from run to run. Default 0: any free ports.
   */
  readonly basePort?: number;
  /** Aborting stops the feed and closes the servers, as close() does. */
  readonly signal?: AbortSignal;
  /** Called about every `progressMs` of wall time while feeding, and once at the end. */
  readonly onProgress?: (p: ServeProgress) => void;
  /** Default 1000 ms. */
  readonly progressMs?: number;
  /**
   * Instrument data for simulated symbols a server's own list (the bundled venue responses) does
   * not have: listed with their tick, lot and contract value. Default: the bundled instruments.
   */
  readonly instruments?: InstrumentRegistry;
  /**
   * The feed starts when this resolves (e.g. once the clients that must see the first event are
   * subscribed); exchange time `config.startMs` is then. Default: at once.
   */
  readonly startWhen?: PromiseLike<unknown>;
  /** Longest run of publishing without yielding to the event loop, ms. Default 10. */
  readonly sliceMs?: number;
  /**
   * At speed 1: an event goes out when the wall clock reaches its own exchange time (those already
   * due go out at once), instead of `config.startMs` being the moment the feed starts. For a run
   * whose start is in the past (the demo's history is stored, the rest served): the clients then
   * measure no lag. Default false.
   */
  readonly wallClock?: boolean;
  /**
   * Trades each server keeps per symbol for its REST back-fill (Binance and OKX; Bybit serves its
   * newest 1000 whatever this says). Default: the servers' own (Binance 100,000, OKX 10,000). A
   * long run in one process with its clients (a memory test) bounds it so the servers' history is
   * not counted as the clients' heap.
   */
  readonly tradeHistory?: number;
}

export interface ServeProgress {
  /** Events published so far. */
  readonly events: number;
  /** Exchange time of the last event published; NaN before any. */
  readonly exchangeTs: number;
  /** How late the last batch went out after its due time, ms (0 at max speed): a loaded machine shows here. */
  readonly lateMs: number;
  readonly done: boolean;
}

export interface ServeResult {
  readonly events: number;
  /** Wall time from the start of the feed to the last event, ms. */
  readonly wallMs: number;
  /** Exchange time spanned: last event ts - config.startMs, ms (0 without events). */
  readonly exchangeMs: number;
  /** True when stopped by the signal or close() before the run ended. */
  readonly aborted: boolean;
}

export interface SimServing {
  /** `ORDERFLOW_<VENUE>_WS_URL` / `_REST_URL` for the three venues, in SERVE_ENV_KEYS order. */
  readonly env: Record<string, string>;
  readonly servers: { readonly binance: BinanceMockServer; readonly okx: OkxMockServer; readonly bybit: BybitMockServer };
  /** Resolves when every event is published (the servers stay up until close()); rejects if one cannot be. */
  readonly done: Promise<ServeResult>;
  /** Stop feeding and close the three servers (their connections are dropped). */
  close(): Promise<void>;
}

/** Offsets from `basePort` of each listening port. */
export const SERVE_PORT_LAYOUT = { binanceWs: 0, binanceRest: 1, okx: 2, bybitWs: 3, bybitRest: 4 } as const;

/** The variables the live clients read (src/venues/live/endpoint.ts), in the order they are printed. */
export const SERVE_ENV_KEYS = LIVE_VENUES.flatMap((v) => [`ORDERFLOW_${v.toUpperCase()}_WS_URL`, `ORDERFLOW_${v.toUpperCase()}_REST_URL`]);

/**
 * A config whose exchange time starts now (the next whole second), which is what a served run
 * needs: the clients measure lag as receive time - exchange time, and at speed 1 that stays near 0.
 */
export function liveSimConfig(config: Omit<SimConfig, 'startMs'>, now = Date.now()): SimConfig {
  return { ...config, startMs: Math.ceil(now / 1000) * 1000 };
}

/** The `export KEY=value` lines to paste into a shell (values quoted when the shell would need it). */
export function formatExports(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([k, v]) => {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new RangeError(`not a shell variable name: ${JSON.stringify(k)}`);
      return `export ${k}=${/^[A-Za-z0-9_.:/@%+=,-]+$/.test(v) ? v : `'${v.replaceAll("'", `'\\''`)}'`}`;
    })
    .join('\n');
}

export async function serveSimulation(run: SimRun, opts: ServeOptions = {}): Promise<SimServing> {
  const speed = opts.speed ?? 1;
  if (!(speed >= 0)) throw new UsageError(`speed: expected a number >= 0 (0 or Infinity = as fast as possible), got ${speed}`);
  const fast = speed === 0 || speed === Infinity;
  const host = opts.host ?? '127.0.0.1';
  const base = opts.basePort ?? 0;
  if (!(Number.isInteger(base) && base >= 0 && base <= 65535 - 4)) throw new UsageError(`port: expected an integer in [0, 65531] (0 = any free ports), got ${base}`);
  const port = (offset: number) => (base === 0 ? 0 : base + offset);
  const sliceMs = opts.sliceMs ?? 10;
  const progressMs = opts.progressMs ?? 1000;
  const instruments = opts.instruments ?? loadBundledInstruments();
  const symbols = run.symbols;

  const started: { close(): Promise<void> }[] = [];
  const closeStarted = () => Promise.all(started.map((s) => s.close().catch(() => undefined)));
  let binance: BinanceMockServer, okx: OkxMockServer, bybit: BybitMockServer;
  try {
    binance = await startBinanceMockServer({
      host, wsPort: port(SERVE_PORT_LAYOUT.binanceWs), restPort: port(SERVE_PORT_LAYOUT.binanceRest),
      symbols: symbols.binance ? [symbols.binance] : [],
      // The simulator already prints one forced order per symbol per second, as Binance does.
      liquidationSampleMs: 0,
      historyLimit: opts.tradeHistory,
    });
    started.push(binance);
    okx = await startOkxMockServer({ host, wsPort: port(SERVE_PORT_LAYOUT.okx), historyLimit: opts.tradeHistory });
    started.push(okx);
    bybit = await startBybitMockServer({ host, wsPort: port(SERVE_PORT_LAYOUT.bybitWs), restPort: port(SERVE_PORT_LAYOUT.bybitRest), instruments });
    started.push(bybit);
    listSimulatedSymbols(run, instruments, { binance, okx, bybit });
  } catch (e) {
    await closeStarted();
    throw e;
  }

  const env: Record<string, string> = {};
  for (const [v, s] of [['binance', binance], ['okx', okx], ['bybit', bybit]] as const) {
    env[`ORDERFLOW_${v.toUpperCase()}_WS_URL`] = s.wsUrl;
    env[`ORDERFLOW_${v.toUpperCase()}_REST_URL`] = s.restUrl;
  }

  let stopped = false;
  let wake: (() => void) | undefined;
  const stop = () => {
    stopped = true;
    wake?.();
  };
  /** Resolves after `ms` (0: on the next turn of the event loop), or at once when stopped. */
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      if (stopped) return resolve();
      const t = ms > 0 ? setTimeout(done, ms) : setImmediate(done);
      function done() {
        if (ms > 0) clearTimeout(t as NodeJS.Timeout);
        else clearImmediate(t as NodeJS.Immediate);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const feed = async (): Promise<ServeResult> => {
    const anchor = run.config.startMs;
    let events = 0;
    let lastTs = NaN;
    let lateMs = 0;
    const bybitBatch: MarketEvent[] = [];
    const route = (ev: MarketEvent): void => {
      switch (ev.venue) {
        case 'binance':
          return binance.publish(ev);
        case 'okx':
          return okx.publish(ev);
        case 'bybit':
          // Published per batch: consecutive trades (liquidations) share a frame, as on Bybit.
          bybitBatch.push(ev);
          return;
        default:
          throw new UsageError(`sim --serve: event ${events + 1} is for ${ev.venue}, which has no loopback server (served: ${LIVE_VENUES.join(', ')})`);
      }
    };
    // Never before the caller has the servers' addresses (and can print them).
    await pause(0);
    if (opts.startWhen) await opts.startWhen;
    const it = run.events()[Symbol.iterator]();
    let next = it.next();
    const feedStart = performance.now();
    // performance.now() at which exchange time `anchor` is due.
    const t0 = opts.wallClock && speed === 1 ? feedStart + (anchor - Date.now()) : feedStart;
    let lastProgress = feedStart;
    while (!next.done && !stopped) {
      const batchStart = performance.now();
      const sliceEnd = batchStart + sliceMs;
      let n = 0;
      while (!next.done) {
        const ev = next.value;
        if (!fast) {
          const due = t0 + (ev.ts - anchor) / speed;
          if (due > batchStart) break;
          if (n === 0) lateMs = Math.max(0, batchStart - due);
        }
        route(ev);
        lastTs = ev.ts;
        events++;
        n++;
        next = it.next();
        // Time is read every 256 events only: cheap, and a slice overruns by microseconds.
        if ((n & 255) === 0 && performance.now() >= sliceEnd) break;
      }
      if (bybitBatch.length > 0) {
        bybit.publish(...bybitBatch);
        bybitBatch.length = 0;
      }
      const now = performance.now();
      if (opts.onProgress && now - lastProgress >= progressMs) {
        lastProgress = now;
        opts.onProgress({ events, exchangeTs: lastTs, lateMs, done: false });
      }
      if (next.done) break;
      await pause(fast ? 0 : t0 + (next.value.ts - anchor) / speed - performance.now());
    }
    const result: ServeResult = { events, wallMs: performance.now() - feedStart, exchangeMs: events > 0 ? lastTs - anchor : 0, aborted: !next.done };
    opts.onProgress?.({ events, exchangeTs: lastTs, lateMs, done: true });
    return result;
  };

  let closing: Promise<void> | undefined;
  const close = () => {
    stop();
    closing ??= closeStarted().then(() => undefined);
    return closing;
  };
  const onAbort = () => void close();
  if (opts.signal?.aborted) stop();
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  const done = feed().finally(() => opts.signal?.removeEventListener('abort', onAbort));
  done.catch(() => undefined); // observed through `done`

  return { env, servers: { binance, okx, bybit }, done, close };
}

/**
 * Every stream a recorder or paper session of `symbols` subscribes to (trades, liquidations, book,
 * marks/funding/open interest) has a subscriber on the loopback servers: a feed gated on this
 * (`startWhen`) loses no event to a client still connecting.
 */
export function everyStreamSubscribed(s: SimServing, symbols: Readonly<Partial<Record<Venue, string>>>): boolean {
  const b = symbols.binance;
  const o = symbols.okx;
  const y = symbols.bybit;
  const binance = s.servers.binance.subscriptions();
  const bybit = s.servers.bybit.subscriptions().flat();
  return (
    (!b || ['aggTrade', 'forceOrder', 'depth', 'markPrice'].every((k) => binance.some((x) => x.startsWith(`${b.toLowerCase()}@${k}`)))) &&
    (!o ||
      (['trades', 'books', 'mark-price', 'funding-rate', 'open-interest'].every((channel) => s.servers.okx.subscribers({ channel, instId: o }) > 0) &&
        s.servers.okx.subscribers({ channel: 'liquidation-orders', instType: 'SWAP' }) > 0)) &&
    (!y || ([`publicTrade.${y}`, `allLiquidation.${y}`, `tickers.${y}`].every((t) => bybit.includes(t)) && bybit.some((t) => t.startsWith('orderbook.') && t.endsWith(y))))
  );
}

/**
 * Each server lists the simulated symbol in its own instrument data, so `watch` / `record`
 * resolve it against the server as they do against the venue. The bundled venue responses list
 * the common perpetuals already; any other is listed from `instruments` (its tick, lot, contract value).
 */
function listSimulatedSymbols(run: SimRun, instruments: InstrumentRegistry, s: { binance: BinanceMockServer; okx: OkxMockServer; bybit: BybitMockServer }): void {
  const inst = (venue: LiveVenue, symbol: string) => {
    const i = instruments.get(venue, symbol);
    if (!i) throw new UsageError(`sim --serve: no instrument data for ${venue} ${symbol}: the loopback server cannot list it`);
    return i;
  };
  const b = run.symbols.binance;
  if (b !== undefined && !s.binance.listings.has(b)) {
    const i = inst('binance', b);
    s.binance.listings.listPerpetual({ symbol: b, tickSize: decimalText(i.tickSize), stepSize: decimalText(i.lotSize) });
  }
  const o = run.symbols.okx;
  if (o !== undefined && s.okx.listings.registry().get('okx', o) === undefined) {
    const i = inst('okx', o);
    s.okx.listings.listSwap({ instId: o, ctVal: decimalText(i.contractValue), tickSz: decimalText(i.tickSize), lotSz: decimalText(i.lotSize), ctType: i.contractType });
  }
  const y = run.symbols.bybit;
  if (y !== undefined && !s.bybit.listings.symbols().includes(y)) {
    const i = inst('bybit', y);
    s.bybit.listings.listLinear({ symbol: y, tickSize: decimalText(i.tickSize), qtyStep: decimalText(i.lotSize) });
  }
}
