/**
 * `npm run bench -- <name> [--json]`: benchmarks, not tests. Each prints its throughput and a
 * ratio against a reference measured in the same run, on the same machine.
 * With --json, one line per metric:
 *   {"bench","metric","ours","reference","referenceName","ratio","target"}
 */
import { backtestBench } from './backtest.ts';
import { busBench } from './bus.ts';
import { dashboardBench } from './dashboard.ts';
import { LIST_FLAGS } from './flags.ts';
import { footprintBench } from './footprint.ts';
import { importBench } from './import.ts';
import { liveBench } from './live.ts';
import { paperBench } from './paper.ts';
import { paperKernelBench } from './paper-kernel.ts';
import { simBench } from './sim.ts';
import { startupBench } from './startup.ts';

export interface BenchResult {
  readonly bench: string;
  readonly metric: string;
  readonly ours: number;
  readonly reference: number | null;
  readonly referenceName: string | null;
  /** ours / reference, oriented so that higher is better for us. */
  readonly ratio: number | null;
  /** What we aim for, in words (`ratio >= 0.8`, `< 500 MB`). */
  readonly target: string;
}

const BENCHES: Record<string, { description: string; run(args: string[]): Promise<BenchResult[]> }> = {
  import: importBench,
  footprint: footprintBench,
  backtest: backtestBench,
  live: liveBench,
  startup: startupBench,
  sim: simBench,
  paper: paperBench,
  'paper-kernel': paperKernelBench,
  dashboard: dashboardBench,
  bus: busBench,
};

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  // A flag's value: a number, or a list flag's items.
  const isValue = (a: string, i: number) => /^\d+(\.\d+)?$/.test(a) || LIST_FLAGS.includes(args[i - 1]);
  const names = args.filter((a, i) => !a.startsWith('--') && !isValue(a, i) && BENCHES[a]);
  const unknown = args.filter((a, i) => !a.startsWith('--') && !BENCHES[a] && !isValue(a, i));
  if (unknown.length > 0 || args.includes('--help')) {
    console.error(`usage: npm run bench -- [${Object.keys(BENCHES).join('|')}] [--json] [--rows N] [--repeat N] [--events N] [--features LIST] [--seconds N] [--rate N] [--reps N] [--hours N] [--warmup N] [--sparse-days N] [--hold N] [--bars N] [--symbols N] [--per N] [--rounds N] [--flush-ms N] [--profile] [--stream-only]\n`);
    for (const [n, b] of Object.entries(BENCHES)) console.error(`  ${n.padEnd(8)} ${b.description}`);
    process.exitCode = unknown.length > 0 ? 2 : 0;
    return;
  }
  for (const name of names.length > 0 ? names : Object.keys(BENCHES)) {
    const results = await BENCHES[name].run(args);
    for (const r of results) {
      if (json) console.log(JSON.stringify(r));
      else {
        const ref = r.reference === null ? '' : `  vs ${r.referenceName} ${fmt(r.reference)}  ratio ${r.ratio?.toFixed(3)}`;
        console.log(`${r.bench.padEnd(8)} ${r.metric.padEnd(22)} ${fmt(r.ours)}${ref}  (target ${r.target})`);
      }
    }
  }
}

function fmt(x: number): string {
  return x >= 1e4 ? Math.round(x).toLocaleString('en-US') : x.toFixed(2);
}

await main();
