/**
 * The push path's shadow check (docs/PAPER.md, "The push path"): each step, the stored rows of the
 * span memory released are counted and hashed against what memory pushed. A session on the
 * simulator's loopback exchanges checks span after span without a mismatch; then a trade is
 * planted in the store ahead of the kernel (a row memory never had: as if memory had dropped it),
 * and the step whose span covers it stops the session, saying so. And the book: the levels the
 * recorder stored pass against what memory pushed, and a stored level that differs in any field
 * (quantity, snapshot flag, sequence) or an extra one fails.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { BookEvent } from '../../src/core/events.ts';
import { parseConfig } from '../../src/engine/config.ts';
import type { Engine } from '../../src/engine/engine.ts';
import { mismatchMessage, PaperRun } from '../../src/paper/paper-run.ts';
import { PushFeed } from '../../src/paper/push-feed.ts';
import { shadowCheck } from '../../src/paper/shadow-check.ts';
import type { FeedMarket } from '../../src/paper/stored-feed.ts';
import { Recorder } from '../../src/store/recorder.ts';
import { statusLine } from '../../src/paper/status-line.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/store.ts';
import { waitFor } from '../helpers/wait.ts';
import { serveStory, useServers } from './serve-story.ts';
import { M, STORY_CONFIG, SYMBOLS, storyEvents, storyStart } from './story.ts';

describe('paper: the push path\'s shadow check', () => {
  const closers: (() => unknown)[] = [];
  after(async () => {
    for (const c of closers.reverse()) await c();
  });

  it('a mismatch names the recorder\'s store_backpressure drops when the store holds fewer rows, and only then', () => {
    const span = { from: Date.UTC(2026, 0, 1), to: Date.UTC(2026, 0, 1, 0, 1), n: 900, h: 7 };
    const cause = /the recorder has dropped 350 events the store could not keep up with: store_backpressure gaps/;
    const short = mismatchMessage(span, { n: 550, h: 9 }, 350);
    assert.match(short, /failed for 2026-01-01T00:00:00\.000Z to 2026-01-01T00:01:00\.000Z: memory pushed 900 rows \(hash 7\), the store holds 550 \(hash 9\)/);
    assert.match(short, cause);
    // No drops, or a store holding more (a row memory never had): not that cause.
    assert.doesNotMatch(mismatchMessage(span, { n: 550, h: 9 }, 0), /dropped/);
    assert.doesNotMatch(mismatchMessage(span, { n: 901, h: 9 }, 350), /dropped/);
    assert.doesNotMatch(mismatchMessage(span, { n: 900, h: 9 }, 350), /dropped/);
  });

  it('checks every step\'s span against the store, and stops the session on a row the store has and memory did not push', async () => {
    const home = tempDir('orderflow-paper-shadow-');
    const t0 = storyStart();
    const events = storyEvents({ t0, spanMs: 60 * M });
    // An hour of the story in ~18 s: steps (250 ms) check spans of ~50 s of exchange time.
    const story = await serveStory(events, t0, 200);
    closers.push(() => story.serving.close());
    closers.push(useServers(story.serving));
    const store = await Store.open(home);
    closers.push(() => store.close());
    const logs: string[] = [];
    const run = await PaperRun.start({ store, name: 'shadow', symbol: 'BTC', venues: ['binance', 'okx', 'bybit'], config: parseConfig(STORY_CONFIG), quietMs: 1000, settleMs: 300, log: (l) => logs.push(l) });
    let stopped = false;
    closers.push(() => (stopped ? undefined : run.stop()));
    await waitFor(() => run.status().started, 'the session active', 30_000, 20);
    void story.play();

    // Spans checked and found equal while the story plays.
    await waitFor(() => run.status().shadow.checked >= 3 && (run.status().progress?.now ?? -Infinity) > t0 + 5 * M, 'three spans checked', 60_000, 20);
    assert.equal(run.failed, undefined, logs.join('\n'));
    assert.equal(run.status().shadow.mismatch, undefined);

    // A trade the venue never sent, stored 25 minutes of exchange time (7.5 s of wall time) ahead of the kernel.
    const at = Math.floor(run.status().progress!.now / 1000) * 1000 + 25 * M + 17;
    await store.rows(
      "INSERT INTO trades (venue, symbol, ts, local_ts, price, qty, side, trade_id, trade_uuid, import_id) VALUES ('binance', $1, make_timestamp($2::BIGINT), NULL, 101.5, 0.25, 'buy', 999999999, NULL, 0)",
      [SYMBOLS.binance, BigInt(at * 1000)],
    );
    assert.ok(run.status().progress!.now < at, 'planted ahead of the kernel');
    await waitFor(() => run.failed !== undefined, `the session failed on the planted row (${logs.join('; ')})`, 60_000, 20);
    const s = run.status();
    assert.match(run.failed!.message, /shadow check failed for .* memory pushed (\d+) rows \(hash \d+\), the store holds (\d+) \(hash \d+\); stopping/);
    const [, pushed, held] = /memory pushed (\d+) rows .* the store holds (\d+)/.exec(run.failed!.message)!;
    assert.equal(Number(held), Number(pushed) + 1, 'the store holds the planted row besides what memory pushed');
    // The failing span covers the planted row, and the kernel never went past the span before it.
    const [, from, to] = /failed for (\S+) to (\S+):/.exec(run.failed!.message)!;
    assert.ok(Date.parse(from) <= at && at < Date.parse(to), `${from} <= ${new Date(at).toISOString()} < ${to}`);
    assert.ok(logs.some((l) => /step failed: the push path's shadow check failed/.test(l)), logs.join('\n'));
    assert.match(statusLine(s), /\| SHADOW MISMATCH: the push path's shadow check failed/);
    // Nothing more is journaled past the mismatch: the journal's session time stays before the span's end.
    stopped = true;
    await run.stop();
    const [row] = await store.rows<{ processed_ts: number }>("SELECT processed_ts FROM paper_sessions WHERE name = 'shadow'");
    assert.ok(row.processed_ts <= Date.parse(from), `journaled to ${new Date(row.processed_ts).toISOString()}, the failing span from ${from}`);
  });

  it('checks the stored book levels of the span: the recorder\'s rows pass, a level that differs or one more fails', async () => {
    const home = tempDir('orderflow-paper-shadow-book-');
    const store = await Store.open(home);
    closers.push(() => store.close());
    const market: FeedMarket = { venues: ['binance'], symbols: ['BTCUSDT'], execVenue: 'binance', execSymbol: 'BTCUSDT', needBook: true, bookFromMs: 0 };
    const book = (ts: number, isSnapshot: boolean, seq: number, px: number): BookEvent => ({
      type: 'book', venue: 'binance', symbol: 'BTCUSDT', ts, localTs: NaN, isSnapshot, seq,
      bids: [[px - 0.1, 1.25], [px - 0.2, 0]], asks: [[px + 0.1, 3.5]],
    });
    // A snapshot, diffs with and without a sequence; a µs part in a time (stored as µs).
    const events = [book(1000, true, 7_000_000_123, 100), book(1500.25, false, NaN, 100.1), book(2000, false, 7_000_000_125, 100.2)];
    const rec = await Recorder.open(store, { label: 'shadow book' });
    rec.handlers('binance').onEvents(events, Date.now());
    await rec.close();
    // What memory pushes of the same messages, and its tally.
    const feed = new PushFeed(market);
    feed.handOver(500);
    for (const e of events) assert.equal(feed.add(e), true);
    const seen: number[] = [];
    feed.release({ onEvent: (r: { kind: string; from: number; to: number }) => r.kind === 'book' && seen.push(r.to - r.from) } as unknown as Engine, 3000);
    assert.deepEqual(seen, [3], 'the three messages pushed');
    const span = feed.takeShadow();
    assert.deepEqual([span.from, span.to, span.n], [500, 3000, 9], 'nine level rows');
    const check = () => shadowCheck(store, market, span);
    const ok = await check();
    assert.equal(ok.ok, true, JSON.stringify({ span, stored: ok.stored }));
    assert.deepEqual(ok.stored, { n: span.n, h: span.h });
    // One stored level changed, field by field: the same count, another hash.
    const [{ id }] = await store.rows<{ id: bigint }>("SELECT min(rowid) AS id FROM book WHERE side = 'buy' AND seq IS NOT NULL");
    const where = `WHERE rowid = ${id}`;
    for (const [field, set, undo] of [
      ['qty', 'qty = qty + 0.001', 'qty = qty - 0.001'],
      ['is_snapshot', 'is_snapshot = NOT is_snapshot', 'is_snapshot = NOT is_snapshot'],
      ['seq', 'seq = seq + 1', 'seq = seq - 1'],
      ['side', "side = 'sell'", "side = 'buy'"],
      ['price', 'price = price + 0.1', 'price = price - 0.1'],
    ] as const) {
      await store.run(`UPDATE book SET ${set} ${where}`);
      const r = await check();
      assert.equal(r.ok, false, `a stored level with another ${field}`);
      assert.equal(r.stored.n, span.n);
      assert.notEqual(r.stored.h, span.h, field);
      await store.run(`UPDATE book SET ${undo} ${where}`);
      assert.equal((await check()).ok, true, `${field} restored`);
    }
    // A level the store has and memory did not push.
    await store.run("INSERT INTO book (venue, symbol, ts, local_ts, msg, is_snapshot, side, price, qty, seq, import_id) VALUES ('binance', 'BTCUSDT', make_timestamp(2500000), NULL, -99, false, 'sell', 101, 2, NULL, 0)");
    const extra = await check();
    assert.equal(extra.ok, false);
    assert.equal(extra.stored.n, span.n + 1);
    // A session whose kernel reads no book checks none (from its start: bookFromMs finite, as on a resume).
    const noBook = await shadowCheck(store, { ...market, needBook: false, bookFromMs: 500 }, { ...span, n: 0, h: 0 });
    assert.deepEqual(noBook, { ok: true, stored: { n: 0, h: 0 } });
    // Another market's book or one outside the span is not the kernel's: not counted.
    await store.run("INSERT INTO book (venue, symbol, ts, local_ts, msg, is_snapshot, side, price, qty, seq, import_id) VALUES ('okx', 'BTC-USDT-SWAP', make_timestamp(2000000), NULL, -98, false, 'sell', 101, 2, NULL, 0), ('binance', 'BTCUSDT', make_timestamp(3000000), NULL, -97, false, 'sell', 101, 2, NULL, 0)");
    assert.equal((await check()).stored.n, span.n + 1);
  });
});
