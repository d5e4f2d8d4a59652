/**
 * The push path (docs/PAPER.md, "The push path") against the simulator's loopback exchanges: a
 * session stops 20 minutes into the story and resumes while the market goes on. The
 * resumed kernel catches up from the store and hands over to memory while events arrive: the rows
 * it took from both add up to the stored rows of its span (none missed, none twice) and it makes
 * the backtest's signals and orders; and no journal commit ever says a span was processed before
 * the store held its trades.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Engine } from '../../src/engine/engine.ts';
import { Backtest } from '../../src/engine/backtest.ts';
import { parseConfig } from '../../src/engine/config.ts';
import { effectiveWarmup } from '../../src/engine/warmup.ts';
import { PaperRun } from '../../src/paper/paper-run.ts';
import { sessionBacktest } from '../../src/paper/session-backtest.ts';
import { StoredFeed } from '../../src/paper/stored-feed.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/store.ts';
import { waitFor } from '../helpers/wait.ts';
import { serveStory, useServers } from './serve-story.ts';
import { H, M, STORY_CONFIG, allSubscribed, publish, storyEvents, storyStart } from './story.ts';

type Row = Record<string, unknown>;

describe('paper: the push path', () => {
  const closers: (() => unknown)[] = [];
  after(async () => {
    for (const c of closers.reverse()) await c();
  });

  it('hands over from the store to memory while events arrive: no row missed or taken twice, the backtest\'s decisions, the journal never ahead of the store', async () => {
    const home = tempDir('orderflow-paper-push-');
    const t0 = storyStart();
    const events = storyEvents({ t0, spanMs: H + 30 * M });
    const lastTs = events[events.length - 1].ts;
    const tradeTs = events.filter((e) => e.type === 'trade').map((e) => e.ts);
    const first = events.filter((e) => e.ts < t0 + 20 * M);
    const rest = events.filter((e) => e.ts >= t0 + 20 * M);
    const story = await serveStory(first, t0);
    const serving = story.serving;
    closers.push(() => serving.close());
    closers.push(useServers(serving));
    const store = await Store.open(home);
    closers.push(() => store.close());
    const logs: string[] = [];
    // A resume waits for the venues' back-fill of the downtime (settleMs) before its clock moves, as `orderflow paper` does.
    const start = (settleMs: number) => PaperRun.start({ store, name: 'push', symbol: 'BTC', venues: ['binance', 'okx', 'bybit'], config: parseConfig(STORY_CONFIG), quietMs: 1000, settleMs, log: (l) => logs.push(l) });

    // While the first session runs: every commit's processed span has all its trades in the store.
    const ahead: string[] = [];
    let reads = 0;
    let reading = true;
    const reader = await store.connect();
    const readerLoop = (async () => {
      while (reading) {
        await reader.run('BEGIN TRANSACTION');
        try {
          const one = async (sql: string, v: number[] = []) => (await reader.runAndReadAll(sql, v)).getRowObjectsJS() as Row[];
          if (Number((await one("SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'paper_sessions'"))[0].n) > 0) {
            const [s] = await one("SELECT processed_ts FROM paper_sessions WHERE name = 'push'");
            if (s) {
              const processed = s.processed_ts as number;
              const [stored] = await one('SELECT count(*) AS n FROM trades WHERE epoch_us(ts)::DOUBLE / 1000 < $1', [processed]);
              const sent = tradeTs.filter((t) => t < processed).length;
              if (Number(stored.n) < sent) ahead.push(`processed to ${processed}: ${stored.n} trades stored of ${sent}`);
              reads++;
            }
          }
        } finally {
          await reader.run('COMMIT');
        }
        await new Promise((r) => setTimeout(r, 20));
      }
    })();

    let run = await start(300);
    try {
      await story.play();
      await waitFor(() => (run.status().progress?.now ?? -Infinity) > t0 + 19 * M, 'the first session through the first 20 minutes', 60_000, 20);
    } finally {
      reading = false;
      await readerLoop;
      reader.closeSync();
      await run.stop();
    }
    assert.ok(reads >= 3, `only ${reads} journal reads`);
    assert.deepEqual(ahead, [], 'a journal commit said a span was processed before the store held its trades');

    // The market goes on, a second at a time, until the resumed kernel has caught up from the store
    // and taken over from memory (so events arrive while it reads the store), then faster.
    run = await start(1000);
    let st: ReturnType<PaperRun['status']>;
    try {
      await waitFor(() => allSubscribed(serving), 'every stream subscribed again', 20_000, 20);
      for (let i = 0; i < rest.length; ) {
        const handed = Number.isFinite(run.status().fed.handoverTs);
        const to = rest[i].ts + (handed ? 30_000 : 1000);
        let j = i;
        while (j < rest.length && rest[j].ts < to) j++;
        publish(serving, rest.slice(i, j));
        i = j;
        await new Promise((r) => setTimeout(r, handed ? 10 : 50));
      }
      await waitFor(() => (run.status().progress?.now ?? -Infinity) > lastTs, 'the resumed session past the last event', 60_000, 50);
    } finally {
      st = run.status();
      await run.stop();
    }
    assert.equal(st.lateEvents, 0, `${JSON.stringify(st.fed)} ${logs.join(' | ')}`);
    assert.ok(st.fed.heldAtHandover > 0, `events arrived while the store was read (${JSON.stringify(st.fed)}; ${logs.join(' | ')})`);
    assert.ok(st.fed.memory > st.fed.heldAtHandover, 'and after');

    // What the resumed kernel took, from the store then from memory, is every stored row of its span once.
    const s = await sessionBacktest(store, 'push');
    const [row] = await store.rows<{ processed_ts: number; start_ts: number }>("SELECT processed_ts, start_ts FROM paper_sessions WHERE name = 'push'");
    const warmup = effectiveWarmup(s.config).ms;
    const venues = [...new Set(s.pairs.map((p) => p[0]))];
    const counted = new StoredFeed(store, { venues, symbols: [...new Set(s.pairs.map((p) => p[1]))], execVenue: s.pairs[0][0], execSymbol: s.pairs[0][1], needBook: true, bookFromMs: row.start_ts }, row.start_ts - warmup);
    const stored = await counted.pushUntil({ onEvent() {} } as unknown as Engine, row.processed_ts);
    assert.equal(st.fed.stored + st.fed.memory, stored, `the kernel took ${st.fed.stored} stored + ${st.fed.memory} memory rows; the store holds ${stored}`);

    const bt = await new Backtest({ store, config: s.config, pairs: s.pairs, instruments: () => s.instrument, symbol: s.symbol, fromMs: s.fromMs, toMs: s.toMs }).run();
    const signals = await store.rows<Row>("SELECT id, ts, type, direction, level, acted FROM paper_signals WHERE session = 'push' ORDER BY id");
    assert.ok(signals.length > 0);
    assert.deepEqual(signals, bt.signals.map((x) => ({ id: x.id, ts: x.ts, type: x.type, direction: x.direction, level: x.level, acted: x.acted })));
    const orders = await store.rows<Row>("SELECT id, ts, side, qty, reason, status, fill_ts, fill_price FROM paper_orders WHERE session = 'push' ORDER BY id");
    assert.deepEqual(orders, bt.orders.map((o) => ({ id: o.id, ts: o.ts, side: o.side, qty: o.qty, reason: o.reason, status: o.status, fill_ts: o.fillTs, fill_price: o.fillPrice })));
  });
});
