/**
 * Store -> operators: a market's stored trades pushed through trade operators in time order.
 */
import type { TradeOperator } from '../features/operator.ts';
import { Store } from '../store/store.ts';
import { streamTrades } from '../store/trade-reader.ts';
import { confirmMarketQuery, type MarketQuery } from './market.ts';

/** Push a market's stored trades (store in `home`) through operators in time order, then flush them; returns the trade count. */
export async function feedStoredTrades(home: string, q: MarketQuery, ops: readonly TradeOperator[]): Promise<number> {
  const store = await Store.open(home, { readOnly: true });
  let trades = 0;
  try {
    await confirmMarketQuery(store, q);
    for await (const chunk of streamTrades(store, q)) {
      trades += chunk.length;
      for (const op of ops) op.push(chunk);
    }
    for (const op of ops) op.flush();
  } finally {
    store.close();
  }
  return trades;
}
