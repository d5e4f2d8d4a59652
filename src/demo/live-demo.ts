/**
 * `orderflow demo`: the whole workstation on a simulated market, offline, in one process. A
 * scenario (src/sim) is simulated from a start in the recent past: the part before now is written
 * as the venues' raw captures and imported into a fresh store (the history the dashboard and the
 * paper session's warm-up read), the rest is served live, paced to the wall clock, by the three
 * loopback exchanges (src/sim/serve.ts). A paper session (src/paper) connects to them as it would
 * to the venues, records into the store and trades the seed strategy; the dashboard
 * (src/server) reads the same store and shows it live. Nothing is opened unless asked: the URL is
 * printed, and everything runs until the signal aborts it (Ctrl-C).
 *
 * The default scenario, `absorption`, plants a long liquidation cascade 1h10 into the run and a
 * revisit of its zone at 2h20; the history is cut so that the cascade and its cluster are already
 * stored and the revisit (where buyers absorb and the seed strategy goes long) happens live, a
 * few minutes after the start.
 */
import { join } from 'node:path';
import type { MarketEvent } from '../core/events.ts';
import { MINUTE_MS } from '../features/timeframe.ts';
import { PaperRun } from '../paper/paper-run.ts';
import { statusLine } from '../paper/status-line.ts';
import { writeSimCapture } from '../sim/capture-writer.ts';
import { everyStreamSubscribed, serveSimulation, type SimServing } from '../sim/serve.ts';
import { simConfig, simulate } from '../sim/simulate.ts';
import type { ScenarioName, SimConfig, SimRun } from '../sim/types.ts';
import { Store } from '../store/store.ts';
import type { LiveVenue } from '../venues/live/clients.ts';
import { demoBacktestConfig, importCapture, prepareHome, type DemoUi } from './sim-demo.ts';

export interface LiveDemoSettings {
  /** The demo's own folder, wiped and rebuilt on every run (prepareHome). */
  readonly home: string;
  readonly scenario: ScenarioName;
  readonly seed: number;
  /** Simulated time before now, imported as history. Default: the scenario's (HISTORY_MS). */
  readonly historyMs?: number;
  /** The dashboard's address. */
  readonly host: string;
  readonly port: number;
  readonly token?: string;
}

export interface LiveDemoHandles {
  /** The dashboard's URL, with the view of the simulated market. */
  readonly url: string;
  readonly serving: SimServing;
  readonly paper: PaperRun;
  /** Stops the feed, the paper session (committing its journal) and the dashboard. */
  stop(): Promise<void>;
}

/** What the dashboard server gives the demo (src/server/server.ts). */
export interface DashboardServer {
  readonly url: string;
  close(): Promise<void>;
}
export type StartDashboard = (o: { home: string; host: string; port: number; token?: string; store: Store }) => Promise<DashboardServer>;

/**
 * History before now per scenario, at least (the start is aligned down to a quarter hour, the
 * zone refresh of the demo's config, so the history is up to 15 minutes longer): the absorption
 * scenario's revisit (2h20 into the run) comes 0-15 minutes after the start; the others show
 * their plant within the history and keep trading live.
 */
const HISTORY_MS: Partial<Record<ScenarioName, number>> = { absorption: 2 * 60 * MINUTE_MS + 5 * MINUTE_MS };
const DEFAULT_HISTORY_MS = 90 * MINUTE_MS;
/** The market keeps trading live this long after the scenario's plants (the run's length past now). */
const LIVE_MS = 24 * 60 * MINUTE_MS;
const QUARTER_HOUR_MS = 15 * MINUTE_MS;

/** The paper session's name in the demo's journal. */
export const DEMO_SESSION = 'demo';

/** The run's config: it starts at least `historyMs` before `now` (aligned down to a quarter hour) and runs a day past now. */
export function liveDemoConfig(scenario: ScenarioName, seed: number, historyMs: number | undefined, now: number): SimConfig {
  const history = historyMs ?? HISTORY_MS[scenario] ?? DEFAULT_HISTORY_MS;
  const startMs = Math.floor((now - history) / QUARTER_HOUR_MS) * QUARTER_HOUR_MS;
  return simConfig({ scenario, seed, startMs, durationMs: now - startMs + LIVE_MS });
}

/**
 * One simulated run read once, cut at `splitMs`: `history` yields the events stamped before it,
 * `live` the rest (the first live event is the one history stopped at). Read history first.
 */
export function splitRun(run: SimRun, splitMs: number): { history: SimRun; live: SimRun } {
  const it = run.events()[Symbol.iterator]();
  let held: IteratorResult<MarketEvent> | undefined;
  const history: SimRun = {
    ...run,
    config: { ...run.config, durationMs: Math.max(1000, splitMs - run.config.startMs) },
    *events() {
      for (let r = it.next(); !r.done; r = it.next()) {
        if (r.value.ts >= splitMs) {
          held = r;
          return;
        }
        yield r.value;
      }
      held = { done: true, value: undefined };
    },
    labels: run.labels,
  };
  const live: SimRun = {
    ...run,
    // The feed paces against this: exchange time splitMs goes out when the feed starts.
    config: { ...run.config, startMs: splitMs, durationMs: run.config.startMs + run.config.durationMs - splitMs },
    *events() {
      if (held && !held.done) yield held.value;
      for (let r = it.next(); !r.done; r = it.next()) yield r.value;
    },
    labels: run.labels,
  };
  return { history, live };
}

/**
 * Builds and starts everything; resolves once the dashboard answers and the live feed runs.
 * `now` is the wall clock (tests pass their own).
 */
export async function startLiveDemo(s: LiveDemoSettings, ui: DemoUi, startDashboard: StartDashboard, now = Date.now()): Promise<LiveDemoHandles> {
  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  prepareHome(s.home);
  const splitMs = Math.floor(now / 1000) * 1000;
  const config = liveDemoConfig(s.scenario, s.seed, s.historyMs, splitMs);
  const { history, live } = splitRun(simulate(config), splitMs);

  ui.log(`1. simulate ${s.scenario} (seed ${s.seed}): BTC perpetuals on ${config.venues.join(', ')}, ${Math.round((splitMs - config.startMs) / MINUTE_MS)} min of history before now`);
  const captureDir = join(s.home, 'capture');
  const bar = ui.progress('   simulating the history');
  const written = await writeSimCapture(history, captureDir, { labels: false, onProgress: (events, ts) => bar.update(ts - config.startMs, splitMs - config.startMs, events) });
  bar.clear();
  ui.log(`   ${written.events.toLocaleString('en-US')} events written as the venues' raw captures (${elapsed()})`);
  ui.log('2. import the history through the real importer (orderflow import)');
  const rows = await importCapture(s.home, captureDir, ui);
  ui.log(`   ${rows.toLocaleString('en-US')} rows stored (${elapsed()})`);

  ui.log('3. the three loopback exchanges, a paper session recording and trading on them, and the dashboard');
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const serving = await serveSimulation(live, { speed: 1, wallClock: true, startWhen: gate });
  // The paper session's live clients read their endpoints from the environment, as with `sim --serve`.
  Object.assign(process.env, serving.env);
  const stops: (() => Promise<unknown>)[] = [() => serving.close()];
  const stopAll = async () => {
    release();
    for (const stop of stops.reverse()) await stop().catch((e: Error) => ui.log(`demo: while stopping: ${e.message}`));
  };
  try {
    const store = await Store.open(s.home);
    stops.push(async () => store.close());
    const paper = await PaperRun.start({
      store,
      name: DEMO_SESSION,
      symbol: config.symbol,
      venues: config.venues as LiveVenue[],
      config: demoBacktestConfig(0),
      log: (line) => ui.log(`   ${line}`),
    });
    stops.push(() => paper.stop());
    await waitUntil(() => everyStreamSubscribed(serving, live.symbols), 30_000, 'every stream of the paper session subscribed on the loopback exchanges');
    release();
    // The dashboard reads through the store this process writes (the paper session's).
    const dashboard = await startDashboard({ home: s.home, host: s.host, port: s.port, token: s.token, store });
    stops.push(() => dashboard.close());
    // The token in the page's URL once: the page trades it for a cookie and drops it from the address bar.
    const view = `symbol=${encodeURIComponent(config.symbol)}USDT&venues=${config.venues.join(',')}&tf=1m${s.token ? `&token=${encodeURIComponent(s.token)}` : ''}`;
    const url = `${dashboard.url}/?${view}`;
    ui.log(`   ready (${elapsed()})`);
    return {
      url,
      serving,
      paper,
      stop: stopAll,
    };
  } catch (e) {
    await stopAll();
    throw e;
  }
}

/** The paper session's status line, for the demo's terminal. */
export function demoStatus(h: LiveDemoHandles): string {
  return statusLine(h.paper.status());
}

async function waitUntil(ok: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`demo: timed out after ${timeoutMs / 1000} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
