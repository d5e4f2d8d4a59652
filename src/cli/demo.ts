/**
 * `orderflow demo`: the workstation on a simulated market, live, offline (src/demo/live-demo.ts):
 * history imported, three loopback exchanges, a paper session and the dashboard, until Ctrl-C.
 * `--batch`: the method's results printed from a simulated run, then exit (src/demo/sim-demo.ts);
 * `--samples`: the tour of the bundled real samples.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { parseTimeframe } from '../features/timeframe.ts';
import { demoStatus, startLiveDemo } from '../demo/live-demo.ts';
import { runSimDemo, SIM_DEMO_DEFAULTS } from '../demo/sim-demo.ts';
import { samplesTour } from '../demo/samples.ts';
import { DEFAULT_HOST, DEFAULT_PORT, startServer } from '../server/server.ts';
import { SCENARIOS, type ScenarioName } from '../sim/types.ts';
import { DB_FILE, Store } from '../store/store.ts';
import { onPath, resolveHomeOpt, selfCommand } from './common.ts';
import { untilStopped } from './live-common.ts';
import { numberOpt, secondsOpt } from './options.ts';
import { ProgressBar } from './progress.ts';

interface DemoOpts {
  home?: string;
  scenario: string;
  seed: string;
  history?: string;
  port: string;
  host: string;
  token?: string;
  open?: boolean;
  seconds?: string;
  batch?: boolean;
  duration: string;
  nullSeeds: string;
  samples?: boolean;
}

/** The demo's own store, rebuilt on every run (not the default store of the other commands). */
const DEMO_HOME = './orderflow-demo';

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('offline demo: a simulated market served live by three loopback exchanges, a paper session trading it and the dashboard in the browser (--batch: the method\'s results printed, then exit)')
    .option('--home <dir>', `the demo's folder, wiped and rebuilt on every run (a folder it did not make is refused) (default ${DEMO_HOME}; with --samples: $ORDERFLOW_HOME or ./orderflow-data)`)
    .option('--scenario <name>', `what to simulate: ${SCENARIOS.join(', ')}`, SIM_DEMO_DEFAULTS.scenario)
    .option('--seed <n>', 'simulator seed', String(SIM_DEMO_DEFAULTS.seed))
    .option('--history <d>', 'simulated time before now, imported as history, at least (the start is aligned down to a quarter hour) (default: 2h05m for absorption, so its revisit happens live; 90m for the others)')
    .option('--port <n>', 'the dashboard\'s port (0: any free port)', String(DEFAULT_PORT))
    .option('--host <addr>', 'the dashboard\'s interface; anything but loopback needs --token', DEFAULT_HOST)
    .option('--token <t>', 'a token every request must carry (or $ORDERFLOW_TOKEN); needed with a --host beyond loopback')
    .option('--open', 'open the dashboard in the default browser (nothing is opened otherwise)')
    .option('--seconds <n>', 'stop after this many seconds (default: until Ctrl-C)')
    .option('--batch', 'instead: simulate, import, run the detectors and a backtest with its null model, print the results and exit')
    .option('--duration <d>', 'with --batch: simulated time', `${SIM_DEMO_DEFAULTS.durationMs / 3_600_000}h`)
    .option('--null-seeds <n>', 'with --batch: null-model runs of the backtest', String(SIM_DEMO_DEFAULTS.nullSeeds))
    .option('--samples', 'instead: import the bundled real samples (Binance, Bybit, OKX, Tardis) into --home and tour them (idempotent)')
    .addHelpText(
      'after',
      `
Runs with no network. The live demo simulates BTC perpetuals on Binance, OKX and Bybit from a
start in the recent past: the part before now is written as each venue's raw WebSocket capture
and imported by the real importer (the history), the rest is served at the pace of the wall clock
by three loopback exchanges speaking each venue's protocol. A paper session connects to them as to
the venues, records into the store and trades the seed strategy; the dashboard reads the same
store. The URL is printed (in about a minute on two cores); nothing is opened unless --open.

Examples:
  $ orderflow demo
  $ orderflow demo --open --port 9000
  $ orderflow demo --scenario divergence --seed 3 --history 6h
  $ orderflow demo --batch
  $ orderflow demo --samples --home /tmp/of-samples && orderflow info --home /tmp/of-samples`,
    )
    .action(async (opts: DemoOpts) => {
      if (opts.samples) return samples(opts);
      if (!(SCENARIOS as readonly string[]).includes(opts.scenario)) throw new UsageError(`--scenario: unknown scenario ${JSON.stringify(opts.scenario)}; known: ${SCENARIOS.join(', ')}`);
      const seed = numberOpt(opts.seed, '--seed', 'an integer');
      if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed: expected an integer, got ${JSON.stringify(opts.seed)}`);
      const home = opts.home ?? DEMO_HOME;
      if (opts.batch) return batch(opts, home, seed);
      const port = numberOpt(opts.port, '--port', 'a port number');
      if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) throw new UsageError(`--port: expected an integer in [0, 65535], got ${JSON.stringify(opts.port)}`);
      const historyMs = opts.history === undefined ? undefined : parseTimeframe(opts.history, '--history');
      const seconds = secondsOpt(opts.seconds, '--seconds');
      const ui = { log: (line: string) => console.log(line), progress: (label: string) => new ProgressBar(label) };
      const demo = await startLiveDemo(
        { home, scenario: opts.scenario as ScenarioName, seed, historyMs, host: opts.host, port, token: opts.token ?? process.env.ORDERFLOW_TOKEN },
        ui,
        (o) => startServer({ ...o }),
      );
      console.log(`\ndashboard: ${demo.url}`);
      console.log(`paper session "demo" in ${join(home, DB_FILE)}; \`${selfCommand()} journal report --home ${home}\` while it runs or after. Ctrl-C to stop.`);
      if (opts.open) openBrowser(demo.url);
      const tty = Boolean(process.stderr.isTTY);
      let lastLine = 0;
      const status = setInterval(() => {
        const line = demoStatus(demo);
        if (tty) process.stderr.write(`\r${line.slice(0, (process.stderr.columns ?? 160) - 1)}\x1b[K`);
        else if (Date.now() - lastLine >= 60_000) {
          lastLine = Date.now();
          console.log(line);
        }
      }, 1000);
      const stop = untilStopped(seconds);
      const failed = setInterval(() => demo.paper.failed && stop.stop(`the paper session failed: ${demo.paper.failed.message}`), 1000);
      const why = await stop.done;
      stop.dispose();
      clearInterval(status);
      clearInterval(failed);
      if (tty) process.stderr.write('\r\x1b[K');
      const last = demoStatus(demo);
      console.log(`demo: stopping (${why})`);
      await demo.stop();
      console.log(`demo: ${last}`);
      if (demo.paper.failed) process.exitCode = 1;
    });
}

/** The platform's "open this URL" command, detached; says so when there is none. */
function openBrowser(url: string): void {
  const cmd = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  if (process.platform !== 'win32' && !onPath(cmd)) {
    console.log(`--open: no ${cmd} on this machine; open ${url} yourself`);
    return;
  }
  const child = spawn(cmd, [url], { detached: true, stdio: 'ignore' });
  child.on('error', (e) => console.log(`--open: ${cmd} failed (${e.message}); open ${url} yourself`));
  child.unref();
}

async function batch(opts: DemoOpts, home: string, seed: number): Promise<void> {
  const nullSeeds = numberOpt(opts.nullSeeds, '--null-seeds', 'a whole number >= 0');
  if (!(Number.isInteger(nullSeeds) && nullSeeds >= 0)) throw new UsageError(`--null-seeds: expected a whole number >= 0, got ${JSON.stringify(opts.nullSeeds)}`);
  const r = await runSimDemo(
    { home, scenario: opts.scenario as ScenarioName, seed, durationMs: parseTimeframe(opts.duration, '--duration'), nullSeeds },
    { log: (line) => console.log(line), progress: (label) => new ProgressBar(label) },
  );
  const self = selfCommand();
  const next = [`${self} info --home ${home}`, `${self} analyze --symbol BTC --home ${home}`, `${self} eval-detectors --scenarios ${opts.scenario} --seeds 5`];
  if (onPath('duckdb')) next.push(`duckdb -readonly ${join(home, DB_FILE)}`);
  console.log(`\nnext: ${next.join('   |   ')}`);
  if (r.importedRows === 0 || r.failedSamples > 0) process.exitCode = 1;
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
