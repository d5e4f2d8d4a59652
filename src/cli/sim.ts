/**
 * `orderflow sim`: the deterministic three-venue market simulator (docs/SIMULATOR.md). `--list`
 * prints the scenarios, `--out DIR` writes a run as the venues' raw captures plus labels.json,
 * `--serve` feeds it to the loopback exchange servers at wall-clock pace.
 */
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { parseTimeframe } from '../features/timeframe.ts';
import { writeSimCapture } from '../sim/capture-writer.ts';
import { SCENARIO_MODULES } from '../sim/scenarios/index.ts';
import { formatExports, liveSimConfig, serveSimulation } from '../sim/serve.ts';
import { DEFAULT_SIM_START_MS, simConfig, simulate } from '../sim/simulate.ts';
import { SCENARIOS, type ScenarioName, type SimConfig } from '../sim/types.ts';
import { formatCount, formatSpan, isoTime } from './format.ts';
import { numberOpt, parseTime, parseVenuesOpt, usageOnRangeError } from './options.ts';
import { ProgressBar } from './progress.ts';

interface SimOpts {
  list?: boolean;
  scenario?: string;
  seed: string;
  duration?: string;
  start?: string;
  symbol: string;
  venues?: string;
  out?: string;
  replace?: boolean;
  gzip?: boolean;
  serve?: boolean;
  speed: string;
  port?: string;
}

export function registerSim(program: Command): void {
  program
    .command('sim')
    .description('market simulator: a deterministic three-venue perpetual market with leveraged traders, liquidation cascades and planted, labelled events')
    .option('--list', 'list the scenarios, one line each')
    .option('--scenario <name>', `what to plant: ${SCENARIOS.join(', ')}`)
    .option('--seed <n>', 'random seed: the same scenario, seed and duration give byte-identical output', '1')
    .option('--duration <d>', "simulated time (90m, 2h, 14d); default the scenario's (sim --list): its plants come after the detectors' warm-up")
    .option('--start <time>', `exchange time of the first event with --out (default ${isoTime(DEFAULT_SIM_START_MS)}; --serve starts now)`)
    .option('--symbol <base>', 'base asset simulated on each venue (its perpetual: BTCUSDT, BTC-USDT-SWAP)', 'BTC')
    .option('--venues <list>', 'comma-separated venues (default binance,okx,bybit)')
    .option('--out <dir>', 'write each venue\'s raw WebSocket capture (what `orderflow import DIR` reads) and DIR/labels.json')
    .option('--replace', 'with --out: remove an earlier run\'s files from DIR first')
    .option('--gzip', 'with --out: gzip the captures (.jsonl.gz)')
    .option('--serve', 'feed the run to loopback Binance, OKX and Bybit servers and print the ORDERFLOW_* variables to point watch/record at them')
    .option('--speed <x>', 'with --serve: simulated seconds per wall second (0 = as fast as the servers take them)', '1')
    .option('--port <n>', 'with --serve: first of five consecutive ports (default: any free ports)')
    .addHelpText(
      'after',
      `
The market: order books per venue (each venue's tick, lot, contract value, fees, leverage caps and
margin tiers from the instrument data), market makers, retail and institutional takers,
arbitrageurs, and leveraged position holders whose liquidations follow each venue's margin rules
and print on each venue's liquidation feed as that venue samples it. Every scenario plants its
events through those agents; labels.json says what was planted, when, at what prices and on
which venues (docs/SIMULATOR.md).

Examples:
  $ orderflow sim --list
  $ orderflow sim --scenario absorption --seed 7 --out /tmp/sim-abs
  $ orderflow import /tmp/sim-abs && orderflow analyze --symbol BTC
  $ orderflow sim --scenario long-cascade --serve     # then paste the export lines and run: orderflow watch --symbol BTC`,
    )
    .action(async (opts: SimOpts) => {
      if (opts.list) {
        const width = Math.max(...SCENARIOS.map((s) => s.length));
        for (const s of SCENARIOS) console.log(`${s.padEnd(width)}  ${formatSpan(SCENARIO_MODULES[s].defaultDurationMs).padStart(3)}  ${SCENARIO_MODULES[s].summary}`);
        return;
      }
      if (opts.scenario === undefined) throw new UsageError('sim: --scenario NAME is needed (see `orderflow sim --list`)');
      if (!(SCENARIOS as readonly string[]).includes(opts.scenario)) throw new UsageError(`--scenario: unknown scenario ${JSON.stringify(opts.scenario)}; known: ${SCENARIOS.join(', ')}`);
      if ((opts.out === undefined) === !opts.serve) throw new UsageError('sim: give exactly one of --out DIR or --serve (or --list)');
      const seed = numberOpt(opts.seed, '--seed', 'an integer');
      if (!Number.isSafeInteger(seed)) throw new UsageError(`--seed: expected an integer, got ${JSON.stringify(opts.seed)}`);
      const durationMs = opts.duration === undefined ? undefined : parseTimeframe(opts.duration, '--duration');
      const venues = parseVenuesOpt(opts.venues).filter((v) => v !== 'binance-spot');
      const base = { scenario: opts.scenario as ScenarioName, seed, durationMs, symbol: opts.symbol, venues };
      if (opts.serve) {
        if (opts.start !== undefined) throw new UsageError('--start: a served run starts now (exchange time = wall time); --start is for --out');
        await serve(liveSimConfig(validated(base)), opts);
      } else {
        const startMs = opts.start === undefined ? DEFAULT_SIM_START_MS : parseTime(opts.start, '--start');
        await writeOut(validated({ ...base, startMs }), opts.out!, opts);
      }
    });
}

/** The simulator's own checks, as a usage error naming what was given. */
function validated(c: Omit<SimConfig, 'startMs' | 'durationMs'> & { startMs?: number; durationMs?: number }): SimConfig {
  return usageOnRangeError(() => simConfig(c));
}

async function writeOut(config: SimConfig, dir: string, opts: SimOpts): Promise<void> {
  const run = simulate(config);
  const bar = new ProgressBar(`sim ${config.scenario}`);
  const started = performance.now();
  const summary = await writeSimCapture(run, dir, {
    replace: opts.replace ?? false,
    gzip: opts.gzip ?? false,
    onProgress: (events, ts) => bar.update(ts - config.startMs, config.durationMs, events),
  });
  bar.clear();
  const secs = (performance.now() - started) / 1000;
  const labels = run.labels();
  console.log(`${config.scenario} seed ${config.seed}: ${formatCount(summary.events)} events (${isoTime(config.startMs)} to ${isoTime(config.startMs + config.durationMs)}) in ${secs.toFixed(1)} s, ${summary.files.length} files in ${dir}`);
  for (const l of labels.labels) console.log(`  planted ${l.kind} (${l.side}) ${isoTime(l.start_ms)} - ${isoTime(l.end_ms)}  ${l.price_low} - ${l.price_high}  on ${l.venues.join(',')}`);
  if (labels.labels.length === 0) console.log('  planted nothing (a false-positive control)');
  const unwritten = Object.entries(summary.unwritten);
  if (unwritten.length > 0) console.log(`  not in the venues' captures (docs/SIMULATOR.md): ${unwritten.map(([k, n]) => `${k} (${formatCount(n)} events)`).join(', ')}`);
  console.log(`\nnext: orderflow import ${dir} && orderflow analyze --symbol ${config.symbol}`);
}

async function serve(config: SimConfig, opts: SimOpts): Promise<void> {
  const speed = numberOpt(opts.speed, '--speed', 'a number >= 0');
  const basePort = opts.port === undefined ? 0 : numberOpt(opts.port, '--port', 'a port number');
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const run = simulate(config);
  const s = await serveSimulation(run, {
    speed,
    basePort,
    signal: stop.signal,
    onProgress: (p) => {
      if (process.stderr.isTTY && !p.done) process.stderr.write(`\r${formatCount(p.events)} events, exchange time ${Number.isNaN(p.exchangeTs) ? '-' : isoTime(p.exchangeTs)}${p.lateMs > 250 ? `, ${Math.round(p.lateMs)} ms behind` : ''}\x1b[K`);
    },
  });
  console.log(`# ${config.scenario} seed ${config.seed}: ${run.symbols.binance ?? ''} ${run.symbols.okx ?? ''} ${run.symbols.bybit ?? ''} from ${isoTime(config.startMs)} for ${formatSpan(config.durationMs)} at x${speed === 0 ? 'max' : speed}; paste these, then run watch / record:`.replace(/ {2,}/g, ' '));
  console.log(formatExports(s.env));
  try {
    const r = await s.done;
    if (process.stderr.isTTY) process.stderr.write('\r\x1b[K');
    console.error(r.aborted ? `stopped after ${formatCount(r.events)} events` : `run over: ${formatCount(r.events)} events; the servers stay up until Ctrl-C`);
    if (!r.aborted) await new Promise<void>((resolve) => stop.signal.addEventListener('abort', () => resolve(), { once: true }));
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await s.close();
  }
}
