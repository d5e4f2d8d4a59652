/**
 * A Store that reads the lake (src/lake/layout.ts) instead of a DuckDB file: an in-memory DuckDB
 * holding the store's schema, whose event tables are views over DuckDB scans of the lake's
 * Parquet files. Every reader of the store (src/store/*-reader.ts, src/query, the engine) runs
 * unchanged on it and gets the same rows with the same types: venue and side as the store's
 * enums, timestamps as TIMESTAMP, and `rowid` (the store's insertion order, which breaks
 * same-timestamp ties) as (file, row in file): files sort in write order (layout.ts).
 *
 * Each view reads only the files of the command's markets and time range: the folders of its
 * venues and symbols are listed, the days and hours outside its range dropped from that list
 * (partition pruning), and the rest read with union_by_name (files written by older versions
 * may lack newer columns); the readers' own bound conditions then filter rows.
 */
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { threadId } from 'node:worker_threads';
import { StoreError } from '../core/errors.ts';
import { sqlString } from '../store/parquet.ts';
import { MIGRATIONS } from '../store/schema.ts';
import { Store } from '../store/store.ts';
import { configureS3, isS3 } from './s3.ts';
import type { DataTable } from '../store/schema.ts';
import { HIVE_TYPES, LAKE_TABLES, lakeColumns, partitionValue, tableRoot } from './layout.ts';

/** What a command will read: only these partitions are listed and opened. */
export interface LakeScope {
  readonly venues: readonly string[];
  readonly symbols: readonly string[];
  /** Inclusive, epoch ms. */
  readonly fromMs?: number;
  /** Exclusive, epoch ms. */
  readonly toMs?: number;
}

const HOUR_MS = 3_600_000;

/** Lakes opened by this thread so far (each gets its own spill folder). */
let opened = 0;

/** The day and hour conditions of a scope, as SQL over `"date"` and `"hour"` (values quoted, never bound: they come from numbers). */
export function timeCondition(scope: LakeScope): string {
  const parts = ['true'];
  if (scope.fromMs !== undefined) {
    const d = new Date(Math.floor(scope.fromMs / HOUR_MS) * HOUR_MS);
    const day = sqlString(d.toISOString().slice(0, 10));
    parts.push(`("date" > DATE ${day} OR ("date" = DATE ${day} AND "hour" >= ${d.getUTCHours()}))`);
  }
  if (scope.toMs !== undefined) {
    // The last hour holding a time before toMs (toMs is exclusive).
    const d = new Date(Math.floor((Math.ceil(scope.toMs) - 1) / HOUR_MS) * HOUR_MS);
    const day = sqlString(d.toISOString().slice(0, 10));
    parts.push(`("date" < DATE ${day} OR ("date" = DATE ${day} AND "hour" <= ${d.getUTCHours()}))`);
  }
  return parts.join(' AND ');
}

/** The globs of the scope's (venue, symbol) folders of a table: nothing else is listed. */
export function partitionGlobs(root: string, table: DataTable, scope: LakeScope): string[] {
  return scope.venues.flatMap((v) => scope.symbols.map((s) => `${tableRoot(root, table)}/venue=${partitionValue(v)}/symbol=${partitionValue(s)}/**/*.parquet`));
}

function scan(files: string, extra = ''): string {
  return `read_parquet(${files}, hive_partitioning = true, union_by_name = true, hive_types = ${HIVE_TYPES}${extra})`;
}

/** The Parquet file a DuckDB error names, if any. */
function fileOfError(message: string): string | undefined {
  return /["']([^"']+\.parquet)["']/.exec(message)?.[1];
}

/**
 * Open the lake at `location` (a folder, or s3://bucket/prefix) for the markets and range of
 * `scope`. Fails with E_LAKE_MISSING (no such folder), E_LAKE_EMPTY (no Parquet file of any
 * table), E_LAKE_FILE (a file in scope is not readable Parquet; the error names it) or E_LAKE_S3.
 */
export async function openLake(location: string, scope: LakeScope, env: NodeJS.ProcessEnv = process.env): Promise<Store> {
  const remote = isS3(location);
  const root = remote ? location : resolve(location);
  if (!remote && !(existsSync(root) && statSync(root).isDirectory())) {
    throw new StoreError('E_LAKE_MISSING', `no lake at ${root}: not a folder (write one with 'orderflow export --layout lake --out ${root}', or the bus sink)`);
  }
  // A lake of months sorts more than memory holds: spill to a folder of its own, not the working directory.
  const store = await Store.openMemory({ spill: join(tmpdir(), `orderflow-lake-${process.pid}-${threadId}-${++opened}`) });
  try {
    for (const m of MIGRATIONS) await store.run(m);
    if (remote) await configureS3(store, env);
    let tables = 0;
    for (const table of LAKE_TABLES) {
      const files = `lake_files_${table}`;
      // Only the folders of the scope's venues and symbols are listed; days and hours are pruned
      // from the listed paths. (read_parquet's own hive filter pushdown does not help here:
      // union_by_name reads every file's footer before any filter applies.)
      const listed = partitionGlobs(root, table, scope)
        .map((g) => `SELECT file FROM glob(${sqlString(g)})`)
        .join(' UNION ALL ');
      await store.run(
        `CREATE TABLE ${files} AS SELECT file FROM (
           SELECT file, regexp_extract(file, '/date=([^/]+)/', 1)::DATE AS "date", regexp_extract(file, '/hour=([0-9]+)/', 1)::INTEGER AS "hour" FROM (${listed})
         ) WHERE ${timeCondition(scope)}`,
      );
      // Sorted by name: a file's place in this list is the first half of the tie-breaking rowid.
      const paths = (await store.rows<{ file: string }>(`SELECT file FROM ${files} ORDER BY file`)).map((r) => r.file);
      if (paths.length === 0) continue; // the schema's empty table stays
      tables++;
      const list = `[${paths.map(sqlString).join(', ')}]`;
      try {
        // Footers only (row counts come from the metadata): a file in scope that is not Parquet fails here, by name.
        await store.rows(`SELECT count(*) FROM ${scan(list)}`);
      } catch (e) {
        const msg = (e as StoreError).cause instanceof Error ? ((e as StoreError).cause as Error).message : String(e);
        const file = fileOfError(msg);
        throw new StoreError('E_LAKE_FILE', `lake file ${file ?? `under ${tableRoot(root, table)}`}: not a readable Parquet file of the lake (${msg.split('\n')[0]})`);
      }
      const cols = lakeColumns(table)
        .filter((c) => c.name !== 'date' && c.name !== 'hour')
        .map((c) => `CAST(p.${c.name} AS ${c.duckdb}) AS ${c.name}`);
      await store.run(`DROP TABLE ${table}`);
      // rowid: (position in the name-sorted list, row in file); file_index is the position.
      await store.run(`CREATE VIEW ${table} AS SELECT ${cols.join(', ')}, (p.file_index::BIGINT << 32) + p.file_row_number AS rowid FROM ${scan(list, ', file_row_number = true')} p`);
    }
    if (tables === 0) {
      const what = `${scope.venues.join(', ')} x ${scope.symbols.join(', ')}`;
      throw new StoreError(
        'E_LAKE_EMPTY',
        `lake at ${root} holds no Parquet file for ${what}${scope.fromMs !== undefined || scope.toMs !== undefined ? ' in that time range' : ''}: expected <table>/venue=<venue>/symbol=<symbol>/date=<YYYY-MM-DD>/hour=<H>/*.parquet for a table of ${LAKE_TABLES.join(', ')}`,
      );
    }
    return store;
  } catch (e) {
    store.close();
    throw e;
  }
}
