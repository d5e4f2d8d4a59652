/**
 * Start-up benchmark: how long `orderflow` takes to do almost nothing, against `node -e 0` (the
 * floor: Node's own start) measured in the same run, interleaved, on the same machine.
 *
 * - `orderflow --help`: the root help, from the command table alone (no command module loaded).
 * - `orderflow cvd` on a tiny store (one bundled Bybit sample, 100-odd trades, imported before
 *   timing): a real command that loads its module, DuckDB's native library, opens the store and
 *   queries it, so what remains is start-up, not work.
 *
 * Both run `bin/orderflow` as a user does; it runs dist/ when fresh, so the bench builds dist/
 * first if it is missing or stale (and says so). For information, the same `--help` from the
 * sources through tsx (what bin/orderflow falls back to) is timed too.
 *
 * Each command runs REPS times round-robin after one untimed warm-up round; wall time from spawn
 * to exit, median (the reported metric), and the process's user + system CPU time from
 * /usr/bin/time (printed: it does not grow when other jobs share the machine, wall time does).
 * Target: each <= 3x node's start (ratio = node / ours >= 0.333).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flag } from './flags.ts';
import { ensureFreshDist } from './fresh-dist.ts';
import type { BenchResult } from './run.ts';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const BIN = join(ROOT, 'bin/orderflow');
const SAMPLE = join(ROOT, 'samples/bybit/bybit-v5-linear-ws-publicTrade-2026-08-09.jsonl');
const REPS = 15;

interface Case {
  name: string;
  argv: string[];
}

const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;

/** Wall seconds, and user + system CPU seconds when /usr/bin/time is there (NaN otherwise). */
function once(c: Case, cpuFile: string): { wall: number; cpu: number } {
  const argv = TIME ? [TIME, '-o', cpuFile, '-f', '%U %S', ...c.argv] : c.argv;
  const t0 = performance.now();
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
  const wall = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`startup bench: ${c.name} failed (${r.status}): ${r.stderr}`);
  const cpu = TIME ? readFileSync(cpuFile, 'utf8').trim().split(/\s+/).slice(-2).map(Number).reduce((a, b) => a + b, 0) : NaN;
  return { wall, cpu };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

export const startupBench = {
  description: 'orderflow --help and a tiny cvd vs node -e 0, process start to exit',
  async run(args: string[]): Promise<BenchResult[]> {
    const reps = flag(args, '--reps', REPS);
    await ensureFreshDist('startup');
    const home = mkdtempSync(join(tmpdir(), 'orderflow-bench-startup-'));
    try {
      const imp = spawnSync(BIN, ['import', SAMPLE, '--home', home], { encoding: 'utf8' });
      if (imp.status !== 0) throw new Error(`startup bench: import failed: ${imp.stderr}`);
      const node: Case = { name: 'node -e 0', argv: [process.execPath, '-e', '0'] };
      const cases: Case[] = [
        node,
        { name: 'orderflow --help', argv: [BIN, '--help'] },
        { name: 'orderflow cvd', argv: [BIN, 'cvd', '--symbol', 'BTCUSDT', '--venues', 'bybit', '--timeframe', '1m', '--home', home] },
        { name: 'orderflow --help from src (tsx)', argv: [process.execPath, '--import', 'tsx', join(ROOT, 'src/cli/main.ts'), '--help'] },
      ];
      const cpuFile = join(home, 'time.txt');
      const times = new Map<string, number[]>(cases.map((c) => [c.name, []]));
      const cpus = new Map<string, number[]>(cases.map((c) => [c.name, []]));
      for (const c of cases) once(c, cpuFile); // warm-up: file cache, tsx cache
      for (let r = 0; r < reps; r++) {
        for (const c of cases) {
          const t = once(c, cpuFile);
          times.get(c.name)!.push(t.wall);
          cpus.get(c.name)!.push(t.cpu);
        }
      }
      const med = new Map([...times].map(([k, v]) => [k, median(v)]));
      const medCpu = new Map([...cpus].map(([k, v]) => [k, median(v)]));
      const nodeS = med.get(node.name)!;
      const nodeCpu = medCpu.get(node.name)!;
      // CPU time does not grow when other jobs share the machine; wall time does.
      for (const c of cases) {
        const v = times.get(c.name)!;
        console.error(
          `  ${c.name.padEnd(32)} median ${(med.get(c.name)! * 1000).toFixed(0)} ms (min ${(Math.min(...v) * 1000).toFixed(0)}, max ${(Math.max(...v) * 1000).toFixed(0)}) = ${(med.get(c.name)! / nodeS).toFixed(2)}x node; ` +
            `CPU ${(medCpu.get(c.name)! * 1000).toFixed(0)} ms = ${(medCpu.get(c.name)! / nodeCpu).toFixed(2)}x node`,
        );
      }
      const result = (metric: string, name: string): BenchResult => {
        const ours = med.get(name)!;
        return { bench: 'startup', metric, ours, reference: nodeS, referenceName: 'node -e 0 (s)', ratio: nodeS / ours, target: 'ratio >= 0.333 (<= 3x node -e 0)' };
      };
      return [result('help_seconds', 'orderflow --help'), result('cvd_small_seconds', 'orderflow cvd')];
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  },
};
