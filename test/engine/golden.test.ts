/**
 * A golden master of the whole engine result on the backtest bench's synthetic market (500k
 * events, seeded: 12 hours with cascades, returns to the zones, book walls, marks, funding and
 * open interest). Speed work on the kernel, replay driver, pipeline, broker or margin maths must
 * leave every byte of the result (bars, equity, signals, orders, trades, zones, journal,
 * warnings) as it was; the per-rule tests cannot see a changed tie order or a rounding drift.
 *
 * When a change of rules is intended, the digest below changes with it: run this file, take the
 * new digest from the failure, and say in the commit why the result moved.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { generateMarket } from '../../bench/backtest.ts';
import { parseConfig } from '../../src/engine/config.ts';
import { Engine } from '../../src/engine/engine.ts';
import { seedStrategy } from '../../src/engine/seed-strategy.ts';
import { loadBundledInstruments } from '../../src/venues/bundled-instruments.ts';

/** sha256 of JSON.stringify(result), first 16 hex digits, recorded at 2e07371 (before the kernel speed-ups). */
const GOLDEN = 'c6bf5347bdccacdf';

describe('engine golden master', () => {
  it('the seed strategy on the 500k-event bench market gives the recorded result, byte for byte', async () => {
    const m = generateMarket(500_000);
    const config = parseConfig({ nullModel: { seeds: 0 } });
    const instrument = loadBundledInstruments().get('binance', 'BTCUSDT')!;
    const engine = new Engine(config, { venues: ['binance', 'bybit'], execVenue: 'binance', execSymbol: 'BTCUSDT', instrument }, seedStrategy(config));
    const r = await engine.run({ trades: m.chunks, liquidations: m.liquidations, openInterest: m.openInterest, marks: m.marks, books: [{ venue: 'binance', cols: m.book }] });
    // The market must exercise the whole loop, or the digest would guard an idle run.
    assert.ok(r.signals.length > 0 && r.trades.length > 0 && r.orders.length > 0 && r.zones.length > 0, 'the market makes signals, orders, trades and zones');
    const digest = createHash('sha256').update(JSON.stringify(r)).digest('hex').slice(0, 16);
    assert.equal(digest, GOLDEN, `result changed: ${r.signals.length} signals, ${r.orders.length} orders, ${r.trades.length} trades, final equity ${r.finalEquity}`);
  });
});
