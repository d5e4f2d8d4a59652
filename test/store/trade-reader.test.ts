import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TradeColumns } from '../../src/core/columns.ts';
import type { Store } from '../../src/store/store.ts';
import { readTrades, streamTrades, type TradeQuery } from '../../src/store/trade-reader.ts';
import { openTempStore } from '../helpers/store.ts';

const D = Date.UTC(2026, 0, 1);

/** [venue, symbol, ts ms (µs fraction allowed), price, qty, side], inserted in this order. */
type Row = [string, string, number, number, number, 'buy' | 'sell'];

async function insert(store: Store, rows: Row[]): Promise<void> {
  for (const [venue, symbol, ts, price, qty, side] of rows) {
    await store.run(
      'INSERT INTO trades (venue, symbol, ts, price, qty, side, import_id) VALUES ($1, $2, make_timestamp($3::BIGINT), $4, $5, $6, 1)',
      [venue, symbol, BigInt(Math.round(ts * 1000)), price, qty, side],
    );
  }
}

/** Rows as [venue, ts, price, qty, side] tuples. */
function rowsOf(c: TradeColumns): [string, number, number, number, number][] {
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

describe('trade reader', () => {
  it('orders by ts, then the given venue order, then insertion order; keeps µs', async () => {
    const store = await setup();
    const q: TradeQuery = { venues: ['okx', 'binance'], symbols: ['BTCUSDT', 'BTC-USDT-SWAP'] };
    const c = await readTrades(store, q);
    assert.deepEqual(c.venues, ['okx', 'binance']);
    assert.deepEqual(rowsOf(c), [
      ['binance', D + 1.5, 12, 3, 1],
      ['okx', D + 5, 10, 1, 1],
      ['binance', D + 5, 11, 2, -1],
      ['binance', D + 5, 13, 4, 1],
      ['okx', D + 9, 16, 7, -1],
    ]);
    const r = await readTrades(store, { ...q, venues: ['binance', 'okx'] });
    assert.deepEqual(rowsOf(r).map((x) => x[2]), [12, 11, 13, 10, 16]);
  });

  it('filters by venue, symbol and [from, to)', async () => {
    const store = await setup();
    const c = await readTrades(store, { venues: ['binance', 'bybit', 'okx'], symbols: ['BTCUSDT', 'BTC-USDT-SWAP'], fromMs: D + 2, toMs: D + 9 });
    assert.deepEqual(rowsOf(c).map((x) => x[2]), [14, 11, 13, 10]);
    assert.equal((await readTrades(store, { venues: ['binance'], symbols: ["BTCUSDT' OR 1=1 --"] })).length, 0);
    assert.equal((await readTrades(store, { venues: [], symbols: ['BTCUSDT'] })).length, 0);
  });

  it('streams chunks that concatenate to the whole read', async () => {
    const store = await setup();
    const q: TradeQuery = { venues: ['binance', 'bybit', 'okx'], symbols: ['BTCUSDT', 'BTC-USDT-SWAP', 'ETHUSDT'] };
    const chunks: TradeColumns[] = [];
    for await (const c of streamTrades(store, q, 2)) chunks.push(c);
    assert.deepEqual(chunks.map((c) => c.length), [2, 2, 2, 1]);
    assert.deepEqual(chunks.flatMap(rowsOf), rowsOf(await readTrades(store, q)));
  });

  it('reads more rows than one DuckDB vector across chunk borders', async () => {
    const store = await openTempStore();
    await store.run(`INSERT INTO trades (venue, symbol, ts, price, qty, side, import_id)
      SELECT 'bybit', 'XRPUSDT', make_timestamp(($1::BIGINT + i) * 1000), i, 1, CASE WHEN i % 3 = 0 THEN 'sell' ELSE 'buy' END, 1 FROM range(5000) t(i)`, [BigInt(D)]);
    const q: TradeQuery = { venues: ['bybit'], symbols: ['XRPUSDT'] };
    const all = await readTrades(store, q);
    assert.equal(all.length, 5000);
    for (let i = 0; i < 5000; i++) assert.ok(all.price[i] === i && all.ts[i] === D + i && all.side[i] === (i % 3 === 0 ? -1 : 1));
    let n = 0;
    for await (const c of streamTrades(store, q, 3000)) {
      assert.equal(c.price[0], n);
      n += c.length;
    }
    assert.equal(n, 5000);
  });
});
