/**
 * The Parquet lake as a sink's target: the lake of src/lake/layout.ts (its columns, types,
 * partition folders and row order), so `--lake` readers, Spark and ClickHouse read what the sink
 * writes as they read `orderflow export --layout lake`. Each group of batches is loaded into an
 * in-memory DuckDB of its own holding the store's tables, each table's rows sorted once by
 * `lakeSelect` (time, then arrival) on one thread, then written by one COPY per partition:
 *
 *   <dir>/<table>/venue=<venue>/symbol=<symbol>/date=<YYYY-MM-DD>/hour=<H>/<first seq>-<last seq>-<tag>.parquet
 *
 * named by the group's first and last stream sequence, zero-padded so that names sort in stream
 * order (readers break same-timestamp ties by file name; `<tag>` only keeps two writes of the same
 * sequences from replacing each other).
 *
 * What the store columns mean here: `import_id` is 0 (the sink has no imports ledger), and a book
 * message's `msg` is its batch's stream sequence << 32 plus its place in the batch, so
 * (import_id, msg) still names one message across every file of the lake.
 *
 * Durability: each file is written as `<name>.<host>-<pid>.parquet.tmp` (no reader's glob matches
 * it), fsync'd, renamed to `<name>.parquet` and its folder fsync'd, so a reader (and a crash) sees
 * a whole file or none; a `kill -9` can leave `.parquet.tmp` files, which nothing reads and the
 * next sink on the lake removes at its start (lake-orphans.ts).
 *
 * Exactly once: every file also holds `batch_id` (the bus Msg-Id of each row's batch), after the
 * layout's columns; readers select the layout's columns by name and never see it. A redelivered
 * batch is looked up by `batch_id` in the files of the partitions its events fall in, and only
 * its events of the partitions it is not found in are written (a crash between two renames of
 * one group can leave a batch in one hour's file and not the next's). The id lives in the data
 * file itself, so a file and its ids appear in one rename: no second file to keep in step.
 */
import { mkdirSync, renameSync } from 'node:fs';
import { fsyncPath } from '../lake/fsync-path.ts';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { listValue } from '@duckdb/node-api';
import { EVENT_TABLES, MIGRATIONS, type DataTable } from '../store/schema.ts';
import { sqlString } from '../store/parquet.ts';
import { StoreSink, TABLE_COLUMNS } from '../store/store-sink.ts';
import { Store } from '../store/store.ts';
import { lakeFileTarget, lakeSelect, partitionPath } from '../lake/layout.ts';
import type { EventType, MarketEvent } from '../core/events.ts';
import type { BatchWriter, ReceivedBatch } from './sink.ts';
import { removeOrphanTmp, tmpOwner, type OrphanSweep } from './lake-orphans.ts';

const TABLE_OF: Record<EventType, DataTable> = Object.fromEntries(EVENT_TABLES.map((t) => [t.type, t.table])) as Record<EventType, DataTable>;

/** Digits of the largest stream sequence (a uint64): names sort as numbers. */
const SEQ_DIGITS = 20;

/** The extra column the sink adds to the layout's. */
const BATCH_ID = 'batch_id';

/** One partition folder's values. */
interface Partition {
  readonly venue: string;
  readonly symbol: string;
  /** YYYY-MM-DD, UTC. */
  readonly date: string;
  readonly hour: number;
}

/** A partition folder's key: the table and the folder of an event (its venue, symbol, UTC date and hour). */
function partitionOf(table: DataTable, e: MarketEvent): string {
  return partitionPath(table, e.venue, e.symbol, e.ts);
}

export class LakeWriter implements BatchWriter {
  private readonly owner = tmpOwner();

  private constructor(
    readonly target: string,
    private readonly db: Store,
    /** The `.parquet.tmp` files of killed sinks removed at the start, and those left (a live sink's, another host's). */
    readonly orphans: OrphanSweep,
  ) {}

  static async open(dir: string): Promise<LakeWriter> {
    mkdirSync(dir, { recursive: true });
    const orphans = removeOrphanTmp(dir);
    // For the redelivery lookups; each group is written from a DuckDB of its own.
    return new LakeWriter(dir, await Store.openMemory(), orphans);
  }

  async write(group: readonly ReceivedBatch[]): Promise<{ written: number; skipped: number; events: number }> {
    const found = await this.alreadyWritten(group.filter((b) => b.redelivered));
    const seen = new Set<string>();
    const todo: { msgId: string; seq: number; events: readonly MarketEvent[] }[] = [];
    for (const b of group) {
      // The same batch twice in one group (delivered, then redelivered before the ack) counts once.
      if (seen.has(b.msgId)) continue;
      seen.add(b.msgId);
      const table = TABLE_OF[b.batch.type];
      const where = found.get(b.msgId);
      const events = where ? b.batch.events.filter((e) => !where.has(partitionOf(table, e))) : b.batch.events;
      if (events.length > 0) todo.push({ msgId: b.msgId, seq: b.seq, events });
    }
    if (todo.length === 0) return { written: 0, skipped: group.length, events: 0 };
    // A fresh in-memory DuckDB per group: its tables hold exactly the group, their rowids number
    // its rows in arrival order (the sort's tie-break), and nothing is left to delete afterwards.
    const db = await Store.openMemory();
    let events = 0;
    try {
      await db.run(MIGRATIONS[0]);
      // The lake's row order is what breaks same-timestamp ties; DuckDB's partitioned writer keeps an ORDER BY only on one thread.
      await db.run('SET threads = 1');
      await db.run('CREATE TABLE bus_group (import_id INTEGER, batch_id VARCHAR, seq BIGINT, msg_base BIGINT)');
      // The in-memory rows' import_id holds each row's batch index, joined back to its Msg-Id and sequence.
      const sink = await StoreSink.create(db.conn, 0);
      const app = await db.conn.createAppender('bus_group');
      for (const [i, b] of todo.entries()) {
        app.appendInteger(i);
        app.appendVarchar(b.msgId);
        app.appendBigInt(BigInt(b.seq));
        app.appendBigInt(BigInt(sink.lastBookMsg));
        app.endRow();
        sink.importId = i;
        for (const e of b.events) sink.event(e);
        events += b.events.length;
      }
      sink.finish();
      app.flushSync();
      app.closeSync();
      const seqs = todo.map((b) => b.seq);
      const pad = (n: number) => String(n).padStart(SEQ_DIGITS, '0');
      const name = `${pad(Math.min(...seqs))}-${pad(Math.max(...seqs))}-${randomBytes(4).toString('hex')}`;
      const partitions = new Map<DataTable, Map<string, Partition>>();
      for (const b of todo) {
        const table = TABLE_OF[b.events[0].type];
        let folders = partitions.get(table);
        if (!folders) partitions.set(table, (folders = new Map()));
        for (const e of b.events) {
          const folder = partitionOf(table, e);
          if (!folders.has(folder)) {
            const d = new Date(e.ts);
            folders.set(folder, { venue: e.venue, symbol: e.symbol, date: d.toISOString().slice(0, 10), hour: d.getUTCHours() });
          }
        }
      }
      for (const [table, folders] of partitions) await this.copyTable(db, table, name, folders);
    } finally {
      db.close();
    }
    return { written: todo.length, skipped: group.length - todo.length, events };
  }

  /**
   * `table`'s rows of the group as lake rows (layout.ts `lakeSelect`, plus batch_id), sorted once
   * into a table, then one `lakeFileTarget` COPY per partition to `.parquet.tmp`, fsync'd and
   * renamed to `.parquet`. Not DuckDB's partitioned COPY: measured here (DuckDB 1.5), it can write
   * a partition's rows out of their ORDER BY even on one thread, and the order breaks ties.
   */
  private async copyTable(db: Store, table: DataTable, name: string, folders: ReadonlyMap<string, Partition>): Promise<void> {
    const cols = TABLE_COLUMNS[table].map((c) => {
      if (c.name === 'import_id') return '0::INTEGER AS import_id';
      if (c.name === 'msg') return '(g.seq << 32) + (g.msg_base - t.msg) AS msg';
      return `t.${c.name}`;
    });
    const source = `(SELECT ${cols.join(', ')}, g.batch_id AS ${BATCH_ID}, t.rowid AS arrival FROM ${table} t JOIN bus_group g ON t.import_id = g.import_id)`;
    // One thread: the table's rowid order is the ORDER BY's.
    await db.run(`CREATE OR REPLACE TABLE lake_rows AS ${lakeSelect(table, source, '', 'arrival', [BATCH_ID])}`);
    for (const [folder, p] of folders) {
      const dir = join(this.target, folder);
      mkdirSync(dir, { recursive: true });
      // Named after this process, so a sink starting later removes it only once this one is gone.
      const tmp = join(dir, `${name}.${this.owner}.parquet.tmp`);
      await db.copyQuery(`SELECT * FROM lake_rows WHERE venue::VARCHAR = $1 AND symbol = $2 AND "date" = $3::DATE AND "hour" = $4 ORDER BY rowid`, [p.venue, p.symbol, p.date, p.hour], lakeFileTarget(tmp));
      fsyncPath(tmp);
      renameSync(tmp, join(dir, `${name}.parquet`));
      fsyncPath(dir);
    }
  }

  /**
   * The partitions (layout.ts `partitionPath`) each of `batches` is already in: its Msg-Id looked
   * up in the `batch_id` column of the files of the partitions its events fall in.
   */
  private async alreadyWritten(batches: readonly ReceivedBatch[]): Promise<Map<string, Set<string>>> {
    const found = new Map<string, Set<string>>();
    const lookups = new Map<string, Set<string>>();
    for (const b of batches) {
      const table = TABLE_OF[b.batch.type];
      for (const e of b.batch.events) {
        const folder = partitionOf(table, e);
        let ids = lookups.get(folder);
        if (!ids) lookups.set(folder, (ids = new Set()));
        ids.add(b.msgId);
      }
    }
    for (const [folder, ids] of lookups) {
      try {
        // union_by_name: files of `orderflow export --layout lake` in the same folder have no batch_id (NULL).
        const rows = await this.db.rows<{ batch_id: string }>(
          `SELECT DISTINCT ${BATCH_ID} AS batch_id FROM read_parquet(${sqlString(join(this.target, folder, '*.parquet'))}, hive_partitioning = false, union_by_name = true)
           WHERE list_contains($1, ${BATCH_ID})`,
          [listValue([...ids])],
        );
        for (const r of rows) {
          let where = found.get(r.batch_id);
          if (!where) found.set(r.batch_id, (where = new Set()));
          where.add(folder);
        }
      } catch (e) {
        // No file yet, or only files without batch_id: the batch is not there.
        if (!/No files found|"batch_id" not found/.test((e as Error).message)) throw e;
      }
    }
    return found;
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
