import type { TradeOperator } from '../features/operator.ts';
import { Store } from '../store/store.ts';
import { streamTrades, type TradeQuery } from '../store/trade-reader.ts';
import { existingHome, type HomeOpts } from './common.ts';

/** Push a market's stored trades through operators in time order, then flush them; returns the trade count. */
export async function feedStoredTrades(opts: HomeOpts, q: TradeQuery, ops: readonly TradeOperator[]): Promise<number> {
  const store = await Store.open(existingHome(opts), { readOnly: true });
  let trades = 0;
  try {
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
