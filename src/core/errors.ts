/**
 * One error type per layer, each with a stable `code` (tests assert codes, not text), the
 * source (file:line or message index) and the field and value that were wrong.
 */

export type ParseErrorCode =
  | 'E_NUMBER' // a field that must be a number is not
  | 'E_COLUMNS' // wrong column count
  | 'E_SIDE' // unknown side / flag value
  | 'E_TIME_BACKWARDS' // timestamp earlier than the previous row's (where the source is ordered)
  | 'E_TIME_UNIT' // timestamp implausible for its unit
  | 'E_DUPLICATE_ID' // the same trade id twice, or ids going backwards
  | 'E_JSON' // a line that is not valid JSON
  | 'E_MESSAGE' // valid JSON of a shape we do not know / missing field
  | 'E_FIELD' // a required field is missing or empty
  | 'E_HEADER' // a header that belongs to another format, or none we know
  | 'E_LINE_TOO_LONG' // a line past the 64 KiB cap of the trade-archive scanner (no row of these formats is that long)
  | 'E_INSTRUMENT' // the instrument needed to convert units is unknown
  | 'E_SYMBOL'; // a symbol too long or with characters no venue uses (core/symbol.ts)

/** Venue layer: one bad row or message. Raised by parse.ts and archive.ts. */
export class ParseError extends Error {
  override readonly name = 'ParseError';
  constructor(
    readonly code: ParseErrorCode,
    /** What was wrong, in words. */
    readonly detail: string,
    /** The field (column name, or JSON path like `data.p`). */
    readonly field?: string,
    /** The offending value, as text (shortened). */
    readonly value?: string,
    /** `file:line` or `message N`; filled in by the reader that knows it. */
    public where?: string,
  ) {
    super('');
    this.message = this.render();
  }

  /** Fill in the location (the row parser does not know the file name) and re-render. */
  at(where: string): this {
    this.where = where;
    this.message = this.render();
    return this;
  }

  private render(): string {
    const parts = [this.where ? `${this.where}: ` : '', this.detail];
    if (this.field !== undefined) parts.push(` (field ${this.field}`);
    if (this.value !== undefined) parts.push(`${this.field !== undefined ? ', ' : ' ('}value ${JSON.stringify(shorten(this.value))}`);
    if (this.field !== undefined || this.value !== undefined) parts.push(')');
    return parts.join('');
  }
}

export type FileErrorCode =
  | 'E_EMPTY' // no data rows
  | 'E_TRUNCATED' // gzip/zip ended early or is corrupt
  | 'E_ZIP_BOMB' // a zip entry declares over 200:1, or inflates past the size it declares
  | 'E_ZIP_ENTRY_NAME' // a zip entry named outside its folder (`../x`, `/x`)
  | 'E_CHECKSUM' // .CHECKSUM beside the file does not match
  | 'E_FORMAT' // format not recognised / not accepted
  | 'E_IO' // cannot read
  | 'E_LINE_TOO_LONG' // a line past the reader's limit (store/read-source.ts MAX_LINE_CHARS)
  | 'E_TOO_MANY_BAD_ROWS'; // --skip-bad-rows, but everything was bad

/** Import layer: a whole file cannot be imported. */
export class FileError extends Error {
  override readonly name = 'FileError';
  constructor(
    readonly code: FileErrorCode,
    readonly file: string,
    readonly detail: string,
    /** The 1-based line, when the error is about one line of the file. */
    readonly line?: number,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${detail}`);
  }
}

export type StoreErrorCode =
  | 'E_STORE_OPEN'
  | 'E_STORE_LOCKED' // another process holds the file and answers no reads (an import), or readers hold it and a writer must wait
  | 'E_STORE_READ_ONLY' // a write through a store opened for reading
  | 'E_STORE_WRITER_GONE' // the process answering this reader's queries stopped
  | 'E_STORE_SCHEMA'
  | 'E_STORE_WRITE'
  | 'E_STORE_QUERY'
  | 'E_LAKE_MISSING' // --lake names no folder
  | 'E_LAKE_EMPTY' // --lake holds no Parquet file of any table
  | 'E_LAKE_FILE' // a lake file is not readable Parquet
  | 'E_LAKE_S3'; // s3:// needs DuckDB's httpfs extension, which is not installed

/** Store layer: DuckDB could not open, migrate, write or read. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  constructor(
    readonly code: StoreErrorCode,
    detail: string,
    override readonly cause?: unknown,
  ) {
    super(cause instanceof Error ? `${detail}: ${cause.message}` : detail);
  }
}

/** CLI layer: bad arguments. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
  readonly code = 'E_USAGE';
}

export function shorten(text: string, max = 80): string {
  return text.length <= max ? text : `${text.slice(0, max)}...`;
}
