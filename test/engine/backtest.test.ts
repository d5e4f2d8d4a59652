/**
 * Backtests over a store: a Binance capture (aggTrade, forceOrder, markPrice frames, the venue's
 * real wire shapes) imported, then the Backtest orchestration (null model, walk-forward,
 * determinism), the run folder, `orderflow backtest` and config errors.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Backtest } from '../../src/engine/backtest.ts';
import { defaultWorkerCount, WorkerPoolRunner } from '../../src/engine/backtest-workers.ts';
import { loadConfig, parseConfig, withParam } from '../../src/engine/config.ts';
import { effectiveWarmup, warmupNeeds } from '../../src/engine/warmup.ts';
import { writeRunFolder } from '../../src/engine/run-folder.ts';
import { Store } from '../../src/store/store.ts';
import { loadBundledInstruments } from '../../src/venues/bundled-instruments.ts';
import { importInto, tempDir } from '../helpers/store.ts';
import { BIN, ROOT } from '../helpers/paths.ts';
import { runProcess } from '../helpers/process.ts';

const D = Date.UTC(2024, 0, 1);
const S = 1000;
const M = 60_000;
const H = 3_600_000;
const REG = loadBundledInstruments();

/** The engine test's market as Binance frames: quiet flow, a long cascade at 100, absorption at 1:05, a drift up (to a crash to 50 from `crashAt` on, when given). */
function capture(crashAt = Infinity): string {
  const lines: string[] = [];
  let id = 1;
  const frame = (stream: string, data: object) => lines.push(JSON.stringify({ stream, data }));
  const liqAt = new Set([0, 1, 2, 3, 4].map((k) => D + 10 * M + k * S + 500));
  for (let t = D; t < D + 3 * H; t += S) {
    const heavy = t >= D + H + 5 * M && t < D + H + 7 * M;
    const drift = t >= D + H + 7 * M ? Math.min(3, (t - D - H - 7 * M) / (20 * M)) : 0;
    const price = t >= crashAt ? 50 : heavy ? 100 : Math.round((101 + drift) * 10) / 10;
    const sell = heavy || (t / S) % 2 === 1;
    frame('btcusdt@aggTrade', { e: 'aggTrade', E: t, a: id, s: 'BTCUSDT', p: price.toFixed(1), q: heavy ? '5' : '1', f: id, l: id, T: t, m: sell });
    id++;
    for (const lt of [t + 500]) {
      if (liqAt.has(lt)) frame('btcusdt@forceOrder', { e: 'forceOrder', E: lt, o: { s: 'BTCUSDT', S: 'SELL', o: 'LIMIT', f: 'IOC', q: '10', p: '100.0', ap: '100.0', X: 'FILLED', l: '10', z: '10', T: lt } });
    }
    if (t === D + 10 * M + 20 * S) frame('btcusdt@forceOrder', { e: 'forceOrder', E: t + 1, o: { s: 'BTCUSDT', S: 'SELL', o: 'LIMIT', f: 'IOC', q: '0.1', p: '95.0', ap: '95.0', X: 'FILLED', l: '0.1', z: '0.1', T: t + 1 } });
    if (t === D + 10 * M + 21 * S) frame('btcusdt@forceOrder', { e: 'forceOrder', E: t + 1, o: { s: 'BTCUSDT', S: 'SELL', o: 'LIMIT', f: 'IOC', q: '0.1', p: '96.0', ap: '96.0', X: 'FILLED', l: '0.1', z: '0.1', T: t + 1 } });
    if (t % M === 0) frame('btcusdt@markPrice@1s', { e: 'markPriceUpdate', E: t, s: 'BTCUSDT', p: price.toFixed(2), i: price.toFixed(2), r: '0.00010000', T: Math.ceil((t + 1) / (8 * H)) * 8 * H });
  }
  return `${lines.join('\n')}\n`;
}

// Made at load: a folder made inside a test is removed when that test ends.
const STORE_DIR = tempDir();
const homesMade = new Map<string, Promise<string>>();
/** One store per crash time and extra files (built on first use); no crash = the story as it is. */
function home(crashAt = Infinity, extra: readonly string[] = []): Promise<string> {
  const tag = `${Number.isFinite(crashAt) ? `crash-${crashAt - D}` : 'story'}${extra.length > 0 ? `-${homesMade.size}` : ''}`;
  const key = `${crashAt} ${extra.join(' ')}`;
  let made = homesMade.get(key);
  if (!made) homesMade.set(key, (made = makeHome(tag, crashAt, extra)));
  return made;
}

async function makeHome(tag: string, crashAt: number, extra: readonly string[]): Promise<string> {
  const file = join(STORE_DIR, `binance-um-ws-${tag}.jsonl`);
  writeFileSync(file, capture(crashAt));
  const h = join(STORE_DIR, `home-${tag}`);
  const store = await Store.open(h);
  try {
    for (const f of [file, ...extra]) await importInto(store, f);
  } finally {
    store.close();
  }
  return h;
}

/** Real Bybit BTCUSDT prints of 2026-08-09 (test/fixtures/bybit/README.md): a venue with trades, none of them in the story's range. */
const BYBIT_ELSEWHEN = join(ROOT, 'test', 'fixtures', 'bybit', 'BTCUSDT2026-08-09.csv');

/** A crash to 50 at 1:15, while the story's long is open, and a config that bets the wallet on it (cross margin, 10% at risk, no target). */
const CRASH = D + H + 15 * M;
const RUIN = { exit: { targetR: 0 }, risk: { marginMode: 'cross', riskPerTradePct: 10, maxExposurePct: 1000, leverage: 10 } };

// Only sellers trade during the absorbed selling (1:05 to 1:07): a market buy fills on the first
// buyer, at 1:07, so entries may wait 3 minutes before going stale (default 5 s).
const BASE = { signals: { absorption: { lookbackWindows: 5 } }, execution: { staleAfter: '3m' }, nullModel: { seeds: 0 } };

async function backtest(over: Record<string, unknown> = {}, crashAt = Infinity) {
  const store = await Store.open(await home(crashAt), { readOnly: true });
  try {
    const bt = new Backtest({ store, config: parseConfig({ ...BASE, ...over }), pairs: [['binance', 'BTCUSDT']], symbol: 'BTCUSDT', instruments: (v, s) => REG.get(v, s) });
    return await bt.run();
  } finally {
    store.close();
  }
}

/** The base config (with `over`) run alone on [fromMs, toMs). */
async function backtestRange(fromMs: number, toMs: number, over: Record<string, unknown> = {}) {
  const store = await Store.open(await home(), { readOnly: true });
  try {
    const bt = new Backtest({ store, config: parseConfig({ ...BASE, ...over }), pairs: [['binance', 'BTCUSDT']], symbol: 'BTCUSDT', fromMs, toMs, instruments: (v, s) => REG.get(v, s) });
    return await bt.run();
  } finally {
    store.close();
  }
}

describe('backtest over the store', () => {
  it('trades the imported capture: marks from markPrice, funding from its rate, one absorption entry', async () => {
    const r = await backtest();
    assert.equal(r.signals.filter((s) => s.type === 'absorption' && s.acted).length, 1);
    assert.equal(r.trades.length, 1);
    assert.equal(r.trades[0].signal, 'absorption');
    assert.ok(!r.meta.warnings.some((w) => /no mark prices/.test(w)), 'marks come from the markPrice frames');
    assert.equal(r.metrics.tradeCount, 1);
    assert.ok(Math.abs(r.metrics.netReturn - r.trades[0].pnl / 10_000) < 1e-12);
  });

  it('is deterministic: same data, config and seed give byte-identical results', async () => {
    const a = await backtest({ nullModel: { seeds: 3 } });
    const b = await backtest({ nullModel: { seeds: 3 } });
    assert.equal(JSON.stringify(a), JSON.stringify(b));
  });

  it('null model: the same rules on shuffled signal times, N seeds, with a plain verdict', async () => {
    const r = await backtest({ nullModel: { seeds: 4 } });
    const n = r.nullModel!;
    assert.equal(n.seeds, 4);
    assert.equal(n.nullNetReturns.length, 4);
    assert.ok(n.percentile !== null && n.percentile >= 0 && n.percentile <= 1);
    assert.ok(n.pValue > 0 && n.pValue <= 1);
    // Four null runs can never give p <= 0.05 ((0 + 1) / (4 + 1) = 0.2 at best): the report must not claim an edge.
    assert.match(n.verdict, /NOT distinguishable from chance/);
    // One real trade: never an edge, whatever the p-value.
    assert.match(n.verdict, /^Too few trades to tell: 1 real trade /);
    assert.equal(n.edge, false);
    const other = await backtest({ nullModel: { seeds: 4, kind: 'random_levels' } });
    assert.equal(other.nullModel!.kind, 'random_levels');
  });

  it('walk-forward: parameters chosen in sample, the headline is the out-of-sample folds', async () => {
    // The sweep is on the risk per trade: the story's one trade fills after its target was already
    // reached (so it exits at the market whatever exit.targetR is), and its loss scales with the risk.
    const r = await backtest({ walkForward: { inSample: '1h', outOfSample: '30m', sweep: { 'risk.riskPerTradePct': [0.5, 2] } } });
    const folds = r.walkForward!;
    // [0, 1h) picks for [1h, 1.5h); [0.5h, 1.5h) for [1.5h, 2h); [1h, 2h) for [2h, 2.5h). The data
    // ends at 2:59:59, so a fourth fold's [2.5h, 3h) would run past it.
    assert.equal(folds.length, 3);
    assert.deepEqual(folds[0].outOfSample, { fromMs: D + H, toMs: D + H + 30 * M });
    // Each fold keeps the in-sample best: rerun every candidate alone on the fold's in-sample window.
    let decided = 0;
    for (const f of folds) {
      const scores: number[] = [];
      for (const riskPerTradePct of [0.5, 2]) scores.push((await backtestRange(f.inSample.fromMs, f.inSample.toMs, { risk: { riskPerTradePct } })).metrics.netReturn);
      const best = scores[1] > scores[0] ? 1 : 0;
      if (scores[0] !== scores[1]) decided++;
      assert.equal(f.chosen['risk.riskPerTradePct'], [0.5, 2][best], `fold from ${new Date(f.inSample.fromMs).toISOString()}: in-sample ${scores}`);
      assert.equal(f.inSampleScore, scores[best]);
    }
    assert.ok(decided >= 1, 'a fold whose candidates score differently (else a wrong choice would go unseen)');
    for (const t of r.trades) assert.ok(folds.some((f) => t.entryTs >= f.outOfSample.fromMs && t.entryTs < f.outOfSample.toMs), 'only out-of-sample trades in the headline');
    assert.equal(r.metrics.fromMs, D + H);
    assert.ok(r.meta.warnings.some((w) => /out-of-sample folds only/.test(w)));
  });

  it('a run that ends at equity 0 says so: when, and that it is flat from there', async () => {
    const r = await backtest(RUIN, CRASH);
    const liq = r.trades.find((t) => t.liquidated);
    assert.ok(liq, JSON.stringify(r.trades));
    assert.equal(r.metrics.finalEquity, 0);
    assert.equal(r.meta.ruinedAtMs, liq.exitTs);
    assert.ok(liq.exitTs >= CRASH && liq.exitTs < CRASH + M, `liquidated at the crash, not at ${new Date(liq.exitTs).toISOString()}`);
    assert.match(r.meta.warnings[0], new RegExp(`^ruined: equity reached 0 at ${new Date(liq.exitTs).toISOString()} \\(trade ${liq.id}, a long, was liquidated\\)`));
    // Not ruined: no such note.
    const fine = await backtest(RUIN);
    assert.equal(fine.meta.ruinedAtMs, null);
    assert.ok(!fine.meta.warnings.some((w) => /ruined|equity 0/.test(w)), JSON.stringify(fine.meta.warnings));
  });

  it('walk-forward: a fold that ends at equity 0 ends the run there, said plainly (not a config error)', async () => {
    const r = await backtest({ ...RUIN, walkForward: { inSample: '1h', outOfSample: '30m', sweep: { 'risk.riskPerTradePct': [9, 10] } } }, CRASH);
    // Fold 1 is out of sample on [1h, 1.5h): the entry at 1:07 and the crash at 1:15. Folds 2 and 3 had nothing left to trade.
    const folds = r.walkForward!;
    assert.equal(folds.length, 1);
    assert.deepEqual(folds[0].outOfSample, { fromMs: D + H, toMs: D + H + 30 * M });
    assert.equal(folds[0].outOfSampleNetReturn, -1);
    assert.equal(r.metrics.finalEquity, 0);
    assert.equal(r.metrics.toMs, D + H + 30 * M);
    assert.ok(r.meta.ruinedAtMs !== null && r.meta.ruinedAtMs >= CRASH);
    assert.ok(r.meta.warnings.some((w) => /^walk-forward: fold 1 \(out of sample 2024-01-01T01:00:00.000Z to 2024-01-01T01:30:00.000Z\) ended at equity 0, so the 2 later folds were not run/.test(w)), JSON.stringify(r.meta.warnings));
    assert.match(r.meta.warnings[0], /^ruined: equity reached 0 at 2024-01-01T01:15/);
  });

  it('the header lists only the venues that traded in the range', async () => {
    const store = await Store.open(await home(Infinity, [BYBIT_ELSEWHEN]), { readOnly: true });
    try {
      const run = (fromMs?: number, toMs?: number) =>
        new Backtest({ store, config: parseConfig(BASE), pairs: [['binance', 'BTCUSDT'], ['bybit', 'BTCUSDT']], symbol: 'BTCUSDT', fromMs, toMs, instruments: (v, s) => REG.get(v, s) }).run();
      // Default range: Binance's trades (2024-01-01); Bybit's are in 2026.
      assert.deepEqual((await run()).meta.venues, ['binance']);
      // A range holding both venues' trades lists both.
      const both = await run(D, Date.UTC(2026, 7, 10));
      assert.deepEqual(both.meta.venues, ['binance', 'bybit']);
    } finally {
      store.close();
    }
  });

  it('warm-up: events before --from feed the features, nothing before it is traded or kept', async () => {
    const from = D + H + 4 * M;
    const run = async (warmup: number | string) => {
      const store = await Store.open(await home(), { readOnly: true });
      try {
        const config = parseConfig({ ...BASE, warmup });
        return await new Backtest({ store, config, pairs: [['binance', 'BTCUSDT']], symbol: 'BTCUSDT', fromMs: from, instruments: (v, s) => REG.get(v, s) }).run();
      } finally {
        store.close();
      }
    };
    // With the default day of warm-up the 0:10 cascade is a zone at 1:05; with none, nothing is known yet.
    const warm = await run('1d');
    assert.equal(warm.trades.length, 1);
    assert.ok(warm.equity.every((e) => e.ts >= from) && warm.bars.every((b) => b.ts >= from) && warm.signals.every((x) => x.ts >= from));
    const cold = await run(0);
    assert.equal(cold.trades.length, 0);
    assert.ok(cold.meta.warnings.some((w) => /^warmup 0ms is shorter than the 1h divergence \(100 bars\) needs 4\.2d/.test(w)), cold.meta.warnings.join('\n'));
    // auto: what the features need (here the 1h divergence's 100 bars, so the 0:10 cascade is in).
    const auto = await run('auto');
    assert.equal(auto.trades.length, 1);
    assert.ok(!auto.meta.warnings.some((w) => /^warmup/.test(w)));
  });

  it('warm-up auto is what the active features need: 100 bars of the longest traded divergence, else absorption or the 1h flow bar', () => {
    const need = (over: Record<string, unknown>) => effectiveWarmup(parseConfig(over)).ms;
    assert.equal(need({}), 100 * H, 'a 1h divergence needs about 4.2 days');
    assert.equal(need({ signals: { divergence: { timeframes: ['15m'] } } }), 25 * H);
    assert.equal(need({ signals: { divergence: { timeframes: ['1d'] } } }), 100 * 24 * H);
    // A timeframe the pipeline does not make opens no trade and needs nothing.
    assert.equal(need({ signals: { divergence: { timeframes: ['5m'] } } }), H);
    assert.equal(need({ signals: { divergence: { enabled: false }, absorption: { lookbackWindows: 240 } } }), 4 * H);
    assert.equal(need({ signals: { divergence: { enabled: false }, absorption: { enabled: false } }, entry: { requireLargeFlow: false } }), 0);
    assert.deepEqual(warmupNeeds(parseConfig({})).map((n) => n.what), ['the 1h divergence (100 bars)', 'absorption (60 1m windows)', 'the 1h size-flow veto (1 bar)']);
    const short = effectiveWarmup(parseConfig({ warmup: '1d' }));
    assert.equal(short.ms, 24 * H, 'an explicit warm-up is obeyed');
    assert.match(short.warning!, /^warmup 1d is shorter than the 1h divergence \(100 bars\) needs 4\.2d/);
  });

  it('walk-forward: the null model runs through the same folds and tests the out-of-sample headline', async () => {
    const r = await backtest({ walkForward: { inSample: '1h', outOfSample: '30m', sweep: { 'exit.targetR': [1, 2] } }, nullModel: { seeds: 3 } });
    const n = r.nullModel!;
    assert.equal(n.walkForward, true);
    assert.equal(n.realTrades, r.trades.length);
    assert.equal(n.realNetReturn, r.metrics.netReturn, 'compared with the headline, not the full-period run');
    assert.equal(n.nullTrades.length, 3);
    assert.match(n.verdict, /through the same walk-forward folds/);
    assert.ok(!r.meta.warnings.some((w) => /full-period run/.test(w)));
  });

  it('walk-forward ids: stitched trades point at their own signals', async () => {
    // The sweep is on the risk per trade: the story's one trade fills after its target was already
    // reached (so it exits at the market whatever exit.targetR is), and its loss scales with the risk.
    const r = await backtest({ walkForward: { inSample: '1h', outOfSample: '30m', sweep: { 'risk.riskPerTradePct': [0.5, 2] } } });
    assert.ok(r.trades.length >= 1, 'the 1:05 absorption trades in the first out-of-sample fold');
    for (const t of r.trades) {
      const sig = r.signals.find((x) => x.id === t.signalId);
      assert.ok(sig && sig.acted && sig.ts <= t.entryTs, `trade ${t.id} -> signal ${t.signalId}`);
    }
    assert.equal(new Set(r.orders.map((o) => o.id)).size, r.orders.length, 'order ids unique');
    assert.equal(r.journal.predictions.length, r.signals.length);
  });

  it('null runs and in-sample sweeps on worker threads give exactly the serial result', async () => {
    const over = { nullModel: { seeds: 5 }, walkForward: { inSample: '1h', outOfSample: '30m', sweep: { 'exit.targetR': [1, 2] } } };
    const serial = await backtest(over);
    const store = await Store.open(await home(), { readOnly: true });
    const config = parseConfig({ ...BASE, ...over });
    const pairs: [['binance', string]] = [['binance', 'BTCUSDT']];
    const runner = new WorkerPoolRunner({ home: await home(), config, pairs, symbol: 'BTCUSDT' }, 2);
    const phases = new Set<string>();
    try {
      const threaded = await new Backtest({ store, config, pairs, symbol: 'BTCUSDT', instruments: (v, s) => REG.get(v, s), runner, onProgress: (p) => phases.add(p) }).run();
      assert.equal(JSON.stringify(threaded), JSON.stringify(serial));
      assert.equal(runner.started, 2);
    } finally {
      await runner.close();
      store.close();
    }
    assert.ok(phases.has('null model') && phases.has('walk-forward in-sample'), [...phases].join(', '));
    assert.equal(serial.nullModel!.seeds, 5);
    assert.ok(defaultWorkerCount() >= 1);
    assert.throws(() => new WorkerPoolRunner({ home: '', config, pairs, symbol: 'BTCUSDT' }, 0), /workers must be a whole number >= 1/);
    // A worker that cannot do its job fails the run with the worker's error, not silently.
    const broken = new WorkerPoolRunner({ home: join(tempDir(), 'no-store'), config, pairs, symbol: 'BTCUSDT' }, 1);
    try {
      await assert.rejects(broken.run([{ kind: 'score', config, fromMs: D, toMs: D + H }], undefined as never), /cannot open store/);
    } finally {
      await broken.close();
    }
  });

  it('writes the run folder: tables as CSV and Parquet, summary.json, report.html', async () => {
    const r = await backtest();
    const dir = join(tempDir(), 'run');
    const { files } = await writeRunFolder(dir, r);
    for (const f of ['trades.csv', 'trades.parquet', 'orders.csv', 'orders.parquet', 'equity.csv', 'signals.csv', 'predictions.csv', 'journal.json', 'summary.json', 'report.html']) {
      assert.ok(files.includes(f) && existsSync(join(dir, f)), f);
    }
    const csv = readFileSync(join(dir, 'trades.csv'), 'utf8').trim().split('\n');
    assert.equal(csv.length, 2);
    assert.match(csv[0], /^id,venue,symbol,side,entryTs/);
    // The fixed column lists hold every field of the records.
    for (const [file, rec] of [['trades.csv', r.trades[0]], ['orders.csv', r.orders[0]], ['signals.csv', r.signals[0]]] as const) {
      const header = readFileSync(join(dir, file), 'utf8').split('\n')[0].split(',');
      assert.deepEqual([...header].sort(), Object.keys(rec).sort(), file);
    }
    const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as { metrics: { tradeCount: number }; meta: { symbol: string } };
    assert.equal(summary.metrics.tradeCount, 1);
    assert.match(readFileSync(join(dir, 'report.html'), 'utf8'), /BTCUSDT/);
  });
});

/** `orderflow backtest ...`, without blocking this process (the cases below run side by side). */
const orderflow = (args: string[]) => runProcess(BIN, ['backtest', ...args]);

// Each case has its own folder (the stores they read are built once, shared read-only) and mostly
// waits on backtest processes: side by side, and the processes of a case at once.
describe('orderflow backtest and its config', { concurrency: true }, () => {
  it('runs from the command line and prints summary.json with --json', async () => {
    const dir = tempDir();
    const cfg = join(dir, 'strategy.yaml');
    writeFileSync(cfg, 'signals:\n  absorption:\n    lookbackWindows: 5\nexecution:\n  staleAfter: 3m\nnullModel:\n  seeds: 2\n');
    const out = join(dir, 'run');
    const h = await home();
    const [r, text] = await Promise.all([
      orderflow(['--symbol', 'BTCUSDT', '--venues', 'binance', '--config', cfg, '--out', out, '--json', '--home', h]),
      orderflow(['--symbol', 'BTCUSDT', '--venues', 'binance', '--config', cfg, '--out', join(dir, 'run2'), '--home', h]),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { metrics: { tradeCount: number }; nullModel: { seeds: number } };
    assert.equal(s.metrics.tradeCount, 1);
    assert.equal(s.nullModel.seeds, 2);
    assert.ok(existsSync(join(out, 'report.html')));
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /net return/);
    assert.match(text.stdout, /null model: .*(chance|beat)/);
  });

  it('says plainly when the run was ruined, and heads the output with the venues that traded', async () => {
    const dir = tempDir();
    const cfg = join(dir, 'ruin.json');
    writeFileSync(cfg, JSON.stringify({ ...BASE, ...RUIN, walkForward: { inSample: '1h', outOfSample: '30m', sweep: { 'risk.riskPerTradePct': [9, 10] } } }));
    const r = await orderflow(['--symbol', 'BTCUSDT', '--venues', 'binance,bybit', '--config', cfg, '--out', join(dir, 'run'), '--home', await home(CRASH, [BYBIT_ELSEWHEN])]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^backtest BTCUSDT on binance: 2024-01-01/);
    assert.match(r.stdout, /\nRUINED: equity reached 0 at 2024-01-01 01:15/);
    assert.match(r.stdout, /warning: walk-forward: fold 1 \(out of sample .*\) ended at equity 0, so the 2 later folds were not run/);
  });

  it('runs a TypeScript strategy module given with --strategy', async () => {
    const dir = tempDir();
    const file = join(dir, 'contrarian.ts');
    // Fades every absorption with a 1% stop and no target (the opposite of the seed strategy).
    writeFileSync(
      file,
      `import type { Strategy } from ${JSON.stringify(fileURLToPath(new URL('../../src/engine/strategy.ts', import.meta.url)))};
export default (): Strategy => ({
  name: 'contrarian',
  onSignal(s, ctx) {
    if (s.type !== 'absorption') return 'not absorption';
    const side = s.direction === 'long' ? 'short' : 'long';
    const stop = ctx.lastPrice * (side === 'long' ? 0.99 : 1.01);
    return ctx.enter(s, { side, stop, target: null, timeStopMs: 600_000, riskMultiplier: 1 }).reason;
  },
});
`,
    );
    const cfg = join(dir, 'c.json');
    writeFileSync(cfg, JSON.stringify({ signals: { absorption: { lookbackWindows: 5 } }, nullModel: { seeds: 0 } }));
    const withNull = join(dir, 'c-null.json');
    writeFileSync(withNull, JSON.stringify({ signals: { absorption: { lookbackWindows: 5 } }, nullModel: { seeds: 3 } }));
    const h = await home();
    const on = (workers: string) => orderflow(['--symbol', 'BTCUSDT', '--venues', 'binance', '--config', withNull, '--strategy', file, '--workers', workers, '--out', join(dir, `run-${workers}`), '--json', '--home', h]);
    // Five processes that share nothing but the store they read: at once.
    const [r, one, two, zero, bad] = await Promise.all([
      orderflow(['--symbol', 'BTCUSDT', '--venues', 'binance', '--config', cfg, '--strategy', file, '--out', join(dir, 'run'), '--json', '--home', h]),
      on('1'),
      on('2'),
      on('0'),
      orderflow(['--symbol', 'BTCUSDT', '--strategy', cfg, '--home', h]),
    ]);
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as { meta: { strategy: string }; metrics: { tradeCount: number } };
    assert.equal(s.meta.strategy, 'contrarian');
    assert.equal(s.metrics.tradeCount, 1);
    assert.match(readFileSync(join(dir, 'run', 'trades.csv'), 'utf8'), /,short,/);
    // Null runs on two worker threads, each loading the module itself: the same summary as in one thread.
    assert.equal(two.code, 0, two.stderr);
    assert.equal(two.stdout, one.stdout);
    assert.equal((JSON.parse(two.stdout) as { nullModel: { seeds: number } }).nullModel.seeds, 3);
    assert.match(zero.stderr, /--workers: a whole number >= 1, got 0/);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--strategy .*export a function/);
  });

  it('a bad config names the file, the line and the key; exit 2', async () => {
    const dir = tempDir();
    const cfg = join(dir, 'bad.yaml');
    writeFileSync(cfg, 'risk:\n  leverage: 3\n  riskPerTradePct: lots\nexit:\n  targetR: 2\n  stopBufer: 10\n');
    assert.throws(() => loadConfig(cfg), (e: Error) => /bad\.yaml:3 risk\.riskPerTradePct: .*number/.test(e.message) && /bad\.yaml:6 exit\.stopBufer: unknown key/.test(e.message));
    const r = await orderflow(['--symbol', 'BTCUSDT', '--config', cfg, '--home', dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.yaml:3 risk\.riskPerTradePct/);
    writeFileSync(cfg, 'risk: [1, 2\n');
    assert.throws(() => loadConfig(cfg), /bad\.yaml:\d+ Flow sequence/);
  });

  it("docs/BACKTEST.md's annotated config is exactly the defaults (the docs stay true)", () => {
    const doc = readFileSync(fileURLToPath(new URL('../../docs/BACKTEST.md', import.meta.url)), 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)![1];
    const file = join(tempDir(), 'doc.yaml');
    writeFileSync(file, yaml);
    assert.deepStrictEqual(loadConfig(file), parseConfig({}));
  });

  it('leverage above the execution venue cap is refused; sweeps validate their paths', () => {
    assert.throws(() => parseConfig({ execution: { venue: 'binance' }, risk: { leverage: 15 } }), /15x is above the binance cap/);
    assert.doesNotThrow(() => parseConfig({ execution: { venue: 'bybit' }, risk: { leverage: 15 } }));
    const c = parseConfig({});
    assert.equal(withParam(c, 'exit.targetR', 3).exit.targetR, 3);
    assert.throws(() => withParam(c, 'exit.nope', 3), /not a config path/);
    assert.throws(() => withParam(c, 'exit.targetR', -1), /targetR/);
    assert.equal(parseConfig({ exit: { timeStop: '90m' } }).exit.timeStop, 90 * M);
    assert.throws(() => parseConfig({ exit: { timeStop: 'soon' } }), /exit\.timeStop/);
  });
});
