/**
 * `orderflow export --layout lake`: the store's rows as the lake (src/lake/layout.ts), one file per
 * partition, so tests and a one-machine desk build a lake without the bus.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { exportCount, exportWhere, type ExportFilter, type ExportResult } from '../store/parquet.ts';
import { DATA_TABLES, TIME_COLUMN } from '../store/schema.ts';
import type { Store } from '../store/store.ts';
import { EXPORT_FILE, lakeFileTarget, lakeSelect, partitionPath, tableRoot } from './layout.ts';

export async function exportLake(store: Store, root: string, filter: ExportFilter = {}): Promise<ExportResult[]> {
  const results: ExportResult[] = [];
  for (const table of filter.tables ?? DATA_TABLES) {
    const n = await exportCount(store, table, filter);
    if (n === 0) continue;
    const { cond, values } = exportWhere(table, filter);
    const time = TIME_COLUMN[table];
    const dir = tableRoot(root, table);
    mkdirSync(dir, { recursive: true });
    // One COPY per partition, not DuckDB's partitioned COPY: that wrote a partition's rows out of
    // their ORDER BY (DuckDB 1.5.6, even on one thread; test/lake/lake.test.ts), and the lake's row
    // order is what breaks same-timestamp ties (layout.ts).
    const partitions = await store.rows<{ venue: string; symbol: string; hour_us: bigint }>(
      `SELECT DISTINCT venue::VARCHAR AS venue, symbol, epoch_us(date_trunc('hour', ${time})) AS hour_us FROM ${table} ${cond} ORDER BY ALL`,
      values,
    );
    const at = values.length;
    const where = `${cond ? `${cond} AND` : 'WHERE'} venue::VARCHAR = $${at + 1} AND symbol = $${at + 2} AND ${time} >= make_timestamp($${at + 3}::BIGINT) AND ${time} < make_timestamp($${at + 4}::BIGINT)`;
    for (const p of partitions) {
      const from = Number(p.hour_us);
      const folder = join(root, partitionPath(table, p.venue, p.symbol, from / 1000));
      mkdirSync(folder, { recursive: true });
      await store.copyQuery(lakeSelect(table, table, where), [...values, p.venue, p.symbol, from, from + 3_600_000_000], lakeFileTarget(join(folder, EXPORT_FILE)));
    }
    results.push({ table, rows: n, dir });
  }
  return results;
}
