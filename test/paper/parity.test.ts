/**
 * A paper session against the simulator's loopback exchanges (a story where the seed strategy
 * trades a round trip), then `backtest --session` on the same store: the same signals, orders,
 * fills and predictions. While the session runs, a reader on its own connection checks the journal
 * is consistent at every read (each commit is one transaction).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Backtest } from '../../src/engine/backtest.ts';
import { parseConfig } from '../../src/engine/config.ts';
import type { RunResult } from '../../src/engine/run-types.ts';
import { PaperRun } from '../../src/paper/paper-run.ts';
import { exportSession } from '../../src/paper/report/export.ts';
import { journalReport } from '../../src/paper/report/report.ts';
import { sessionBacktest } from '../../src/paper/session-backtest.ts';
import { Store } from '../../src/store/store.ts';
import { BIN } from '../helpers/paths.ts';
import { runProcess } from '../helpers/process.ts';
import { tempDir } from '../helpers/store.ts';
import { waitFor } from '../helpers/wait.ts';
import { serveStory, useServers } from './serve-story.ts';
import { H, M, STORY_CONFIG, storyEvents, storyStart } from './story.ts';

type Row = Record<string, unknown>;

describe('paper session -> backtest --session', () => {
  const home = tempDir('orderflow-paper-');
  const t0 = storyStart();
  const events = storyEvents({ t0, spanMs: H + 30 * M });
  const lastTs = events[events.length - 1].ts;
  let store: Store;
  let bt: RunResult;
  const integrity: { reads: number; problems: string[] } = { reads: 0, problems: [] };
  let late = -1;
  let latency = { n: 0, p50: NaN, p99: NaN };

  before(async () => {
    const story = await serveStory(events, t0);
    const restore = useServers(story.serving);
    store = await Store.open(home);
    const run = await PaperRun.start({ store, name: 'parity', symbol: 'BTC', venues: ['binance', 'okx', 'bybit'], config: parseConfig(STORY_CONFIG), quietMs: 1000, settleMs: 300, log: () => {} });
    const reader = await store.connect();
    let reading = true;
    // Reads while the journal is written: every read is one snapshot (BEGIN ... COMMIT).
    const readerLoop = (async () => {
      while (reading) {
        await reader.run('BEGIN TRANSACTION');
        try {
          const one = async (sql: string) => (await reader.runAndReadAll(sql)).getRowObjectsJS() as Row[];
          const exists = await one("SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'paper_sessions'");
          if (Number(exists[0].n) > 0) {
            const orphanFills = await one("SELECT f.key FROM paper_fills f LEFT JOIN paper_orders o ON o.session = f.session AND o.id = f.order_id WHERE f.order_id IS NOT NULL AND (o.id IS NULL OR o.status <> 'filled')");
            const orphanPredictions = await one('SELECT p.id FROM paper_predictions p LEFT JOIN paper_signals s ON s.session = p.session AND s.id = p.id WHERE s.id IS NULL');
            const partial = await one('SELECT id, count(*) AS n FROM paper_predictions GROUP BY id HAVING count(*) <> 4');
            const ahead = await one('SELECT s.name FROM paper_sessions s WHERE (SELECT max(ts) FROM paper_signals g WHERE g.session = s.name) > s.kernel_ts');
            const openClosed = await one('SELECT trade_id FROM paper_positions WHERE exit_ts IS NOT NULL AND pnl IS NULL');
            for (const [what, rows] of [['fills without their filled order', orphanFills], ['predictions without their signal', orphanPredictions], ['predictions without all 4 horizons', partial], ['signals after the session time', ahead], ['closed positions without P&L', openClosed]] as const) {
              if (rows.length > 0) integrity.problems.push(`${what}: ${JSON.stringify(rows, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))}`);
            }
            integrity.reads++;
          }
        } finally {
          await reader.run('COMMIT');
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    try {
      await story.play();
      // Every event published went through the kernel (then the wall clock moves it on).
      await waitFor(() => (run.status().progress?.now ?? -Infinity) > lastTs, 'the session past the last event', 20_000, 50);
    } finally {
      reading = false;
      await readerLoop;
      reader.closeSync();
      late = run.status().lateEvents;
      latency = run.latency.summary();
      await run.stop();
      await story.serving.close();
      restore();
    }
    const s = await sessionBacktest(store, 'parity');
    bt = await new Backtest({ store, config: s.config, pairs: s.pairs, instruments: () => s.instrument, symbol: s.symbol, fromMs: s.fromMs, toMs: s.toMs }).run();
  });

  after(() => store?.close());

  const rows = (sql: string) => store.rows<Row>(sql);

  it('the session trades the story and no event reached the store too late for its kernel', async () => {
    assert.equal(late, 0, 'events stored after the watermark passed them (parity does not hold for those)');
    const orders = await rows("SELECT reason, status FROM paper_orders WHERE session = 'parity' ORDER BY id");
    assert.deepEqual(orders.map((o) => [o.reason, o.status]), [['entry', 'filled'], ['target', 'filled']]);
    const [sess] = await rows("SELECT status, start_ts, processed_ts FROM paper_sessions WHERE name = 'parity'");
    assert.equal(sess.status, 'stopped');
    assert.ok((sess.processed_ts as number) > lastTs);
  });

  it('gives the backtest\'s signals, orders, fills and predictions', async () => {
    const signals = await rows("SELECT id, ts, type, direction, level, venue, market_session, acted, veto_reason, evidence FROM paper_signals WHERE session = 'parity' ORDER BY id");
    assert.ok(signals.length > 0);
    assert.deepEqual(signals, bt.signals.map((s) => ({ id: s.id, ts: s.ts, type: s.type, direction: s.direction, level: s.level, venue: s.venue, market_session: s.session, acted: s.acted, veto_reason: s.vetoReason, evidence: JSON.stringify(s.evidence) })));
    const orders = await rows("SELECT id, ts, arrival_ts, side, type, qty, price, reason, status, fill_ts, fill_price, fee, slippage_bps FROM paper_orders WHERE session = 'parity' ORDER BY id");
    assert.deepEqual(orders, bt.orders.map((o) => ({ id: o.id, ts: o.ts, arrival_ts: o.arrivalTs, side: o.side, type: o.type, qty: o.qty, price: o.price, reason: o.reason, status: o.status, fill_ts: o.fillTs, fill_price: o.fillPrice, fee: o.fee, slippage_bps: o.slippageBps })));
    const trades = await rows("SELECT trade_id, entry_ts, entry_price, exit_ts, exit_price, exit_reason, pnl, fees, funding FROM paper_positions WHERE session = 'parity' ORDER BY trade_id");
    assert.deepEqual(trades, bt.trades.map((t) => ({ trade_id: t.id, entry_ts: t.entryTs, entry_price: t.entryPrice, exit_ts: t.exitTs, exit_price: t.exitPrice, exit_reason: t.exitReason, pnl: t.pnl, fees: t.fees, funding: t.funding })));
    const fills = await rows("SELECT order_id, ts, price, fee FROM paper_fills WHERE session = 'parity' ORDER BY ts");
    assert.deepEqual(fills, bt.orders.filter((o) => o.status === 'filled').map((o) => ({ order_id: o.id, ts: o.fillTs, price: o.fillPrice, fee: o.fee })));
    // Predictions: every horizon the session saw resolved has the backtest's outcome.
    const preds = await rows("SELECT id, horizon_ms, ref_price, touched, rejected, broke_through, return_bps, mfe_bps, mae_bps, hit FROM paper_predictions WHERE session = 'parity' AND resolved ORDER BY id, horizon_ms");
    const want = bt.journal.predictions.flatMap((p) => p.outcomes.filter((o) => o.resolved).map((o) => ({ id: p.id, horizon_ms: o.horizonMs, ref_price: p.refPrice, touched: o.touched, rejected: o.rejected, broke_through: o.brokeThrough, return_bps: o.returnBps, mfe_bps: o.mfeBps, mae_bps: o.maeBps, hit: o.hit })));
    assert.ok(preds.length > 0, 'some horizon resolved');
    assert.deepEqual(preds, want.filter((w) => preds.some((p) => p.id === w.id && p.horizon_ms === w.horizon_ms)));
    // A horizon is resolved by the first trade at or after its end; the backtest also resolves, at
    // the end of the data, those ending after the last trade (docs/PAPER.md, "Parity").
    const lastTrade = events.filter((e) => e.type === 'trade').at(-1)!.ts;
    assert.equal(preds.length, want.filter((w) => bt.journal.predictions.find((p) => p.id === w.id)!.ts + w.horizon_ms <= lastTrade).length);
  });

  it('measures event receipt -> strategy decision for the signals it made live', (t) => {
    t.diagnostic(`decision latency ${JSON.stringify(latency)}`);
    assert.ok(latency.n > 0, 'some signal came from events received live');
    // The store path: a step (250 ms) behind the receipt, plus the hold for the other streams and the read; the story comes at full speed, so here the catch-up too (docs/PAPER.md, "Decision latency").
    assert.ok(latency.p50 >= 0 && latency.p99 >= latency.p50 && Number.isFinite(latency.p99), JSON.stringify(latency));
  });

  it('journal reads during the session saw consistent rows every time', () => {
    assert.ok(integrity.reads >= 5, `only ${integrity.reads} reads during the session`);
    assert.deepEqual(integrity.problems, []);
  });

  it('orderflow backtest --session writes the same orders to its run folder, and journal list shows the session', async () => {
    store.close();
    const out = join(home, 'parity-run');
    const r = await runProcess(BIN, ['backtest', '--session', 'parity', '--home', home, '--out', out]);
    assert.equal(r.code, 0, r.stderr);
    const csv = readFileSync(join(out, 'orders.csv'), 'utf8').trim().split('\n');
    assert.equal(csv.length - 1, bt.orders.length);
    const clash = await runProcess(BIN, ['backtest', '--session', 'parity', '--symbol', 'BTC', '--home', home]);
    assert.equal(clash.code, 2);
    assert.match(clash.stderr, /drop --symbol/);
    const list = await runProcess(BIN, ['journal', 'list', '--json', '--home', home]);
    assert.equal(list.code, 0, list.stderr);
    const [s] = JSON.parse(list.stdout) as { name: string; status: string; trades: number; realizedPnl: number; position: unknown }[];
    assert.equal(s.name, 'parity');
    assert.equal(s.status, 'stopped');
    assert.equal(s.trades, bt.trades.length);
    assert.ok(Math.abs(s.realizedPnl - bt.trades.reduce((a, t) => a + t.pnl, 0)) < 1e-9);
    assert.equal(s.position, null);
    store = await Store.open(home, { readOnly: true });
  });

  it('journal export writes the run folder\'s orders and trades as backtest --session wrote them; journal report counts the session', async () => {
    const out = join(home, 'parity-export');
    await exportSession(store, 'parity', out);
    const run = join(home, 'parity-run');
    for (const f of ['orders.csv', 'trades.csv']) assert.equal(readFileSync(join(out, f), 'utf8'), readFileSync(join(run, f), 'utf8'), f);
    for (const f of ['signals.csv', 'predictions.csv', 'equity.csv']) assert.ok(readFileSync(join(out, f), 'utf8').startsWith(readFileSync(join(run, f), 'utf8').split('\n')[0]), f);
    const r = await journalReport(store, { session: 'parity', nullSeeds: 3 });
    const [s] = r.sessions;
    assert.equal(s.counts.trades, bt.trades.length);
    assert.equal(s.counts.signals, bt.signals.length);
    assert.ok(Math.abs(s.metrics.netPnl - bt.trades.reduce((a, t) => a + t.pnl, 0)) < 1e-9);
    const resolved = (await rows("SELECT count(*) AS n FROM paper_predictions WHERE session = 'parity' AND resolved AND horizon_ms = 300000"))[0].n;
    assert.equal(s.accuracy.find((x) => x.group === 'all' && x.horizonMs === 300_000)!.n, Number(resolved));
    assert.equal(s.nullModel.seeds, 3);
  });
});
