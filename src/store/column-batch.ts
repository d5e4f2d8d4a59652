/**
 * Columnar row buffers that flush into DuckDB as DataChunks through an appender.
 *
 * Rows are written straight into typed arrays (no object per row); a full batch of 2048 rows
 * (DuckDB's vector size) is copied into a DataChunk with one typed-array copy per numeric
 * column. NULL is NaN in a double/timestamp column and is written as a validity bitmap.
 */
import duckdb from '@duckdb/node-bindings';
import {
  BIGINT,
  BOOLEAN,
  DOUBLE,
  DuckDBAppender,
  DuckDBDataChunk,
  ENUM8,
  INTEGER,
  TIMESTAMP,
  UUID,
  VARCHAR,
  type DuckDBType,
} from '@duckdb/node-api';
import { VENUES, type Side, type Venue } from '../core/events.ts';

export const BATCH_ROWS = 2048;

export type ColumnKind = 'venue' | 'side' | 'varchar' | 'double' | 'ts' | 'bool' | 'bigint' | 'int' | 'uuid';

export interface ColumnSpec {
  readonly name: string;
  readonly kind: ColumnKind;
}

const VENUE_TYPE = ENUM8([...VENUES], 'venue_t');
const SIDE_TYPE = ENUM8(['buy', 'sell'], 'side_t');
export const VENUE_CODE: Readonly<Record<Venue, number>> = Object.fromEntries(VENUES.map((v, i) => [v, i])) as Record<Venue, number>;
export const SIDE_CODE: Readonly<Record<Side, number>> = { buy: 0, sell: 1 };

function duckType(kind: ColumnKind): DuckDBType {
  switch (kind) {
    case 'venue':
      return VENUE_TYPE;
    case 'side':
      return SIDE_TYPE;
    case 'varchar':
      return VARCHAR;
    case 'double':
      return DOUBLE;
    case 'ts':
      return TIMESTAMP;
    case 'bool':
      return BOOLEAN;
    case 'bigint':
      return BIGINT;
    case 'int':
      return INTEGER;
    case 'uuid':
      return UUID;
  }
}

type Column = Uint8Array | Float64Array | Int32Array | Uint32Array | string[];

function allocate(kind: ColumnKind): Column {
  switch (kind) {
    case 'venue':
    case 'side':
    case 'bool':
      return new Uint8Array(BATCH_ROWS);
    case 'varchar':
      return new Array<string>(BATCH_ROWS).fill('');
    case 'double':
    case 'ts':
    case 'bigint':
      return new Float64Array(BATCH_ROWS);
    case 'int':
      return new Int32Array(BATCH_ROWS);
    case 'uuid':
      // DuckDB's stored form, 4 little-endian words per row; an all-zero row is written as NULL
      // (the nil UUID is never a trade id).
      return new Uint32Array(BATCH_ROWS * 4);
  }
}

/**
 * One table's pending rows. Writers fill `cols[i][n]` for each column, then call `commitRow()`.
 * `ts` and `bigint` columns hold float64 (ms for ts) and are converted at flush.
 */
export class ColumnBatch {
  readonly cols: Column[];
  n = 0;
  /** Rows flushed to the appender so far. */
  written = 0;
  private readonly types: DuckDBType[];
  private readonly tsScratch = new BigInt64Array(BATCH_ROWS);
  private readonly validity = new Uint32Array(BATCH_ROWS / 32);

  constructor(
    readonly table: string,
    readonly specs: readonly ColumnSpec[],
    private readonly appender: DuckDBAppender,
  ) {
    this.cols = specs.map((s) => allocate(s.kind));
    this.types = specs.map((s) => duckType(s.kind));
  }

  /** Call after writing every column of row `n`. */
  commitRow(): void {
    if (++this.n === BATCH_ROWS) this.flush();
  }

  flush(): void {
    const rows = this.n;
    if (rows === 0) return;
    const chunk = DuckDBDataChunk.create(this.types, rows);
    for (let c = 0; c < this.specs.length; c++) this.fillVector(chunk, c, rows);
    this.appender.appendDataChunk(chunk);
    this.written += rows;
    this.n = 0;
  }

  /** Flush what is pending and close the appender; returns the rows written in all. */
  close(): number {
    this.flush();
    this.appender.closeSync();
    return this.written;
  }

  /** Close the appender, discarding pending rows (the transaction is rolled back after). */
  abandon(): void {
    this.n = 0;
    try {
      // Discard what the appender still buffers first: an appender whose flush failed (a
      // constraint) keeps its rows, and when it is garbage-collected it flushes them again into
      // whatever transaction the connection has open then, aborting that one.
      this.appender.clear();
      this.appender.closeSync();
    } catch {
      // The appender may already be invalid after the error that brought us here.
    }
  }

  private fillVector(chunk: DuckDBDataChunk, c: number, rows: number): void {
    const kind = this.specs[c].kind;
    const vector = (kind === 'varchar' ? lazyVector(chunk, c) : chunk.getColumnVector(c)) as unknown as {
      items: Uint8Array | Float64Array | BigInt64Array | Int32Array | DataView;
      vector: duckdb.Vector;
      setItem(i: number, v: unknown): void;
      flush(): void;
    };
    const col = this.cols[c];
    let nulls = false;
    switch (kind) {
      case 'varchar': {
        const strings = col as string[];
        const first = strings[0];
        let constant = true;
        for (let i = 1; i < rows && constant; i++) constant = strings[i] === first;
        if (constant) {
          // One value for the whole batch (the symbol, nearly always): a constant vector is one
          // native call instead of one per row.
          duckdb.vector_reference_value(duckdb.data_chunk_get_vector(chunk.chunk, c), duckdb.create_varchar(first));
          return;
        }
        for (let i = 0; i < rows; i++) vector.setItem(i, strings[i]);
        break;
      }
      case 'venue':
      case 'side':
      case 'int':
        (vector.items as Uint8Array | Int32Array).set((col as Uint8Array | Int32Array).subarray(0, rows));
        break;
      case 'bool': {
        const src = col as Uint8Array;
        for (let i = 0; i < rows; i++) vector.setItem(i, src[i] === 1);
        break;
      }
      case 'double': {
        const src = col as Float64Array;
        (vector.items as Float64Array).set(src.subarray(0, rows));
        nulls = this.markNulls(src, rows);
        break;
      }
      case 'uuid': {
        const src = col as Uint32Array;
        const dst = (vector as unknown as { dataView: DataView }).dataView;
        const bits = this.validity;
        bits.fill(0xffffffff);
        for (let i = 0; i < rows; i++) {
          const w = i * 4;
          if ((src[w] | src[w + 1] | src[w + 2] | src[w + 3]) === 0) {
            bits[i >>> 5] &= ~(1 << (i & 31));
            nulls = true;
          }
          for (let k = 0; k < 4; k++) dst.setUint32((w + k) * 4, src[w + k], true);
        }
        break;
      }
      case 'ts':
      case 'bigint': {
        const src = col as Float64Array;
        const dst = this.tsScratch;
        const scale = kind === 'ts' ? 1000 : 1; // ms -> µs
        for (let i = 0; i < rows; i++) {
          const v = src[i];
          dst[i] = v === v ? BigInt(Math.round(v * scale)) : 0n;
        }
        (vector.items as BigInt64Array).set(dst.subarray(0, rows));
        nulls = this.markNulls(src, rows);
        break;
      }
    }
    vector.flush();
    if (nulls) {
      duckdb.vector_ensure_validity_writable(vector.vector);
      const bytes = Math.ceil(rows / 64) * 8;
      duckdb.copy_data_to_vector_validity(vector.vector, 0, this.validity.buffer, 0, bytes);
    }
  }

  /** Build the validity bitmap (bit set = valid) for NaN entries; false when none is NaN. */
  private markNulls(src: Float64Array, rows: number): boolean {
    let any = false;
    const bits = this.validity;
    bits.fill(0xffffffff);
    for (let i = 0; i < rows; i++) {
      const v = src[i];
      if (v !== v) {
        bits[i >>> 5] &= ~(1 << (i & 31));
        any = true;
      }
    }
    return any;
  }
}

/** Defer building the node-api VARCHAR wrapper (it reads every string) until it is needed. */
function lazyVector(chunk: DuckDBDataChunk, c: number): unknown {
  let v: ReturnType<DuckDBDataChunk['getColumnVector']> | undefined;
  const get = () => (v ??= chunk.getColumnVector(c));
  return {
    setItem: (i: number, value: unknown) => (get() as unknown as { setItem(i: number, v: unknown): void }).setItem(i, value),
    flush: () => get().flush(),
    get vector() {
      return (get() as unknown as { vector: duckdb.Vector }).vector;
    },
  };
}

const HEX = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** UUID text in its canonical 8-4-4-4-12 hex form (either case). */
export function isUuid(text: string): boolean {
  return text.length === 36 && HEX.test(text);
}

/**
 * Write a UUID's text into DuckDB's stored form at `words[at..at+3]`: a 128-bit integer with
 * its top bit flipped (so numeric order is text order), lower 64 bits first, little-endian.
 * Returns false when the text is not a UUID.
 */
export function writeUuid(text: string, words: Uint32Array, at: number): boolean {
  if (!isUuid(text)) return false;
  const hex = text.replace(/-/g, '');
  words[at] = parseInt(hex.slice(24, 32), 16);
  words[at + 1] = parseInt(hex.slice(16, 24), 16);
  words[at + 2] = parseInt(hex.slice(8, 16), 16);
  words[at + 3] = (parseInt(hex.slice(0, 8), 16) ^ 0x80000000) >>> 0;
  return true;
}

