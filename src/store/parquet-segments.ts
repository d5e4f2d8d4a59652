/**
 * The Parquet route of a bulk load (bulk-load.ts): the byte scanner, which reads every byte of
 * the archive anyway to validate it, also writes each accepted row into typed columns; a row
 * group at a time they go into uncompressed Parquet segments under `<home>/tmp`, and DuckDB
 * inserts each segment with `read_parquet` as soon as it is complete, while the next one is
 * scanned. DuckDB then parses nothing: of its ~1.2 CPU-s for `read_csv` of 2M trades, ~0.4 was
 * parsing the CSV (docs/BENCHMARKS.md, "The Parquet route").
 *
 * The segments go to DuckDB one statement at a time (serial-segment-inserts.ts, shared with the
 * CSV route). Memory: one row group of columns.
 */
import { mkdirSync } from 'node:fs';
import type { TradeColumns } from '../core/format.ts';
import type { Insert, SegmentLoader } from './bulk-load.ts';
import { ParquetWriter, type ParquetColumn } from './parquet-writer.ts';
import { SerialSegmentInserts } from './serial-segment-inserts.ts';

/** DuckDB's row group size: a segment of whole row groups fills the table's row groups. */
const ROW_GROUP_ROWS = 122_880;

const COLUMNS: readonly ParquetColumn[] = [
  { name: 'us', type: 'INT64' },
  { name: 'price', type: 'DOUBLE' },
  { name: 'qty', type: 'DOUBLE' },
  { name: 'sell', type: 'BOOLEAN' },
  { name: 'id', type: 'INT64' },
];

/** $1 venue, $2 symbol, $3 the segment, $4 the import id. */
const INSERT_SQL = `INSERT INTO trades
  SELECT $1::venue_t, $2, make_timestamp(us), NULL, price, qty, CASE WHEN sell THEN 'sell'::side_t ELSE 'buy'::side_t END, id, NULL, $4
  FROM read_parquet($3)`;

/**
 * Rows per segment, `ORDERFLOW_PARQUET_SEGMENT_ROWS` (default 4 row groups, 491,520 rows, ~16 MB;
 * the first segment is one row group, see flushGroup): DuckDB starts on a segment as soon as it
 * is written, so smaller segments overlap more of the scan with the load; each statement costs a
 * start. Below a row group (tests), the row group shrinks to the segment.
 */
function segmentRows(): number {
  const n = Number(process.env.ORDERFLOW_PARQUET_SEGMENT_ROWS ?? 4 * ROW_GROUP_ROWS);
  return Number.isInteger(n) && n > 0 ? n : 4 * ROW_GROUP_ROWS;
}

export class ParquetSegments implements TradeColumns, SegmentLoader {
  private readonly segmentRows = segmentRows();
  private readonly groupRows = Math.min(ROW_GROUP_ROWS, this.segmentRows);
  readonly us = new Float64Array(this.groupRows);
  readonly price = new Float64Array(this.groupRows);
  readonly qty = new Float64Array(this.groupRows);
  readonly sell = new Uint8Array(this.groupRows);
  readonly id = new Float64Array(this.groupRows);
  n = 0;
  /** Segments complete and not yet handed to DuckDB. */
  private readonly ready: string[] = [];
  private writer: ParquetWriter | undefined;
  private readonly inserts: SerialSegmentInserts;
  /** The scanner's columns are the data: the raw bytes are not needed once it gave up. */
  readonly needsBytes = false;

  constructor(tmpDir: string, venue: string, symbol: string) {
    mkdirSync(tmpDir, { recursive: true });
    this.inserts = new SerialSegmentInserts(tmpDir, venue, symbol);
  }

  /** DuckDB's first error; no segment is loaded after it. */
  get failed(): unknown {
    return this.inserts.failed;
  }

  /** Called by the scanner when a row group is full. */
  full(): void {
    this.flushGroup();
  }

  /** After a chunk was scanned (the scanner already took its rows): load what is complete. */
  async write(_chunk: Buffer, insert: Insert): Promise<void> {
    await this.loadReady(insert);
  }

  /** Hand DuckDB the segments completed since the last call, one statement at a time. */
  async loadReady(insert: Insert): Promise<void> {
    while (this.ready.length > 0) await this.inserts.load(insert, INSERT_SQL, this.ready.shift()!);
  }

  /** After the scanner's end(): load the rest; resolves with DuckDB's error, or undefined. */
  async finish(insert: Insert): Promise<unknown> {
    this.flushGroup();
    if (this.writer) this.closeSegment();
    await this.loadReady(insert);
    return this.inserts.finish();
  }

  settle(): Promise<void> {
    return this.inserts.settle();
  }

  removeAll(): void {
    this.writer?.abandon();
    this.writer = undefined;
    this.ready.length = 0;
    this.inserts.removeAll();
  }

  private flushGroup(): void {
    if (this.n === 0) return;
    this.writer ??= new ParquetWriter(this.inserts.newFile('parquet'), COLUMNS);
    this.writer.writeRowGroup([this.us, this.price, this.qty, this.sell, this.id], this.n);
    this.n = 0;
    // The first segment is one row group, so DuckDB starts inserting while the scan is still at
    // its start instead of a whole segment later (nothing else can run then but the scan and
    // the inflate).
    if (this.writer.rowCount >= (this.inserts.files === 1 ? this.groupRows : this.segmentRows)) this.closeSegment();
  }

  private closeSegment(): void {
    this.writer!.close();
    this.ready.push(this.writer!.path);
    this.writer = undefined;
  }
}
