/**
 * `orderflow backtest`: the seed strategy (or the config's) over a market's stored history, with
 * the null-model baseline and optional walk-forward; writes a run folder (CSV/Parquet tables,
 * summary.json, report.html) and prints the headline.
 */
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { Backtest } from '../engine/backtest.ts';
import { defaultWorkerCount, WorkerPoolRunner } from '../engine/backtest-workers.ts';
import { defaultConfig, loadConfig, parseConfig, type BacktestConfig } from '../engine/config.ts';
import { writeRunFolder } from '../engine/run-folder.ts';
import type { RunResult } from '../engine/run-types.ts';
import { loadStrategyModule } from '../engine/strategy-module.ts';
import { recordedStrategy } from '../paper/session-strategy.ts';
import { sessionBacktest } from '../paper/session-backtest.ts';
import type { LakeScope } from '../lake/lake-store.ts';
import { resolveHome, Store } from '../store/store.ts';
import { loadBundledInstruments } from '../venues/bundled-instruments.ts';
import { confirmMarketQuery, storedMarkets } from '../query/market.ts';
import { existingHome, homeOption, openReadSource, type HomeOpts } from './common.ts';
import { ProgressBar } from './progress.ts';
import { isoTime, table } from './format.ts';
import { marketQuery, numberOpt } from './options.ts';

interface BacktestOpts extends HomeOpts {
  symbol?: string;
  session?: string;
  venues?: string;
  from?: string;
  to?: string;
  config?: string;
  out?: string;
  seed?: string;
  nullSeeds?: string;
  strategy?: string;
  workers?: string;
  json?: boolean;
  lake?: string;
}

export function registerBacktest(program: Command): void {
  homeOption(
    program
      .command('backtest')
      .description('backtest the seed strategy on stored history: exchange-accurate margin, realistic fills, prediction journal, null-model baseline, report.html')
      .option('--symbol <symbol>', 'a venue-native symbol or a base asset (the perpetual on every venue); required unless --session')
      .option('--session <name>', 'replay what a paper session processed (its markets, span, config, seed and --strategy module): the same signals, orders and fills (docs/PAPER.md)')
      .option('--venues <list>', 'comma-separated venues whose flow is merged (default binance,okx,bybit); orders go to execution.venue (default: the first with trades)')
      .option('--from <time>', 'from this time, inclusive (UTC unless a zone follows); default the execution venue\'s first stored trade')
      .option('--to <time>', 'up to this time, exclusive; default just after the execution venue\'s last stored trade')
      .option('--config <file>', 'strategy config, YAML or JSON (docs/BACKTEST.md lists every key and default)')
      .option('--out <dir>', 'run folder (default <home>/runs/<symbol>-<time>)')
      .option('--seed <n>', 'overrides the config seed')
      .option('--null-seeds <n>', 'overrides nullModel.seeds (0 = no null model)')
      .option('--strategy <file>', 'a TypeScript/JavaScript module exporting (config) => Strategy, instead of the built-in seed strategy (docs/BACKTEST.md)')
      .option('--workers <n>', `threads for the null-model runs and walk-forward sweeps, 1 = all in this thread (default: cores - 1, here ${defaultWorkerCount()}); results are the same for any count`)
      .option('--lake <dir|s3://bucket/prefix>', 'read the Parquet lake (orderflow export --layout lake, or the bus sink) instead of the store (docs/SCALING.md); not with --session')
      .option('--json', 'print summary.json to stdout'),
  )
    .addHelpText(
      'after',
      `
The run folder holds trades, orders, equity, signals and predictions (CSV and Parquet),
journal.json, summary.json and a self-contained report.html. Fees, funding and slippage are
always on unless the config turns them off, and the report then says so. Same data + same
config + same seed = byte-identical results.

Examples:
  $ orderflow backtest --symbol BTC --from 2024-08-01 --to 2024-08-15
  $ orderflow backtest --symbol AKT --config examples/strategy.yaml --out ./akt-run --null-seeds 50
  $ orderflow backtest --symbol BTC --strategy ./my-strategy.ts
  $ orderflow backtest --session akt-2w --out ./akt-parity
  $ orderflow backtest --symbol BTC --lake ./lake --from 2024-08-01 --to 2024-08-15`,
    )
    .action(async (opts: BacktestOpts) => {
      if (opts.session !== undefined) {
        if (opts.lake !== undefined) throw new UsageError('--session replays a paper session recorded in the store: drop --lake');
        return backtestSession(opts);
      }
      if (opts.symbol === undefined) throw new UsageError('--symbol: required (or --session NAME to replay a paper session)');
      const q = marketQuery({ ...opts, symbol: opts.symbol });
      let config: BacktestConfig = opts.config ? loadConfig(opts.config) : defaultConfig();
      if (opts.seed !== undefined) config = parseConfig({ ...config, seed: numberOpt(opts.seed, '--seed') }, 'command line');
      config = withNullSeeds(config, opts.nullSeeds);
      const strategy = opts.strategy ? await loadStrategyModule(opts.strategy) : undefined;
      const workers = opts.workers === undefined ? defaultWorkerCount() : numberOpt(opts.workers, '--workers');
      if (!Number.isInteger(workers) || workers < 1) throw new UsageError(`--workers: a whole number >= 1, got ${opts.workers}`);
      const home = opts.lake ? resolveHome(opts.home) : existingHome(opts);
      const lake = opts.lake === undefined ? undefined : { location: opts.lake, scope: lakeScope(q) };
      const store = await openReadSource({ ...opts, lake: lake?.location }, lake?.scope ?? q);
      const registry = loadBundledInstruments();
      let runner: WorkerPoolRunner | undefined;
      const run = await runBacktest(async (onProgress) => {
        await confirmMarketQuery(store, q);
        const stored = await storedMarkets(store, q.pairs);
        if (stored.length === 0) throw new UsageError(`no trades stored for ${q.pairs.map(([v, s]) => `${v} ${s}`).join(', ')}: import some first (orderflow import)`);
        // The execution venue first (when configured), then the others with trades.
        const venue = config.execution.venue;
        if (venue && !stored.some(([v]) => v === venue)) throw new UsageError(`execution.venue ${venue} has no trades stored for ${opts.symbol}; stored: ${stored.map(([v]) => v).join(', ')}`);
        runner = workers > 1 ? new WorkerPoolRunner({ home, lake, config, pairs: stored, symbol: opts.symbol!.toUpperCase(), fromMs: q.fromMs, toMs: q.toMs, strategyFile: opts.strategy && resolve(opts.strategy) }, workers) : undefined;
        return new Backtest({
          runner,
          store,
          config,
          pairs: stored,
          symbol: opts.symbol!.toUpperCase(),
          fromMs: q.fromMs,
          toMs: q.toMs,
          instruments: (v, s) => registry.get(v, s),
          strategy,
          onProgress,
        });
      }, async () => {
        await runner?.close();
        store.close();
      });
      await writeRun(home, opts.symbol!.toUpperCase(), run, opts);
    });
}

/**
 * The lake partitions a backtest reads: its markets, up to the end of its range. Not from its
 * start: the warm-up and the last book snapshot before the start lie in earlier partitions.
 */
function lakeScope(q: { venues: readonly string[]; symbols: readonly string[]; toMs?: number }): LakeScope {
  return { venues: q.venues, symbols: q.symbols, toMs: q.toMs };
}

async function writeRun(home: string, label: string, run: RunResult, opts: { out?: string; json?: boolean }): Promise<void> {
  const out = resolve(opts.out ?? join(home, 'runs', `${label}-${new Date().toISOString().replace(/[:.]/g, '-')}`));
  const folder = await writeRunFolder(out, run);
  if (opts.json) {
    const { readFileSync } = await import('node:fs');
    process.stdout.write(readFileSync(join(out, 'summary.json'), 'utf8'));
    return;
  }
  printHeadline(run);
  console.log(`\nrun folder: ${folder.dir}\n  ${folder.files.join(', ')}`);
}

/** `--session NAME`: the paper session's markets, span, instrument, config, seed and strategy module (src/paper/session-backtest.ts). */
async function backtestSession(opts: BacktestOpts): Promise<void> {
  const clash = (['symbol', 'venues', 'from', 'to', 'config', 'seed', 'strategy'] as const).filter((k) => opts[k] !== undefined);
  if (clash.length > 0) throw new UsageError(`--session replays the session's own markets, span, config and seed: drop ${clash.map((k) => `--${k}`).join(', ')}`);
  const home = existingHome(opts);
  const store = await Store.open(home, { readOnly: true });
  let label = opts.session!;
  const run = await runBacktest(async (onProgress) => {
    const s = await sessionBacktest(store, opts.session!);
    label = s.name;
    const config = withNullSeeds(s.config, opts.nullSeeds);
    const registry = loadBundledInstruments();
    // The session's strategy module, refused when the file changed since it started.
    const strategy = await recordedStrategy(s.name, s.strategy);
    return new Backtest({
      store,
      config,
      strategy,
      pairs: s.pairs,
      symbol: s.symbol,
      fromMs: s.fromMs,
      toMs: s.toMs,
      // The instrument the session traded with (the venue's at its start), the same for the replay.
      instruments: (v, sym) => (v === s.execVenue && sym === s.execSymbol ? s.instrument : registry.get(v, sym)),
      onProgress,
    });
  }, () => store.close());
  await writeRun(home, `session-${label}`, run, opts);
}

/** `--null-seeds` over the config's own count. */
function withNullSeeds(config: BacktestConfig, nullSeeds: string | undefined): BacktestConfig {
  if (nullSeeds === undefined) return config;
  return parseConfig({ ...config, nullModel: { ...config.nullModel, seeds: numberOpt(nullSeeds, '--null-seeds') } }, 'command line');
}

type OnProgress = NonNullable<ConstructorParameters<typeof Backtest>[0]['onProgress']>;

/**
 * Builds and runs one backtest with a progress bar per phase (the run, each null-model run, each
 * walk-forward window); a RangeError from a library check becomes a usage error; `close` runs after, always.
 */
async function runBacktest(build: (onProgress: OnProgress) => Promise<Backtest>, close: () => unknown): Promise<RunResult> {
  let bar = new ProgressBar('backtest');
  let phaseNow = 'backtest';
  const onProgress: OnProgress = (phase, done, events) => {
    if (phase !== phaseNow) {
      bar.clear();
      bar = new ProgressBar(phase);
      phaseNow = phase;
    }
    bar.update(done, 1, events);
  };
  try {
    return await (await build(onProgress)).run();
  } catch (e) {
    if (e instanceof RangeError && !(e instanceof UsageError)) throw new UsageError(e.message);
    throw e;
  } finally {
    bar.clear();
    await close();
  }
}

function pct(x: number | null): string {
  return x === null || !Number.isFinite(x) ? '-' : `${(100 * x).toFixed(2)}%`;
}

function num(x: number | null, d = 2): string {
  return x === null ? '-' : x === Infinity ? 'inf' : x.toFixed(d);
}

function printHeadline(r: RunResult): void {
  const m = r.metrics;
  const wf = r.walkForward && r.walkForward.length > 0;
  console.log(`backtest ${r.meta.symbol} on ${r.meta.venues.join(', ')}: ${isoTime(r.meta.fromMs)} to ${isoTime(r.meta.toMs)}, ${r.meta.events} events, seed ${r.meta.seed}${wf ? ' (headline: out-of-sample folds only)' : ''}\n`);
  console.log(
    table(
      ['net return', 'max DD', 'Sharpe', 'trades', 'win rate', 'PF', 'avg R', 'fees', 'funding', 'liquidated'],
      [[pct(m.netReturn), pct(m.maxDrawdown.fraction), num(m.sharpe), String(m.tradeCount), pct(m.winRate), num(m.profitFactor), num(m.avgR), num(m.feesPaid), num(m.fundingPaid), String(m.liquidations)]],
    ),
  );
  if (r.meta.ruinedAtMs !== null) console.log(`\nRUINED: equity reached 0 at ${isoTime(r.meta.ruinedAtMs)}; nothing could be traded after it (see the warning below)`);
  const acted = r.signals.filter((s) => s.acted).length;
  console.log(`\nsignals: ${r.signals.length} (${acted} acted on)`);
  const all = r.journal.hitRates.filter((h) => h.group === 'all');
  if (all.length > 0) console.log(`prediction hit rate (all signals): ${all.map((h) => `${Math.round(h.horizonMs / 60_000)}m ${pct(h.hitRate)} of ${h.n}`).join(', ')}`);
  console.log(`\nnull model: ${r.nullModel ? r.nullModel.verdict : 'not run (no signals, or nullModel.seeds = 0)'}`);
  for (const w of r.meta.warnings) console.log(`warning: ${w}`);
}
