import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../../src/store/store.ts';
import type { OpenInterestColumns } from '../../src/core/columns.ts';
import { readOpenInterest } from '../../src/store/ticker-reader.ts';
import { openTempStore } from '../helpers/store.ts';

const D = Date.UTC(2026, 0, 1);

/** [venue, symbol, ts ms (µs fraction allowed), open interest (null = none), mark price (null = none)], inserted in this order. */
type Row = [string, string, number, number | null, number | null];

async function insert(store: Store, rows: Row[]): Promise<void> {
  for (const [venue, symbol, ts, oi, mark] of rows) {
    await store.run('INSERT INTO tickers (venue, symbol, ts, open_interest, mark_price, import_id) VALUES ($1, $2, make_timestamp($3::BIGINT), $4, $5, 1)', [
      venue,
      symbol,
      BigInt(Math.round(ts * 1000)),
      oi,
      mark,
    ]);
  }
}

/** Rows as [venue, symbol, ts, open interest, mark price]. */
function rowsOf(c: OpenInterestColumns): [string, string, number, number, number][] {
  const out: [string, string, number, number, number][] = [];
  for (let i = 0; i < c.length; i++) {
    const m = c.markets[c.market[i]];
    out.push([m.venue, m.symbol, c.ts[i], c.openInterest[i], c.markPrice[i]]);
  }
  return out;
}

async function setup(): Promise<Store> {
  const store = await openTempStore();
  await insert(store, [
    ['okx', 'BTC-USDT-SWAP', D + 5, 100, 50_000],
    ['binance', 'BTCUSDT', D + 5, 200, null],
    ['binance', 'BTCUSDT', D + 1.5, 190, 49_000],
    ['binance', 'BTCUSDT', D + 3, null, 49_500], // a mark-price-only row: no open interest
    ['binance', 'BTCUSDT', D + 5, 201, null], // same ts and market as the 200: after it (insertion order)
    ['bybit', 'BTCUSDT', D + 2, 300, 49_800],
    ['binance', 'ETHUSDT', D + 4, 1000, 3000],
    ['okx', 'BTC-USDT-SWAP', D + 9, 110, null],
  ]);
  return store;
}

describe('open-interest reader', () => {
  it('reads rows with open interest by ts, then venue order, then symbol order, then insertion order; NULL mark is NaN', async () => {
    const store = await setup();
    const c = await readOpenInterest(store, { venues: ['okx', 'binance'], symbols: ['BTCUSDT', 'ETHUSDT', 'BTC-USDT-SWAP'] });
    assert.deepEqual(rowsOf(c), [
      ['binance', 'BTCUSDT', D + 1.5, 190, 49_000],
      ['binance', 'ETHUSDT', D + 4, 1000, 3000],
      ['okx', 'BTC-USDT-SWAP', D + 5, 100, 50_000],
      ['binance', 'BTCUSDT', D + 5, 200, NaN],
      ['binance', 'BTCUSDT', D + 5, 201, NaN],
      ['okx', 'BTC-USDT-SWAP', D + 9, 110, NaN],
    ]);
    // Only markets with rows, in (venue order, symbol order).
    assert.deepEqual(c.markets, [
      { venue: 'okx', symbol: 'BTC-USDT-SWAP' },
      { venue: 'binance', symbol: 'BTCUSDT' },
      { venue: 'binance', symbol: 'ETHUSDT' },
    ]);
    assert.deepEqual([...c.market], [1, 2, 0, 1, 1, 0]);
  });

  it('filters by venue, symbol and [from, to), binding every value', async () => {
    const store = await setup();
    const c = await readOpenInterest(store, { venues: ['binance', 'bybit'], symbols: ['BTCUSDT'], fromMs: D + 2, toMs: D + 5 });
    assert.deepEqual(rowsOf(c), [['bybit', 'BTCUSDT', D + 2, 300, 49_800]]);
    assert.equal((await readOpenInterest(store, { venues: ['binance'], symbols: ["BTCUSDT' OR 1=1 --"] })).length, 0);
    const none = await readOpenInterest(store, { venues: [], symbols: ['BTCUSDT'] });
    assert.deepEqual([none.length, none.markets], [0, []]);
  });

  it('reads more rows than one DuckDB vector', async () => {
    const store = await openTempStore();
    await store.run(
      `INSERT INTO tickers (venue, symbol, ts, open_interest, mark_price, import_id)
      SELECT 'bybit', 'XRPUSDT', make_timestamp(($1::BIGINT + i) * 1000), i, CASE WHEN i % 2 = 0 THEN NULL ELSE i END, 1 FROM range(5000) t(i)`,
      [BigInt(D)],
    );
    const c = await readOpenInterest(store, { venues: ['bybit'], symbols: ['XRPUSDT'] });
    assert.equal(c.length, 5000);
    for (let i = 0; i < 5000; i++) {
      assert.equal(c.ts[i], D + i);
      assert.equal(c.openInterest[i], i);
      assert.ok(i % 2 === 0 ? Number.isNaN(c.markPrice[i]) : c.markPrice[i] === i);
    }
  });
});
