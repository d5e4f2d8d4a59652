/** Where the recorded trade streams stopped: the seed a restarted `record` gives its connectors. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { MarketEvent } from '../../src/core/events.ts';
import { Recorder } from '../../src/store/recorder.ts';
import { Store } from '../../src/store/store.ts';
import { tradeResumePoints } from '../../src/store/trade-resume.ts';
import { importInto, tempDir } from '../helpers/store.ts';

const T = Date.UTC(2026, 7, 9, 21, 27);
const trade = (venue: 'binance' | 'bybit', symbol: string, ts: number, id: string): MarketEvent => ({ type: 'trade', venue, symbol, ts, localTs: ts, price: 65_000, qty: 0.01, side: 'buy', id });
const ARCHIVE = fileURLToPath(new URL('../fixtures/binance/archive/BTCUSDT-aggTrades-2024-08-08.csv', import.meta.url));

describe('tradeResumePoints', () => {
  it('per symbol: the highest id and the newest time of recorded trades, with the ids at that ms; archives and other venues do not count', async () => {
    const store = await Store.open(join(tempDir(), 'home'));
    try {
      // An imported archive with far higher ids is not a recording to resume.
      await importInto(store, ARCHIVE);
      const rec = await Recorder.open(store, { label: 'record', flushMs: 1000 });
      rec.handlers('binance').onEvents([trade('binance', 'BTCUSDT', T, '41'), trade('binance', 'BTCUSDT', T + 5, '42'), trade('binance', 'ETHUSDT', T + 1, '7')], T);
      const u1 = '0f0e0d0c-0b0a-4908-8706-050403020100';
      const u2 = 'ffffffff-0b0a-4908-8706-050403020100';
      rec.handlers('bybit').onEvents([trade('bybit', 'BTCUSDT', T + 9, u1), trade('bybit', 'BTCUSDT', T + 9, u2), trade('bybit', 'BTCUSDT', T + 3, '00000000-0000-4000-8000-000000000001')], T);
      await rec.close();
      const binance = await tradeResumePoints(store, 'binance', ['BTCUSDT', 'ETHUSDT', 'SOLUSDT']);
      assert.deepEqual(Object.fromEntries(binance), {
        BTCUSDT: { lastId: 42, lastTs: T + 5, idsAtLastTs: ['42'] },
        ETHUSDT: { lastId: 7, lastTs: T + 1, idsAtLastTs: ['7'] },
      });
      const bybit = await tradeResumePoints(store, 'bybit', ['BTCUSDT']);
      assert.equal(bybit.get('BTCUSDT')!.lastId, undefined, 'UUIDs: time only');
      assert.equal(bybit.get('BTCUSDT')!.lastTs, T + 9);
      assert.deepEqual([...bybit.get('BTCUSDT')!.idsAtLastTs!].sort(), [u1, u2]);
    } finally {
      store.close();
    }
  });
});
