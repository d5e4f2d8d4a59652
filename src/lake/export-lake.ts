/**
 * `orderflow export --layout lake`: the store's rows as the lake (src/lake/layout.ts), written by
 * DuckDB's partitioned COPY, so tests and a one-machine desk build a lake without the bus.
 */
import { mkdirSync } from 'node:fs';
import { exportCount, exportWhere, type ExportFilter, type ExportResult } from '../store/parquet.ts';
import { DATA_TABLES } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import { lakeCopyTarget, lakeSelect, tableRoot } from './layout.ts';

export async function exportLake(store: Store, root: string, filter: ExportFilter = {}): Promise<ExportResult[]> {
  const results: ExportResult[] = [];
  for (const table of filter.tables ?? DATA_TABLES) {
    const n = await exportCount(store, table, filter);
    if (n === 0) continue;
    const { cond, values } = exportWhere(table, filter);
    const dir = tableRoot(root, table);
    // DuckDB creates the partition folders but not the table's own.
    mkdirSync(dir, { recursive: true });
    // One thread: DuckDB's partitioned writer interleaves the sorted rows across its threads,
    // and the lake's row order is what breaks same-timestamp ties (layout.ts).
    // A setting, not a write: on the store's own connection, which is also where the COPY runs
    // when the store is read through a recorder (store.run refuses statements there).
    await store.conn.run('SET threads = 1');
    try {
      await store.copyQuery(lakeSelect(table, table, cond), values, lakeCopyTarget(root, table));
    } finally {
      await store.conn.run('RESET threads');
    }
    results.push({ table, rows: n, dir });
  }
  return results;
}
