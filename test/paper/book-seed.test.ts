/**
 * The book at a session's start: the store holds a Binance book snapshot from before the session
 * (an earlier recording, or the connect-time snapshot taken while the session settles), and the
 * session's own feed carries only diffs. The paper kernel reads the book from that snapshot, so
 * the story's market entry walks the recorded asks instead of waiting for a trade; and
 * `backtest --session` reads it the same way (the same fill).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BookEvent, MarketEvent } from '../../src/core/events.ts';
import { Backtest } from '../../src/engine/backtest.ts';
import { parseConfig } from '../../src/engine/config.ts';
import { PaperRun } from '../../src/paper/paper-run.ts';
import { sessionBacktest } from '../../src/paper/session-backtest.ts';
import { bookReadFrom } from '../../src/store/book-reader.ts';
import { Recorder } from '../../src/store/recorder.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/store.ts';
import { waitFor } from '../helpers/wait.ts';
import { serveStory, useServers } from './serve-story.ts';
import { H, M, STORY_CONFIG, storyEvents, storyStart } from './story.ts';

const px = (x: number) => Math.round(x * 10) / 10;

/** Ten levels a side around `price`, 50 each (the story's book). */
function levels(ts: number, price: number, isSnapshot: boolean): BookEvent {
  return {
    type: 'book', venue: 'binance', symbol: 'BTCUSDT', ts, localTs: ts, isSnapshot, seq: NaN,
    bids: Array.from({ length: 10 }, (_, k) => [px(price - 0.1 * (k + 1)), 50] as [number, number]),
    asks: Array.from({ length: 10 }, (_, k) => [px(price + 0.1 * (k + 1)), 50] as [number, number]),
  };
}

/** Average price of `qty` bought from asks `from`, `from + 0.1`, ... of 50 each. */
function walk(qty: number, from: number): number {
  let left = qty;
  let cost = 0;
  for (let k = 0; left > 1e-12; k++) {
    const take = Math.min(left, 50);
    cost += take * px(from + 0.1 * k);
    left -= take;
  }
  return cost / qty;
}

describe('paper: the book at the session start', () => {
  it('reads the book from the last stored snapshot before the start, in the session and in its backtest', async (t) => {
    const home = tempDir('orderflow-paper-book-');
    const t0 = storyStart();
    const store = await Store.open(home);
    // A recording before the session: the book at 101, a snapshot a minute before the story
    // (the client's own connect-time snapshot comes later, still before the start).
    const before = await Recorder.open(store, { label: 'earlier record binance BTCUSDT' });
    before.handlers('binance').onEvents([levels(t0 - M, 101, true)], t0 - M);
    await before.close();
    // The session's feed: the story with its book as diffs only (no snapshot after the start).
    const events: MarketEvent[] = storyEvents({ t0, spanMs: H + 30 * M }).map((e) => (e.type === 'book' ? { ...e, isSnapshot: false } : e));
    // Paced (600x: the 90 minutes in ~9 s): the session's 2 s settle then ends ~20 minutes into
    // the story, well before the absorption at 1h05 (at full speed the feed could run past it first).
    const story = await serveStory(events, t0, 600);
    const restore = useServers(story.serving);
    const config = parseConfig(STORY_CONFIG);
    let startTs = NaN;
    try {
      const run = await PaperRun.start({ store, name: 'book', symbol: 'BTC', venues: ['binance', 'okx', 'bybit'], config, quietMs: 1000, settleMs: 2000, log: () => {} });
      try {
        await story.play();
        await waitFor(() => (run.status().progress?.now ?? -Infinity) > events.at(-1)!.ts, 'the session past the last event', 60_000, 50);
      } finally {
        await run.stop();
      }
      [{ start_ts: startTs }] = await store.rows<{ start_ts: number }>("SELECT start_ts FROM paper_sessions WHERE name = 'book'");
      // The last snapshot at or before the start: ours, or the one the client took at connect (the
      // loopback server's book then), stored while the session settled. The settle (2 s) lets the
      // feed start first, so the session starts after it (the case that needs the fix: from the
      // start alone, the kernel gets diffs only). On a machine loaded enough that the first step
      // comes before the feed, the session starts on the connect snapshot itself: nothing to fix
      // then, and the fill below holds either way.
      const from = await bookReadFrom(store, 'binance', 'BTCUSDT', startTs);
      assert.ok(Number.isFinite(from) && from <= startTs, `book read from ${from}, the session starts at ${startTs}`);
      t.diagnostic(from < startTs ? `the book's last snapshot is ${startTs - from} ms before the session start` : 'the session started on the connect snapshot');
      const [after] = await store.rows<{ n: bigint }>(`SELECT count(*) AS n FROM book WHERE is_snapshot AND ts >= make_timestamp(${Math.round(startTs * 1000)}::BIGINT)`);
      assert.equal(Number(after.n), 0, 'no snapshot after the start: without the one before it the book never becomes usable');
      const [entry] = await store.rows<{ qty: number; fill_price: number; status: string; fill_ts: number; ts: number }>("SELECT qty, fill_price, status, fill_ts, ts FROM paper_orders WHERE session = 'book' AND reason = 'entry' ORDER BY id LIMIT 1");
      assert.equal(entry.status, 'filled');
      // The heavy selling at 100: the diffs put asks at 100.1, 100.2, ... (50 each) over the
      // snapshot's (101.1 and up). A walk of the book, not the next buy trade at 100 plus slippage.
      assert.ok(Math.abs(entry.fill_price - walk(entry.qty, 100.1)) < 1e-9, `entry filled at ${entry.fill_price}, the book walk gives ${walk(entry.qty, 100.1)}`);
      assert.ok(entry.fill_ts - entry.ts < 1000, 'filled on arrival, not on a later trade');

      // backtest --session reads the same book: the same entry fill.
      const s = await sessionBacktest(store, 'book');
      const bt = await new Backtest({ store, config: s.config, pairs: s.pairs, instruments: () => s.instrument, symbol: s.symbol, fromMs: s.fromMs, toMs: s.toMs }).run();
      const btEntry = bt.orders.find((o) => o.reason === 'entry')!;
      assert.deepEqual([btEntry.fillTs, btEntry.fillPrice], [entry.fill_ts, entry.fill_price]);
    } finally {
      store.close();
      await story.serving.close();
      restore();
    }
  });
});
