/**
 * The embedded store: one DuckDB file, `<home>/orderflow.duckdb`.
 * One connection per Store; callers close it. Queries always bind values.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { DuckDBConnection, DuckDBInstance, DuckDBValue } from '@duckdb/node-api';
import { StoreError } from '../core/errors.ts';
import { MIGRATIONS, SCHEMA_VERSION } from './schema.ts';

export const DB_FILE = 'orderflow.duckdb';

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

export class Store {
  private constructor(
    readonly home: string,
    readonly path: string,
    private readonly instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
  ) {}

  /** Open (creating if needed) the store under `home` and bring its schema up to date. */
  static async open(home: string, opts: { readOnly?: boolean } = {}): Promise<Store> {
    const path = join(home, DB_FILE);
    let instance: DuckDBInstance;
    try {
      if (!opts.readOnly) mkdirSync(home, { recursive: true });
      const { DuckDBInstance } = await duckdb();
      instance = await DuckDBInstance.create(path, {
        ...(opts.readOnly ? { access_mode: 'READ_ONLY' } : {}),
        // DuckDB would otherwise take 80% of RAM and keep a whole import's transaction in memory;
        // a cap makes it write row groups out as they fill, so memory stays flat at any file size.
        memory_limit: process.env.ORDERFLOW_MEMORY_LIMIT ?? '256MB',
      });
    } catch (e) {
      throw new StoreError('E_STORE_OPEN', `cannot open store ${path}`, e);
    }
    const conn = await instance.connect();
    const store = new Store(home, path, instance, conn);
    if (!opts.readOnly) await store.migrate();
    return store;
  }

  /** A scratch in-memory DuckDB (no schema), for conversions such as JSON -> Parquet. */
  static async openMemory(): Promise<Store> {
    const { DuckDBInstance } = await duckdb();
    const instance = await DuckDBInstance.create(':memory:', { memory_limit: process.env.ORDERFLOW_MEMORY_LIMIT ?? '256MB' });
    return new Store('', ':memory:', instance, await instance.connect());
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
      const reader = await this.conn.runAndReadAll(sql, values);
      return reader.getRowObjectsJS() as T[];
    } catch (e) {
      throw new StoreError('E_STORE_QUERY', 'query failed', e);
    }
  }

  async run(sql: string, values?: DuckDBValue[]): Promise<void> {
    try {
      await this.conn.run(sql, values);
    } catch (e) {
      throw new StoreError('E_STORE_QUERY', 'statement failed', e);
    }
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}
