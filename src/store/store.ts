/**
 * The embedded store: one DuckDB file, `<home>/orderflow.duckdb`.
 * One connection per Store; callers close it. Queries always bind values.
 *
 * DuckDB lets one process open the file read-write or many open it read-only, never both. A
 * Store opened for reading while another process writes the file (`orderflow record`) reads
 * through that process instead: its queries run there and come back as Parquet files read in
 * an in-memory DuckDB of its own (src/store/read-endpoint.ts, docs/SCHEMA.md "Reading while
 * recording"). Readers see the same rows and types either way, through `rows`, `stream` and
 * `copyQuery`; only the writer's code uses `conn` directly.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { threadId } from 'node:worker_threads';
import type { DuckDBConnection, DuckDBDataChunk, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { StoreError } from '../core/errors.ts';
import { ReadClient } from './read-client.ts';
import { sqlIdent, type Hello } from './read-wire.ts';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.ts';

export const DB_FILE = 'orderflow.duckdb';

/**
 * How long an open waits for a lock held by another process before it says so: covers a
 * writer that has opened the file but not yet published its read endpoint, and short readers.
 */
const LOCK_WAIT_MS = 3000;

/**
 * DuckDB's native module, loaded by the first open rather than by importing this file: commands
 * that never open a store, and every `--help`, start without it. `.default` is the package's
 * module.exports (it is CommonJS) under Node, tsx and the bundle in dist/ alike; a bundle's
 * `import()` of CommonJS has no named exports.
 */
const duckdb = async () => (await import('@duckdb/node-api')).default;

/** `--home`, else `$ORDERFLOW_HOME`, else `./orderflow-data`. */
export function resolveHome(home?: string): string {
  return resolve(home ?? process.env.ORDERFLOW_HOME ?? 'orderflow-data');
}

/** A query result read chunk by chunk: DuckDB's own streaming result, or one read back from the writer. */
export interface ChunkStream {
  fetchChunk(): Promise<DuckDBDataChunk | null>;
}

/** Readers opened by this thread so far (each gets its own spill folder). */
let readers = 0;

function memoryLimit(): string {
  // DuckDB would otherwise take 80% of RAM and keep a whole import's transaction in memory;
  // a cap makes it write row groups out as they fill, so memory stays flat at any file size.
  return process.env.ORDERFLOW_MEMORY_LIMIT ?? '256MB';
}

/** DuckDB's "Could not set lock on file ... Conflicting lock is held in <exe> (PID n)". */
function lockHolder(e: unknown): { pid?: number } | undefined {
  const m = e instanceof Error ? e.message : '';
  if (!/Could not set lock on file|Conflicting lock is held/.test(m)) return undefined;
  const pid = /\(PID (\d+)\)/.exec(m)?.[1];
  return pid === undefined ? {} : { pid: Number(pid) };
}

export class Store {
  /** Result files read back from the writer, removed at close at the latest. */
  private readonly files: string[] = [];

  private constructor(
    readonly home: string,
    readonly path: string,
    private readonly instance: DuckDBInstance,
    /** The file's connection; for a Store reading through the writer, a scratch in-memory one. */
    readonly conn: DuckDBConnection,
    private readonly writer?: { readonly client: ReadClient; readonly hello: Hello },
    /** A reader's own spill folder, removed at close. */
    private readonly scratch?: string,
  ) {}

  /**
   * Open (creating if needed) the store under `home` and bring its schema up to date. With
   * `readOnly`, a file another process is writing is read through that process when it serves
   * reads (`orderflow record`); otherwise an E_STORE_LOCKED error says who holds it (at once
   * for a writer while a recorder runs, else after LOCK_WAIT_MS).
   */
  static async open(home: string, opts: { readOnly?: boolean } = {}): Promise<Store> {
    const path = join(home, DB_FILE);
    if (!opts.readOnly) mkdirSync(home, { recursive: true });
    const deadline = Date.now() + LOCK_WAIT_MS;
    // Readers spill big sorts to their own folder: DuckDB names its spill files by block size
    // alone, so readers of one file (a backtest's worker threads, two commands) sharing the
    // default <file>.tmp overwrite each other's ("Could not read enough bytes").
    const scratch = join(`${path}.tmp`, `read-${process.pid}-${threadId}-${++readers}`);
    if (opts.readOnly) {
      try {
        // DuckDB creates the spill folder itself but not its parent.
        mkdirSync(`${path}.tmp`, { recursive: true });
      } catch {
        // A read-only home: DuckDB says so if it ever has to spill.
      }
    }
    let instance: DuckDBInstance;
    for (;;) {
      const { DuckDBInstance } = await duckdb();
      try {
        instance = await DuckDBInstance.create(path, { ...(opts.readOnly ? { access_mode: 'READ_ONLY', temp_directory: scratch } : {}), memory_limit: memoryLimit() });
        break;
      } catch (e) {
        const holder = lockHolder(e);
        if (!holder) throw new StoreError('E_STORE_OPEN', `cannot open store ${path}`, e);
        const writer = await ReadClient.connect(home);
        if (writer && opts.readOnly) {
          const mem = await DuckDBInstance.create(':memory:', { memory_limit: memoryLimit() });
          return new Store(home, path, mem, await mem.connect(), writer);
        }
        writer?.client.close();
        // A recorder holds the file for as long as it runs: a second writer need not wait.
        if (writer || Date.now() >= deadline) {
          const who = holder.pid === undefined ? 'another process' : `another process (PID ${holder.pid})`;
          throw new StoreError(
            'E_STORE_LOCKED',
            writer
              ? `store ${path} is being recorded into by ${who}; a store takes one writer at a time: stop it first, or use another --home`
              : opts.readOnly
                ? `store ${path} is being written by ${who} that does not answer reads (an import or a download); run this again when it ends`
                : `store ${path} is open in ${who} (a command reading or writing it); a writer needs it alone: run this again when that ends`,
          );
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const conn = await instance.connect();
    const store = new Store(home, path, instance, conn, undefined, opts.readOnly ? scratch : undefined);
    if (!opts.readOnly) await store.migrate();
    return store;
  }

  /**
   * A scratch in-memory DuckDB (no schema), for conversions such as JSON -> Parquet. `spill`: the
   * folder its big sorts spill to (created by DuckDB, removed at close; without it, DuckDB's
   * default `.tmp` under the working directory).
   */
  static async openMemory(opts: { spill?: string } = {}): Promise<Store> {
    const { DuckDBInstance } = await duckdb();
    const instance = await DuckDBInstance.create(':memory:', { memory_limit: memoryLimit(), ...(opts.spill ? { temp_directory: opts.spill } : {}) });
    return new Store('', ':memory:', instance, await instance.connect(), undefined, opts.spill);
  }

  /** The process whose queries this Store reads through (it writes the file), if any. */
  get writerPid(): number | undefined {
    return this.writer?.hello.pid;
  }

  /** `imports` rows the writing process is still writing: recorder sessions in progress, not interrupted ones. */
  get liveImports(): readonly number[] {
    return this.writer?.hello.liveImports ?? [];
  }

  /**
   * This store on a connection of its own (closing it closes only that connection): its reads
   * never see another connection's open transaction, e.g. a recorder's flush in progress.
   */
  async ownConnection(): Promise<Store> {
    if (this.writer) throw new StoreError('E_STORE_READ_ONLY', `store ${this.path} is read through PID ${this.writer.hello.pid}: it has no connection of its own to share`);
    const s = new Store(this.home, this.path, this.instance, await this.instance.connect());
    s.sharesInstance = true;
    return s;
  }

  /** Set on a Store made by ownConnection: the instance belongs to the Store it came from. */
  private sharesInstance = false;

  /** Another connection to the same database (the read endpoint answers each reader on its own). */
  connect(): Promise<DuckDBConnection> {
    return this.instance.connect();
  }

  /** Apply pending migrations, each in its own transaction. */
  private async migrate(): Promise<void> {
    await this.conn.run('CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)');
    const rows = await this.rows<{ version: number }>('SELECT max(version) AS version FROM schema_version');
    const current = rows[0]?.version ?? 0;
    if (current > SCHEMA_VERSION) {
      throw new StoreError('E_STORE_SCHEMA', `store ${this.path} has schema v${current}, newer than this orderflow (v${SCHEMA_VERSION}); upgrade orderflow`);
    }
    for (let v = current + 1; v <= SCHEMA_VERSION; v++) {
      try {
        await this.conn.run('BEGIN TRANSACTION');
        await this.conn.run(MIGRATIONS[v - 1]);
        await this.conn.run('INSERT INTO schema_version VALUES ($1)', [v]);
        await this.conn.run('COMMIT');
      } catch (e) {
        await this.conn.run('ROLLBACK').catch(() => {});
        throw new StoreError('E_STORE_SCHEMA', `migration to v${v} failed`, e);
      }
    }
  }

  /** Run a query with bound values and return plain JS row objects (BIGINT stays bigint). */
  async rows<T = Record<string, unknown>>(sql: string, values?: DuckDBValue[]): Promise<T[]> {
    try {
      if (!this.writer) return (await this.conn.runAndReadAll(sql, values)).getRowObjectsJS() as T[];
      const { select, path } = await this.fetch(sql, values);
      try {
        return (await this.conn.runAndReadAll(select, [path])).getRowObjectsJS() as T[];
      } finally {
        rmSync(path, { force: true });
      }
    } catch (e) {
      throw e instanceof StoreError ? e : new StoreError('E_STORE_QUERY', 'query failed', e);
    }
  }

  /** Run a query with bound values and read its result chunk by chunk (columnar scans). */
  async stream(sql: string, values?: DuckDBValue[]): Promise<ChunkStream> {
    if (!this.writer) return this.conn.stream(sql, values);
    const { select, path } = await this.fetch(sql, values);
    const result = await this.conn.stream(select, [path]);
    return {
      fetchChunk: async () => {
        const chunk = await result.fetchChunk();
        if (!chunk || chunk.rowCount === 0) rmSync(path, { force: true });
        return chunk;
      },
    };
  }

  /**
   * `COPY (<query>) TO <target>`: `target` is the quoted path and its options, e.g.
   * `'out/trades' (FORMAT parquet, PARTITION_BY (venue))`. Reading through the writer, the query
   * runs there and the copy is written here.
   */
  async copyQuery(sql: string, values: DuckDBValue[], target: string): Promise<void> {
    if (!this.writer) return this.run(`COPY (\n${sql}\n) TO ${target}`, values);
    const { select, path } = await this.fetch(sql, values);
    try {
      await this.conn.run(`COPY (${select}) TO ${target}`, [path]);
    } catch (e) {
      throw new StoreError('E_STORE_QUERY', 'copy failed', e);
    } finally {
      rmSync(path, { force: true });
    }
  }

  /** Have the writer run the query into a Parquet file; the SELECT that reads it back here with the query's own types. */
  private async fetch(sql: string, values?: DuckDBValue[]): Promise<{ select: string; path: string }> {
    const { path, columns } = await this.writer!.client.query(sql, values);
    this.files.push(path);
    const cast = columns.filter((c) => c.asText);
    const replace = cast.length === 0 ? '' : ` REPLACE (${cast.map((c) => `CAST(${sqlIdent(c.name)} AS ${c.type}) AS ${sqlIdent(c.name)}`).join(', ')})`;
    return { select: `SELECT *${replace} FROM read_parquet($1)`, path };
  }

  async run(sql: string, values?: DuckDBValue[]): Promise<void> {
    if (this.writer) throw new StoreError('E_STORE_READ_ONLY', `store ${this.path} is being recorded into by PID ${this.writer.hello.pid}: it is read through that process and cannot be written`);
    try {
      await this.conn.run(sql, values);
    } catch (e) {
      throw new StoreError('E_STORE_QUERY', 'statement failed', e);
    }
  }

  close(): void {
    this.conn.closeSync();
    if (this.sharesInstance) return;
    this.instance.closeSync();
    this.writer?.client.close();
    for (const f of this.files) rmSync(f, { force: true });
    if (this.scratch) rmSync(this.scratch, { recursive: true, force: true });
  }
}
