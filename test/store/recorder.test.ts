/** The recorder: batches committed every flush, gaps, the ledger row, raw capture re-importable, book message ids unique across flushes. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, it } from 'node:test';
import type { MarketEvent } from '../../src/core/events.ts';
import { Recorder } from '../../src/store/recorder.ts';
import { readBook } from '../../src/store/book-reader.ts';
import { Store } from '../../src/store/store.ts';
import { importInto, tempDir } from '../helpers/store.ts';

const T = Date.UTC(2026, 7, 9, 21, 27);
const trade = (i: number): MarketEvent => ({ type: 'trade', venue: 'bybit', symbol: 'BTCUSDT', ts: T + i, localTs: T + i + 5, price: 65_000 + i, qty: 0.01, side: i % 2 ? 'buy' : 'sell', id: String(1000 + i) });
const book = (i: number, snap: boolean): MarketEvent => ({ type: 'book', venue: 'bybit', symbol: 'BTCUSDT', ts: T + i, localTs: T + i, isSnapshot: snap, bids: [[65_000 - i, 1]], asks: [[65_001 + i, 2]], seq: i });

describe('recorder', () => {
  it('commits batches, gaps and the ledger; book messages stay distinct across flushes', async () => {
    const home = join(tempDir(), 'home');
    const store = await Store.open(home);
    const rec = await Recorder.open(store, { label: 'record bybit BTCUSDT', flushMs: 1000 });
    const h = rec.handlers('bybit');
    h.onEvents([trade(0), trade(1), book(2, true)], T);
    await rec.flush();
    h.onEvents([trade(3), book(4, false)], T);
    h.onGap?.({ venue: 'bybit', symbol: 'BTCUSDT', kind: 'disconnect', fromTs: T + 3, toTs: T + 4, backfilled: false, detail: 'closed (1006)' });
    await rec.flush();
    const [{ status: during }] = await store.rows<{ status: string }>("SELECT status FROM imports WHERE format = 'record'");
    assert.equal(during, 'recording');
    await rec.close();
    const [{ n }] = await store.rows<{ n: bigint }>('SELECT count(*) AS n FROM trades');
    assert.equal(Number(n), 3);
    const [g] = await store.rows<{ type: string; reason: string }>('SELECT type, reason FROM gaps');
    assert.deepEqual(g, { type: 'disconnect', reason: 'closed (1006)' });
    const [led] = await store.rows<{ status: string; rows: bigint }>("SELECT status, rows FROM imports WHERE format = 'record'");
    assert.equal(led.status, 'ok');
    assert.equal(Number(led.rows), 3 + 4);
    const b = await readBook(store, { venue: 'bybit', symbol: 'BTCUSDT' });
    assert.equal(b.length, 2, 'two book messages, not merged by a reused id');
    assert.deepEqual(Array.from(b.isSnapshot), [1, 0]);
    assert.equal((rec.stats().flushes), 2);
    store.close();
  });

  it('a raw capture is one <local_ns> <json> line per frame and imports back', async () => {
    const dir = tempDir();
    const store = await Store.open(join(dir, 'home'));
    const rec = await Recorder.open(store, { label: 'record bybit BTCUSDT', rawDir: join(dir, 'raw') });
    const frame = readFileSync(new URL('../../samples/bybit/bybit-v5-linear-ws-publicTrade-2026-08-09.jsonl', import.meta.url), 'utf8').split('\n')[0];
    rec.handlers('bybit').onRawFrame!(frame, 1_786_310_819_681_000_000n);
    await rec.close();
    const [raw] = rec.rawFiles();
    assert.match(raw, /raw\/bybit-.*\.jsonl\.gz$/);
    const lines = gunzipSync(readFileSync(raw)).toString('utf8').trim().split('\n');
    assert.equal(lines.length, 1);
    assert.match(lines[0], /^1786310819681000000 \{/);
    const r = await importInto(store, raw);
    assert.equal(r.status, 'imported');
    assert.ok(r.rows > 0);
    store.close();
  });

  it('refuses a flush period over one second', async () => {
    const store = await Store.open(join(tempDir(), 'home'));
    await assert.rejects(Recorder.open(store, { label: 'x', flushMs: 5000 }), /flushMs must be in \(0, 1000\]/);
    store.close();
  });
});
