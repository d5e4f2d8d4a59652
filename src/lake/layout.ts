/**
 * The Parquet lake, defined once: where each table's files lie, which columns they hold with
 * which Parquet types, and how a writer produces them. `orderflow export --layout lake` and the
 * bus sink (`orderflow sink --to parquet:DIR`) write it; `--lake` readers (src/lake/lake-store.ts),
 * Spark and ClickHouse read it (docs/SCALING.md "The lake").
 *
 *   <root>/<table>/venue=<venue>/symbol=<symbol>/date=<YYYY-MM-DD>/hour=<0..23>/<name>.parquet
 *
 * - `date` and `hour` are the UTC day and hour of the row's exchange time (TIME_COLUMN: `ts`,
 *   `open_time` for klines), so a time range names the folders it needs (partition pruning).
 * - Every file holds all of its table's store columns (src/store/schema.ts, import_id included:
 *   with `msg` it identifies a book message) plus `date` and `hour`: a single file is
 *   self-describing, and a reader that ignores the folder names loses nothing.
 * - Rows within a file are in (time, insertion) order: readers break same-timestamp ties by
 *   (file name, row in file), so a writer that appends several files to one hour partition names
 *   them so that they sort in write order (the sink: zero-padded batch sequence numbers). Writers
 *   write each partition's file with its own COPY (`lakeFileTarget`), never DuckDB's partitioned
 *   COPY: that wrote rows out of their ORDER BY (DuckDB 1.5.6, even on one thread; found by
 *   test/bus/bus-lake.test.ts).
 * - Only `*.parquet` files are data. A writer into a lake that is being read (the sink) writes
 *   `<name>.parquet.tmp` (or any other suffix) and renames it when complete, so a reader never
 *   sees half a file; `export --layout lake` writes in place (read after it ends).
 * - zstd, row groups of ROW_GROUP_ROWS rows (big enough for scans, small enough for pruning by
 *   row-group statistics on `ts`).
 */
import { sqlString } from '../store/parquet.ts';
import { DATA_TABLES, TIME_COLUMN, type DataTable } from '../store/schema.ts';
import type { ColumnKind } from '../store/column-batch.ts';
import { TABLE_COLUMNS } from '../store/store-sink.ts';

/** Tables the lake holds: every store data table, each in its own folder under the root. */
export const LAKE_TABLES = DATA_TABLES;

/** Rows per Parquet row group (DuckDB's default is 122 880; scans of one market-hour want a few). */
export const ROW_GROUP_ROWS = 122_880;

/** The file `orderflow export --layout lake` writes in each partition (one file each). */
export const EXPORT_FILE = 'data_0.parquet';

/** The Parquet type of each store column type (src/store/store-sink.ts ColumnSpec kinds) as DuckDB writes it. */
const PARQUET_TYPE: Record<ColumnKind, string> = {
  venue: 'BYTE_ARRAY (UTF8 string; one of the venue_t values)',
  varchar: 'BYTE_ARRAY (UTF8 string)',
  side: "BYTE_ARRAY (UTF8 string: 'buy' or 'sell')",
  ts: 'INT64 TIMESTAMP(MICROS, isAdjustedToUTC=false): UTC wall time, no zone',
  double: 'DOUBLE',
  bigint: 'INT64',
  int: 'INT32',
  bool: 'BOOLEAN',
  // Text, not the UUID logical type: Spark refuses that ("Illegal Parquet type:
  // FIXED_LEN_BYTE_ARRAY (UUID)", apache/spark#55684); readers cast it back.
  uuid: 'BYTE_ARRAY (UTF8 string: the canonical 36-character form)',
};

export interface LakeColumn {
  readonly name: string;
  /** The column's type in the store and in a `--lake` reader (DuckDB SQL). */
  readonly duckdb: string;
  /** Its physical and logical type in the Parquet files. */
  readonly parquet: string;
  /** The type DuckDB reads from the file (enums and UUIDs are written as text). */
  readonly file: string;
}

const DUCKDB_TYPE: Record<ColumnKind, string> = {
  venue: 'venue_t',
  varchar: 'VARCHAR',
  side: 'side_t',
  ts: 'TIMESTAMP',
  double: 'DOUBLE',
  bigint: 'BIGINT',
  int: 'INTEGER',
  bool: 'BOOLEAN',
  uuid: 'UUID',
};

/** Kinds written as text. */
const TEXT_KINDS: ReadonlySet<ColumnKind> = new Set(['venue', 'side', 'varchar', 'uuid']);

/** The columns of a table's lake files, in file order: the store's, then date and hour. */
export function lakeColumns(table: DataTable): LakeColumn[] {
  return [
    ...TABLE_COLUMNS[table].map((c) => ({ name: c.name, duckdb: DUCKDB_TYPE[c.kind], parquet: PARQUET_TYPE[c.kind], file: TEXT_KINDS.has(c.kind) ? 'VARCHAR' : DUCKDB_TYPE[c.kind] })),
    { name: 'date', duckdb: 'DATE', parquet: 'INT32 DATE (UTC day of the time column)', file: 'DATE' },
    { name: 'hour', duckdb: 'INTEGER', parquet: 'INT32 (UTC hour of the time column, 0-23)', file: 'INTEGER' },
  ];
}

/** The types DuckDB gives the partition folders' values (`read_parquet(hive_types = ...)`). */
export const HIVE_TYPES = `{'venue': VARCHAR, 'symbol': VARCHAR, 'date': DATE, 'hour': INTEGER}`;

/** A table's folder under the lake root (a local path or an s3:// URL). */
export function tableRoot(root: string, table: DataTable): string {
  return `${root.replace(/\/+$/, '')}/${table}`;
}

/**
 * A value as it appears in a folder name: percent-encoded as DuckDB's partitioned COPY writes it
 * (`A/B` -> `A%2FB`, `C:D` -> `C%3AD`, non-ASCII as UTF-8 bytes; letters, digits, `.`, `_`, `-`
 * stay), so a symbol never splits into folders; readers decode it.
 */
export function partitionValue(value: string): string {
  return encodeURIComponent(value);
}

/** The folder of one partition, relative to the lake root (for writers that place files themselves). */
export function partitionPath(table: DataTable, venue: string, symbol: string, timeMs: number): string {
  const d = new Date(timeMs);
  return `${table}/venue=${partitionValue(venue)}/symbol=${partitionValue(symbol)}/date=${d.toISOString().slice(0, 10)}/hour=${d.getUTCHours()}`;
}

/**
 * The SELECT that turns rows of `table`'s shape (read from `source`: a table, a view or a
 * read_parquet call) into lake rows: every column, then date and hour of the time column, in
 * time then insertion order. `where` (optional) filters with bound values. `extra`: columns a
 * writer adds after `hour` for itself (the sink's `batch_id`); readers name the columns they
 * read, so they never see them.
 */
export function lakeSelect(table: DataTable, source: string, where = '', order = 'rowid', extra: readonly string[] = []): string {
  const time = TIME_COLUMN[table];
  const cols = TABLE_COLUMNS[table].map((c) => (c.kind === 'uuid' ? `${c.name}::VARCHAR AS ${c.name}` : c.name)).join(', ');
  return `SELECT ${cols}, CAST(${time} AS DATE) AS date, hour(${time})::INTEGER AS hour${extra.map((c) => `, ${c}`).join('')} FROM ${source} ${where} ORDER BY venue, symbol, ${time}${order ? `, ${order}` : ''}`;
}

/** The Parquet options of every lake file (DuckDB COPY syntax). */
const PARQUET_OPTIONS = `FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${ROW_GROUP_ROWS}`;

/**
 * The COPY target of one lake file at `path`: `lakeSelect` rows of one partition to
 * `<partitionPath>/<name>.parquet` (the export), or `.parquet.tmp` then renamed (the sink).
 */
export function lakeFileTarget(path: string): string {
  return `${sqlString(path)} (${PARQUET_OPTIONS})`;
}
