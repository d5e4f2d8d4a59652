/**
 * The Parquet lake a sink writes: one folder per table, partitioned by the events' exchange time,
 *
 *   <dir>/<table>/venue=<venue>/symbol=<symbol>/date=<YYYY-MM-DD>/hour=<HH>/<first seq>-<last seq>-<i>.parquet
 *
 * zstd, written by DuckDB's COPY from an in-memory DuckDB holding the group in the store's own
 * tables (so the lake has the store's columns and types, docs/SCHEMA.md), plus `batch_id` (the
 * bus Msg-Id of the batch each row came in) and the partition columns `date` and `hour` (also
 * inside each file, so one file read alone is self-describing).
 *
 * Durability: files are written in `<dir>/_tmp/`, outside every table's tree, then fsync'd,
 * renamed into place and their folders fsync'd, so a reader (and a crash) sees a whole file or
 * none; a `kill -9` can leave files in `_tmp/`, which no table glob reads. Exactly once: a
 * redelivered batch is looked up by `batch_id` in the files of the hours its events fall in, and
 * only its events of the hours it is not found in are written. File names are the group's first and last stream sequence, so a group
 * written again under the same delivery replaces its file. */
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { listValue } from '@duckdb/node-api';
import { EVENT_TABLES, MIGRATIONS, type DataTable } from '../store/schema.ts';
import { sqlString } from '../store/parquet.ts';
import { StoreSink, TABLE_COLUMNS } from '../store/store-sink.ts';
import { Store } from '../store/store.ts';
import type { EventType, MarketEvent } from '../core/events.ts';
import type { BatchWriter, ReceivedBatch } from './sink.ts';

const TABLE_OF: Record<EventType, DataTable> = Object.fromEntries(EVENT_TABLES.map((t) => [t.type, t.table])) as Record<EventType, DataTable>;

/** Rows per Parquet row group: DuckDB's default, large enough for scans to skip by min/max, small enough to skip at all. */
const ROW_GROUP_SIZE = 122_880;

/** `YYYY-MM-DDTHH` of an exchange time: the lake partition (date and hour, UTC) it falls in. */
function hourKey(ts: number): string {
  return new Date(ts).toISOString().slice(0, 13);
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
    // Hours each redelivered batch is already in: a crash between two renames of one group can
    // leave a batch that spans an hour boundary in one hour's file and not the other's.
    const found = await this.alreadyWritten(group.filter((b) => b.redelivered));
    const seen = new Set<string>();
    const todo: { msgId: string; seq: number; events: readonly MarketEvent[] }[] = [];
    for (const b of group) {
      // The same batch twice in one group (delivered, then redelivered before the ack) counts once.
      if (seen.has(b.msgId)) continue;
      seen.add(b.msgId);
      const hours = found.get(b.msgId);
      const events = hours ? b.batch.events.filter((e) => !hours.has(hourKey(e.ts))) : b.batch.events;
      if (events.length > 0) todo.push({ msgId: b.msgId, seq: b.seq, events });
    }
    if (todo.length === 0) return { written: 0, skipped: group.length, events: 0 };
    const db = this.db;
    let events = 0;
    await db.run('CREATE OR REPLACE TEMP TABLE bus_group (import_id INTEGER, batch_id VARCHAR, seq BIGINT)');
    try {
      await db.run('BEGIN TRANSACTION');
      // The import_id column holds each row's batch index, joined back to its Msg-Id.
      const sink = await StoreSink.create(db.conn, 0);
      for (const [i, b] of todo.entries()) {
        sink.importId = i;
        for (const e of b.events) sink.event(e);
        events += b.events.length;
      }
      sink.finish();
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
      for (const table of new Set(todo.map((b) => TABLE_OF[b.events[0].type]))) await this.copyTable(table, name);
    } finally {
      await db.run('ROLLBACK').catch(() => {});
    }
    return { written: todo.length, skipped: group.length - todo.length, events };
  }

  /**
   * `table`'s rows of the group, one file per partition: DuckDB's partitioned COPY into a scratch
   * folder outside the table's tree (`<dir>/_tmp/`, which no reader's glob reaches), then each
   * file fsync'd and renamed to the same partition path under the table. DuckDB writes the
   * partition folders (values percent-encoded where needed, `XBT%2FUSD`) and reads them back.
   */
  private async copyTable(table: DataTable, name: string): Promise<void> {
    const cols = TABLE_COLUMNS[table].map((c) => c.name).filter((n) => n !== 'import_id');
    const scratch = join(this.target, '_tmp', `${process.pid}-${++this.tmpCount}`);
    mkdirSync(dirname(scratch), { recursive: true });
    await this.db.copyQuery(
      `SELECT ${cols.map((c) => `t.${c}`).join(', ')}, g.batch_id, strftime(t.ts, '%Y-%m-%d') AS date, strftime(t.ts, '%H') AS hour
       FROM ${table} t JOIN bus_group g USING (import_id)`,
      [],
      `${sqlString(scratch)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE ${ROW_GROUP_SIZE}, PARTITION_BY (venue, symbol, date, hour), WRITE_PARTITION_COLUMNS true, FILENAME_PATTERN '${name}-{i}')`,
    );
    const files = (readdirSync(scratch, { recursive: true }) as string[]).filter((f) => f.endsWith('.parquet'));
    const dirs = new Set<string>();
    for (const rel of files) {
      const from = join(scratch, rel);
      const to = join(this.target, table, rel);
      mkdirSync(dirname(to), { recursive: true });
      fsyncPath(from);
      renameSync(from, to);
      dirs.add(dirname(to));
    }
    for (const d of dirs) fsyncPath(d);
    rmSync(scratch, { recursive: true, force: true });
  }

  /**
   * Msg-Ids among `batches` already in the lake: looked up in the files of the hours their events
   * fall in (DuckDB prunes the other venues' and symbols' folders by their partition values).
   */
  private async alreadyWritten(batches: readonly ReceivedBatch[]): Promise<Map<string, Set<string>>> {
    const found = new Map<string, Set<string>>();
    const lookups = new Map<string, { table: DataTable; venue: string; symbol: string; hour: string; ids: Set<string> }>();
    for (const b of batches) {
      const table = TABLE_OF[b.batch.type];
      for (const e of b.batch.events) {
        const hour = hourKey(e.ts);
        const key = `${table} ${b.batch.venue} ${b.batch.symbol} ${hour}`;
        let l = lookups.get(key);
        if (!l) lookups.set(key, (l = { table, venue: b.batch.venue, symbol: b.batch.symbol, hour, ids: new Set() }));
        l.ids.add(b.msgId);
      }
    }
    for (const l of lookups.values()) {
      const glob = join(this.target, l.table, 'venue=*', 'symbol=*', `date=${l.hour.slice(0, 10)}`, `hour=${l.hour.slice(11, 13)}`, '*.parquet');
      try {
        const rows = await this.db.rows<{ batch_id: string }>(
          `SELECT DISTINCT batch_id FROM read_parquet(${sqlString(glob)}, hive_partitioning = true, union_by_name = true)
           WHERE venue = $1 AND symbol = $2 AND list_contains($3, batch_id)`,
          [l.venue, l.symbol, listValue([...l.ids])],
        );
        for (const r of rows) {
          let hours = found.get(r.batch_id);
          if (!hours) found.set(r.batch_id, (hours = new Set()));
          hours.add(l.hour);
        }
      } catch (e) {
        if (!/No files found/.test((e as Error).message)) throw e;
      }
    }
    return found;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
