/**
 * Store -> operators: a market's stored trades (and liquidations) pushed through operators in
 * time order.
 */
import type { LiquidationColumns, TradeColumns } from '../core/columns.ts';
import { replay } from '../engine/replay.ts';
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

/** An operator that takes trades and liquidations merged by time (the absorption operator). */
export interface TradesAndLiquidationsConsumer {
  pushTrades(c: TradeColumns, from: number, to: number): void;
  pushLiquidations(c: LiquidationColumns, from: number, to: number): void;
}

/**
 * Push a market's stored trades and the liquidations `liqs` through `op`, merged by time with the
 * engine's replay merge (src/engine/replay.ts): at equal ts the trades come first, as in every
 * operator's batch path. The caller flushes.
 */
export async function feedTradesAndLiquidations(store: Store, q: MarketQuery, liqs: LiquidationColumns, op: TradesAndLiquidationsConsumer): Promise<void> {
  for await (const run of replay({ trades: streamTrades(store, q), liquidations: liqs })) {
    if (run.kind === 'trades') op.pushTrades(run.cols, run.from, run.to);
    else if (run.kind === 'liquidations') op.pushLiquidations(run.cols, run.from, run.to);
  }
}
