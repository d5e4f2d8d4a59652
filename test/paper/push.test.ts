/**
 * The push path (docs/PAPER.md, "The push path") against the simulator's loopback exchanges: a
 * session stops 20 minutes into the story and resumes while the market goes on. The
 * resumed kernel catches up from the store and hands over to memory while events arrive: the rows
 * it took from both add up to the stored rows of its span (none missed, none twice) and it makes
 * the backtest's signals and orders; and no journal commit ever says a span was processed before
 * the store held its trades.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Engine } from '../../src/engine/engine.ts';
import { Backtest } from '../../src/engine/backtest.ts';
import { parseConfig } from '../../src/engine/config.ts';
import { effectiveWarmup } from '../../src/engine/warmup.ts';
import { PaperRun, type PaperProbe } from '../../src/paper/paper-run.ts';
import { sessionBacktest } from '../../src/paper/session-backtest.ts';
import { StoredFeed } from '../../src/paper/stored-feed.ts';
import { bookReadFrom } from '../../src/store/book-reader.ts';
import { Store } from '../../src/store/store.ts';
import { BIN } from '../helpers/paths.ts';
import { tempDir } from '../helpers/store.ts';
import { waitFor } from '../helpers/wait.ts';
import { serveStory, useServers } from './serve-story.ts';
import { H, M, S, STORY_CONFIG, allSubscribed, publish, storyEvents, storyStart } from './story.ts';

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
    const start = (settleMs: number, probe?: PaperProbe) => PaperRun.start({ store, name: 'push', symbol: 'BTC', venues: ['binance', 'okx', 'bybit'], config: parseConfig(STORY_CONFIG), quietMs: 1000, settleMs, log: (l) => logs.push(l), probe });

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
    // After the handover: the frames whose records moved the watermark past held rows, pushed at
    // once or (within 100 ms of a stream coming back or falling quiet) at the end of the turn, and those whose rows were
    // not in the kernel yet when they should have been.
    const frames = { atOnce: 0, pushedInHandler: 0, atTurnEnd: 0, notYet: [] as string[], releases: 0 };
    let waiting = false;
    let waitingTurn = false;
    let seq = 0;
    const stillWaiting = (where: string) => {
      if (waiting) frames.notYet.push(`frame ${seq}: ${where}`);
      waiting = false;
    };
    run = await start(1000, {
      onEvents: () => {
        stillWaiting('the next frame came first');
        seq++;
      },
      onWatermarkMoved: (atOnce) => {
        if (!atOnce) {
          frames.atTurnEnd++;
          if (!waitingTurn) {
            waitingTurn = true;
            // Queued after the session's own end-of-turn push.
            setImmediate(() => {
              if (waitingTurn) frames.notYet.push(`frame ${seq}: the end of its turn`);
              waitingTurn = false;
            });
          }
          return;
        }
        frames.atOnce++;
        waiting = true;
        // Runs once the socket callback that delivered the frame has returned.
        queueMicrotask(() => stillWaiting('its handler returned'));
      },
      onReleased: () => {
        frames.releases++;
        if (waiting) frames.pushedInHandler++;
        waiting = false;
        waitingTurn = false;
      },
    });
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
    // Late rows (the kernel never sees them; the store has them) are rare here: Binance's open
    // interest is polled over REST every 10 s and answers with the time of the last published
    // value, which the other streams may have passed.
    assert.ok(st.lateEvents <= 3, `${st.lateEvents} late: ${JSON.stringify(st.fed)} ${logs.join(' | ')}`);
    assert.ok(st.fed.heldAtHandover > 0, `events arrived while the store was read (${JSON.stringify(st.fed)}; ${logs.join(' | ')})`);
    assert.ok(st.fed.memory > st.fed.heldAtHandover, 'and after');
    // The rows a frame releases are pushed inside its handler, not at the end of the event loop's
    // turn behind the other frames read with it (docs/PAPER.md, "The push path"), but when a stream
    // came back or fell quiet within 100 ms; the other pushes come from steps (the handover, the wall clock, the stop).
    assert.ok(frames.atOnce >= 20 && frames.atOnce >= frames.releases / 2, JSON.stringify(frames));
    assert.equal(frames.pushedInHandler, frames.atOnce, JSON.stringify(frames));
    assert.deepEqual(frames.notYet, []);

    // What the resumed kernel took, from the store then from memory, is every stored row of its span once.
    const s = await sessionBacktest(store, 'push');
    const [row] = await store.rows<{ processed_ts: number; start_ts: number }>("SELECT processed_ts, start_ts FROM paper_sessions WHERE name = 'push'");
    const warmup = effectiveWarmup(s.config).ms;
    const venues = [...new Set(s.pairs.map((p) => p[0]))];
    // The book as the kernel reads it: from the last snapshot at or before the start (docs/PAPER.md,
    // "The book at the start"), which lies before it when the venue's snapshot came first.
    const bookFromMs = await bookReadFrom(store, s.pairs[0][0], s.pairs[0][1], row.start_ts);
    const counted = new StoredFeed(store, { venues, symbols: [...new Set(s.pairs.map((p) => p[1]))], execVenue: s.pairs[0][0], execSymbol: s.pairs[0][1], needBook: true, bookFromMs }, row.start_ts - warmup);
    const stored = await counted.pushUntil({ onEvent() {} } as unknown as Engine, row.processed_ts);
    assert.equal(st.fed.stored + st.fed.memory + st.lateEvents, stored, `the kernel took ${st.fed.stored} stored + ${st.fed.memory} memory rows (${st.lateEvents} late); the store holds ${stored}`);

    const bt = await new Backtest({ store, config: s.config, pairs: s.pairs, instruments: () => s.instrument, symbol: s.symbol, fromMs: s.fromMs, toMs: s.toMs }).run();
    const signals = await store.rows<Row>("SELECT id, ts, type, direction, level, acted FROM paper_signals WHERE session = 'push' ORDER BY id");
    assert.ok(signals.length > 0);
    assert.deepEqual(signals, bt.signals.map((x) => ({ id: x.id, ts: x.ts, type: x.type, direction: x.direction, level: x.level, acted: x.acted })));
    const orders = await store.rows<Row>("SELECT id, ts, side, qty, reason, status, fill_ts, fill_price FROM paper_orders WHERE session = 'push' ORDER BY id");
    assert.deepEqual(orders, bt.orders.map((o) => ({ id: o.id, ts: o.ts, side: o.side, qty: o.qty, reason: o.reason, status: o.status, fill_ts: o.fillTs, fill_price: o.fillPrice })));
  });

  it('kill -9 with a position the kernel opened from memory: the resume has the same position, and every fill the journal had', async () => {
    const home = tempDir('orderflow-paper-push-crash-');
    const config = join(home, 'strategy.json');
    writeFileSync(config, JSON.stringify(STORY_CONFIG));
    const t0 = storyStart();
    // The long opens at 1:05:16 and stays open (the price stays at the zone).
    const all = storyEvents({ t0, spanMs: H + 20 * M, after: 'flat' });
    const part = (from: number, to: number) => all.filter((e) => e.ts >= t0 + from && e.ts < t0 + to);
    const story = await serveStory(part(0, 10 * M), t0);
    closers.push(() => story.serving.close());
    const env = story.serving.env;
    const paper = (args: string[]) => {
      const proc = spawn(BIN, ['paper', '--session', 'crash', '--home', home, '--quiet-ms', '1000', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
      const c = { proc, stderr: '' };
      proc.stderr!.on('data', (d) => (c.stderr += d));
      proc.stdout!.resume();
      closers.push(() => proc.exitCode === null && proc.kill('SIGKILL'));
      return c;
    };
    const read = async (sql: string) => {
      const s = await Store.open(home, { readOnly: true });
      try {
        return await s.rows<Row>(sql);
      } finally {
        s.close();
      }
    };

    const run1 = paper(['--symbol', 'BTC', '--config', config, '--settle-ms', '300']);
    await story.play();
    // The market goes on without a pause (a pause longer than --quiet-ms moves the clock by the
    // wall: what comes after, stamped before it, is late), a second at a time until the kernel
    // has handed over to memory, then faster, to after the entry.
    let handover = NaN;
    for (let t = 10 * M; t < H + 6 * M + 30 * S; ) {
      const m = /caught up from the store to (\S+);/.exec(run1.stderr);
      if (m) handover = Date.parse(m[1]);
      const step = Number.isNaN(handover) ? S : 30 * S;
      publish(story.serving, part(t, t + step));
      t += step;
      await new Promise((r) => setTimeout(r, Number.isNaN(handover) ? 50 : 10));
    }
    assert.ok(Number.isFinite(handover), 'the kernel handed over to memory before the entry');
    await waitFor(async () => (await read("SELECT 1 FROM paper_fills WHERE session = 'crash'")).length > 0, 'the entry fill journaled', 60_000, 200).catch(async (e) => {
      throw new Error(`${e.message}: ${run1.stderr} ${JSON.stringify(await read("SELECT processed_ts, kernel_ts, late_events, position, start_ts FROM paper_sessions"), (_k, v) => typeof v === "bigint" ? Number(v) : v)} ${JSON.stringify(await read("SELECT count(*), max(ts) FROM trades"), (_k, v) => typeof v === 'bigint' ? Number(v) : v)}`);
    });
    const fills = await read("SELECT key, order_id, ts, side, qty, price, fee, reason FROM paper_fills WHERE session = 'crash' ORDER BY key");
    const exited = once(run1.proc, 'close');
    run1.proc.kill('SIGKILL');
    await exited;
    const [before] = await read("SELECT position FROM paper_sessions WHERE name = 'crash'");
    const pos = (x: Row) => JSON.parse(x.position as string) as { openTs: number; side: string };
    assert.equal(pos(before).side, 'long');
    assert.ok(pos(before).openTs > handover, `the entry (${pos(before).openTs}) came from memory, after the handover at ${handover}`);

    const run2 = paper(['--settle-ms', '3000']);
    await waitFor(() => /paper: resumed:/.test(run2.stderr), 'the resume report', 60_000, 100);
    const [again] = await read("SELECT position FROM paper_sessions WHERE name = 'crash'");
    assert.deepEqual(pos(again), pos(before), 'the same open position after the resume');
    assert.deepEqual(await read("SELECT key, order_id, ts, side, qty, price, fee, reason FROM paper_fills WHERE session = 'crash' ORDER BY key"), fills, 'every fill the journal had before the kill, as it was');
    const stopped = once(run2.proc, 'close');
    run2.proc.kill('SIGTERM');
    assert.equal((await stopped)[0], 0, run2.stderr);
  });
});
