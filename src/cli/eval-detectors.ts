/**
 * `orderflow eval-detectors`: the analytics' detectors run over simulated markets whose events
 * are known, scored per detector and scenario (docs/FEATURES.md "Detectors against the simulator").
 */
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { parseTimeframe } from '../features/timeframe.ts';
import { evaluateDetectors } from '../sim/eval/evaluate.ts';
import { EVAL_HEADERS, evalTableCells } from '../sim/eval/format.ts';
import { SCENARIO_MODULES } from '../sim/scenarios/index.ts';
import { simConfig, simulate } from '../sim/simulate.ts';
import { SCENARIOS, type ScenarioName, type SimRun } from '../sim/types.ts';
import { formatSpan, table } from './format.ts';
import { numberOpt, usageOnRangeError } from './options.ts';
import { ProgressBar } from './progress.ts';

interface EvalOpts {
  scenarios: string;
  seeds: string;
  firstSeed: string;
  duration?: string;
  symbol: string;
  json?: boolean;
}

export function registerEvalDetectors(program: Command): void {
  program
    .command('eval-detectors')
    .description('score the detectors (clusters, absorption, divergence, bait, venue disagreement, sessions) against simulated markets with planted events: precision, recall, latency')
    .option('--scenarios <list>', `comma-separated scenarios, or all (${SCENARIOS.join(', ')})`, 'all')
    .option('--seeds <n>', 'runs per scenario, seeds first-seed .. first-seed + n - 1', '20')
    .option('--first-seed <n>', 'the first seed', '1')
    .option('--duration <d>', "simulated time per run; default each scenario's own (sim --list: 2h for most, 24h for sessions, 32h for divergence, whose detector needs 25h of 15m bars before it can fire)")
    .option('--symbol <base>', 'base asset simulated', 'BTC')
    .option('--json', 'print {"rows":[{"detector","scenario","planted","found","precision","recall","median_latency_ms",...}]}')
    .addHelpText(
      'after',
      `
Every detector runs with the defaults \`orderflow analyze\` uses: nothing is tuned to the simulator,
and a detector that does poorly is reported as doing poorly. A detection is a true positive when it
overlaps a planted label of its kind and side in time (60 s tolerance, never before the label
starts) and price (20 bps); latency = when the detector could first know - the label's start.
The \`quiet\` scenario plants nothing: everything found there is a false positive.

Examples:
  $ orderflow eval-detectors --scenarios long-cascade,quiet --seeds 5
  $ orderflow eval-detectors --scenarios all --seeds 20 --json > eval.json`,
    )
    .action((opts: EvalOpts) => {
      const scenarios = parseScenarios(opts.scenarios);
      const seeds = numberOpt(opts.seeds, '--seeds', 'a whole number >= 1');
      const first = numberOpt(opts.firstSeed, '--first-seed', 'an integer');
      if (!(Number.isInteger(seeds) && seeds >= 1)) throw new UsageError(`--seeds: expected a whole number >= 1, got ${JSON.stringify(opts.seeds)}`);
      if (!Number.isSafeInteger(first)) throw new UsageError(`--first-seed: expected an integer, got ${JSON.stringify(opts.firstSeed)}`);
      const durationMs = opts.duration === undefined ? undefined : parseTimeframe(opts.duration, '--duration');
      const total = scenarios.length * seeds;
      const bar = new ProgressBar('eval-detectors');
      let done = 0;
      function* runs(): Generator<SimRun> {
        for (const scenario of scenarios) {
          for (let s = 0; s < seeds; s++) {
            const config = usageOnRangeError(() => simConfig({ scenario, seed: first + s, durationMs, symbol: opts.symbol }));
            bar.update(done, total, done);
            yield simulate(config);
            done++;
          }
        }
        bar.update(done, total, done);
      }
      const report = evaluateDetectors(runs());
      bar.clear();
      if (opts.json) {
        console.log(JSON.stringify(report));
        return;
      }
      const lengths = opts.duration ?? scenarios.map((s) => `${s} ${formatSpan(SCENARIO_MODULES[s].defaultDurationMs)}`).join(', ');
      console.log(`${total} simulated runs (${scenarios.length} scenarios x ${seeds} seeds from ${first}) of ${lengths}\n`);
      console.log(table([...EVAL_HEADERS], evalTableCells(report)));
    });
}

function parseScenarios(text: string): ScenarioName[] {
  if (text.trim() === 'all') return [...SCENARIOS];
  const out: ScenarioName[] = [];
  for (const s of text.split(',').map((x) => x.trim()).filter((x) => x !== '')) {
    if (!(SCENARIOS as readonly string[]).includes(s)) throw new UsageError(`--scenarios: unknown scenario ${JSON.stringify(s)}; known: ${SCENARIOS.join(', ')} (or all)`);
    if (!out.includes(s as ScenarioName)) out.push(s as ScenarioName);
  }
  if (out.length === 0) throw new UsageError(`--scenarios: expected a comma-separated list of scenarios or all, got ${JSON.stringify(text)}`);
  return out;
}
