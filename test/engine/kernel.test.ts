/**
 * The kernel pushed by hand: onEvent/advanceTo with a clock give the replay driver's result on
 * the same events, whatever the batching; a wall clock fires timers (and time stops) with no data;
 * a funding settlement never uses a row stamped after its time (the archive rule aside).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { LiquidationColumns, TradeColumns } from '../../src/core/columns.ts';
import { Broker } from '../../src/engine/broker.ts';
import { ReplayClock, WallClock } from '../../src/engine/clock.ts';
import type { ExecutionClient } from '../../src/engine/execution.ts';
import { parseConfig, type BacktestConfig } from '../../src/engine/config.ts';
import { Engine, type EngineResult, type InjectedSignal } from '../../src/engine/engine.ts';
import type { ReplayRun } from '../../src/engine/replay.ts';
import { seedStrategy } from '../../src/engine/seed-strategy.ts';
import type { MarkColumns } from '../../src/core/columns.ts';
import { loadBundledInstruments } from '../../src/venues/bundled-instruments.ts';
import { columns } from '../features/trades.ts';
import { markColumns, type MarkRow } from './marks.ts';

const D = Date.UTC(2024, 0, 1);
const S = 1000;
const M = 60_000;
const H = 3_600_000;
const INST = loadBundledInstruments().get('binance', 'BTCUSDT')!;
type Row = [ts: number, price: number, qty: number, side: 1 | -1];

function config(over: Record<string, unknown> = {}): BacktestConfig {
  return parseConfig({ nullModel: { seeds: 0 }, signals: { absorption: { lookbackWindows: 5 } }, ...over });
}

function engine(c: BacktestConfig, opts: { injected?: InjectedSignal[]; onProgress?: (ts: number) => void; keepBars?: boolean } = {}): Engine {
  return new Engine(c, { venues: ['binance'], execVenue: 'binance', execSymbol: 'BTCUSDT', instrument: INST }, seedStrategy(c), opts);
}

function longAt(ts: number): InjectedSignal {
  return {
    ts,
    make: (ref) => ({ type: 'absorption', direction: 'long', level: ref - 1, venue: 'binance', zone: { low: ref - 1, high: ref, side: 'long', source: 'realized' }, timeframeMs: null, evidence: { kind: 'cascade-stop', close: ref } }),
  };
}

/** The engine test's story: quiet flow, a long cascade at 100 at 0:10, selling held at 100 from 1:05, a drift up; marks every 10 s. */
function story(): { trades: TradeColumns; liqs: LiquidationColumns; marks: MarkColumns } {
  const trades: Row[] = [];
  const mk: MarkRow[] = [];
  for (let t = D; t < D + 3 * H; t += S) {
    const heavy = t >= D + H + 5 * M && t < D + H + 7 * M;
    const drift = t >= D + H + 7 * M ? Math.min(3, (t - D - H - 7 * M) / (20 * M)) : 0;
    const px = heavy ? 100 : Math.round((101 + drift) * 10) / 10;
    trades.push(heavy ? [t, 100, 5, -1] : [t, px, 1, (t / S) % 2 === 0 ? 1 : -1]);
    // Marks share the trades' timestamps (the tie order matters), with a funding row now and then.
    if (t % (10 * S) === 0) mk.push([t, px, t % (20 * M) === 0 ? 0.0001 : NaN, NaN]);
  }
  const liqs: Row[] = [];
  for (let k = 0; k < 5; k++) liqs.push([D + 10 * M + k * S + 500, 100, 10, -1]);
  liqs.push([D + 10 * M + 20 * S, 95, 0.1, -1], [D + 10 * M + 21 * S, 96, 0.1, -1]);
  return { trades: columns(trades), liqs: columns(liqs) as LiquidationColumns, marks: markColumns(mk) };
}

/**
 * The story's events in the replay's order (ts, then trades, liquidations, marks), pushed as runs
 * of at most `batch` rows of one kind, unaware of timers, with the clock moved to each run's
 * first row first and to `ticks` extra times between runs.
 */
function pushByHand(k: Engine, s: ReturnType<typeof story>, batch: number, tickEveryMs: number): EngineResult {
  const clock = new ReplayClock();
  const rows: [ts: number, rank: number, i: number][] = [];
  for (let i = 0; i < s.trades.length; i++) rows.push([s.trades.ts[i], 0, i]);
  for (let i = 0; i < s.liqs.length; i++) rows.push([s.liqs.ts[i], 1, i]);
  for (let i = 0; i < s.marks.length; i++) rows.push([s.marks.ts[i], 3, i]);
  rows.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
  const make = (rank: number, from: number, to: number): ReplayRun =>
    rank === 0 ? { kind: 'trades', cols: s.trades, from, to } : rank === 1 ? { kind: 'liquidations', cols: s.liqs, from, to } : { kind: 'marks', cols: s.marks, from, to };
  let nextTick = NaN;
  for (let a = 0; a < rows.length; ) {
    let b = a + 1;
    while (b < rows.length && b - a < batch && rows[b][1] === rows[a][1]) b++;
    const ts = rows[a][0];
    // Extra clock ticks between events (a live host polling its clock): they must change nothing.
    if (Number.isNaN(nextTick)) nextTick = ts + tickEveryMs;
    while (nextTick <= ts) {
      clock.set(nextTick);
      k.advanceTo(clock.now());
      nextTick += tickEveryMs;
    }
    clock.set(ts);
    k.advanceTo(clock.now());
    k.onEvent(make(rows[a][1], rows[a][2], rows[b - 1][2] + 1));
    a = b;
  }
  return k.finish();
}

describe('kernel: pushed by hand', () => {
  it('onEvent/advanceTo give the replay driver\'s result on the same events, whatever the batching and clock ticks', async () => {
    const s = story();
    // Only sellers trade during the absorbed selling: the entry waits for the first buyer (1:07).
    const c = config({ execution: { staleAfter: '3m' } });
    const replayed = await engine(c).run({ trades: [s.trades], liquidations: s.liqs, marks: s.marks });
    // The story trades: the comparison is not between two empty results.
    assert.ok(replayed.trades.length >= 1 && replayed.journal.predictions.length >= 1, JSON.stringify(replayed.signals));
    for (const [batch, tick] of [
      [1, 7 * S],
      [17, 13_337],
      [500, 45 * S],
      [100_000, 3 * H],
    ]) {
      const byHand = pushByHand(engine(c), s, batch, tick);
      assert.deepStrictEqual(byHand.journal, replayed.journal, `journal, batches of ${batch}`);
      assert.deepStrictEqual(byHand, replayed, `whole result, batches of ${batch}`);
    }
  });

  it('keepBars false (a paper session): the same run without the 1-minute bars, the one output that grows with time', () => {
    const s = story();
    const c = config({ execution: { staleAfter: '3m' } });
    const kept = pushByHand(engine(c), s, 500, 45 * S);
    const none = pushByHand(engine(c, { keepBars: false }), s, 500, 45 * S);
    assert.equal(kept.bars.length, 180, 'one bar a traded minute over the 3 h story');
    assert.equal(none.bars.length, 0);
    assert.deepStrictEqual({ ...none, bars: kept.bars }, kept);
  });

  it('a run spanning timers is cut at them: the timers fire between its rows', () => {
    const rows: Row[] = [];
    for (let t = D + 30 * S; t < D + 5 * M; t += 10 * S) rows.push([t, 100, 1, 1]);
    const seen: number[] = [];
    const k = engine(config(), { onProgress: (ts) => seen.push(ts) });
    k.onEvent({ kind: 'trades', cols: columns(rows), from: 0, to: rows.length });
    assert.deepEqual(seen, [D + M, D + 2 * M, D + 3 * M, D + 4 * M]);
    const r = k.finish();
    // One bar per minute: the timers closed them between the rows, not after the whole run.
    assert.deepEqual(
      r.bars.map((b) => [b.ts, b.volume]),
      [
        [D, 3],
        [D + M, 6],
        [D + 2 * M, 6],
        [D + 3 * M, 6],
        [D + 4 * M, 6],
      ],
    );
    assert.throws(() => k.onEvent({ kind: 'timer', ts: D + 10 * M }), /finished/);
  });
});

describe('kernel: execution client', () => {
  it('orders go through the ExecutionClient it is given, and its reports are the result', async () => {
    const s = story();
    const c = config({ execution: { staleAfter: '3m' } });
    const calls: string[] = [];
    const k = new Engine(c, { venues: ['binance'], execVenue: 'binance', execSymbol: 'BTCUSDT', instrument: INST }, seedStrategy(c), {
      execution: (events) => {
        // The simulated venue behind a gateway-shaped client that logs what the kernel asks.
        const b = new Broker({ venue: 'binance', symbol: 'BTCUSDT', instrument: INST, initialEquity: 10_000, latencyMs: 150, slippageBps: 2, limitFill: 'through', fees: true, slippage: true, staleAfterMs: 3 * M }, events);
        const client: ExecutionClient = {
          get position() {
            return b.position;
          },
          get busy() {
            return b.busy;
          },
          get lastPrice() {
            return b.lastPrice;
          },
          equity: () => b.equity(),
          enter: (ts, req) => {
            calls.push(`enter ${ts} ${req.side} ${req.qty}`);
            b.enter(ts, req);
          },
          exit: (ts, reason) => b.exit(ts, reason),
          onTime: (ts) => b.onTime(ts),
          onFunding: (ts, rate) => b.onFunding(ts, rate),
          onTrade: (c, row, fresh) => b.onTrade(c, row, fresh),
          onMark: (ts, mark) => b.onMark(ts, mark),
          onBook: (ts, book) => b.onBook(ts, book),
          onQuote: (ts, bid, ask) => b.onQuote(ts, bid, ask),
          finish: (ts) => b.finish(ts),
        };
        return client;
      },
    });
    const viaClient = await k.run({ trades: [s.trades], liquidations: s.liqs, marks: s.marks });
    const direct = await engine(c).run({ trades: [s.trades], liquidations: s.liqs, marks: s.marks });
    assert.deepStrictEqual(viaClient, direct);
    assert.equal(calls.length, direct.orders.filter((o) => o.reason === 'entry').length);
    assert.match(calls[0], new RegExp(`^enter ${direct.orders[0].ts} long ${direct.orders[0].qty}$`));
  });
});

describe('kernel: wall clock', () => {
  it('timers fire with no data: equity is sampled and the time stop sends its exit while the market is silent', () => {
    let now = D + 5 * M + 500;
    let tick: (() => void) | undefined;
    const clock = new WallClock({ source: () => now, tickMs: 1000, setInterval: (fn) => (tick = fn), clearInterval: () => (tick = undefined) });
    const timers: number[] = [];
    const c = config({ exit: { timeStop: 10 * M } });
    const k = engine(c, { injected: [longAt(D + 5 * M + 2 * S)], onProgress: (ts) => timers.push(ts) });
    const stop = clock.start((t) => k.advanceTo(t));
    // Six seconds of trades at 100 (the entry is decided at 0:05:02 and fills at 0:05:03), then silence.
    for (let t = D + 5 * M + S; t <= D + 5 * M + 6 * S; t += S) {
      now = t;
      tick!();
      k.onEvent({ kind: 'trades', cols: columns([[t, 100, 1, (t / S) % 2 ? 1 : -1]]), from: 0, to: 1 });
    }
    // Half an hour of wall time with no data, polled every second.
    while (now < D + 35 * M) {
      now += S;
      tick!();
    }
    stop();
    assert.equal(tick, undefined, 'stopping the clock cancels its scheduler');
    assert.deepEqual(
      timers,
      Array.from({ length: 30 }, (_, i) => D + (6 + i) * M),
    );
    const r = k.finish();
    // The time stop (0:05:02 + 10 min) fired at the 0:16 timer though no trade came after 0:05:06.
    const exit = r.orders.find((o) => o.reason === 'time');
    assert.ok(exit, JSON.stringify(r.orders));
    assert.equal(exit.ts, D + 16 * M);
    assert.equal(exit.status, 'expired');
    // Equity every minute while the position was open, and the end at the clock's time.
    assert.deepEqual(
      r.equity.map((e) => e.ts),
      [...timers, D + 35 * M],
    );
    assert.equal(r.trades[0].exitTs, D + 35 * M);
    assert.equal(r.trades[0].entryTs, D + 5 * M + 3 * S);
  });

  it('the wall clock is monotonic and can be held back by a lag', () => {
    let t = 10_000;
    const c = new WallClock({ source: () => t, lagMs: 250 });
    assert.equal(c.now(), 9750);
    t = 9_000; // the system clock stepped back
    assert.equal(c.now(), 9750);
    t = 20_000;
    assert.equal(c.now(), 19_750);
    assert.throws(() => new WallClock({ tickMs: 0 }), /tickMs/);
    assert.throws(() => new WallClock({ lagMs: -1 }), /lagMs/);
  });
});

describe('kernel: funding', () => {
  const T = D + 8 * H;
  const trades = (): TradeColumns => {
    const rows: Row[] = [];
    for (let t = T - 10 * M; t < T + 10 * M; t += S) rows.push([t, 100, 1, (t / S) % 2 ? 1 : -1]);
    return columns(rows);
  };
  const fundingOf = async (rows: MarkRow[]): Promise<number> => {
    const c = config();
    const r = await engine(c, { injected: [longAt(T - 5 * M)] }).run({ trades: [trades()], marks: markColumns(rows) });
    assert.equal(r.trades.length, 1);
    assert.ok(r.trades[0].entryTs < T && r.trades[0].exitTs > T, 'the position is open across the funding time');
    return r.trades[0].funding / (r.trades[0].qty * 100);
  };

  it('a ticker row announcing the rate for T is charged at T, not the next interval\'s rate stamped after T', async () => {
    // Streams carry the next settlement's predicted rate: before T it is T's, after T it is T + 8h's.
    const rate = await fundingOf([
      [T - 3 * M, 100, 0.0003, T],
      [T + 5 * S, 100, 0.002, T + 8 * H],
    ]);
    assert.ok(Math.abs(rate - 0.0003) < 1e-12, `charged ${rate}`);
  });

  it('no row stamped after T changes the charge at T; archive rows within a minute of T are its settlement record', async () => {
    const before: MarkRow[] = [[T - 3 * M, 100, 0.0003, T]];
    const base = await fundingOf(before);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 9 * M }), fc.integer({ min: -50, max: 50 }), fc.boolean()), { minLength: 1, maxLength: 8 }),
        async (after) => {
          // Ticker rows after T (any rate), and archive rows later than the archive rule's minute.
          const rows: MarkRow[] = after.map(([dt, r, ticker]) => (ticker ? [T + dt, 100, r / 1e4, T + 8 * H] : [T + M + dt, NaN, r / 1e4, NaN]));
          rows.sort((a, b) => a[0] - b[0]);
          assert.equal(await fundingOf([...before, ...rows]), base);
        },
      ),
      { numRuns: 12 },
    );
    // The archive rule, stated: an archive row 17 ms after T is the rate settled at T.
    assert.ok(Math.abs((await fundingOf([...before, [T + 17, NaN, 0.0009, NaN]])) - 0.0009) < 1e-12);
  });
});
