/**
 * The engine end to end on hand-built markets: a trade with a P&L known to the cent, an own
 * liquidation, funding from a recorded rate, the risk layer's refusals and determinism (no
 * look-ahead: lookahead.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { columns } from '../features/trades.ts';
import { markColumns } from './marks.ts';
import type { BookColumns, LiquidationColumns, TradeColumns } from '../../src/core/columns.ts';
import type { BookEvent, BookLevel } from '../../src/core/events.ts';
import { parseConfig, type BacktestConfig } from '../../src/engine/config.ts';
import { Engine, type EngineResult, type InjectedSignal } from '../../src/engine/engine.ts';
import { seedStrategy } from '../../src/engine/seed-strategy.ts';
import { bookColumns } from '../../src/features/book.ts';
import type { MarkColumns } from '../../src/core/columns.ts';
import { loadBundledInstruments } from '../../src/venues/bundled-instruments.ts';

const D = Date.UTC(2024, 0, 1);
const S = 1000;
const M = 60_000;
const H = 3_600_000;
const INST = loadBundledInstruments().get('binance', 'BTCUSDT')!;
type Row = [ts: number, price: number, qty: number, side: 1 | -1];

const cols = (rows: readonly Row[]): TradeColumns => columns(rows);

/** Two-sided trades at `price(t)` every second over [from, to). */
function flat(from: number, to: number, price: (t: number) => number): Row[] {
  const out: Row[] = [];
  for (let t = from; t < to; t += S) out.push([t, price(t), 1, (t / S) % 2 === 0 ? 1 : -1]);
  return out;
}

/** Quiet config: no null model, no book, defaults otherwise. */
function config(over: Record<string, unknown> = {}): BacktestConfig {
  return parseConfig({ nullModel: { seeds: 0 }, ...over });
}

/** A long absorption at zone 99..100 injected at `ts` (the price is 100 there). */
function longAt(ts: number, zone = { low: 99, high: 100 }): InjectedSignal {
  return {
    ts,
    make: () => ({ type: 'absorption', direction: 'long', level: zone.low, venue: 'binance', zone: { ...zone, side: 'long', source: 'realized' }, timeframeMs: null, evidence: { kind: 'cascade-stop', close: 100 } }),
  };
}

async function run(c: BacktestConfig, trades: Row[], opts: { injected?: InjectedSignal[]; liqs?: Row[]; marks?: MarkColumns; book?: BookColumns } = {}): Promise<EngineResult> {
  const e = new Engine(c, { venues: ['binance'], execVenue: 'binance', execSymbol: 'BTCUSDT', instrument: INST }, seedStrategy(c), { injected: opts.injected });
  return e.run({
    trades: [cols(trades)],
    liquidations: opts.liqs ? (cols(opts.liqs) as LiquidationColumns) : undefined,
    marks: opts.marks,
    books: opts.book ? [{ venue: 'binance', cols: opts.book }] : undefined,
  });
}

/** One book snapshot message at `ts`: [side (+1 bid / -1 ask), price, qty] levels. */
function snapshot(ts: number, levels: readonly [1 | -1, number, number][]): BookColumns {
  return {
    length: 1,
    ts: Float64Array.of(ts),
    isSnapshot: Uint8Array.of(1),
    seq: Float64Array.of(NaN),
    levelStart: Uint32Array.of(0, levels.length),
    side: Int8Array.from(levels, (l) => l[0]),
    price: Float64Array.from(levels, (l) => l[1]),
    qty: Float64Array.from(levels, (l) => l[2]),
  };
}

describe('engine: hand-built trades', () => {
  it('a long from signal to target, P&L to the cent', async () => {
    // 100 until 0:06, then 103. Long signal at 0:05 with zone 99..100.
    const trades = flat(D, D + 10 * M, (t) => (t < D + 6 * M ? 100 : 103));
    const r = await run(config(), trades, { injected: [longAt(D + 5 * M)] });
    // Decided at 0:05:00 (the first event at the signal's time), ref = last price 100:
    //   stop   = min(99, 100) x (1 - 15 bps)      = 98.8515
    //   risk   = 10,000 x 0.5%                     = 50;  qty = 50 / (100 - 98.8515) = 43.5350... -> 43.535 (lot 0.001)
    //   target = 100 + 2 x 1.1485                  = 102.297
    // Entry arrives 150 ms later, fills at the next buy-aggressor trade (0:05:02, 100; the one at
    // 0:05:01 is a sell) + 2 bps slippage = 100.02.
    // The take-profit (limit, maker) fills at 102.297 when a trade goes through it (0:06:00 at 103).
    //   gross = 43.535 x (102.297 - 100.02)        = 99.129195
    //   fees  = 43.535 x 100.02 x 0.05% (taker)    = 2.17718535
    //         + 43.535 x 102.297 x 0.02% (maker)   = 0.890699979
    //   net   = 96.061309671
    assert.equal(r.trades.length, 1);
    const t = r.trades[0];
    assert.equal(t.side, 'long');
    assert.equal(t.exitReason, 'target');
    assert.equal(t.entryTs, D + 5 * M + 2 * S);
    assert.equal(t.exitTs, D + 6 * M);
    assert.ok(Math.abs(t.qty - 43.535) < 1e-9);
    assert.ok(Math.abs(t.entryPrice - 100.02) < 1e-9);
    assert.ok(Math.abs(t.exitPrice - 102.297) < 1e-9);
    assert.ok(Math.abs(t.grossPnl - 99.129195) < 1e-6);
    assert.ok(Math.abs(t.fees - (2.17718535 + 0.890699979)) < 1e-6);
    assert.ok(Math.abs(t.pnl - 96.061309671) < 1e-6, `pnl ${t.pnl}`);
    assert.equal(t.funding, 0);
    assert.ok(Math.abs(r.finalEquity - (10_000 + 96.061309671)) < 1e-6);
    // The orders: entry (market, filled), target (limit, filled).
    assert.deepEqual(
      r.orders.map((o) => [o.reason, o.type, o.status, o.ts, o.arrivalTs]),
      [
        ['entry', 'market', 'filled', D + 5 * M, D + 5 * M + 150],
        ['target', 'limit', 'filled', D + 5 * M + 2 * S, D + 5 * M + 2 * S + 150],
      ],
    );
    assert.ok(Math.abs(r.orders[0].slippageBps! - 2) < 1e-9);
    assert.equal(r.signals[0].acted, true);
  });

  it('the stop sends a market order that fills at the next trade, with slippage', async () => {
    const trades = flat(D, D + 10 * M, (t) => (t < D + 6 * M ? 100 : 98.5));
    const r = await run(config(), trades, { injected: [longAt(D + 5 * M)] });
    const t = r.trades[0];
    assert.equal(t.exitReason, 'stop');
    // Triggered by the 0:06:00 trade at 98.5 <= 98.8515; arrives 150 ms later; fills at 0:06:01 at 98.5 - 2 bps.
    assert.equal(t.exitTs, D + 6 * M + S);
    assert.ok(Math.abs(t.exitPrice - 98.5 * 0.9998) < 1e-9);
    const fees = 43.535 * 100.02 * 0.0005 + 43.535 * 98.5 * 0.9998 * 0.0005;
    assert.ok(Math.abs(t.pnl - (43.535 * (98.5 * 0.9998 - 100.02) - fees)) < 1e-6);
    assert.equal(r.orders.find((o) => o.reason === 'target')!.status, 'cancelled');
  });

  it('a mark gap past the liquidation price liquidates the position: the whole margin is lost', async () => {
    const trades = flat(D, D + 10 * M, () => 100);
    // The mark gaps to 60 at 0:07 while trades still print 100 (the stop never triggers).
    const r = await run(config(), trades, { injected: [longAt(D + 5 * M)], marks: markColumns([[D + 7 * M, 60, NaN]]) });
    const t = r.trades[0];
    assert.equal(t.exitReason, 'liquidation');
    assert.equal(t.liquidated, true);
    const margin = (43.535 * 100.02) / 3;
    assert.ok(Math.abs(t.grossPnl + margin) < 1e-9, `gross ${t.grossPnl} vs -${margin}`);
    assert.ok(Math.abs(t.pnl - (-margin - 43.535 * 100.02 * 0.0005)) < 1e-9);
    // Its liquidation price was beyond the stop (the risk rule), and below the mark that killed it.
    assert.ok(t.liquidationPrice < t.stop && t.liquidationPrice > 60);
  });

  it('funding at 08:00 UTC from the recorded rate, paid by longs when positive', async () => {
    const trades = flat(D + 7 * H + 50 * M, D + 8 * H + 10 * M, () => 100);
    const r = await run(config(), trades, { injected: [longAt(D + 7 * H + 55 * M)], marks: markColumns([[D + 7 * H + 59 * M, 100, 0.0003]]) });
    const t = r.trades[0];
    assert.equal(t.exitReason, 'end');
    // qty x mark x rate = 43.535 x 100 x 0.0003
    assert.ok(Math.abs(t.funding - 1.30605) < 1e-9, `funding ${t.funding}`);
    assert.ok(Math.abs(t.pnl - (t.grossPnl - t.fees - t.funding)) < 1e-9);
  });

  it('a settled rate stamped just after the funding time is the one charged then', async () => {
    const trades = flat(D + 7 * H + 50 * M, D + 8 * H + 10 * M, () => 100);
    // Archive rows: the 00:00 settlement, then the 08:00 one stamped 17 ms after 08:00 (no mark prices).
    const r = await run(config(), trades, { injected: [longAt(D + 7 * H + 55 * M)], marks: markColumns([[D + 17, NaN, 0.0001], [D + 8 * H + 17, NaN, 0.0009]]) });
    // Charged at the last trade price (no marks): 43.535 x 100 x 0.0009.
    assert.ok(Math.abs(r.trades[0].funding - 43.535 * 100 * 0.0009) < 1e-9, `funding ${r.trades[0].funding}`);
    // Funding rows without mark prices are not marks: the warning says liquidation used trade prices.
    assert.ok(r.warnings.some((w) => /no mark prices stored/.test(w)));
  });

  it('stale marks: the trade price guards liquidation where marks stop', async () => {
    // One mark at 0:05, then none: the crash to 60 in trades at 0:07 must still liquidate.
    const trades = flat(D, D + 10 * M, (t) => (t < D + 7 * M ? 100 : 60));
    // The gap jumps the stop (98.85) and the liquidation price (~66.9) in one print.
    const r = await run(config(), trades, { injected: [longAt(D + 5 * M)], marks: markColumns([[D + 5 * M - 1, 100, NaN]]) });
    assert.equal(r.trades[0].exitReason, 'liquidation');
    assert.ok(r.warnings.some((w) => /missing for stretches/.test(w)));
  });

  it('the risk layer refuses an entry whose liquidation price is not beyond the stop', async () => {
    const trades = flat(D, D + 10 * M, () => 100);
    const c = config({ risk: { leverage: 10 } });
    // Zone 80..100: stop ~79.88, but at 10x a long from 100 is liquidated near 90.4.
    const r = await run(c, trades, { injected: [longAt(D + 5 * M, { low: 80, high: 100 })] });
    assert.equal(r.trades.length, 0);
    assert.match(r.signals[0].vetoReason ?? '', /liquidation price .* is not beyond the stop/);
  });

  it('a market order walks the recorded book when it is fresh', async () => {
    const trades = flat(D, D + 10 * M, (t) => (t < D + 6 * M ? 100 : 103));
    // Asks 100.0 x 10 and 100.1 x 50 (bids under), refreshed just before the entry arrives.
    const book = snapshot(D + 5 * M, [[1, 99.9, 30], [-1, 100, 10], [-1, 100.1, 50]]);
    const r = await run(config({ entry: { vetoOnBaitOnly: false } }), trades, { injected: [longAt(D + 5 * M)], book });
    // 43.535 lots: 10 at 100.0 and 33.535 at 100.1, no slippage on top of the book.
    const vwap = (10 * 100 + 33.535 * 100.1) / 43.535;
    assert.ok(Math.abs(r.trades[0].entryPrice - vwap) < 1e-9, `${r.trades[0].entryPrice} vs ${vwap}`);
    // The same order with no book (or a stale one) fills at the next trade + slippage.
    const stale = snapshot(D, [[1, 99.9, 30], [-1, 100, 10], [-1, 100.1, 50]]);
    const s2 = await run(config({ entry: { vetoOnBaitOnly: false } }), trades, { injected: [longAt(D + 5 * M)], book: stale });
    assert.ok(Math.abs(s2.trades[0].entryPrice - 100.02) < 1e-9);
  });

  it('the bait veto: a bid wall pulled as price came to it vetoes a long; one pulled with price standing still does not', async () => {
    const trades = flat(D, D + 10 * M, () => 100);
    const px = (i: number) => Number((i / 10).toFixed(1));
    const levels = (from: number, step: number): BookLevel[] => Array.from({ length: 10 }, (_, k): BookLevel => [px(from + step * k), 1]);
    const msg = (ts: number, isSnapshot: boolean, bids: BookLevel[], asks: BookLevel[]): BookEvent => ({ type: 'book', venue: 'binance', symbol: 'BTCUSDT', ts, localTs: NaN, isSnapshot, bids, asks, seq: NaN });
    // Ten messages of ten 1-lot levels a side (bids 99.9..99.0, asks 100.0..100.9) fill the median's
    // 200 samples; then 300 lots (29 850 USDT, 97% of the bid depth) rest at 99.5, 4 ticks down.
    const warm = Array.from({ length: 10 }, (_, k) => msg(D + M + k * S, k === 0, levels(999, -1), levels(1000, 1)));
    const wall = msg(D + M + 20 * S, false, [[99.5, 300]], []);
    const gone = (ts: number) => msg(ts, false, [[99.5, 0]], []);
    // Bait: the bids above it go one by one (the touch walks down to the wall), then the wall goes.
    const approach = [99.9, 99.8, 99.7, 99.6].map((p, k) => msg(D + M + (21 + k) * S, false, [[p, 0]], []));
    const bait = await run(config(), trades, { injected: [longAt(D + 5 * M)], book: bookColumns([...warm, wall, ...approach, gone(D + M + 30 * S)]) });
    assert.equal(bait.signals[0].vetoReason, 'bait: walls on our side pulled as price came, none held');
    // Pulled: the same wall goes while the touch stays at 99.9 (a requote, not a spoof): no veto.
    const pulled = await run(config(), trades, { injected: [longAt(D + 5 * M)], book: bookColumns([...warm, wall, gone(D + M + 30 * S)]) });
    assert.equal(pulled.signals[0].vetoReason, null);
    assert.equal(pulled.trades.length, 1);
  });

  it('cross margin: the wallet backs the position, so the liquidation price is further away and a liquidation takes the wallet', async () => {
    const trades = flat(D, D + 10 * M, () => 100);
    const iso = await run(config(), trades, { injected: [longAt(D + 5 * M)], marks: markColumns([[D + 7 * M, 60, NaN]]) });
    const cross = await run(config({ risk: { marginMode: 'cross' } }), trades, { injected: [longAt(D + 5 * M)], marks: markColumns([[D + 7 * M, 60, NaN]]) });
    // 43.535 at 100.02 backed by a 10,000 wallet cannot be liquidated above 0 (no liquidation price): the mark at 60 leaves it open.
    assert.ok(Number.isNaN(cross.trades[0].liquidationPrice) && iso.trades[0].liquidationPrice > 60);
    assert.notEqual(cross.trades[0].exitReason, 'liquidation');
    const deep = await run(config({ risk: { marginMode: 'cross', riskPerTradePct: 10, leverage: 10 } }), flat(D, D + 10 * M, () => 100), {
      injected: [longAt(D + 5 * M, { low: 99.5, high: 100 })],
      marks: markColumns([[D + 7 * M, 1, NaN]]),
    });
    const t = deep.trades[0];
    assert.equal(t.exitReason, 'liquidation');
    assert.ok(Math.abs(deep.finalEquity) < 1e-6, `a cross liquidation leaves nothing: ${deep.finalEquity}`);
  });

  it('turning a cost off is a warning in the result', async () => {
    const r = await run(config({ costs: { fees: false } }), flat(D, D + 2 * M, () => 100));
    assert.ok(r.warnings.some((w) => /fees are turned off/.test(w)));
  });
});

// ---------------------------------------------------------------------------------------------
// A market where the pipeline itself finds an absorption: quiet flow, a long-liquidation cascade
// at 100 at 0:10, heavy selling held at 100 from 1:05, then a drift up.

function story(noise: readonly number[]): { trades: Row[]; liqs: Row[] } {
  const trades: Row[] = [];
  for (let t = D, k = 0; t < D + 3 * H; t += S, k++) {
    const heavy = t >= D + H + 5 * M && t < D + H + 7 * M;
    const drift = t >= D + H + 7 * M ? Math.min(3, (t - D - H - 7 * M) / (20 * M)) : 0;
    const wiggle = noise.length ? noise[k % noise.length] : 0;
    if (heavy) trades.push([t, Math.round((100 + wiggle / 10) * 10) / 10, 5, -1]);
    else trades.push([t, Math.round((101 + drift + wiggle) * 10) / 10, 1, (t / S) % 2 === 0 ? 1 : -1]);
  }
  const liqs: Row[] = [];
  for (let k = 0; k < 5; k++) liqs.push([D + 10 * M + k * S + 500, 100, 10, -1]);
  liqs.push([D + 10 * M + 20 * S, 95, 0.1, -1], [D + 10 * M + 21 * S, 96, 0.1, -1]);
  return { trades, liqs };
}

const PIPE = { signals: { absorption: { lookbackWindows: 5 } } };

describe('engine: the pipeline drives the strategy', () => {
  it('finds the absorption, enters long, and is deterministic', async () => {
    const { trades, liqs } = story([]);
    const a = await run(config(PIPE), trades, { liqs });
    const b = await run(config(PIPE), trades, { liqs });
    assert.deepStrictEqual(a, b, 'same input, same result');
    const abs = a.signals.filter((s) => s.type === 'absorption');
    assert.ok(abs.length >= 1 && abs[0].direction === 'long' && abs[0].acted, JSON.stringify(a.signals));
    assert.ok(a.journal.predictions.length === a.signals.length);
    // Only sellers trade while the selling is absorbed (to 1:07): the market buy waits for a
    // buy-aggressor trade, and after 5 s it is stale and cancelled.
    assert.deepEqual(
      a.orders.map((o) => [o.reason, o.ts, o.status, o.rejectReason]),
      [['entry', abs[0].ts, 'cancelled', 'stale: not filled within 5000 ms of the decision']],
    );
    // Willing to wait past the selling, it fills at the first buyer (1:07:00).
    const patient = await run(config({ ...PIPE, execution: { staleAfter: '3m' } }), trades, { liqs });
    assert.equal(patient.trades[0].signal, 'absorption');
    assert.equal(patient.trades[0].entryTs, D + H + 7 * M);
  });

  it('trades only the absorption kinds the config enables, journaling the others with the reason', async () => {
    const { trades, liqs } = story([]);
    // Selling held at the 0:10 cascade's zone an hour later, no liquidation printing: a revisit.
    const all = await run(config(PIPE), trades, { liqs });
    const abs = all.signals.filter((s) => s.type === 'absorption');
    assert.equal(abs[0].evidence.kind, 'revisit');
    assert.equal(abs[0].evidence.liquidations_before, 0);
    const stopOnly = await run(config({ signals: { absorption: { lookbackWindows: 5, kinds: ['cascade-stop'] } } }), trades, { liqs });
    const vetoed = stopOnly.signals.filter((s) => s.type === 'absorption');
    assert.deepEqual([vetoed[0].ts, vetoed[0].acted, vetoed[0].vetoReason], [abs[0].ts, false, 'absorption kind revisit not traded']);
    assert.ok(!stopOnly.trades.some((t) => t.signal === 'absorption'));
    assert.throws(() => config({ signals: { absorption: { kinds: ['spring'] } } }), /signals\.absorption\.kinds\.0/);
    // The cluster rule comes from the config too: at 100 typical liquidations the 0:10 cascade is no zone.
    const strict = await run(config({ signals: { absorption: { lookbackWindows: 5 }, clusters: { clusterMultiple: 100 } } }), trades, { liqs });
    assert.deepEqual(strict.signals.filter((s) => s.type === 'absorption'), []);
    assert.deepEqual(config().signals.clusters, { halfLife: 4 * H, medianMultiple: 2, windowBins: 25, binMultiple: 3, clusterMultiple: 6, minIntensity: 0 });
    assert.throws(() => config({ signals: { absorption: { kinds: [] } } }), /signals\.absorption\.kinds/);
  });
});
