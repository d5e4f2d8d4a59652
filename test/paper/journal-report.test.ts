/**
 * `orderflow journal report` and `journal export` over a journal written row by row with known
 * outcomes, and stored trades shaped so the null model's answer is known: every real long level
 * at 100 is touched (the price dips from 100.3 to exactly 100.0) and held (it rises to 100.21, just
 * past the 20 bps rejection); a level moved at random within ±2% (kept below the price) is touched
 * only from 99.95 up, and of those only the ones up to 100.01 can hold. 30 predictions: a clear
 * edge; 3: too few to tell.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EQUITY_COLUMNS, ORDER_COLUMNS, PREDICTION_COLUMNS, SIGNAL_COLUMNS, TRADE_COLUMNS } from '../../src/engine/run-folder.ts';
import { wilsonInterval } from '../../src/engine/stats.ts';
import { PAPER_SCHEMA } from '../../src/paper/journal-schema.ts';
import { exportSession, FILL_COLUMNS, FUNDING_COLUMNS, PAPER_SIGNAL_EXTRA_COLUMNS } from '../../src/paper/report/export.ts';
import { journalReport } from '../../src/paper/report/report.ts';
import { compareAccuracy } from '../../src/paper/report/verdict.ts';
import { Store } from '../../src/store/store.ts';
import { BIN } from '../helpers/paths.ts';
import { runProcess } from '../helpers/process.ts';
import { tempDir } from '../helpers/store.ts';

const T0 = Date.UTC(2026, 0, 5);
const BLOCK = 600_000;
const H = 60_000;

/** A store with session `name`: `n` long predictions at level 100, one per 10-minute block, all touched and held, a miss at 1m (100.21 < 100.3). */
async function buildJournal(home: string, name: string, n: number): Promise<void> {
  const store = await Store.open(home);
  const conn = await store.connect();
  await conn.run(PAPER_SCHEMA);
  const end = T0 + n * BLOCK;
  const config = JSON.stringify({ risk: { initialEquity: 10_000 }, journal: { horizons: [H] } });
  await conn.run(
    `INSERT INTO paper_sessions VALUES ($1, 'BTC', 'binance', '[["binance","BTCUSDT"]]', 'binance', 'BTCUSDT', '{}', $2, 7, $3, 0, $4, $4, 'stopped', 1, 'h', now()::TIMESTAMP, now()::TIMESTAMP, now()::TIMESTAMP, 0, 0, 10050, NULL)`,
    [name, config, T0, end],
  );
  const trades: string[] = [];
  let id = 0;
  const trade = (ts: number, price: number) => trades.push(`('binance', 'BTCUSDT', make_timestamp(${ts * 1000}::BIGINT), ${price}, 1, 'buy', ${++id}, 0)`);
  for (let k = 0; k < n; k++) {
    const b = T0 + k * BLOCK;
    for (let t = 0; t < 60_000; t += 5000) trade(b + t, 100.3);
    const p = b + 60_000; // the prediction, at 100.3
    trade(p + 10_000, 100.0);
    for (let t = p + 20_000; t < b + BLOCK; t += 5000) trade(t, 100.21);
    const session = k % 2 === 0 ? 'Asia' : 'Europe';
    const venue = k % 3 === 0 ? 'merged' : 'binance';
    await conn.run(`INSERT INTO paper_signals VALUES ($1, $2, $3, 'absorption', 'long', 100, $4, $5, true, NULL, 99.9, 100.1, 'long', 'realized', 1, 2, 3, 0.5, false, '{"ratio":3}')`, [name, k + 1, p, venue, session]);
    await conn.run(`INSERT INTO paper_predictions VALUES ($1, $2, ${H}, $3, 'absorption', 'long', 100, $4, $5, 100.3, true, true, true, false, -8.97, 0, -29.96, false)`, [name, k + 1, p, venue, session]);
  }
  await conn.run(`INSERT INTO trades (venue, symbol, ts, price, qty, side, trade_id, import_id) VALUES ${trades.join(', ')}`);
  // Two round trips: +150 (gross 160, fees 5, funding 5) and -100 (gross -90, fees 6, funding 4); equity 10000 -> 10100 -> 9900 -> 10050.
  await conn.run(`INSERT INTO paper_positions VALUES ($1, 1, 'long', 1, $2, 100, 99, 102, 0, 1, 1, 'absorption', 'Asia', $3, 101.6, 'target', false, 160, 5, 5, 150, 100),
                                                  ($1, 2, 'long', 1, $4, 100, 99, 102, 0, 1, 2, 'absorption', 'Europe', $5, 99.1, 'stop', false, -90, 6, 4, -100, 100)`, [name, T0 + 60_000, T0 + 120_000, T0 + BLOCK + 60_000, T0 + BLOCK + 120_000]);
  await conn.run(`INSERT INTO paper_equity VALUES ($1, $2, 10000), ($1, $3, 10100), ($1, $4, 9900), ($1, $5, 10050)`, [name, T0, T0 + 120_000, T0 + BLOCK + 120_000, T0 + 2 * BLOCK]);
  await conn.run(`INSERT INTO paper_funding VALUES ($1, $2, 0.0001, 'long', 1, 5), ($1, $3, 0.0001, 'long', 1, 4)`, [name, T0 + 90_000, T0 + BLOCK + 90_000]);
  await conn.run(`INSERT INTO paper_orders VALUES ($1, 1, $2, $2, 'binance', 'BTCUSDT', 'buy', 'market', 1, NULL, 'entry', 'filled', $2, 100, 0.05, 1.5, NULL)`, [name, T0 + 60_000]);
  await conn.run(`INSERT INTO paper_fills VALUES ($1, 'order:1', 1, NULL, $2, 'buy', 1, 100, 0.05, 'entry', false)`, [name, T0 + 60_000]);
  conn.closeSync();
  store.close();
}

async function withStore<T>(home: string, body: (s: Store) => Promise<T>): Promise<T> {
  const s = await Store.open(home, { readOnly: true });
  try {
    return await body(s);
  } finally {
    s.close();
  }
}

describe('journal report', () => {
  it('counts accuracy by type, venue and market session with Wilson intervals; P&L, drawdown, fees and funding as the backtest computes them', async () => {
    const home = tempDir('orderflow-journal-report-');
    await buildJournal(home, 'edge', 30);
    const r = await withStore(home, (s) => journalReport(s, { nullSeeds: 10 }));
    assert.equal(r.sessions.length, 1);
    const s = r.sessions[0];
    assert.deepEqual(s.counts, { signals: 30, predictions: 30, orders: 1, fills: 1, trades: 2 });
    const all = s.accuracy.find((x) => x.group === 'all')!;
    assert.equal(all.n, 30);
    assert.equal(all.hits, 0);
    assert.equal(all.rejected, 30);
    const asia = s.accuracy.find((x) => x.group === 'session' && x.key === 'Asia')!;
    assert.equal(asia.n, 15);
    const merged = s.accuracy.find((x) => x.group === 'venue' && x.key === 'merged')!;
    assert.equal(merged.n, 10);
    assert.deepEqual(merged.ci, { lower: 0, upper: wilsonInterval(0, 10).upper });
    const m = s.metrics;
    assert.equal(m.netPnl, 50);
    assert.equal(m.feesPaid, 11);
    assert.equal(m.fundingPaid, 9);
    assert.equal(m.wins, 1);
    assert.ok(Math.abs(m.maxDrawdown.quote - 200) < 1e-9, String(m.maxDrawdown.quote));
    assert.ok(Math.abs(m.maxDrawdown.fraction - 200 / 10_100) < 1e-9, String(m.maxDrawdown.fraction));
    assert.equal(s.fundingPayments, 9);
  });

  it('says "better than chance" when the levels held far more often than random levels, and "not distinguishable" after 2', async () => {
    const home = tempDir('orderflow-journal-report-');
    await buildJournal(home, 'edge', 30);
    await buildJournal(home, 'few', 2);
    const r = await withStore(home, (s) => journalReport(s, { nullSeeds: 20 }));
    const edge = r.sessions.find((x) => x.session === 'edge')!;
    const held = edge.nullModel.comparisons.find((c) => c.measure === 'held' && c.type === 'absorption')!;
    assert.equal(held.n, 30);
    assert.equal(held.hits, 30);
    assert.ok(held.nullHitRate !== null && held.nullHitRate < 0.5, `random levels held ${held.nullHitRate}`);
    assert.ok(held.nullN > 0);
    assert.equal(held.outcome, 'better');
    assert.match(held.verdict, /^after 30 touched levels, absorption levels held 100% \(CI 89-100%\) at 1m against \d+% for random levels \(CI \d+-\d+%\): better than chance$/);
    assert.ok(edge.verdicts.includes(held.verdict));
    const few = r.sessions.find((x) => x.session === 'few')!;
    const fewHeld = few.nullModel.comparisons.find((c) => c.measure === 'held' && c.type === 'absorption')!;
    assert.equal(fewHeld.n, 2);
    assert.equal(fewHeld.outcome, 'indistinct');
    assert.match(fewHeld.verdict, /^after 2 touched levels, absorption levels held 100% \(CI 34-100%\) at 1m against \d+% for random levels .*: not distinguishable from chance yet$/);
  });

  it('a verdict follows the intervals: worse, indistinct and no data', () => {
    const nullRuns = Array.from({ length: 20 }, (_, k) => ({ n: 100, hits: 48 + (k % 5) }));
    assert.equal(compareAccuracy('direction', 'divergence', 900_000, { n: 200, hits: 40 }, nullRuns).outcome, 'worse');
    const close = compareAccuracy('direction', 'divergence', 900_000, { n: 37, hits: 23 }, nullRuns);
    assert.equal(close.outcome, 'indistinct');
    assert.match(close.verdict, /^after 37 predictions, divergence directions were right 62% \(CI 46-76%\) at 15m against 50% at random times \(CI 48-52%\): not distinguishable from chance yet$/);
    const worse = compareAccuracy('direction', 'divergence', 900_000, { n: 200, hits: 40 }, nullRuns);
    assert.equal(worse.outcome, 'worse');
    assert.match(worse.verdict, /^after 200 predictions, divergence directions were right 20% \(CI 15-26%\) at 15m against 50% at random times \(CI 48-52%\): worse than chance$/);
    const none = compareAccuracy('held', 'absorption', 60_000, { n: 0, hits: 0 }, nullRuns);
    assert.equal(none.outcome, 'no-data');
    assert.match(none.verdict, /nothing to judge/);
  });

  it('a verdict claims a difference exactly when the interval clears the null band, and says so in words', () => {
    const count = fc.integer({ min: 0, max: 400 }).chain((n) => fc.record({ n: fc.constant(n), hits: fc.integer({ min: 0, max: n }) }));
    fc.assert(
      fc.property(fc.constantFrom('held' as const, 'direction' as const), count, fc.array(count, { maxLength: 30 }), (measure, real, runs) => {
        const c = compareAccuracy(measure, 'absorption', 900_000, real, runs);
        const band = c.nullCi;
        if (real.n === 0) return assert.equal(c.outcome, 'no-data');
        assert.equal(c.outcome === 'better', band !== null && c.ci!.lower > band.upper);
        assert.equal(c.outcome === 'worse', band !== null && c.ci!.upper < band.lower);
        const phrase = { better: 'better than chance', worse: 'worse than chance', indistinct: 'not distinguishable from chance yet' }[c.outcome as 'better'];
        assert.ok(c.verdict.endsWith(`: ${phrase}`), c.verdict);
        assert.ok(c.verdict.includes(` ${Math.round((100 * real.hits) / real.n)}% (CI `), c.verdict);
      }),
    );
  });

  it('--since keeps the last part of each session (up to its last commit)', async () => {
    const home = tempDir('orderflow-journal-report-');
    await buildJournal(home, 'edge', 30);
    const r = await withStore(home, (s) => journalReport(s, { sinceMs: 3_600_000, nullSeeds: 2 }));
    const s = r.sessions[0];
    // 30 blocks of 10 minutes, the last commit at their end: the last hour holds blocks 24..29.
    assert.equal(s.counts.predictions, 6);
    assert.equal(s.counts.trades, 0);
    // The window starts from the last equity sample before it (10050), not the session's initial 10000.
    assert.equal(s.metrics.initialEquity, 10_050);
    assert.equal(s.fromMs, T0 + 30 * BLOCK - 3_600_000);
    assert.equal(s.accuracy.find((x) => x.group === 'all')!.n, 6);
  });

  it('an unknown session is an error naming the sessions there are', async () => {
    const home = tempDir('orderflow-journal-report-');
    await buildJournal(home, 'edge', 3);
    await assert.rejects(withStore(home, (s) => journalReport(s, { session: 'nope' })), /no paper session "nope" in this store; sessions: edge/);
  });
});

describe('journal report and export commands', () => {
  it('report --json is one document with the sessions; --html writes a self-contained page; export writes the run folder columns', async () => {
    const home = tempDir('orderflow-journal-report-');
    await buildJournal(home, 'edge', 12);
    const html = join(home, 'report.html');
    const rep = await runProcess(BIN, ['journal', 'report', '--session', 'edge', '--json', '--html', html, '--null-seeds', '5', '--home', home]);
    assert.equal(rep.code, 0, rep.stderr);
    const doc = JSON.parse(rep.stdout) as { since: null; sessions: { session: string; accuracy: unknown[]; nullModel: { seeds: number; comparisons: { measure: string }[] }; verdicts: string[]; metrics: { netPnl: number } }[] };
    assert.equal(doc.since, null);
    assert.equal(doc.sessions[0].session, 'edge');
    assert.equal(doc.sessions[0].nullModel.seeds, 5);
    assert.deepEqual([...new Set(doc.sessions[0].nullModel.comparisons.map((c) => c.measure))], ['held', 'direction']);
    assert.equal(doc.sessions[0].metrics.netPnl, 50);
    assert.ok(doc.sessions[0].verdicts.length >= 2);
    const page = readFileSync(html, 'utf8');
    assert.match(page, /^<!DOCTYPE html>/);
    assert.match(page, /Content-Security-Policy/);
    assert.ok(page.includes(doc.sessions[0].verdicts[0].replace(/&/g, '&amp;')));
    assert.doesNotMatch(page, /<script|https?:\/\/(?!www\.w3)/);
    const text = await runProcess(BIN, ['journal', 'report', '--since', '1h', '--null-seeds', '0', '--home', home]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /edge BTC binance/);
    assert.match(text.stdout, /P&L 0\.00/);
    const bad = await runProcess(BIN, ['journal', 'report', '--since', '2w', '--home', home]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--since/);

    const out = join(home, 'export');
    const ex = await runProcess(BIN, ['journal', 'export', '--session', 'edge', '--out', out, '--home', home]);
    assert.equal(ex.code, 0, ex.stderr);
    const header = (f: string) => readFileSync(join(out, `${f}.csv`), 'utf8').split('\n')[0].split(',');
    assert.deepEqual(header('trades'), TRADE_COLUMNS);
    assert.deepEqual(header('orders'), ORDER_COLUMNS);
    assert.deepEqual(header('equity'), EQUITY_COLUMNS);
    assert.deepEqual(header('predictions'), PREDICTION_COLUMNS);
    assert.deepEqual(header('signals'), [...SIGNAL_COLUMNS, ...PAPER_SIGNAL_EXTRA_COLUMNS]);
    assert.deepEqual(header('fills'), FILL_COLUMNS);
    assert.deepEqual(header('funding'), FUNDING_COLUMNS);
    const mem = await Store.openMemory();
    try {
      for (const f of ['trades', 'orders', 'equity', 'signals', 'predictions', 'fills', 'funding']) {
        assert.ok(existsSync(join(out, `${f}.parquet`)), f);
        const cols = (await mem.rows<{ column_name: string }>(`DESCRIBE SELECT * FROM read_parquet('${join(out, `${f}.parquet`)}')`)).map((c) => c.column_name);
        assert.deepEqual(cols, header(f), f);
      }
      const [t] = await mem.rows<{ n: bigint; pnl: number }>(`SELECT count(*) AS n, sum(pnl) AS pnl FROM read_parquet('${join(out, 'trades.parquet')}')`);
      assert.equal(Number(t.n), 2);
      assert.equal(Number(t.pnl), 50);
      const [p] = await mem.rows<{ n: bigint; session: string }>(`SELECT count(*) AS n, min(session) AS session FROM read_csv('${join(out, 'predictions.csv')}')`);
      assert.equal(Number(p.n), 12);
      assert.equal(p.session, 'Asia');
    } finally {
      mem.close();
    }
    await withStore(home, async (s) => assert.rejects(exportSession(s, 'nope', join(home, 'x')), /no paper session "nope"/));
  });
});
