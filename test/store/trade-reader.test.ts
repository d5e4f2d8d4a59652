import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { TradeColumns } from '../../src/core/columns.ts';
import { readTrades, streamTrades, type TradeQuery } from '../../src/store/trade-reader.ts';
import { openTempStore } from '../helpers/store.ts';
import { D, readerContract, rowsOf, storeWithRows } from './reader-contract.ts';

describe('trade reader', () => {
  readerContract('trades', readTrades);

  it('streams chunks that concatenate to the whole read', async () => {
    const store = await storeWithRows('trades');
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
