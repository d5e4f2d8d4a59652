/**
 * The Parquet lake a sink writes: one folder per table, partitioned by the events' exchange time,
 *
 *   <dir>/<table>/venue=<venue>/symbol=<symbol>/date=<YYYY-MM-DD>/hour=<HH>/<first seq>-<last seq>.parquet
 *
 * zstd, written by DuckDB's COPY from an in-memory DuckDB holding the group in the store's own
 * tables (so the lake has the store's columns and types, docs/SCHEMA.md), plus `batch_id` (the
 * bus Msg-Id of the batch each row came in) and the partition columns `date` and `hour`.
 *
 * Durability: each file is written under a temporary name, fsync'd, renamed into place and its
 * folder fsync'd, so a reader (and a crash) sees a whole file or none; a `kill -9` can leave a
 * `*.tmp-*` file, which no `*.parquet` glob reads. Exactly once: a redelivered batch is looked up
 * by `batch_id` in the files of the partitions its events fall in and skipped when there. File
 * names are the group's first and last stream sequence, so a group written again under the same
 * delivery replaces its file.
 */
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { listValue } from '@duckdb/node-api';
import { EVENT_TABLES, MIGRATIONS, type DataTable } from '../store/schema.ts';
import { sqlString } from '../store/parquet.ts';
import { StoreSink, TABLE_COLUMNS } from '../store/store-sink.ts';
import { Store } from '../store/store.ts';
import type { EventType } from '../core/events.ts';
import type { BatchWriter, ReceivedBatch } from './sink.ts';

const TABLE_OF: Record<EventType, DataTable> = Object.fromEntries(EVENT_TABLES.map((t) => [t.type, t.table])) as Record<EventType, DataTable>;

/** Rows per Parquet row group: DuckDB's default, large enough for scans to skip by min/max. */
const ROW_GROUP_SIZE = 122_880;

/** A partition value as a path segment: `/`, `%` and `=` are percent-escaped (perpetual symbols have none). */
export function partitionValue(v: string): string {
  return v.replace(/[%/=\\]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`);
}

export function partitionDir(root: string, table: DataTable, venue: string, symbol: string, date: string, hour: string): string {
  return join(root, table, `venue=${partitionValue(venue)}`, `symbol=${partitionValue(symbol)}`, `date=${date}`, `hour=${hour}`);
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export class LakeWriter implements BatchWriter {
  private tmpCount = 0;

  private constructor(
    readonly target: string,
    private readonly db: Store,
  ) {}

  static async open(dir: string): Promise<LakeWriter> {
    mkdirSync(dir, { recursive: true });
    const db = await Store.openMemory();
    await db.run(MIGRATIONS[0]);
    return new LakeWriter(dir, db);
  }

  async write(group: readonly ReceivedBatch[]): Promise<{ written: number; skipped: number; events: number }> {
    const held = await this.alreadyWritten(group.filter((b) => b.redelivered));
    const todo = group.filter((b) => {
      // The same batch twice in one group (delivered, then redelivered before the ack) counts once.
      if (held.has(b.msgId)) return false;
      held.add(b.msgId);
      return true;
    });
    if (todo.length === 0) return { written: 0, skipped: group.length, events: 0 };
    const db = this.db;
    let events = 0;
    await db.run('CREATE OR REPLACE TEMP TABLE bus_group (import_id INTEGER, batch_id VARCHAR, seq BIGINT)');
    try {
      await db.run('BEGIN TRANSACTION');
      // One StoreSink per batch: its import_id column is the batch's index, joined back to its Msg-Id.
      for (const [i, b] of todo.entries()) {
        const sink = await StoreSink.create(db.conn, i);
        for (const e of b.batch.events) sink.event(e);
        sink.finish();
        events += b.batch.events.length;
      }
      const app = await db.conn.createAppender('bus_group');
      for (const [i, b] of todo.entries()) {
        app.appendInteger(i);
        app.appendVarchar(b.msgId);
        app.appendBigInt(BigInt(b.seq));
        app.endRow();
      }
      app.flushSync();
      app.closeSync();
      const seqs = todo.map((b) => b.seq);
      const name = `${Math.min(...seqs)}-${Math.max(...seqs)}`;
      for (const table of new Set(todo.map((b) => TABLE_OF[b.batch.type]))) await this.copyTable(table, name);
    } finally {
      await db.run('ROLLBACK').catch(() => {});
    }
    return { written: todo.length, skipped: group.length - todo.length, events };
  }

  /** Each partition of `table`'s rows in the group to its own file. */
  private async copyTable(table: DataTable, name: string): Promise<void> {
    const cols = TABLE_COLUMNS[table].map((c) => c.name).filter((n) => n !== 'import_id');
    const parts = await this.db.rows<{ venue: string; symbol: string; date: string; hour: string }>(
      `SELECT DISTINCT venue::VARCHAR AS venue, symbol, strftime(ts, '%Y-%m-%d') AS date, strftime(ts, '%H') AS hour FROM ${table}`,
    );
    for (const p of parts) {
      const dir = partitionDir(this.target, table, p.venue, p.symbol, p.date, p.hour);
      mkdirSync(dir, { recursive: true });
      const final = join(dir, `${name}.parquet`);
      const tmp = `${final}.tmp-${process.pid}-${++this.tmpCount}`;
      await this.db.copyQuery(
        `SELECT ${cols.map((c) => `t.${c}`).join(', ')}, g.batch_id, strftime(t.ts, '%Y-%m-%d') AS date, strftime(t.ts, '%H') AS hour
         FROM ${table} t JOIN bus_group g USING (import_id)
         WHERE t.venue = $1::venue_t AND t.symbol = $2 AND strftime(t.ts, '%Y-%m-%d') = $3 AND strftime(t.ts, '%H') = $4
         ORDER BY t.ts, g.seq`,
        [p.venue, p.symbol, p.date, p.hour],
        `${sqlString(tmp)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${ROW_GROUP_SIZE})`,
      );
      fsyncPath(tmp);
      renameSync(tmp, final);
      fsyncPath(dir);
    }
  }

  /** Msg-Ids among `batches` already in the lake's files, looked up in the partitions their events fall in. */
  private async alreadyWritten(batches: readonly ReceivedBatch[]): Promise<Set<string>> {
    const found = new Set<string>();
    if (batches.length === 0) return found;
    const files = new Set<string>();
    for (const b of batches) {
      const table = TABLE_OF[b.batch.type];
      for (const e of b.batch.events) {
        const iso = new Date(e.ts).toISOString();
        const dir = partitionDir(this.target, table, b.batch.venue, b.batch.symbol, iso.slice(0, 10), iso.slice(11, 13));
        if (!existsSync(dir)) continue;
        for (const f of readdirSync(dir)) if (f.endsWith('.parquet')) files.add(join(dir, f));
      }
    }
    if (files.size === 0) return found;
    const ids = batches.map((b) => b.msgId);
    const rows = await this.db.rows<{ batch_id: string }>(
      `SELECT DISTINCT batch_id FROM read_parquet([${[...files].map(sqlString).join(', ')}], union_by_name = true) WHERE list_contains($1, batch_id)`,
      [listValue(ids)],
    );
    for (const r of rows) found.add(r.batch_id);
    return found;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
