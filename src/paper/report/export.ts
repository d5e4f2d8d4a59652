/**
 * `orderflow journal export --session NAME --out DIR`: a paper session's journal as a backtest run
 * folder's tables (run-folder.ts): the same file names and the same columns in the same order where
 * a table corresponds (trades, orders, equity, signals, predictions), CSV and Parquet. What the
 * paper journal has beyond a backtest comes as extra columns after the run folder's (signals: the
 * context the strategy saw) or extra files (fills, funding); docs/PAPER.md lists them.
 */
import { EQUITY_COLUMNS, ORDER_COLUMNS, PREDICTION_COLUMNS, SIGNAL_COLUMNS, TRADE_COLUMNS, writeTables, type FolderTable } from '../../engine/run-folder.ts';
import type { Store } from '../../store/store.ts';
import { reportSessions, sessionRows } from './rows.ts';

/** Signal columns a paper session has beyond a backtest's (paper_signals: zone, CVD, cross-venue agreement). */
export const PAPER_SIGNAL_EXTRA_COLUMNS = ['zoneLow', 'zoneHigh', 'zoneSide', 'zoneSource', 'cvd15m', 'cvd1h', 'cvd1d', 'venuesScore', 'venuesDisagree'];
export const FILL_COLUMNS = ['key', 'orderId', 'tradeId', 'ts', 'side', 'qty', 'price', 'fee', 'reason', 'settledOnResume'];
export const FUNDING_COLUMNS = ['ts', 'rate', 'side', 'qty', 'payment'];

/** snake_case column names of a journal row to the run folder's camelCase. */
function camel(row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(row)) out[k.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase())] = v;
  return out;
}

export async function exportSession(store: Store, name: string, dir: string): Promise<string[]> {
  const [s] = await reportSessions(store, name);
  const r = await sessionRows(store, s);
  const predictions = r.predictions.flatMap((p) => p.outcomes.map((o) => ({ id: p.id, ts: p.ts, type: p.type, direction: p.direction, level: p.level, venue: p.venue, session: p.session, ref_price: p.refPrice, ...o })));
  const tables: Record<string, FolderTable> = {
    trades: { rows: r.trades, columns: TRADE_COLUMNS },
    orders: { rows: r.orders.map(camel), columns: ORDER_COLUMNS },
    equity: { rows: r.equity, columns: EQUITY_COLUMNS },
    signals: { rows: r.signals.map((x) => ({ ...camel(x), session: x.market_session })), columns: [...SIGNAL_COLUMNS, ...PAPER_SIGNAL_EXTRA_COLUMNS] },
    predictions: { rows: predictions, columns: PREDICTION_COLUMNS },
    fills: { rows: r.fills.map(camel), columns: FILL_COLUMNS },
    funding: { rows: r.funding, columns: FUNDING_COLUMNS },
  };
  return writeTables(dir, tables);
}
