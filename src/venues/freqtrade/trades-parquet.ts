/** freqtrade's `<pair>-trades.parquet` (`--data-format-trades parquet`), read by DuckDB: see trades.ts for the layout. */
import { FileError, ParseError } from '../../core/errors.ts';
import { FREQTRADE_TRADE_COLUMNS, positiveOf, sideOf, timestampOf, type TradeRows, TradeRowsBuilder } from './trades.ts';

/** DuckDB's native module, loaded only when a Parquet file is read (`.default`: it is CommonJS, see store.ts). */
const duckdb = async () => (await import('@duckdb/node-api')).default;

/** A freqtrade `<pair>-trades.parquet`, in file order. */
export async function readFreqtradeParquet(path: string): Promise<TradeRows> {
  const { DuckDBInstance } = await duckdb();
  const instance = await DuckDBInstance.create(':memory:', { memory_limit: process.env.ORDERFLOW_MEMORY_LIMIT ?? '256MB' });
  const conn = await instance.connect();
  try {
    let names: string[];
    try {
      names = (await conn.runAndReadAll('DESCRIBE SELECT * FROM read_parquet($1)', [path])).getRowObjectsJS().map((r) => String(r.column_name));
    } catch (e) {
      throw new FileError('E_FORMAT', path, `not a readable Parquet file: ${(e as Error).message.split('\n')[0]}`);
    }
    const missing = ['timestamp', 'side', 'price', 'amount'].filter((c) => !names.includes(c));
    if (missing.length > 0) {
      throw new FileError('E_FORMAT', path, `no column ${missing.join(', ')}: expected freqtrade's trade columns ${FREQTRADE_TRADE_COLUMNS.join(', ')} (got ${names.join(', ') || 'none'})`);
    }
    const result = await conn.runAndReadAll('SELECT "timestamp"::DOUBLE, "side"::VARCHAR, "price"::DOUBLE, "amount"::DOUBLE FROM read_parquet($1)', [path]);
    const [ts, side, price, amount] = result.getColumnsJS();
    const out = new TradeRowsBuilder(ts.length);
    for (let i = 0; i < ts.length; i++) {
      try {
        out.push(timestampOf(ts[i]), positiveOf(price[i], 'price'), positiveOf(amount[i], 'amount'), sideOf(side[i]));
      } catch (e) {
        if (e instanceof ParseError) throw e.at(`${path}: row ${i + 1}`);
        throw e;
      }
    }
    return out.done();
  } finally {
    conn.closeSync();
    instance.closeSync();
  }
}

