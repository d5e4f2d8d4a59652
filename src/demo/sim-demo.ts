/**
 * `orderflow demo`: the method on a market where it has something to see. A simulated scenario
 * (src/sim) is written as the venues' raw captures, imported through the real importer into a
 * fresh store, and the detectors and the backtest then read that store as they read any other:
 * the liquidation clusters against the planted cascade, the absorption events, the delta
 * divergence, and the seed strategy's trades with its null-model verdict.
 *
 * A simulated run is hours long, not weeks, so a few settings are scaled to it; each is said in
 * the output (SHORT_MARKET below). Nothing else is changed, and nothing is read from the labels
 * but the comparison.
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../core/errors.ts';
import type { Venue } from '../core/events.ts';
import { Backtest } from '../engine/backtest.ts';
import { defaultConfig, parseConfig, type BacktestConfig } from '../engine/config.ts';
import { writeRunFolder } from '../engine/run-folder.ts';
import type { RunResult, RunSignal } from '../engine/run-types.ts';
import { DEFAULT_PRICE_BAND, DivergenceOperator, type DivergenceEvent } from '../features/divergence.ts';
import { CLUSTER_DEFAULTS, type LiquidationCluster } from '../features/liquidations.ts';
import { MINUTE_MS } from '../features/timeframe.ts';
import { feedStoredTrades } from '../query/feed.ts';
import { snapshotAt } from '../query/liquidation-snapshot.ts';
import { marketQueryOf, storedMarkets } from '../query/market.ts';
import { writeSimCapture } from '../sim/capture-writer.ts';
import { clusterDetection, type Detection } from '../sim/eval/detections.ts';
import { fits } from '../sim/eval/match.ts';
import { simConfig, simulate } from '../sim/simulate.ts';
import type { ScenarioName, SimLabel } from '../sim/types.ts';
import { importPaths } from '../store/import-paths.ts';
import { importFile } from '../store/importer.ts';
import { saveInstruments } from '../store/instruments-table.ts';
import { readLiquidations } from '../store/liquidation-reader.ts';
import { Store } from '../store/store.ts';
import { allFormats } from '../venues/formats.ts';
import { loadBundledInstruments } from '../venues/bundled-instruments.ts';
import { formatCount, isoTime, table } from '../cli/format.ts';
import { importSamples } from './samples.ts';

export interface SimDemoSettings {
  /** The demo's own folder: wiped and rebuilt on every run (see prepareHome). */
  readonly home: string;
  readonly scenario: ScenarioName;
  readonly seed: number;
  readonly durationMs: number;
  /** Null-model runs of the backtest. */
  readonly nullSeeds: number;
}

export const SIM_DEMO_DEFAULTS = { scenario: 'absorption', seed: 1, durationMs: 2 * 3_600_000, nullSeeds: 20 } as const;

/** What the command's exit status rests on. */
export interface SimDemoResult {
  readonly importedRows: number;
  /** Bundled samples that failed to import. */
  readonly failedSamples: number;
  readonly reportHtml: string;
}

/** Progress on a terminal: the command gives its bars. */
export interface DemoUi {
  log(line: string): void;
  progress(label: string): { update(done: number, total: number, rows: number): void; clear(): void };
}

/** Marks a folder the demo built, so a re-run may wipe it and nothing else. */
const MARKER = '.orderflow-demo';

/**
 * The settings scaled to a market of hours (the defaults are meant for weeks of history). Each
 * line is printed with the backtest.
 */
const SHORT_MARKET = {
  /** Absorption's typical-volume median (and warm-up) in 1m windows; default 60, which would hide a visit in the first hour. */
  absorptionLookback: 20,
  /** Zones re-snapshotted from the clusters; default every 1h, one or two snapshots in a market of hours. */
  zonesEveryMs: 15 * MINUTE_MS,
  /** Delta divergence on 1m bars: the defaults (15m/1h/1d, 100 bars of warm-up) need 25 h or more. */
  divergence: { timeframesMs: [MINUTE_MS], window: 20, lookback: 30 },
} as const;

/** The backtest config of the demo: the defaults, scaled to a short market as SHORT_MARKET says. */
export function demoBacktestConfig(nullSeeds: number): BacktestConfig {
  const d = defaultConfig();
  return parseConfig(
    {
      ...d,
      signals: { ...d.signals, zonesEvery: SHORT_MARKET.zonesEveryMs, absorption: { ...d.signals.absorption, lookbackWindows: SHORT_MARKET.absorptionLookback } },
      // The large-print veto reads the last closed 1h size bar: in a market of an hour or two that is the bar of the attack being absorbed.
      entry: { ...d.entry, requireLargeFlow: false },
      nullModel: { ...d.nullModel, seeds: nullSeeds },
    },
    'demo',
  );
}

const SHORT_MARKET_NOTE = [
  `absorption lookback ${SHORT_MARKET.absorptionLookback} 1m windows (default 60: a first-hour visit would fall in the warm-up)`,
  `zones re-snapshotted every ${SHORT_MARKET.zonesEveryMs / MINUTE_MS}m (default 1h)`,
  'no 1h large-print veto (default on: in a market of an hour or two the last closed 1h bar is the very attack being absorbed)',
];

/** A fresh folder for the demo: a folder the demo built before is wiped; any other non-empty folder is refused. */
export function prepareHome(home: string): void {
  if (existsSync(home) && readdirSync(home).length > 0) {
    if (!existsSync(join(home, MARKER))) throw new UsageError(`demo: ${home} is not empty and was not made by the demo; the demo builds a fresh store: give a new or empty --home`);
    rmSync(home, { recursive: true, force: true });
  }
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, MARKER), 'made by `orderflow demo`, which wipes this folder on its next run\n');
}

export async function runSimDemo(s: SimDemoSettings, ui: DemoUi): Promise<SimDemoResult> {
  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(1)} s`;
  prepareHome(s.home);
  const config = simConfig({ scenario: s.scenario, seed: s.seed, durationMs: s.durationMs });
  const run = simulate(config);
  const captureDir = join(s.home, 'capture');
  ui.log(`1. simulate: scenario ${s.scenario}, seed ${s.seed}, ${config.durationMs / MINUTE_MS} min of BTC perpetuals on ${config.venues.join(', ')} (orderflow sim)`);
  const bar = ui.progress(`   simulating ${s.scenario}`);
  // Gzipped: a seventh of the disk (about 14 MB for 2 h instead of 100) for a few seconds of CPU.
  const written = await writeSimCapture(run, captureDir, { gzip: true, onProgress: (events, ts) => bar.update(ts - config.startMs, config.durationMs, events) });
  bar.clear();
  const labels = run.labels().labels;
  ui.log(`   ${formatCount(written.events)} events written as the venues' raw WebSocket captures (gzipped): ${written.files.length} files in ${captureDir} (${elapsed()})`);

  ui.log(`\n2. import them through the real importer into a fresh store at ${s.home} (orderflow import)`);
  const importedRows = await importCapture(s.home, captureDir, ui);
  ui.log(`   ${formatCount(importedRows)} rows stored (${elapsed()})`);

  ui.log(`\n3. what the simulator planted (${join(captureDir, 'labels.json')}); the detectors below never read it:`);
  if (labels.length === 0) ui.log('   nothing (a false-positive control)');
  for (const l of labels) ui.log(`   ${l.kind.padEnd(13)} ${l.side.padEnd(4)} ${clock(l.start_ms)}-${clock(l.end_ms)}  ${l.price_low.toFixed(1)}-${l.price_high.toFixed(1)}`);

  const pairs = Object.entries(run.symbols) as [Venue, string][];
  const q = marketQueryOf(loadBundledInstruments(), config.symbol, pairs, undefined, undefined);
  const store = await Store.open(s.home, { readOnly: true });
  let clusters: readonly LiquidationCluster[] = [];
  let clusterAt = NaN;
  let result: RunResult;
  try {
    const liqs = await readLiquidations(store, q);
    const snap = liqs.length > 0 ? await snapshotAt(store, q, liqs, undefined, { bins: { bps: 10 }, ...CLUSTER_DEFAULTS }) : undefined;
    clusters = snap?.clusters ?? [];
    clusterAt = snap?.ts ?? NaN;
    ui.log(`\n4. running the seed strategy's backtest (null model: ${s.nullSeeds} runs with shuffled signal times)...`);
    const bt = new Backtest({
      store,
      config: demoBacktestConfig(s.nullSeeds),
      pairs: await storedMarkets(store, pairs),
      symbol: config.symbol,
      instruments: (v, sym) => q.registry.get(v, sym),
      onProgress: progressPhases(ui),
    });
    result = await bt.run();
  } finally {
    store.close();
  }
  const divergence: DivergenceEvent[] = [];
  const op = new DivergenceOperator(
    { ...SHORT_MARKET.divergence, warmup: SHORT_MARKET.divergence.lookback, k: 1.5, minShare: 0.65, priceBand: DEFAULT_PRICE_BAND },
    (e) => divergence.push(e),
  );
  await feedStoredTrades(s.home, q, [op]);
  const folder = await writeRunFolder(join(s.home, 'runs', 'demo'), result);
  ui.log(`   done (${elapsed()})`);

  printClusters(ui, clusters, clusterAt, labels);
  const absorption = result.signals.filter((x) => x.type === 'absorption');
  printAbsorption(ui, absorption, labels);
  printDivergence(ui, divergence, labels);
  printBacktest(ui, result);
  const reportHtml = join(folder.dir, 'report.html');
  ui.log(`\nreport: ${reportHtml} (open it in a browser; the run folder has every table as CSV and Parquet)`);

  // The bundled real samples, in a store of their own: in the run's store their BTC trades of 2024 would join the simulated BTC market.
  const realHome = join(s.home, 'real-samples');
  const real = await Store.open(realHome);
  let failedSamples: number;
  try {
    const got = await importSamples(real);
    const rows = got.reduce((n, r) => n + (r.rows ?? 0), 0);
    const failed = got.filter((r) => r.error !== null);
    failedSamples = failed.length;
    ui.log(`\nreal data: the ${got.length} bundled samples (Binance, OKX, Bybit and Tardis captures, samples/README.md) imported into ${realHome}: ${rows} rows${failed.length > 0 ? `, FAILED: ${failed.map((f) => `${f.file} (${f.error})`).join('; ')}` : ''}; their tour: orderflow demo --samples`);
  } finally {
    real.close();
  }
  ui.log(`\nthe demo took ${elapsed()}`);
  return { importedRows, failedSamples, reportHtml };
}

/** Imports every capture file of `dir` into the store at `home` through the real importer, a bar per file. */
export async function importCapture(home: string, dir: string, ui: DemoUi): Promise<number> {
  const formats = allFormats();
  const instruments = loadBundledInstruments();
  const store = await Store.open(home);
  let rows = 0;
  try {
    await saveInstruments(store, instruments);
    const { files } = await importPaths([dir], formats);
    for (const [i, file] of files.entries()) {
      const name = file.slice(dir.length + 1);
      const bar = ui.progress(`   [${i + 1}/${files.length}] ${name}`);
      const r = await importFile(store, file, { formats, instruments, onProgress: (p) => bar.update(p.bytes, p.totalBytes, p.rows) });
      bar.clear();
      rows += r.rows;
      ui.log(`   [${i + 1}/${files.length}] ${name}: ${formatCount(r.rows)} rows as ${r.format}`);
    }
  } finally {
    store.close();
  }
  return rows;
}

/** One bar per backtest phase (the run, each null run). */
function progressPhases(ui: DemoUi): (phase: string, done: number, events: number) => void {
  let phase = '';
  let bar: ReturnType<DemoUi['progress']> | undefined;
  return (p, done, events) => {
    if (p !== phase) {
      bar?.clear();
      bar = ui.progress(`   ${p}`);
      phase = p;
    }
    bar?.update(done, 1, events);
    if (done >= 1) bar?.clear();
  };
}

/** "12:31:02" (the demo's runs stay within a day). */
function clock(ms: number): string {
  return isoTime(ms).slice(11, 19);
}

/** Which label a detection fits (the evaluation's rule, src/sim/eval/match.ts), as text. */
function planted(d: Detection, labels: readonly SimLabel[]): string {
  const l = labels.find((x) => fits(d, x));
  return l ? `yes: the ${l.kind} at ${clock(l.start_ms)}` : 'no (nothing planted there)';
}

function printClusters(ui: DemoUi, clusters: readonly LiquidationCluster[], at: number, labels: readonly SimLabel[]): void {
  ui.log(`\n5. liquidation clusters at the end of the run (orderflow liquidations; 10 bps bins, the default cluster rule): ${clusters.length}`);
  if (clusters.length === 0) return;
  const rows = clusters.map((c) => [c.side, `${c.low.toFixed(1)}-${c.high.toFixed(1)}`, `${clock(c.first_ts)}-${clock(c.last_ts)}`, String(c.count), Math.round(c.notional).toLocaleString('en-US'), planted(clusterDetection(c, at), labels)]);
  ui.log(indent(table(['liquidated', 'price', 'time (UTC)', 'count', 'notional', 'planted?'], rows)));
}

function printAbsorption(ui: DemoUi, signals: readonly RunSignal[], labels: readonly SimLabel[]): void {
  ui.log(`\n6. absorption at those zones, as the backtest saw it (orderflow absorption; zones every ${SHORT_MARKET.zonesEveryMs / MINUTE_MS}m): ${signals.length}`);
  if (signals.length === 0) return;
  const rows = signals.map((x) => {
    const low = Number(x.evidence.zone_low);
    const high = Number(x.evidence.zone_high);
    // A signal keeps the zone but not the visit's span: the moment it was known stands for it (the label must cover it, give or take a minute).
    const d: Detection = { detector: 'absorption', kind: 'absorption', side: x.direction === 'long' ? 'sell' : 'buy', ts: x.ts, start_ms: x.ts, end_ms: x.ts, price_low: low, price_high: high, venues: [] };
    return [clock(x.ts), String(x.evidence.kind), x.direction === 'long' ? 'buyers absorb' : 'sellers absorb', `${low.toFixed(1)}-${high.toFixed(1)}`, planted(d, labels)];
  });
  ui.log(indent(table(['known at', 'kind', 'direction', 'zone', 'planted?'], rows)));
}

function printDivergence(ui: DemoUi, events: readonly DivergenceEvent[], labels: readonly SimLabel[]): void {
  const { window, lookback } = SHORT_MARKET.divergence;
  ui.log(`\n7. delta divergence on 1m bars (orderflow divergence --timeframes 1m --window ${window} --lookback ${lookback}; the 15m/1h defaults need a day of warm-up): ${events.length}`);
  if (events.length === 0) {
    if (!labels.some((l) => l.kind === 'divergence')) ui.log('   (this scenario plants none: see orderflow demo --scenario divergence)');
    return;
  }
  const rows = events.map((e) => {
    const d: Detection = { detector: 'divergence', kind: 'divergence', side: e.direction === 'buy_flow_no_rise' ? 'buy' : 'sell', ts: e.ts, start_ms: e.window_start_ms, end_ms: e.window_end_ms, price_low: e.close, price_high: e.close, venues: [] };
    return [clock(e.ts), e.direction, e.cvd_z.toFixed(2), e.window_return_bps.toFixed(1), planted(d, labels)];
  });
  ui.log(indent(table(['known at', 'direction', 'cvd z', 'return bps', 'planted?'], rows)));
}

function printBacktest(ui: DemoUi, r: RunResult): void {
  const m = r.metrics;
  ui.log(`\n8. backtest of the seed strategy (orderflow backtest): the default config, scaled to a short market:`);
  for (const n of SHORT_MARKET_NOTE) ui.log(`   - ${n}`);
  const acted = r.signals.filter((x) => x.acted).length;
  ui.log(`   ${r.signals.length} signal${r.signals.length === 1 ? '' : 's'}, ${acted} acted on; ${m.tradeCount} trade${m.tradeCount === 1 ? '' : 's'}, net ${(100 * m.netReturn).toFixed(2)}%, fees ${m.feesPaid.toFixed(2)} USDT, max drawdown ${(100 * m.maxDrawdown.fraction).toFixed(2)}%`);
  for (const x of r.signals.filter((s) => !s.acted)) ui.log(`   not acted on: ${x.type} at ${clock(x.ts)}: ${x.vetoReason ?? '-'}`);
  if (r.trades.length > 0) {
    ui.log(indent(table(
      ['side', 'entry', 'at', 'exit', 'at', 'why', 'signal', 'pnl', 'R'],
      r.trades.map((t) => [t.side, t.entryPrice.toFixed(1), clock(t.entryTs), t.exitPrice.toFixed(1), clock(t.exitTs), t.exitReason, t.signal, t.pnl.toFixed(2), t.risk > 0 ? (t.pnl / t.risk).toFixed(2) : '-']),
    )));
  }
  ui.log(`   null model: ${r.nullModel ? r.nullModel.verdict : 'not run (no signal acted on)'}`);
  for (const w of r.meta.warnings) ui.log(`   warning: ${w}`);
}

function indent(text: string): string {
  return text.split('\n').map((l) => `   ${l}`).join('\n');
}
