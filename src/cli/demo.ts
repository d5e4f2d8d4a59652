/**
 * `orderflow demo`: a simulated market run through the real import path into a fresh store, and
 * the method on it (src/demo/sim-demo.ts); `--samples`: the tour of the bundled real samples.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { parseTimeframe } from '../features/timeframe.ts';
import { runSimDemo, SIM_DEMO_DEFAULTS } from '../demo/sim-demo.ts';
import { samplesTour } from '../demo/samples.ts';
import { SCENARIOS, type ScenarioName } from '../sim/types.ts';
import { DB_FILE, Store } from '../store/store.ts';
import { onPath, resolveHomeOpt, selfCommand } from './common.ts';
import { numberOpt } from './options.ts';
import { ProgressBar } from './progress.ts';

interface DemoOpts {
  home?: string;
  scenario: string;
  seed: string;
  duration: string;
  nullSeeds: string;
  samples?: boolean;
}

/** The demo's own store, rebuilt on every run (not the default store of the other commands). */
const DEMO_HOME = './orderflow-demo';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('offline demo: a simulated market with a planted liquidation cascade, imported into a fresh store: clusters, absorption, divergence, a backtest with its null-model verdict')
    .option('--home <dir>', `the demo's folder, wiped and rebuilt on every run (a folder it did not make is refused) (default ${DEMO_HOME}; with --samples: $ORDERFLOW_HOME or ./orderflow-data)`)
    .option('--scenario <name>', `what to simulate: ${SCENARIOS.join(', ')}`, SIM_DEMO_DEFAULTS.scenario)
    .option('--seed <n>', 'simulator seed', String(SIM_DEMO_DEFAULTS.seed))
    .option('--duration <d>', 'simulated time', `${SIM_DEMO_DEFAULTS.durationMs / 3_600_000}h`)
    .option('--null-seeds <n>', 'null-model runs of the backtest', String(SIM_DEMO_DEFAULTS.nullSeeds))
    .option('--samples', 'instead: import the bundled real samples (Binance, Bybit, OKX, Tardis) into --home and tour them (idempotent)')
    .addHelpText(
      'after',
      `
Runs with no network, in about a minute. The simulated run is written as each venue's raw
WebSocket capture and imported by the real importer, so everything after reads a store as it
would read recorded data; labels.json (what was planted) is only read to compare. The settings
scaled to a market of two hours are printed with the backtest.

Examples:
  $ orderflow demo
  $ orderflow demo --scenario divergence --seed 3
  $ orderflow demo --samples --home /tmp/of-samples && orderflow info --home /tmp/of-samples`,
    )
    .action(async (opts: DemoOpts) => {
      if (opts.samples) return samples(opts);
      if (!(SCENARIOS as readonly string[]).includes(opts.scenario)) throw new UsageError(`--scenario: unknown scenario ${JSON.stringify(opts.scenario)}; known: ${SCENARIOS.join(', ')}`);
      const seed = numberOpt(opts.seed, '--seed', 'an integer');
      if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed: expected an integer, got ${JSON.stringify(opts.seed)}`);
      const nullSeeds = numberOpt(opts.nullSeeds, '--null-seeds', 'a whole number >= 0');
      if (!(Number.isInteger(nullSeeds) && nullSeeds >= 0)) throw new UsageError(`--null-seeds: expected a whole number >= 0, got ${JSON.stringify(opts.nullSeeds)}`);
      const home = opts.home ?? DEMO_HOME;
      const r = await runSimDemo(
        { home, scenario: opts.scenario as ScenarioName, seed, durationMs: parseTimeframe(opts.duration, '--duration'), nullSeeds },
        { log: (line) => console.log(line), progress: (label) => new ProgressBar(label) },
      );
      const self = selfCommand();
      const next = [`${self} info --home ${home}`, `${self} analyze --symbol BTC --home ${home}`, `${self} eval-detectors --scenarios ${opts.scenario} --seeds 5`];
      if (onPath('duckdb')) next.push(`duckdb -readonly ${join(home, DB_FILE)}`);
      console.log(`\nnext: ${next.join('   |   ')}`);
      if (r.importedRows === 0 || r.failedSamples > 0) process.exitCode = 1;
    });
}

async function samples(opts: DemoOpts): Promise<void> {
  const home = resolveHomeOpt(opts);
  const store = await Store.open(home);
  let failed: number;
  try {
    failed = await samplesTour(store, (line) => console.log(line));
  } finally {
    store.close();
  }
  const self = selfCommand();
  const next = [`${self} info --home ${home}`, `${self} analyze --symbol BTC --home ${home}`, `${self} backtest --symbol BTC --home ${home}`];
  if (onPath('duckdb')) next.push(`duckdb -readonly ${store.path}`);
  console.log(`\nnext: ${next.join('   |   ')}`);
  if (failed > 0) process.exitCode = 1;
}
