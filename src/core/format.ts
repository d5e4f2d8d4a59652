/**
 * The contract between file formats (venue archive.ts) and the importer (store/importer.ts).
 *
 * A format turns text lines into calls on an EventSink. Hot formats (trade archives with
 * millions of rows) call the positional methods, which write straight into typed-array columns
 * with no object per row; low-volume formats may call `event()` with a normalized event.
 */
import type { CaptureRecord, DepthBandRecord, KlineRecord, MarketEvent, Side, TickerFields, Venue } from './events.ts';
import type { InstrumentRegistry } from './instruments.ts';

export interface EventSink {
  trade(venue: Venue, symbol: string, ts: number, localTs: number, price: number, qty: number, side: Side, id: string): void;
  liquidation(venue: Venue, symbol: string, ts: number, localTs: number, price: number, qty: number, side: Side, id: string): void;
  /** One book level of one message. Levels of one message share `msg` (unique per file). */
  bookLevel(
    venue: Venue, symbol: string, ts: number, localTs: number, msg: number,
    isSnapshot: boolean, side: Side, price: number, qty: number, seq: number,
  ): void;
  ticker(venue: Venue, symbol: string, ts: number, localTs: number, fields: Readonly<TickerFields>): void;
  kline(record: KlineRecord): void;
  depthBand(record: DepthBandRecord): void;
  /** Any normalized event; book events are split into levels. */
  event(ev: MarketEvent): void;
}

/** What a row parser gets to know about the file it reads. */
export interface ParseContext {
  /** Base name of the file inside its container (`BTCUSDT-aggTrades-2024-01-01.csv`). */
  readonly fileName: string;
  /** Symbol from `--symbol` or from the file name, when the rows do not carry one. */
  readonly symbol: string | undefined;
  readonly instruments: InstrumentRegistry;
}

export interface LineParser {
  /**
   * Parse one line (without its newline). `lineNo` is 1-based. Throws ParseError for a bad
   * row; the importer adds `file:line`. A header line is consumed by returning without output.
   */
  line(text: string, lineNo: number, sink: EventSink): void;
  /** Called after the last line (flush state such as a pending book message). */
  end?(sink: EventSink): void;
}

/** What a trade archive holds, summed so two readers of the same file can be compared. */
export interface TradeDigestFields {
  count: number;
  sells: number;
  minTs: number;
  maxTs: number;
  minId: number;
  maxId: number;
  sumPrice: number;
  sumQty: number;
}

/**
 * Typed columns an accepting byte scanner fills row by row (the Parquet route of bulk-load.ts):
 * time in µs since the epoch, price, qty, 1 when the aggressor sold (buyer was maker), the
 * integer trade id. Each array holds one row group; when `n` reaches their length the scanner
 * calls `full()`, which must take the rows and set `n` back to 0.
 */
export interface TradeColumns {
  readonly us: Float64Array;
  readonly price: Float64Array;
  readonly qty: Float64Array;
  readonly sell: Uint8Array;
  readonly id: Float64Array;
  n: number;
  full(): void;
}

/**
 * A byte-level validator of a trade archive: it reads the raw bytes once, and either accepts the
 * whole file with its digest or gives up (then the line parsers judge the file).
 */
export interface TradeArchiveByteScanner {
  /** false once it gave up. */
  readonly ok: boolean;
  /** Set when it gave up because a line grew past `maxLineBytes`: the 1-based line number. */
  readonly tooLongLine: number | undefined;
  readonly maxLineBytes: number;
  /** Rows accepted so far. */
  readonly rows: number;
  push(chunk: Buffer): void;
  /** The digest of the whole file, or undefined when it gave up. */
  end(): TradeDigestFields | undefined;
}

/**
 * A trade archive the bulk path loads (src/store/bulk-load.ts), declared by its format: the byte
 * scanner that validates the bytes (and fills the typed columns DuckDB inserts), and for the csv
 * route, where DuckDB's CSV reader loads the file itself, the CSV columns and which of them map to
 * the trade fields (the SQL mapping must equal the format's LineParser: aggressor side from
 * `buyerIsMaker`, time unit from the value's magnitude).
 */
export interface BulkTradeCsv {
  /** The archive's header row, when the layout has one; undefined when files never have one. */
  readonly header: string | undefined;
  /** read_csv column name -> DuckDB type, in file order. */
  readonly columns: readonly (readonly [string, string])[];
  readonly id: string;
  readonly price: string;
  readonly qty: string;
  readonly time: string;
  readonly buyerIsMaker: string;
  /** A fresh scanner; with `columns`, every accepted row is also written there. */
  scanner(columns?: TradeColumns): TradeArchiveByteScanner;
}

export interface FileFormat {
  /** Stable id, used by `--format` (`binance-um-aggTrades`). */
  readonly id: string;
  readonly venue: Venue;
  /** One line for `orderflow import --help` and the README formats table. */
  readonly description: string;
  /**
   * How sure this format is that it can read the file, from its name and first line
   * (0 = not mine, 1 = name or shape only, 2 = header matches exactly).
   */
  detect(fileName: string, firstLine: string): number;
  /**
   * Forced with `--format`: whether this format can read a file whose line 1 is this, whatever
   * its name (formats that share a header with another, told apart only by name). Default: only
   * when `detect` accepts it.
   */
  readsLine1?(firstLine: string): boolean;
  /**
   * A log written as it happens (a recorder's raw capture): every complete line stands alone, so
   * a gzip of it cut without its trailer (the recorder killed) is read up to its last complete
   * line, with a warning, instead of refused as truncated.
   */
  readonly appendOnlyLog?: boolean;
  /** The symbol, if the file name carries it (Binance archives: `BTCUSDT-aggTrades-...`). */
  symbolFromName?(fileName: string): string | undefined;
  /** Set when DuckDB may bulk-load the file (trade archives), cross-checked by its byte scanner. */
  readonly bulkTrades?: BulkTradeCsv;
  createParser(ctx: ParseContext): LineParser;
}

/**
 * A WebSocket message mapper, after tardis-node's `Mapper`: the same pure functions decode live
 * frames (live.ts) and recorded captures (archive.ts). `map` yields 0..n normalized events (or
 * candles, `type: 'kline'`).
 */
export interface MessageMapper<TMsg = unknown> {
  /** Whether this mapper handles this decoded frame. */
  canHandle(msg: TMsg): boolean;
  /** Normalize; throws ParseError naming the JSON field on a malformed message. */
  map(msg: TMsg, localTs: number): Iterable<CaptureRecord>;
}

/** What a venue's parse.ts exports for captures: its mappers and the frames it knowingly skips. */
export interface VenueMessageParser {
  readonly venue: Venue;
  /**
   * Decode one frame. Returns the events and candles (`type: 'kline'`; every update of a candle,
   * the capture format keeps the last), or `null` for a frame that is known and carries no
   * market data we keep (subscription acks, pongs): those are counted, not errors.
   * Throws ParseError for a frame that looks like this venue's but is malformed.
   */
  parse(msg: unknown, localTs: number): CaptureRecord[] | null;
  /** Whether a decoded frame is from this venue (used to auto-detect a capture's venue). */
  recognizes(msg: unknown): boolean;
}
