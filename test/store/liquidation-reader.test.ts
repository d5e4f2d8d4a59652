import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { liquidationSnapshots, type LiquidationColumns } from '../../src/features/liquidations.ts';
import { readLiquidations, type LiquidationQuery } from '../../src/store/liquidation-reader.ts';
import type { Store } from '../../src/store/store.ts';
import { realFile } from '../helpers/real-data.ts';
import { importInto, openTempStore } from '../helpers/store.ts';

const D = Date.UTC(2026, 0, 1);

/** [venue, symbol, ts ms (µs fraction allowed), price, qty, forced-order side], inserted in this order. */
type Row = [string, string, number, number, number, 'buy' | 'sell'];

async function insert(store: Store, rows: Row[]): Promise<void> {
  for (const [venue, symbol, ts, price, qty, side] of rows) {
    await store.run(
      "INSERT INTO liquidations (venue, symbol, ts, price, qty, side, liq_id, import_id) VALUES ($1, $2, make_timestamp($3::BIGINT), $4, $5, $6, '', 1)",
      [venue, symbol, BigInt(Math.round(ts * 1000)), price, qty, side],
    );
  }
}

/** Rows as [venue, ts, price, qty, side] tuples. */
function rowsOf(c: LiquidationColumns): [string, number, number, number, number][] {
  const out: [string, number, number, number, number][] = [];
  for (let i = 0; i < c.length; i++) out.push([c.venues[c.venue[i]], c.ts[i], c.price[i], c.qty[i], c.side[i]]);
  return out;
}

async function setup(): Promise<Store> {
  const store = await openTempStore();
  await insert(store, [
    ['okx', 'BTC-USDT-SWAP', D + 5, 10, 1, 'buy'],
    ['binance', 'BTCUSDT', D + 5, 11, 2, 'sell'],
    ['binance', 'BTCUSDT', D + 1.5, 12, 3, 'buy'],
    ['binance', 'BTCUSDT', D + 5, 13, 4, 'buy'], // same ts and venue as the 11: after it (insertion order)
    ['bybit', 'BTCUSDT', D + 2, 14, 5, 'sell'],
    ['binance', 'ETHUSDT', D + 3, 15, 6, 'buy'],
    ['okx', 'BTC-USDT-SWAP', D + 9, 16, 7, 'sell'],
  ]);
  return store;
}

describe('liquidation reader', () => {
  it('orders by ts, then the given venue order, then insertion order; keeps µs; side -1 = forced sell', async () => {
    const store = await setup();
    const q: LiquidationQuery = { venues: ['okx', 'binance'], symbols: ['BTCUSDT', 'BTC-USDT-SWAP'] };
    const c = await readLiquidations(store, q);
    assert.deepEqual(c.venues, ['okx', 'binance']);
    assert.deepEqual(rowsOf(c), [
      ['binance', D + 1.5, 12, 3, 1],
      ['okx', D + 5, 10, 1, 1],
      ['binance', D + 5, 11, 2, -1],
      ['binance', D + 5, 13, 4, 1],
      ['okx', D + 9, 16, 7, -1],
    ]);
    const r = await readLiquidations(store, { ...q, venues: ['binance', 'okx'] });
    assert.deepEqual(rowsOf(r).map((x) => x[2]), [12, 11, 13, 10, 16]);
  });

  it('filters by venue, symbol and [from, to), binding every value', async () => {
    const store = await setup();
    const c = await readLiquidations(store, { venues: ['binance', 'bybit', 'okx'], symbols: ['BTCUSDT', 'BTC-USDT-SWAP'], fromMs: D + 2, toMs: D + 9 });
    assert.deepEqual(rowsOf(c).map((x) => x[2]), [14, 11, 13, 10]);
    assert.equal((await readLiquidations(store, { venues: ['binance'], symbols: ["BTCUSDT' OR 1=1 --"] })).length, 0);
    assert.equal((await readLiquidations(store, { venues: [], symbols: ['BTCUSDT'] })).length, 0);
  });

  it('reads more rows than one DuckDB vector', async () => {
    const store = await openTempStore();
    await store.run(`INSERT INTO liquidations (venue, symbol, ts, price, qty, side, liq_id, import_id)
      SELECT 'bybit', 'XRPUSDT', make_timestamp(($1::BIGINT + i) * 1000), i + 1, 1, CASE WHEN i % 3 = 0 THEN 'sell' ELSE 'buy' END, '', 1 FROM range(5000) t(i)`, [BigInt(D)]);
    const c = await readLiquidations(store, { venues: ['bybit'], symbols: ['XRPUSDT'] });
    assert.equal(c.length, 5000);
    for (let i = 0; i < 5000; i++) {
      if (c.ts[i] !== D + i || c.price[i] !== i + 1 || c.side[i] !== (i % 3 === 0 ? -1 : 1)) assert.fail(`row ${i}: ${rowsOf(c)[i]}`);
    }
  });

  it('reads real OKX and Bybit liquidations imported from captures, ready for the liquidation map', async () => {
    const store = await openTempStore();
    await importInto(store, realFile('tardisnode-okex-futures-v5-ws-samples.jsonl'));
    await importInto(store, realFile('tardisnode-bybit-v5-ws-samples.jsonl'));
    // XRP inverse contracts on both venues: OKX XRP-USD-230929 (bkPx 0.55205, 39 contracts of 10 USD,
    // side buy: a short was liquidated; the capture holds the message twice) and Bybit legacy
    // `liquidation` XRPUSD (price 0.5149, 6949 USD contracts).
    const c = await readLiquidations(store, { venues: ['okx', 'bybit'], symbols: ['XRP-USD-230929', 'XRPUSD'] });
    const okxQty = (39 * 10) / 0.55205;
    const bybitQty = 6949 / 0.5149;
    assert.deepEqual(rowsOf(c).map(([v, ts, p, q, s]) => [v, ts, p, Number(q.toFixed(6)), s]), [
      ['okx', 1680173247614, 0.55205, Number(okxQty.toFixed(6)), 1],
      ['okx', 1680173247614, 0.55205, Number(okxQty.toFixed(6)), 1],
      ['bybit', 1680673944093, 0.5149, Number(bybitQty.toFixed(6)), 1],
    ]);
    // Short liquidations in 10 bps bins: two bins, one per venue, both notionals in USD.
    const [s] = liquidationSnapshots(c, undefined, [1680673944093], { bins: { bps: 10 }, retainMs: Infinity });
    assert.deepEqual(s.longs, []);
    assert.deepEqual(s.shorts.map((b) => [b.count, b.venue_mask, Math.round(b.notional)]), [[1, 8, 6949], [2, 4, 780]]);
    // Every venue's rows of one symbol: GALAUSDT "Buy" on Bybit's legacy topic is a long liquidated.
    const gala = await readLiquidations(store, { venues: ['bybit'], symbols: ['GALAUSDT'] });
    assert.deepEqual(rowsOf(gala), [['bybit', 1673251091822, 0.03803, 1637, -1]]);
  });
});
