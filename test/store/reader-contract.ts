/**
 * What every columnar store reader (trades, liquidations) must do alike: order by ts, then the
 * caller's venue order, then insertion order, keep µs, filter by venue, symbol and [from, to)
 * with every value bound. Each reader's test file runs `readerContract` and adds its own cases.
 */
import assert from 'node:assert/strict';
import { it } from 'node:test';
import type { Venue } from '../../src/core/events.ts';
import type { Store } from '../../src/store/store.ts';
import { openTempStore } from '../helpers/store.ts';

export const D = Date.UTC(2026, 0, 1);

/** [venue, symbol, ts ms (µs fraction allowed), price, qty, side], inserted in this order. */
export type Row = [string, string, number, number, number, 'buy' | 'sell'];

/** What both readers return: one column per field, venues as indexes into `venues`. */
export interface ReadColumns {
  readonly length: number;
  readonly venues: readonly string[];
  readonly venue: ArrayLike<number>;
  readonly ts: ArrayLike<number>;
  readonly price: ArrayLike<number>;
  readonly qty: ArrayLike<number>;
  readonly side: ArrayLike<number>;
}

export interface ReaderQuery {
  readonly venues: readonly Venue[];
  readonly symbols: readonly string[];
  readonly fromMs?: number;
  readonly toMs?: number;
}

const INSERTS = {
  trades: 'INSERT INTO trades (venue, symbol, ts, price, qty, side, import_id) VALUES ($1, $2, make_timestamp($3::BIGINT), $4, $5, $6, 1)',
  liquidations: "INSERT INTO liquidations (venue, symbol, ts, price, qty, side, liq_id, import_id) VALUES ($1, $2, make_timestamp($3::BIGINT), $4, $5, $6, '', 1)",
} as const;

export async function insertRows(store: Store, table: keyof typeof INSERTS, rows: readonly Row[]): Promise<void> {
  for (const [venue, symbol, ts, price, qty, side] of rows) {
    await store.run(INSERTS[table], [venue, symbol, BigInt(Math.round(ts * 1000)), price, qty, side]);
  }
}

/** Rows as [venue, ts, price, qty, side] tuples. */
export function rowsOf(c: ReadColumns): [string, number, number, number, number][] {
  const out: [string, number, number, number, number][] = [];
  for (let i = 0; i < c.length; i++) out.push([c.venues[c.venue[i]], c.ts[i], c.price[i], c.qty[i], c.side[i]]);
  return out;
}

/** A store holding seven rows of three venues and three symbols, out of time order. */
export async function storeWithRows(table: keyof typeof INSERTS): Promise<Store> {
  const store = await openTempStore();
  await insertRows(store, table, [
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

/** The shared cases, inside the caller's `describe`. */
export function readerContract(table: keyof typeof INSERTS, read: (store: Store, q: ReaderQuery) => Promise<ReadColumns>): void {
  it('orders by ts, then the given venue order, then insertion order; keeps µs; side -1 = sell', async () => {
    const store = await storeWithRows(table);
    const q: ReaderQuery = { venues: ['okx', 'binance'], symbols: ['BTCUSDT', 'BTC-USDT-SWAP'] };
    const c = await read(store, q);
    assert.deepEqual(c.venues, ['okx', 'binance']);
    assert.deepEqual(rowsOf(c), [
      ['binance', D + 1.5, 12, 3, 1],
      ['okx', D + 5, 10, 1, 1],
      ['binance', D + 5, 11, 2, -1],
      ['binance', D + 5, 13, 4, 1],
      ['okx', D + 9, 16, 7, -1],
    ]);
    const r = await read(store, { ...q, venues: ['binance', 'okx'] });
    assert.deepEqual(rowsOf(r).map((x) => x[2]), [12, 11, 13, 10, 16]);
  });

  it('filters by venue, symbol and [from, to), binding every value', async () => {
    const store = await storeWithRows(table);
    const c = await read(store, { venues: ['binance', 'bybit', 'okx'], symbols: ['BTCUSDT', 'BTC-USDT-SWAP'], fromMs: D + 2, toMs: D + 9 });
    assert.deepEqual(rowsOf(c).map((x) => x[2]), [14, 11, 13, 10]);
    assert.equal((await read(store, { venues: ['binance'], symbols: ["BTCUSDT' OR 1=1 --"] })).length, 0);
    assert.equal((await read(store, { venues: [], symbols: ['BTCUSDT'] })).length, 0);
  });
}
