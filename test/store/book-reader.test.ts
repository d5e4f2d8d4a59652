import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { BookEvent, BookLevel } from '../../src/core/events.ts';
import { bookColumns, type BookColumns } from '../../src/features/book.ts';
import { readBook, streamBook, type BookQuery } from '../../src/store/book-reader.ts';
import type { Store } from '../../src/store/store.ts';
import { importInto, openTempStore } from '../helpers/store.ts';

const D = Date.UTC(2026, 0, 1);

/** [venue, symbol, ts ms, import_id, msg, is_snapshot, side, price, qty, seq (null = none)], inserted in this order. */
type Row = [string, string, number, number, number, boolean, 'buy' | 'sell', number, number, number | null];

async function insert(store: Store, rows: Row[]): Promise<void> {
  for (const [venue, symbol, ts, importId, msg, snap, side, price, qty, seq] of rows) {
    await store.run(
      'INSERT INTO book (venue, symbol, ts, msg, is_snapshot, side, price, qty, seq, import_id) VALUES ($1, $2, make_timestamp($3::BIGINT), $4, $5, $6, $7, $8, $9, $10)',
      [venue, symbol, BigInt(Math.round(ts * 1000)), BigInt(msg), snap, side, price, qty, seq, importId],
    );
  }
}

/** Messages as [ts, snapshot, seq, [[side, price, qty], ...]]. */
function messagesOf(c: BookColumns): [number, number, number, [number, number, number][]][] {
  const out: [number, number, number, [number, number, number][]][] = [];
  for (let m = 0; m < c.length; m++) {
    const lv: [number, number, number][] = [];
    for (let r = c.levelStart[m]; r < c.levelStart[m + 1]; r++) lv.push([c.side[r], c.price[r], c.qty[r]]);
    out.push([c.ts[m], c.isSnapshot[m], c.seq[m], lv]);
  }
  return out;
}

async function setup(): Promise<Store> {
  const store = await openTempStore();
  await insert(store, [
    // Import 1 numbers its messages -1, -2, ... (the WebSocket-capture sink does).
    ['bybit', 'BTCUSDT', D + 10, 1, -1, true, 'buy', 100, 1, 7],
    ['bybit', 'BTCUSDT', D + 10, 1, -1, true, 'sell', 101, 2, 7],
    ['bybit', 'BTCUSDT', D + 20, 1, -2, false, 'sell', 101, 0, 8],
    ['bybit', 'BTCUSDT', D + 20, 1, -3, false, 'buy', 99, 3, 9], // same ts, next message: after -2
    // Import 2 numbers upwards and reuses msg -2: (import_id, msg) is the message, not msg.
    ['bybit', 'BTCUSDT', D + 15, 2, -2, false, 'buy', 98, 4, null],
    ['bybit', 'BTCUSDT', D + 15, 2, -2, false, 'buy', 97, 5, null],
    ['bybit', 'BTCUSDT', D + 20, 2, 1, false, 'sell', 102, 6, null], // ts 20, inserted after import 1's: last
    ['bybit', 'ETHUSDT', D + 12, 1, -4, false, 'buy', 10, 1, null],
    ['okx', 'BTCUSDT', D + 12, 3, 1, true, 'buy', 10, 1, null],
  ]);
  return store;
}

const Q: BookQuery = { venue: 'bybit', symbol: 'BTCUSDT' };

describe('book reader', () => {
  it('groups levels by (import_id, msg); orders by ts, then insertion; keeps level order; NULL seq is NaN', async () => {
    const store = await setup();
    assert.deepEqual(messagesOf(await readBook(store, Q)), [
      [D + 10, 1, 7, [[1, 100, 1], [-1, 101, 2]]],
      [D + 15, 0, NaN, [[1, 98, 4], [1, 97, 5]]],
      [D + 20, 0, 8, [[-1, 101, 0]]],
      [D + 20, 0, 9, [[1, 99, 3]]],
      [D + 20, 0, NaN, [[-1, 102, 6]]],
    ]);
  });

  it('filters by venue, symbol and [from, to); binds every value', async () => {
    const store = await setup();
    assert.deepEqual(messagesOf(await readBook(store, { ...Q, fromMs: D + 15, toMs: D + 20 })).map((m) => m[0]), [D + 15]);
    assert.deepEqual(messagesOf(await readBook(store, { venue: 'okx', symbol: 'BTCUSDT' })).map((m) => m[3]), [[[1, 10, 1]]]);
    assert.equal((await readBook(store, { ...Q, symbol: "BTCUSDT' OR 1=1 --" })).length, 0);
  });

  it('streams message-aligned chunks that join to the whole read', async () => {
    const store = await setup();
    const chunks: BookColumns[] = [];
    for await (const c of streamBook(store, Q, 2)) chunks.push(c);
    assert.deepEqual(chunks.map((c) => c.length), [2, 2, 1]);
    assert.deepEqual(chunks.flatMap(messagesOf), messagesOf(await readBook(store, Q)));
  });

  it('reads back the Bybit orderbook.200 capture message for message', async () => {
    const file = fileURLToPath(new URL('../../samples/bybit/bybit-v5-linear-ws-orderbook200-2026-08-09.jsonl.gz', import.meta.url));
    const store = await openTempStore();
    await importInto(store, file);
    const frames = gunzipSync(readFileSync(file)).toString('utf8').trim().split('\n').map((l) => JSON.parse(l));
    const lv = (xs: [string, string][]): BookLevel[] => xs.map(([p, q]) => [Number(p), Number(q)]);
    const expected: BookEvent[] = frames
      .filter((f) => f.topic === 'orderbook.200.BTCUSDT')
      // Book time is the matching engine's `cts` (docs/normalization/bybit.md), else the frame `ts`.
      .map((f) => ({ type: 'book', venue: 'bybit', symbol: 'BTCUSDT', ts: f.cts ?? f.ts, localTs: NaN, isSnapshot: f.type === 'snapshot', bids: lv(f.data.b), asks: lv(f.data.a), seq: f.data.u }));
    // Book times are non-decreasing in the capture, so file order is time order.
    assert.ok(expected.every((e, i) => i === 0 || e.ts >= expected[i - 1].ts));
    const got = await readBook(store, Q);
    assert.equal(got.length, 414);
    assert.deepEqual(messagesOf(got), messagesOf(bookColumns(expected)));
  });
});
