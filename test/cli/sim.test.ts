/**
 * `orderflow sim` and `orderflow eval-detectors` as a user runs them: the scenario list, a run
 * written twice byte for byte, imported whole by `orderflow import DIR` (labels.json skipped) with
 * the planted cascade's forced orders in the store, `--serve` printing the variables the live
 * clients read, and the evaluation's JSON contract.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { SCENARIO_MODULES } from '../../src/sim/scenarios/index.ts';
import { SCENARIOS, type ScenarioName, type SimLabels } from '../../src/sim/types.ts';
import { BIN } from '../helpers/paths.ts';
import { runEach, runProcess } from '../helpers/process.ts';
import { tempDir } from '../helpers/store.ts';

async function run(args: string[]) {
  const r = await runProcess(BIN, args, { ...process.env, CI: 'true' });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

const files = (dir: string) => Object.fromEntries(readdirSync(dir).sort().map((f) => [f, readFileSync(join(dir, f))]));

// The cases run side by side (they mostly wait on processes); the import reads the runs the
// byte-identical case makes, through one shared promise.
describe('orderflow sim', { concurrency: true }, () => {
  it('--list prints every scenario, one line each', async () => {
    const r = await run(['sim', '--list']);
    assert.equal(r.code, 0, r.err);
    const lines = r.out.trim().split('\n');
    assert.deepEqual(lines.map((l) => l.split(/\s+/)[0]), [...SCENARIOS]);
    for (const l of lines) {
      const [name, duration, summary] = l.trim().split(/\s{2,}/);
      assert.equal(duration, `${SCENARIO_MODULES[name as ScenarioName].defaultDurationMs / 3_600_000}h`, `the default duration on ${JSON.stringify(l)}`);
      assert.ok(summary?.length > 10, `a summary on ${JSON.stringify(l)}`);
    }
  });

  const dir = tempDir();
  const args = (out: string, seed = '3') => ['sim', '--scenario', 'long-cascade', '--seed', seed, '--duration', '20m', '--out', out];

  let runs: Promise<{ code: number | null; out: string; err: string }[]> | undefined;
  // Three independent runs, side by side.
  const simRuns = () => (runs ??= runEach(BIN, [args(join(dir, 'a')), args(join(dir, 'b')), args(join(dir, 'c'), '4')], { ...process.env, CI: 'true' }).then((rs) => rs.map((r) => ({ code: r.code, out: r.stdout, err: r.stderr }))));

  it('the same scenario, seed and duration write byte-identical files; another seed differs', async () => {
    const [a, b, c] = await simRuns();
    assert.equal(a.code, 0, a.err);
    assert.match(a.out, /planted long-cascade \(sell\)/);
    assert.equal(b.code, 0, b.err);
    const fa = files(join(dir, 'a'));
    const fb = files(join(dir, 'b'));
    assert.deepEqual(Object.keys(fa), Object.keys(fb));
    assert.ok(Object.keys(fa).includes('labels.json') && Object.keys(fa).length === 4, Object.keys(fa).join(' '));
    for (const f of Object.keys(fa)) assert.ok(fa[f].equals(fb[f]), `${f} differs between two runs of the same seed`);
    assert.equal(c.code, 0, c.err);
    assert.ok(!files(join(dir, 'c'))['labels.json'].equals(fa['labels.json']), 'another seed plants elsewhere');
  });

  it('orderflow import DIR reads the run whole; the planted forced orders are in the store', async () => {
    assert.equal((await simRuns())[0].code, 0);
    const home = join(dir, 'home');
    const imp = await run(['import', join(dir, 'a'), '--home', home]);
    assert.equal(imp.code, 0, imp.err);
    assert.match(imp.out, /3 imported, 0 already imported, 0 failed, 1 skipped/);
    const labels = JSON.parse(readFileSync(join(dir, 'a', 'labels.json'), 'utf8')) as SimLabels;
    const [cascade] = labels.labels;
    assert.equal(cascade.kind, 'long-cascade');
    const liq = await run(['liquidations', '--symbol', 'BTC', '--home', home, '--json', '--at', new Date(cascade.end_ms + 60_000).toISOString()]);
    assert.equal(liq.code, 0, liq.err);
    const snap = JSON.parse(liq.out) as { clusters: { side: string; low: number; high: number }[] };
    const longs = snap.clusters.filter((c) => c.side === 'long');
    assert.ok(longs.some((c) => c.high >= cascade.price_low && c.low <= cascade.price_high), `a long cluster over the planted ${cascade.price_low}-${cascade.price_high}: ${JSON.stringify(snap.clusters)}`);
  });

  it('refuses what it cannot do, naming the option', async () => {
    const [crash, neither, duration, seed] = await runEach(
      BIN,
      [
        ['sim', '--scenario', 'crash', '--out', join(dir, 'x')],
        ['sim', '--scenario', 'quiet'],
        ['sim', '--scenario', 'quiet', '--duration', 'soon', '--out', join(dir, 'y')],
        ['sim', '--scenario', 'quiet', '--seed', '1.5', '--out', join(dir, 'z')],
      ],
      { ...process.env, CI: 'true' },
    );
    assert.match(crash.stderr, /--scenario: unknown scenario "crash"/);
    assert.match(neither.stderr, /exactly one of --out DIR or --serve/);
    assert.match(duration.stderr, /--duration/);
    assert.match(seed.stderr, /--seed: expected an integer/);
  });

  it('--serve prints the ORDERFLOW_* variables of servers bound to 127.0.0.1 and stops on SIGINT', async () => {
    const child = spawn(BIN, ['sim', '--scenario', 'quiet', '--duration', '1m', '--serve', '--speed', '0'], { env: { ...process.env, CI: 'true' } });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const deadline = Date.now() + 30_000;
    while (!/ORDERFLOW_BYBIT_REST_URL/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const env = Object.fromEntries([...out.matchAll(/^export (ORDERFLOW_\w+)=(\S+)$/gm)].map((m) => [m[1], m[2]]));
    assert.deepEqual(Object.keys(env).sort(), ['ORDERFLOW_BINANCE_REST_URL', 'ORDERFLOW_BINANCE_WS_URL', 'ORDERFLOW_BYBIT_REST_URL', 'ORDERFLOW_BYBIT_WS_URL', 'ORDERFLOW_OKX_REST_URL', 'ORDERFLOW_OKX_WS_URL'], out);
    for (const url of Object.values(env)) assert.match(url, /^(ws|http):\/\/127\.0\.0\.1:\d+$/);
    // The Binance REST server answers with the simulated symbol listed.
    const info = (await (await fetch(`${env.ORDERFLOW_BINANCE_REST_URL}/fapi/v1/exchangeInfo`)).json()) as { symbols: { symbol: string }[] };
    assert.ok(info.symbols.some((s) => s.symbol === 'BTCUSDT'));
    child.kill('SIGINT');
    assert.equal(await exited, 0);
  });
});

describe('orderflow eval-detectors', { concurrency: true }, () => {
  it('--json prints one row per detector and scenario with the contract keys first', async () => {
    const r = await run(['eval-detectors', '--scenarios', 'long-cascade,quiet', '--seeds', '1', '--duration', '40m', '--json']);
    assert.equal(r.code, 0, r.err);
    const report = JSON.parse(r.out) as { rows: Record<string, unknown>[] };
    const keys = ['detector', 'scenario', 'planted', 'found', 'precision', 'recall', 'median_latency_ms'];
    for (const row of report.rows) assert.deepEqual(Object.keys(row).slice(0, keys.length), keys);
    const clusters = report.rows.find((x) => x.detector === 'liquidation-clusters' && x.scenario === 'long-cascade')!;
    assert.equal(clusters.planted, 1);
    const quiet = report.rows.filter((x) => x.scenario === 'quiet');
    assert.ok(quiet.length > 0 && quiet.every((x) => x.planted === 0 && x.recall === null), 'quiet plants nothing');
  });

  it('refuses an unknown scenario', async () => {
    assert.match((await run(['eval-detectors', '--scenarios', 'quiet,nope'])).err, /--scenarios: unknown scenario "nope"/);
  });
});
