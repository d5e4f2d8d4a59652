/**
 * What a store's writer and its readers share to answer reads while it writes
 * (docs/SCHEMA.md "Reading while recording"): where the writer publishes its endpoint, the
 * messages (one JSON object per line over a 127.0.0.1 TCP socket), and how bound values travel.
 *
 * A reader sends `hello` with the token from the endpoint file (mode 0600: only the user who
 * runs the writer can read it), then `query` requests one at a time. The writer runs them in one
 * transaction, begun at `hello`, on a DuckDB connection of the reader's own, and answers each
 * with a Parquet file under `<home>/tmp/reads/` holding the result in the query's order, plus
 * the result's column types (a few types do not survive Parquet and travel as text, cast back
 * by the reader).
 */
import { join } from 'node:path';
import type { DuckDBValue } from '@duckdb/node-api';

/** `<home>/read-endpoint.json`: where the process holding the store answers reads. */
export const ENDPOINT_FILE = 'read-endpoint.json';
/** `<home>/tmp/reads/`: result files, removed when their reader is done. */
export const READS_DIR = join('tmp', 'reads');
/** A request line longer than this closes the connection (a query is a few KiB). */
export const MAX_REQUEST_BYTES = 1 << 20;

export interface EndpointFile {
  readonly pid: number;
  readonly port: number;
  readonly token: string;
  readonly startedAt: string;
}

export type Request =
  | { readonly id: number; readonly op: 'hello'; readonly token: string }
  | { readonly id: number; readonly op: 'query'; readonly sql: string; readonly values: WireValue[] };

export type Response =
  | { readonly id: number; readonly ok: true; readonly hello: Hello }
  | { readonly id: number; readonly ok: true; readonly path: string; readonly columns: readonly WireColumn[] }
  | { readonly id: number; readonly ok: false; readonly error: string };

/** What the writer says about itself when a reader connects. */
export interface Hello {
  readonly pid: number;
  /** `imports` rows this process is still writing (its recorder sessions), so readers do not count them as interrupted. */
  readonly liveImports: readonly number[];
}

/** A result column: its name, its DuckDB type as SQL, and whether it travels as text. */
export interface WireColumn {
  readonly name: string;
  readonly type: string;
  readonly asText: boolean;
}

/** Bound values as JSON: bigint as `{"$bigint":"123"}`; orderflow binds nothing else that JSON cannot carry. */
export type WireValue = string | number | boolean | null | { readonly $bigint: string };

export function encodeValues(values: readonly DuckDBValue[] | undefined): WireValue[] {
  return (values ?? []).map((v, i) => {
    if (typeof v === 'bigint') return { $bigint: v.toString() };
    if (v === null || typeof v === 'string' || typeof v === 'boolean') return v;
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) throw new TypeError(`bound value $${i + 1}: ${v} cannot be sent to the store's writer`);
      return v;
    }
    throw new TypeError(`bound value $${i + 1}: a ${v?.constructor?.name ?? typeof v} cannot be sent to the store's writer`);
  });
}

export function decodeValues(values: unknown): DuckDBValue[] {
  if (!Array.isArray(values)) throw new TypeError('values: expected an array');
  return values.map((v, i) => {
    if (v === null || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'number') return v;
    if (typeof v === 'object' && typeof (v as { $bigint?: unknown }).$bigint === 'string' && /^-?\d{1,40}$/.test((v as { $bigint: string }).$bigint)) {
      return BigInt((v as { $bigint: string }).$bigint);
    }
    throw new TypeError(`values[${i}]: not a bound value`);
  });
}

/** A double-quoted SQL identifier. */
export function sqlIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
