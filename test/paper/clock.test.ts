/**
 * The paper clock (src/paper/watermark.ts, docs/PAPER.md "The clock"): exchange time from the
 * streams while they flow, the wall clock's when all are quiet, never backwards; and a session
 * whose market goes silent just before a funding time still pays funding on time.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseConfig } from '../../src/engine/config.ts';
import { PaperRun } from '../../src/paper/paper-run.ts';
import { Watermark } from '../../src/paper/watermark.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/store.ts';
import { waitFor } from '../helpers/wait.ts';
import { serveStory, useServers } from './serve-story.ts';
import { H, M, publish, STORY_CONFIG, storyEvents, storyStart } from './story.ts';

const VENUES = ['binance', 'okx', 'bybit'] as const;

describe('watermark', () => {
  it('while streams flow, it is the oldest newest-committed time among them', () => {
    const w = new Watermark(-Infinity, { quietMs: 1000 });
    w.committed('binance:trade', 500, 10_000);
    w.committed('okx:trade', 300, 10_000);
    assert.deepEqual(w.advance(10_100), { ts: 300, fromWall: false });
    w.committed('okx:trade', 700, 10_200);
    assert.deepEqual(w.advance(10_300), { ts: 500, fromWall: false });
  });

  it('a stream silent longer than quietMs no longer holds the others back', () => {
    const w = new Watermark(-Infinity, { quietMs: 1000 });
    w.committed('binance:liquidation', 50, 0);
    w.committed('binance:trade', 5000, 1500);
    assert.equal(w.advance(1600).ts, 5000);
  });

  it('counts a stream heard for the first time, falling quiet or coming back (flips), not one that keeps flowing', () => {
    const w = new Watermark(-Infinity, { quietMs: 1000 });
    w.committed('binance:trade', 100, 0);
    w.committed('binance:liquidation', 50, 0);
    w.advance(0);
    assert.equal(w.flips, 2, 'two streams heard for the first time');
    w.committed('binance:trade', 200, 900);
    w.advance(900);
    assert.equal(w.flips, 2, 'both still flowing');
    w.committed('binance:trade', 300, 1500);
    assert.equal(w.advance(1500).ts, 300);
    assert.equal(w.flips, 3, 'the liquidation stream fell quiet');
    w.committed('binance:liquidation', 310, 1600);
    w.committed('binance:trade', 400, 1600);
    assert.equal(w.advance(1600).ts, 310);
    assert.equal(w.flips, 4, 'and came back');
  });

  it('when every stream is quiet, exchange time moves with the wall clock, held back by quietMs', () => {
    const w = new Watermark(-Infinity, { quietMs: 1000 });
    w.committed('binance:trade', 60_000, 5000);
    assert.deepEqual(w.advance(6500), { ts: 60_500, fromWall: true });
    assert.deepEqual(w.advance(9000), { ts: 63_000, fromWall: true });
  });

  it('when every stream is quiet, the wall clock starts from the slowest venue heard at the end, not from the newest time', () => {
    // Binance's socket lags (its rows up to 90 s still on the way, or waiting behind a stall of
    // this process): the wall clock must not jump over them, or they come late and which rows the
    // kernel sees depends on the machine's timing. A sparse stream (a liquidation an hour old)
    // does not hold it back: its venue's trades carry the venue's time.
    const w = new Watermark(-Infinity, { quietMs: 1000 });
    w.committed('binance:liquidation', 50, 4900);
    w.committed('binance:trade', 60_000, 5000);
    w.committed('okx:trade', 90_000, 5000);
    assert.deepEqual(w.advance(6500), { ts: 60_500, fromWall: true });
    assert.equal(w.isLate(60_501), false, 'a Binance row 0.5 s after its last one is still on time');
    // A venue silent for longer than quietMs before the last event (down) does not hold it back.
    const down = new Watermark(-Infinity, { quietMs: 1000 });
    down.committed('bybit:trade', 10_000, 1000);
    down.committed('okx:trade', 90_000, 5000);
    assert.deepEqual(down.advance(6500), { ts: 90_500, fromWall: true });
  });

  it('says when every stream is quiet (the wall clock would take over)', () => {
    const w = new Watermark(-Infinity, { quietMs: 1000 });
    w.committed('binance:trade', 60_000, 5000);
    w.committed('okx:trade', 60_000, 5800);
    assert.equal(w.quiet(6500), false);
    assert.equal(w.quiet(6801), true);
    w.unheard(500);
    assert.equal(w.quiet(6801), false, 'a stall of this process is nobody\'s silence');
  });

  it('a row stamped before the watermark is late, one at or after it is not', () => {
    const w = new Watermark(-Infinity, { quietMs: 1000 });
    assert.equal(w.isLate(-1e15), false);
    w.committed('a', 1000, 0);
    w.advance(10);
    assert.equal(w.isLate(999), true);
    assert.equal(w.isLate(1000), false);
  });

  it('never goes back, whatever the streams and the wall clock do', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 20_000 })), { maxLength: 60 }),
        (steps) => {
          const w = new Watermark(-Infinity, { quietMs: 500 });
          let last = -Infinity;
          for (const [s, a, b, wall] of steps) {
            w.committed(s, Math.max(a, b), wall);
            const t = w.advance(wall).ts;
            assert.ok(t >= last, `${t} after ${last}`);
            last = t;
          }
        },
      ),
    );
  });
});

describe('paper session in a quiet market', () => {
  it('pays funding at the funding time from the wall clock, with no event at or after it', async () => {
    // The story's long (opened at 1:05, neither target nor stop reached after) is open when its
    // feed stops 1.5 s before a funding time (an 8 h multiple, 2 h after the story's start).
    const T = Math.ceil((Date.now() + 2 * H + M) / (8 * H)) * 8 * H;
    const t0 = T - 2 * H;
    const events = storyEvents({ t0, toMs: T - 1500, after: 'flat' });
    const home = tempDir('orderflow-paper-clock-');
    const story = await serveStory(events, t0);
    const restore = useServers(story.serving);
    const store = await Store.open(home);
    const run = await PaperRun.start({ store, name: 'quiet', symbol: 'BTC', venues: ['binance', 'okx', 'bybit'], config: parseConfig(STORY_CONFIG), quietMs: 1000, settleMs: 300, log: () => {} });
    try {
      await story.play();
      await waitFor(() => (run.status().progress?.now ?? -Infinity) >= T, 'the kernel at the funding time', 20_000, 50);
      const p = run.status().progress!;
      assert.ok(p.position, `the long is open at the funding time: ${JSON.stringify({ T, signals: p.signals, orders: p.orders })}`);
      await waitFor(async () => (await store.rows('SELECT 1 FROM paper_funding')).length > 0, 'the funding row', 5000, 50);
      const [f] = await store.rows<{ ts: number; rate: number; side: string; payment: number }>("SELECT ts, rate, side, payment FROM paper_funding WHERE session = 'quiet'");
      assert.equal(f.ts, T);
      assert.equal(f.rate, 0.0001, 'the rate the tickers announced for T');
      assert.equal(f.side, 'long');
      assert.ok(Math.abs(f.payment - p.position.qty * 0.0001 * 100) < 0.05 * f.payment, `a long pays qty x rate x mark: ${f.payment}`);
      const [last] = await store.rows<{ t: number }>("SELECT epoch_ms(max(ts))::DOUBLE AS t FROM trades");
      assert.ok(last.t < T, 'no trade at or after the funding time');
      // The equity is sampled every minute while the position is open, past the last event too.
      const [eq] = await store.rows<{ t: number }>("SELECT max(ts) AS t FROM paper_equity WHERE session = 'quiet'");
      assert.equal(eq.t, T);
    } finally {
      await run.stop();
      await story.serving.close();
      restore();
      store.close();
    }
  });

  it('takes the wall clock\'s time from the slowest venue: a venue behind the others when all fall quiet loses no row', async () => {
    // The market's rows reach the session with another pacing than usual: Binance's socket two
    // minutes of the market behind OKX's and Bybit's when all three fall quiet (its frames still
    // on the way), then the rest. The same events as always, so the kernel must take every one:
    // the wall clock, taking over, must not jump to OKX's time over Binance's rows.
    const t0 = storyStart();
    const events = storyEvents({ t0, spanMs: 3 * M });
    const lagFrom = t0 + M;
    const early = events.filter((e) => e.venue !== 'binance' || e.ts < lagFrom);
    const lagged = events.filter((e) => e.venue === 'binance' && e.ts >= lagFrom);
    const binanceNewest = Math.max(...early.filter((e) => e.venue === 'binance').map((e) => e.ts));
    const home = tempDir('orderflow-paper-lag-');
    const story = await serveStory([], t0);
    const restore = useServers(story.serving);
    const store = await Store.open(home);
    // Short steps, so the wall clock's first move is found before it moves on by much.
    // The newest exchange time each venue's frames have brought to the session.
    const heard = new Map<string, number>();
    const probe = {
      onEvents(records: readonly { readonly venue?: string; readonly ts?: number }[]) {
        for (const r of records) if (r.venue !== undefined && r.ts !== undefined && r.ts > (heard.get(r.venue) ?? -Infinity)) heard.set(r.venue, r.ts);
      },
    };
    const run = await PaperRun.start({ store, name: 'lag', symbol: 'BTC', venues: ['binance', 'okx', 'bybit'], config: parseConfig(STORY_CONFIG), quietMs: 1000, stepMs: 50, settleMs: 300, log: () => {}, probe });
    try {
      await story.play();
      await waitFor(() => run.status().started, 'the session active', 20_000, 20);
      // Each venue's rows spread over the whole burst (its own order kept), so all three sockets
      // stop at once: Binance's fewer rows end the burst with the others', none falls quiet first.
      const spread = VENUES.flatMap((v) => {
        const mine = early.filter((e) => e.venue === v);
        return mine.map((e, i) => ({ e, at: i / mine.length }));
      });
      spread.sort((a, b) => a.at - b.at);
      // Each slice is in before the next goes out: published at once, the whole burst waited in the
      // sockets, and on a loaded machine Binance's (smaller) socket was drained more than quietMs
      // before the others', which made it a venue that had fallen quiet: not the pacing this test is about.
      for (let i = 0; i < spread.length; i += 30) {
        const slice = spread.slice(i, i + 30).map((x) => x.e);
        publish(story.serving, slice);
        const newest = new Map<string, number>();
        for (const e of slice) newest.set(e.venue, Math.max(e.ts, newest.get(e.venue) ?? -Infinity));
        await waitFor(() => [...newest].every(([v, ts]) => (heard.get(v) ?? -Infinity) >= ts), `slice ${i / 30} received`, 20_000, 2);
      }
      // All quiet: the wall clock takes over, from Binance's newest time (900 ms before its next row).
      await waitFor(() => (run.status().progress?.now ?? -Infinity) > binanceNewest, 'the wall clock past Binance\'s newest row', 20_000, 5);
      const now = run.status().progress!.now;
      assert.ok(now < lagFrom, `the kernel at ${new Date(now).toISOString()}, before Binance's next row at ${new Date(lagFrom).toISOString()}`);
      publish(story.serving, lagged);
      await waitFor(() => (run.status().progress?.now ?? -Infinity) > events.at(-1)!.ts, 'the kernel past the last event', 20_000, 20);
      const st = run.status();
      assert.equal(st.lateEvents, 0, `rows the kernel never saw: ${JSON.stringify(st.fed)}`);
      assert.equal(st.shadow.mismatch, undefined);
    } finally {
      await run.stop();
      await story.serving.close();
      restore();
    }
    // Every stored row of the markets went through the kernel (from the store before the handover, memory after).
    const [{ n }] = await store.rows<{ n: bigint }>("SELECT count(*) AS n FROM trades WHERE ts >= make_timestamp($1::BIGINT)", [BigInt(t0 * 1000)]);
    assert.equal(Number(n), events.filter((e) => e.type === 'trade').length, 'every trade stored');
    store.close();
  });
});
