/**
 * A minimal Parquet writer for flat tables of required numeric columns, so typed columns built
 * in JS reach DuckDB with nothing left to parse: `read_parquet` of such a file is a memcpy per
 * page, where `read_csv` of the same rows parses every digit again (bulk-load.ts).
 *
 * Only what that needs: INT64 (written from integral doubles, |v| <= 2^53), DOUBLE and BOOLEAN
 * columns, all REQUIRED (no definition levels), PLAIN encoding, no compression, one data page per
 * column per row group, and the footer (FileMetaData) in Thrift's compact protocol, as the
 * Parquet format spec (parquet.thrift) defines it. Bytes are written with writeSync as each row
 * group is complete, so a file of any size holds one row group in memory.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { endianness } from 'node:os';

export type ParquetColumnType = 'INT64' | 'DOUBLE' | 'BOOLEAN';

export interface ParquetColumn {
  readonly name: string;
  readonly type: ParquetColumnType;
}

/** Values of one column for a row group: numbers (INT64: integral, |v| <= 2^53) or 0/1 bytes. */
export type ColumnValues = Float64Array | Uint8Array;

/** parquet.thrift enum Type. */
const TYPE_ID: Record<ParquetColumnType, number> = { BOOLEAN: 0, INT64: 2, DOUBLE: 5 };
const MAGIC = Buffer.from('PAR1');
const TWO_32 = 4294967296;

/** Typed arrays are written as they lie in memory, which Parquet's little-endian values need. */
export const CAN_WRITE_PARQUET = endianness() === 'LE';

interface ChunkMeta {
  readonly offset: number;
  readonly bytes: number;
}

interface RowGroupMeta {
  readonly rows: number;
  readonly chunks: readonly ChunkMeta[];
}

export class ParquetWriter {
  private fd: number | undefined;
  private offset = 0;
  private rows = 0;
  private readonly groups: RowGroupMeta[] = [];
  /** Reused per page: INT64 words and packed booleans. */
  private scratch = new ArrayBuffer(0);

  constructor(
    readonly path: string,
    readonly columns: readonly ParquetColumn[],
  ) {
    if (!CAN_WRITE_PARQUET) throw new Error('parquet-writer: needs a little-endian machine');
    if (columns.length === 0) throw new Error('parquet-writer: no columns');
    this.fd = openSync(path, 'w', 0o600);
    this.write(MAGIC);
  }

  /** Rows written so far. */
  get rowCount(): number {
    return this.rows;
  }

  /** Append one row group: `n` rows, the first n values of each column (in `columns` order). */
  writeRowGroup(values: readonly ColumnValues[], n: number): void {
    if (values.length !== this.columns.length) throw new Error(`parquet-writer: ${values.length} columns given, ${this.columns.length} declared`);
    if (!(n > 0 && Number.isInteger(n))) throw new Error(`parquet-writer: bad row count ${n}`);
    const chunks: ChunkMeta[] = [];
    for (let c = 0; c < this.columns.length; c++) {
      const data = this.encode(this.columns[c].type, values[c], n);
      const header = pageHeader(data.length, n);
      chunks.push({ offset: this.offset, bytes: header.length + data.length });
      this.write(header);
      this.write(data);
    }
    this.groups.push({ rows: n, chunks });
    this.rows += n;
  }

  /** Write the footer and close the file. */
  close(): void {
    const meta = fileMetaData(this.columns, this.groups, this.rows);
    const len = Buffer.alloc(4);
    len.writeUInt32LE(meta.length);
    this.write(meta);
    this.write(len);
    this.write(MAGIC);
    closeSync(this.fd!);
    this.fd = undefined;
  }

  /** Close without a footer (the file is to be removed). */
  abandon(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private write(b: Uint8Array): void {
    let done = 0;
    while (done < b.length) done += writeSync(this.fd!, b, done, b.length - done);
    this.offset += b.length;
  }

  /** The PLAIN bytes of the first n values. */
  private encode(type: ParquetColumnType, v: ColumnValues, n: number): Uint8Array {
    if (v.length < n) throw new Error(`parquet-writer: column holds ${v.length} values, ${n} rows`);
    if (type === 'DOUBLE') {
      if (!(v instanceof Float64Array)) throw new Error('parquet-writer: DOUBLE needs a Float64Array');
      return new Uint8Array(v.buffer, v.byteOffset, n * 8);
    }
    if (type === 'INT64') {
      if (!(v instanceof Float64Array)) throw new Error('parquet-writer: INT64 needs a Float64Array');
      const words = new Int32Array(this.space(n * 8), 0, n * 2);
      int64Words(v, words, n);
      return new Uint8Array(words.buffer, 0, n * 8);
    }
    // BOOLEAN: bit-packed, least significant bit first.
    const bytes = new Uint8Array(this.space((n + 7) >> 3), 0, (n + 7) >> 3);
    bytes.fill(0);
    packBits(v, bytes, n);
    return bytes;
  }

  private space(bytes: number): ArrayBuffer {
    if (this.scratch.byteLength < bytes) this.scratch = new ArrayBuffer(bytes);
    return this.scratch;
  }
}

// The per-value loops are functions of their own, with nothing after the loop: V8 optimizes a
// loop while it runs (on-stack replacement), and code after it that had not run yet would make
// the optimized code bail out at the loop's end, on every call.

/** INT64 little-endian words from integral doubles (|v| <= 2^53). */
function int64Words(v: ColumnValues, words: Int32Array, n: number): void {
  for (let i = 0, j = 0; i < n; i++, j += 2) {
    const x = v[i];
    // Two's complement from an integral double: ToInt32 keeps the low 32 bits exactly.
    words[j] = x | 0;
    words[j + 1] = Math.floor(x / TWO_32);
  }
}

/** Booleans bit-packed into zeroed bytes, least significant bit first (PLAIN BOOLEAN). */
function packBits(v: ColumnValues, bytes: Uint8Array, n: number): void {
  for (let i = 0; i < n; i++) if (v[i]) bytes[i >> 3] |= 1 << (i & 7);
}

// ---------------------------------------------------------------------------------------------
// Thrift compact protocol, only the parts the footer and page headers use.

const T_I32 = 5;
const T_I64 = 6;
const T_BINARY = 8;
const T_LIST = 9;
const T_STRUCT = 12;

class Compact {
  private readonly out: number[] = [];
  private readonly lastIds: number[] = [];
  private lastId = 0;

  bytes(): Buffer {
    return Buffer.from(this.out);
  }

  private field(id: number, type: number): void {
    const delta = id - this.lastId;
    if (delta > 0 && delta <= 15) this.out.push((delta << 4) | type);
    else {
      this.out.push(type);
      this.varint(zigzag(id));
    }
    this.lastId = id;
  }

  i32(id: number, v: number): this {
    this.field(id, T_I32);
    this.varint(zigzag(v));
    return this;
  }

  i64(id: number, v: number): this {
    this.field(id, T_I64);
    this.varint(zigzag(v));
    return this;
  }

  string(id: number, s: string): this {
    this.field(id, T_BINARY);
    this.str(s);
    return this;
  }

  struct(id: number, body: (w: this) => void): this {
    this.field(id, T_STRUCT);
    this.inner(body);
    return this;
  }

  /** A list field of `n` elements of `type`, each written by `item`. */
  list(id: number, type: number, n: number, item: (i: number) => void): this {
    this.field(id, T_LIST);
    if (n < 15) this.out.push((n << 4) | type);
    else {
      this.out.push(0xf0 | type);
      this.varint(n);
    }
    for (let i = 0; i < n; i++) item(i);
    return this;
  }

  /** A struct as a list element (no field header). */
  inner(body: (w: this) => void): void {
    this.lastIds.push(this.lastId);
    this.lastId = 0;
    body(this);
    this.out.push(0); // STOP
    this.lastId = this.lastIds.pop()!;
  }

  /** Bare values, as list elements. */
  str(s: string): void {
    const b = Buffer.from(s, 'utf8');
    this.varint(b.length);
    for (const x of b) this.out.push(x);
  }

  rawI32(v: number): void {
    this.varint(zigzag(v));
  }

  /** Top level: the message is one struct. */
  message(body: (w: this) => void): Buffer {
    body(this);
    this.out.push(0);
    return this.bytes();
  }

  private varint(v: number): void {
    // v >= 0, < 2^53: 7 bits at a time (no 32-bit operators: values pass 2^31).
    while (v >= 0x80) {
      this.out.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    this.out.push(v);
  }
}

function zigzag(v: number): number {
  return v >= 0 ? v * 2 : -v * 2 - 1;
}

/** PageHeader of a DATA_PAGE (v1) of `n` PLAIN values, uncompressed. */
function pageHeader(bytes: number, n: number): Buffer {
  return new Compact().message((w) =>
    w
      .i32(1, 0) // type: DATA_PAGE
      .i32(2, bytes) // uncompressed_page_size
      .i32(3, bytes) // compressed_page_size
      .struct(5, (d) => d.i32(1, n).i32(2, 0).i32(3, 3).i32(4, 3)), // num_values, PLAIN, RLE, RLE
  );
}

/** FileMetaData: version 1, the flat schema, every row group's column chunks. */
function fileMetaData(columns: readonly ParquetColumn[], groups: readonly RowGroupMeta[], rows: number): Buffer {
  const w = new Compact();
  return w.message(() => {
    w.i32(1, 1);
    w.list(2, T_STRUCT, columns.length + 1, (i) =>
      w.inner(() => {
        if (i === 0) w.string(4, 'schema').i32(5, columns.length);
        else w.i32(1, TYPE_ID[columns[i - 1].type]).i32(3, 0).string(4, columns[i - 1].name); // REQUIRED
      }),
    );
    w.i64(3, rows);
    w.list(4, T_STRUCT, groups.length, (g) =>
      w.inner(() => {
        const group = groups[g];
        let total = 0;
        for (const c of group.chunks) total += c.bytes;
        w.list(1, T_STRUCT, columns.length, (c) =>
          w.inner(() => {
            const chunk = group.chunks[c];
            w.i64(2, chunk.offset);
            w.struct(3, () => {
              w.i32(1, TYPE_ID[columns[c].type]);
              w.list(2, T_I32, 1, () => w.rawI32(0)); // encodings: PLAIN
              w.list(3, T_BINARY, 1, () => w.str(columns[c].name));
              w.i32(4, 0); // codec: UNCOMPRESSED
              w.i64(5, group.rows);
              w.i64(6, chunk.bytes);
              w.i64(7, chunk.bytes);
              w.i64(9, chunk.offset);
            });
          }),
        );
        w.i64(2, total);
        w.i64(3, group.rows);
      }),
    );
    w.string(6, 'orderflow');
  });
}
