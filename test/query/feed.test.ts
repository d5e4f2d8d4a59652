import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LiquidationColumns, TradeColumns } from '../../src/core/columns.ts';
import type { TradeOperator } from '../../src/features/operator.ts';
import { feedStoredTrades, feedTradesAndLiquidations } from '../../src/query/feed.ts';
import { marketQueryOf, type MarketQuery } from '../../src/query/market.ts';
import { readLiquidations } from '../../src/store/liquidation-reader.ts';
import type { Store } from '../../src/store/store.ts';
import { loadBundledInstruments } from '../../src/venues/bundled-instruments.ts';
import { openTempStore } from '../helpers/store.ts';

const D = Date.UTC(2026, 0, 1);

async function storeWith(trades: [number, number][], liqs: [number, number][]): Promise<Store> {
  const s = await openTempStore();
  for (const [ts, price] of trades) {
    await s.run("INSERT INTO trades (venue, symbol, ts, price, qty, side, import_id) VALUES ('binance', 'BTCUSDT', make_timestamp($1::BIGINT), $2, 1, 'buy', 1)", [BigInt((D + ts) * 1000), price]);
  }
  for (const [ts, price] of liqs) {
    await s.run("INSERT INTO liquidations (venue, symbol, ts, price, qty, side, liq_id, import_id) VALUES ('binance', 'BTCUSDT', make_timestamp($1::BIGINT), $2, 1, 'sell', '', 1)", [BigInt((D + ts) * 1000), price]);
  }
  return s;
}

function query(): MarketQuery {
  return marketQueryOf(loadBundledInstruments(), 'BTCUSDT', [['binance', 'BTCUSDT']], undefined, undefined);
}

/** Every row pushed, as `T<ms>` or `L<ms>` (ms after D), in push order. */
class Recorder {
  readonly seen: string[] = [];
  pushTrades(c: TradeColumns, from: number, to: number): void {
    for (let i = from; i < to; i++) this.seen.push(`T${c.ts[i] - D}`);
  }
  pushLiquidations(c: LiquidationColumns, from: number, to: number): void {
    for (let i = from; i < to; i++) this.seen.push(`L${c.ts[i] - D}`);
  }
}

describe('store -> operator feeding', () => {
  it('merges stored trades and liquidations by time, trades first at equal ts', async () => {
    const store = await storeWith([[1, 100], [2, 101], [2, 102], [5, 103]], [[2, 99], [3, 98], [5, 97], [7, 96]]);
    try {
      const q = query();
      const rec = new Recorder();
      await feedTradesAndLiquidations(store, q, await readLiquidations(store, q), rec);
      assert.deepEqual(rec.seen, ['T1', 'T2', 'T2', 'L2', 'L3', 'T5', 'L5', 'L7']);
    } finally {
      store.close();
    }
  });

  it('pushes every stored trade through each operator once, flushes them, and counts the trades', async () => {
    const store = await storeWith([[1, 100], [4, 101], [9, 102]], []);
    const home = store.home;
    store.close();
    const seen: number[][] = [[], []];
    const flushed = [0, 0];
    const ops: TradeOperator[] = [0, 1].map((k) => ({
      push: (c: TradeColumns) => {
        for (let i = 0; i < c.length; i++) seen[k].push(c.ts[i] - D);
      },
      flush: () => void flushed[k]++,
    }));
    assert.equal(await feedStoredTrades(home, query(), ops), 3);
    assert.deepEqual(seen, [[1, 4, 9], [1, 4, 9]]);
    assert.deepEqual(flushed, [1, 1]);
  });
});
