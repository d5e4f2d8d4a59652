import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { liquidationSnapshots } from '../../src/features/liquidations.ts';
import { readLiquidations } from '../../src/store/liquidation-reader.ts';
import { realFile } from '../helpers/real-data.ts';
import { importInto, openTempStore } from '../helpers/store.ts';
import { D, readerContract, rowsOf } from './reader-contract.ts';

describe('liquidation reader', () => {
  // Side is the forced order's: -1 = a forced sell (a long liquidated).
  readerContract('liquidations', readLiquidations);

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
