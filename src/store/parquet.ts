/**
 * Parquet export (`<out>/<table>/venue=<v>/symbol=<s>/date=<YYYY-MM-DD>/data_0.parquet`, zstd)
 * and import of files written that way. Partition columns are also written inside each file,
 * so a single file is self-describing and can be imported on its own.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { FileError, type ParseError } from '../core/errors.ts';
import { checkSymbol, MAX_SYMBOL_LENGTH, SYMBOL_PATTERN } from '../core/symbol.ts';
import { DATA_TABLES, TIME_COLUMN, type DataTable } from './schema.ts';
import { TABLE_COLUMNS } from './store-sink.ts';
import type { Store } from './store.ts';

export function isParquet(path: string): boolean {
  return path.toLowerCase().endsWith('.parquet');
}

/** Columns a table's Parquet export carries: the table's own minus import_id, plus `date`. */
function exportColumns(table: DataTable): string[] {
  return [...TABLE_COLUMNS[table].map((c) => c.name).filter((n) => n !== 'import_id'), 'date'];
}

export interface ExportFilter {
  readonly venue?: string;
  /** Venue-native symbols to keep (any of them). */
  readonly symbols?: readonly string[];
  /** Inclusive, epoch ms. */
  readonly from?: number;
  /** Exclusive, epoch ms. */
  readonly to?: number;
  readonly tables?: readonly DataTable[];
}

export interface ExportResult {
  readonly table: DataTable;
  readonly rows: number;
  readonly dir: string;
}

/** The WHERE clause (with its bound values) that keeps `filter`'s rows of `table`. */
export function exportWhere(table: DataTable, filter: ExportFilter): { cond: string; values: (string | number)[] } {
  const time = TIME_COLUMN[table];
  const where: string[] = [];
  const values: (string | number)[] = [];
  const bind = (sql: string, v: string | number) => {
    values.push(v);
    where.push(sql.replace('?', `$${values.length}`));
  };
  if (filter.venue) bind('venue = ?', filter.venue);
  if (filter.symbols && filter.symbols.length > 0) {
    const marks = filter.symbols.map((s) => {
      values.push(s);
      return `$${values.length}`;
    });
    where.push(`symbol IN (${marks.join(', ')})`);
  }
  if (filter.from !== undefined) bind(`${time} >= make_timestamp(?::BIGINT)`, Math.round(filter.from * 1000));
  if (filter.to !== undefined) bind(`${time} < make_timestamp(?::BIGINT)`, Math.round(filter.to * 1000));
  return { cond: where.length ? `WHERE ${where.join(' AND ')}` : '', values };
}

/** How many of `table`'s rows `filter` keeps. */
export async function exportCount(store: Store, table: DataTable, filter: ExportFilter): Promise<number> {
  const { cond, values } = exportWhere(table, filter);
  const [{ n }] = await store.rows<{ n: bigint }>(`SELECT count(*) AS n FROM ${table} ${cond}`, values);
  return Number(n);
}

export async function exportParquet(store: Store, outDir: string, filter: ExportFilter = {}): Promise<ExportResult[]> {
  const results: ExportResult[] = [];
  for (const table of filter.tables ?? DATA_TABLES) {
    const time = TIME_COLUMN[table];
    const n = await exportCount(store, table, filter);
    if (n === 0) continue;
    const { cond, values } = exportWhere(table, filter);
    const dir = join(outDir, table);
    mkdirSync(dir, { recursive: true });
    const cols = exportColumns(table).filter((c) => c !== 'date').join(', ');
    // COPY cannot take a bound target path, so the path is passed as a quoted literal; it is
    // escaped, and the query's own filters stay bound.
    await store.copyQuery(
      `SELECT ${cols}, strftime(${time}, '%Y-%m-%d') AS date FROM ${table} ${cond} ORDER BY venue, symbol, ${time}`,
      values,
      `${sqlString(dir)} (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (venue, symbol, date), WRITE_PARTITION_COLUMNS true, OVERWRITE_OR_IGNORE true)`,
    );
    results.push({ table, rows: n, dir });
  }
  return results;
}

export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** Import one Parquet file written by exportParquet, into the table its columns identify. */
export async function importParquet(store: Store, path: string, importId: number): Promise<{ method: 'parquet'; rows: number; firstTs: number; lastTs: number; format: string }> {
  if (!existsSync(path)) throw new FileError('E_IO', path, 'no such file');
  let names: string[];
  try {
    const desc = await store.conn.runAndReadAll('DESCRIBE SELECT * FROM read_parquet($1, hive_partitioning = false)', [path]);
    names = desc.getRowObjectsJS().map((r) => String(r.column_name));
  } catch (e) {
    throw new FileError('E_TRUNCATED', path, `not a readable Parquet file (${(e as Error).message})`);
  }
  const table = DATA_TABLES.find((t) => sameSet(exportColumns(t), names));
  if (!table) {
    throw new FileError('E_FORMAT', path, `Parquet columns (${names.join(', ')}) match no orderflow table; only files written by 'orderflow export' are accepted`);
  }
  const cols = TABLE_COLUMNS[table].map((c) => c.name).filter((n) => n !== 'import_id');
  const time = TIME_COLUMN[table];
  // Symbols are checked as the line parsers check them (a Parquet file is as writable as a CSV).
  const bad = await store.rows<{ row: bigint; symbol: string }>(
    `SELECT file_row_number AS row, symbol FROM read_parquet($1, hive_partitioning = false, file_row_number = true)
     WHERE symbol IS NULL OR length(symbol) > ${MAX_SYMBOL_LENGTH} OR NOT regexp_full_match(symbol, $2) ORDER BY file_row_number LIMIT 1`,
    [path, SYMBOL_PATTERN],
  );
  if (bad.length > 0) {
    try {
      checkSymbol(bad[0].symbol ?? '');
    } catch (e) {
      throw (e as ParseError).at(`${path}: row ${Number(bad[0].row) + 1}`);
    }
  }
  await store.run(
    `INSERT INTO ${table} (${cols.join(', ')}, import_id) SELECT ${cols.join(', ')}, $2 FROM read_parquet($1, hive_partitioning = false)`,
    [path, importId],
  );
  const [r] = await store.rows<{ n: bigint; lo: number | null; hi: number | null }>(
    `SELECT count(*) AS n, epoch_ms(min(${time})) AS lo, epoch_ms(max(${time})) AS hi FROM ${table} WHERE import_id = $1`,
    [importId],
  );
  if (r.n === 0n) throw new FileError('E_EMPTY', path, 'Parquet file holds no rows');
  return { method: 'parquet', rows: Number(r.n), firstTs: Number(r.lo), lastTs: Number(r.hi), format: `parquet-${table}` };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
