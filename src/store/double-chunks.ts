/**
 * What the columnar readers (trades, book, liquidations, tickers) share: a query whose columns
 * are all DOUBLE, read chunk by chunk as typed arrays. A failed query or chunk is a StoreError
 * `E_STORE_QUERY`, "reading <what> failed".
 */
import type { DuckDBValue } from '@duckdb/node-api';
import { StoreError } from '../core/errors.ts';
import type { ChunkStream, Store } from './store.ts';

export interface DoubleChunk {
  readonly rows: number;
  /**
   * The chunk's first `columns` columns. Views DuckDB may reuse for the next chunk (and longer
   * than `rows`): copy what outlives it.
   */
  readonly cols: readonly Float64Array[];
}

export async function* doubleChunks(store: Store, sql: string, values: DuckDBValue[], columns: number, what: string): AsyncGenerator<DoubleChunk> {
  const failed = (e: unknown) => new StoreError('E_STORE_QUERY', `reading ${what} failed`, e);
  let result: ChunkStream;
  try {
    result = await store.stream(sql, values);
  } catch (e) {
    throw failed(e);
  }
  for (;;) {
    let chunk;
    try {
      chunk = await result.fetchChunk();
    } catch (e) {
      throw failed(e);
    }
    if (!chunk || chunk.rowCount === 0) return;
    const cols: Float64Array[] = [];
    for (let c = 0; c < columns; c++) cols.push((chunk.getColumnVector(c) as unknown as { items: Float64Array }).items);
    yield { rows: chunk.rowCount, cols };
  }
}
