/**
 * Tardis.dev downloadable CSV datasets (https://docs.tardis.dev/downloadable-csv-files):
 * trades, liquidations, incremental_book_L2, book_snapshot_25, book_snapshot_5, derivative_ticker.
 *
 * Each row names its exchange, so one format reads every venue Tardis records for us:
 *   binance-futures -> binance, binance -> binance-spot, bybit -> bybit,
 *   okex-swap / okex-futures / okex -> okx.
 * Times are microseconds since epoch (the fraction is kept in our epoch ms). Sizes are "as provided
 * by exchange" (tardis-node src/types.ts): OKX swaps and futures count contracts and Bybit inverse
 * contracts count USD, so those are converted to base units with the instrument registry.
 * Field-by-field evidence: docs/normalization/tardis.md.
 */
import { ParseError } from '../../core/errors.ts';
import { EMPTY_TICKER_FIELDS, type Side, type TickerFields, type Venue } from '../../core/events.ts';
import type { EventSink, FileFormat, LineParser, ParseContext } from '../../core/format.ts';
import { scale, toBaseQty, type Instrument, type InstrumentRegistry } from '../../core/instruments.ts';
import { bool, epochMs, nonNegative, num, positive, splitCsv } from '../../core/parse-util.ts';

/** A Tardis format reads rows of several venues; `venue` is the first of `venues`. */
export interface TardisFileFormat extends FileFormat {
  /** Every venue the rows may name (through their `exchange` column). */
  readonly venues: readonly Venue[];
}

// ---------------------------------------------------------------------------------------------
// Exchanges and units

/** How a Tardis exchange's `amount` column counts. */
type Units = 'base' | 'contracts' | 'bybit';

interface TardisExchange {
  readonly venue: Venue;
  readonly units: Units;
}

/**
 * Tardis exchange ids we accept (tardis-node src/consts.ts EXCHANGES). `okex` is OKX spot,
 * `okex-swap` its perpetuals, `okex-futures` its dated futures; `bybit` is Bybit derivatives
 * (linear and inverse), `binance-futures` Binance USD-M, `binance` Binance spot.
 */
const EXCHANGES: ReadonlyMap<string, TardisExchange> = new Map([
  ['binance-futures', { venue: 'binance', units: 'base' }],
  ['binance', { venue: 'binance-spot', units: 'base' }],
  ['bybit', { venue: 'bybit', units: 'bybit' }],
  ['okex-swap', { venue: 'okx', units: 'contracts' }],
  ['okex-futures', { venue: 'okx', units: 'contracts' }],
  ['okex', { venue: 'okx', units: 'base' }],
]);
const ACCEPTED = [...EXCHANGES.keys()].join(', ');

function exchangeOf(text: string, venues: readonly Venue[]): TardisExchange {
  const ex = EXCHANGES.get(text);
  if (!ex) throw new ParseError('E_FIELD', `Tardis exchange not supported; accepted: ${ACCEPTED}`, 'exchange', text);
  if (!venues.includes(ex.venue)) {
    // Spot markets (binance, okex) have no liquidations or derivative tickers.
    throw new ParseError('E_FIELD', `this Tardis dataset does not exist for ${text}`, 'exchange', text);
  }
  return ex;
}

function symbolOf(text: string): string {
  // Tardis writes symbols upper-case ("instrument symbol as provided by exchange (always uppercase)").
  if (text === '' || text !== text.toUpperCase()) throw new ParseError('E_FIELD', 'symbol must be a non-empty upper-case Tardis symbol', 'symbol', text);
  return text;
}

/**
 * Converts one row's sizes to base units. `null` means the sizes already are base units.
 * Bybit linear USDT contracts trade in base units; every other Bybit symbol needs its instrument
 * (inverse contracts count USD), as do all OKX swaps and futures (contracts of ctVal).
 */
function instrumentFor(ex: TardisExchange, symbol: string, instruments: InstrumentRegistry): Instrument | null {
  if (ex.units === 'base') return null;
  const inst = instruments.get(ex.venue, symbol);
  if (inst) return inst;
  if (ex.units === 'bybit' && symbol.endsWith('USDT')) return null;
  throw new ParseError(
    'E_INSTRUMENT',
    `unknown ${ex.venue} instrument: its sizes are contracts and need the contract value (add the venue's metadata, docs/INSTRUMENTS.md)`,
    'symbol',
    symbol,
  );
}

function baseQty(inst: Instrument | null, qty: number, price: number): number {
  return inst === null ? qty : toBaseQty(inst, qty, price);
}

/** One cached conversion per (exchange, symbol): files hold one symbol, so this is a single lookup. */
class UnitCache {
  private key = '';
  private inst: Instrument | null = null;
  constructor(private readonly instruments: InstrumentRegistry) {}
  get(exText: string, ex: TardisExchange, symbol: string): Instrument | null {
    const key = `${exText}\u0000${symbol}`;
    if (key !== this.key) {
      this.inst = instrumentFor(ex, symbol, this.instruments);
      this.key = key;
    }
    return this.inst;
  }
}

// ---------------------------------------------------------------------------------------------
// Shared row pieces

const us = (text: string, field: string): number => epochMs(text, 'us', field);

function header(cols: readonly string[]): string {
  return cols.join(',');
}

function checkHeader(text: string, expected: string, what: string): void {
  if (text !== expected) {
    throw new ParseError('E_HEADER', `${what}: line 1 must be the Tardis header ${JSON.stringify(expected.slice(0, 80))}`, undefined, text);
  }
}

/** Optional number: empty = not given (NaN). */
function optNum(text: string, field: string): number {
  return text === '' ? NaN : num(text, field);
}

/** `buy`/`sell` as Tardis writes trade and liquidation sides. */
function tradeSide(text: string, field: string, what: string): Side {
  if (text === 'buy' || text === 'sell') return text;
  if (text === 'unknown') {
    // tardis-node maps side to 'unknown' only when the exchange sent neither buy nor sell; its
    // Binance, Bybit and OKX mappers never do, so this is a broken row, not a variant to guess.
    throw new ParseError('E_SIDE', `${what} side is "unknown": the ${what} cannot be signed (drop it with --skip-bad-rows)`, field, text);
  }
  throw new ParseError('E_SIDE', `${what} side must be buy or sell`, field, text);
}

function detectByHeader(expected: string) {
  return (_fileName: string, firstLine: string): number => (stripCr(firstLine) === expected ? 2 : 0);
}

function stripCr(line: string): string {
  return line.endsWith('\r') ? line.slice(0, -1) : line;
}

const VENUES_ALL: readonly Venue[] = ['binance', 'binance-spot', 'okx', 'bybit'];
const VENUES_DERIV: readonly Venue[] = ['binance', 'okx', 'bybit'];

// ---------------------------------------------------------------------------------------------
// trades and liquidations: exchange,symbol,timestamp,local_timestamp,id,side,price,amount

const TRADE_HEADER = header(['exchange', 'symbol', 'timestamp', 'local_timestamp', 'id', 'side', 'price', 'amount']);

/**
 * trades and liquidations share one header, so the file name (Tardis names files
 * `<exchange>_<data type>_<date>_<symbol>.csv.gz`) breaks the tie: a name saying neither scores
 * 1 for both, and the importer then asks for --format.
 */
function detectTradeLike(kind: 'trades' | 'liquidations') {
  return (fileName: string, firstLine: string): number => {
    if (stripCr(firstLine) !== TRADE_HEADER) return 0;
    const name = fileName.toLowerCase();
    const liq = name.includes('liquidation');
    const trd = name.includes('trades');
    if (liq === trd) return 1;
    return (kind === 'liquidations') === liq ? 2 : 0;
  };
}

function tradeLikeParser(kind: 'trades' | 'liquidations', ctx: ParseContext): LineParser {
  const venues = kind === 'trades' ? VENUES_ALL : VENUES_DERIV;
  const units = new UnitCache(ctx.instruments);
  const what = kind === 'trades' ? 'trade' : 'liquidation';
  return {
    line(text: string, lineNo: number, sink: EventSink): void {
      if (lineNo === 1) return checkHeader(stripCr(text), TRADE_HEADER, `tardis ${kind}`);
      const c = splitCsv(stripCr(text), 8, `tardis ${kind}`);
      const ex = exchangeOf(c[0], venues);
      const symbol = symbolOf(c[1]);
      const ts = us(c[2], 'timestamp');
      const localTs = us(c[3], 'local_timestamp');
      const side = tradeSide(c[5], 'side', what);
      const price = positive(c[6], 'price');
      const amount = positive(c[7], 'amount');
      const qty = baseQty(units.get(c[0], ex, symbol), amount, price);
      // Trade side is the aggressor; liquidation side is the forced order's side ("buy = short
      // position liquidated, sell = long position liquidated", tardis-node src/types.ts): our
      // LiquidationEvent convention exactly, so neither is flipped here.
      if (kind === 'trades') sink.trade(ex.venue, symbol, ts, localTs, price, qty, side, c[4]);
      else sink.liquidation(ex.venue, symbol, ts, localTs, price, qty, side, c[4]);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// incremental_book_L2: exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount

const L2_HEADER = header(['exchange', 'symbol', 'timestamp', 'local_timestamp', 'is_snapshot', 'side', 'price', 'amount']);

function bookSide(text: string): Side {
  if (text === 'bid') return 'buy';
  if (text === 'ask') return 'sell';
  throw new ParseError('E_SIDE', 'book side must be bid or ask', 'side', text);
}

/**
 * One message = consecutive rows with the same timestamp, local_timestamp and is_snapshot=false
 * (Tardis: "recognize that by grouping rows by the local_timestamp field"), or the whole run of
 * is_snapshot=true rows (a snapshot "starts when is_snapshot flips true after false"). Rows before
 * the first snapshot are updates buffered before the exchange's snapshot and are skipped, as
 * Tardis instructs ("skip these rows until you encounter the first is_snapshot=true row").
 */
function incrementalParser(ctx: ParseContext): LineParser {
  const units = new UnitCache(ctx.instruments);
  let seenSnapshot = false;
  let prevSnapshot = false;
  let prevTs = '';
  let prevLocal = '';
  let msg = 0;
  return {
    line(text: string, lineNo: number, sink: EventSink): void {
      if (lineNo === 1) return checkHeader(stripCr(text), L2_HEADER, 'tardis incremental_book_L2');
      const c = splitCsv(stripCr(text), 8, 'tardis incremental_book_L2');
      const ex = exchangeOf(c[0], VENUES_ALL);
      const symbol = symbolOf(c[1]);
      const ts = us(c[2], 'timestamp');
      const localTs = us(c[3], 'local_timestamp');
      const isSnapshot = bool(c[4], 'is_snapshot');
      const side = bookSide(c[5]);
      const price = positive(c[6], 'price');
      const amount = nonNegative(c[7], 'amount');
      const qty = baseQty(units.get(c[0], ex, symbol), amount, price);
      if (!isSnapshot && !seenSnapshot) return;
      const startsMessage = isSnapshot ? !prevSnapshot : prevSnapshot || c[2] !== prevTs || c[3] !== prevLocal;
      if (startsMessage) msg = lineNo;
      seenSnapshot = true;
      prevSnapshot = isSnapshot;
      prevTs = c[2];
      prevLocal = c[3];
      sink.bookLevel(ex.venue, symbol, ts, localTs, msg, isSnapshot, side, price, qty, NaN);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// book_snapshot_25 / book_snapshot_5:
// exchange,symbol,timestamp,local_timestamp,asks[0].price,asks[0].amount,bids[0].price,bids[0].amount,...

function snapshotHeader(depth: number): string {
  const cols = ['exchange', 'symbol', 'timestamp', 'local_timestamp'];
  for (let i = 0; i < depth; i++) cols.push(`asks[${i}].price`, `asks[${i}].amount`, `bids[${i}].price`, `bids[${i}].amount`);
  return header(cols);
}

/**
 * One row = one full top-N book (isSnapshot true). Tardis leaves a level's two columns empty when
 * the book is shallower than N; a level with only one of them is broken.
 */
function snapshotParser(depth: number, ctx: ParseContext): LineParser {
  const units = new UnitCache(ctx.instruments);
  const expected = snapshotHeader(depth);
  const width = 4 + 4 * depth;
  const what = `tardis book_snapshot_${depth}`;
  const levels: { side: Side; price: number; qty: number }[] = [];
  return {
    line(text: string, lineNo: number, sink: EventSink): void {
      if (lineNo === 1) return checkHeader(stripCr(text), expected, what);
      const c = splitCsv(stripCr(text), width, what);
      const ex = exchangeOf(c[0], VENUES_ALL);
      const symbol = symbolOf(c[1]);
      const ts = us(c[2], 'timestamp');
      const localTs = us(c[3], 'local_timestamp');
      const inst = units.get(c[0], ex, symbol);
      levels.length = 0;
      for (let i = 0; i < depth; i++) {
        level(c, 4 + 4 * i, `asks[${i}]`, 'sell', inst);
        level(c, 6 + 4 * i, `bids[${i}]`, 'buy', inst);
      }
      if (levels.length === 0) {
        // Both sides empty: still a snapshot (the book is empty), which per-level calls cannot say.
        sink.event({ type: 'book', venue: ex.venue, symbol, ts, localTs, isSnapshot: true, bids: [], asks: [], seq: NaN });
        return;
      }
      for (const l of levels) sink.bookLevel(ex.venue, symbol, ts, localTs, lineNo, true, l.side, l.price, l.qty, NaN);
    },
  };

  function level(c: readonly string[], at: number, name: string, side: Side, inst: Instrument | null): void {
    const p = c[at];
    const a = c[at + 1];
    if (p === '' && a === '') return;
    if (p === '' || a === '') throw new ParseError('E_FIELD', 'level has a price without an amount or the reverse', `${name}.${p === '' ? 'price' : 'amount'}`, '');
    const price = positive(p, `${name}.price`);
    levels.push({ side, price, qty: baseQty(inst, positive(a, `${name}.amount`), price) });
  }
}

// ---------------------------------------------------------------------------------------------
// derivative_ticker:
// exchange,symbol,timestamp,local_timestamp,funding_timestamp,funding_rate,predicted_funding_rate,
// open_interest,last_price,index_price,mark_price

const TICKER_COLS = [
  'exchange', 'symbol', 'timestamp', 'local_timestamp', 'funding_timestamp', 'funding_rate', 'predicted_funding_rate',
  'open_interest', 'last_price', 'index_price', 'mark_price',
];
const TICKER_HEADER = header(TICKER_COLS);

/**
 * Every figure may be empty (not known yet when the row was written). Each row carries the latest
 * known value of every field (tardis-node PendingTickerInfoHelper), not only what changed.
 * `predicted_funding_rate` has no field in our model and is dropped.
 */
function tickerParser(ctx: ParseContext): LineParser {
  const units = new UnitCache(ctx.instruments);
  return {
    line(text: string, lineNo: number, sink: EventSink): void {
      if (lineNo === 1) return checkHeader(stripCr(text), TICKER_HEADER, 'tardis derivative_ticker');
      const c = splitCsv(stripCr(text), 11, 'tardis derivative_ticker');
      const ex = exchangeOf(c[0], VENUES_DERIV);
      const symbol = symbolOf(c[1]);
      const ts = us(c[2], 'timestamp');
      const localTs = us(c[3], 'local_timestamp');
      const f: TickerFields = { ...EMPTY_TICKER_FIELDS };
      f.nextFundingTs = c[4] === '' ? NaN : us(c[4], 'funding_timestamp');
      f.fundingRate = optNum(c[5], 'funding_rate');
      optNum(c[6], 'predicted_funding_rate');
      const oi = c[7] === '' ? NaN : nonNegative(c[7], 'open_interest');
      f.lastPrice = optPrice(c[8], 'last_price');
      f.indexPrice = optPrice(c[9], 'index_price');
      f.markPrice = optPrice(c[10], 'mark_price');
      const inst = units.get(c[0], ex, symbol);
      if (inst === null || inst.contractType === 'linear') {
        f.openInterest = inst === null ? oi : scale(oi, inst.contractValue);
      } else {
        // Inverse open interest counts USD contracts: its value is exact, its base size needs a price.
        f.openInterestValue = scale(oi, inst.contractValue);
        f.openInterest = f.openInterestValue / f.markPrice;
      }
      sink.ticker(ex.venue, symbol, ts, localTs, f);
    },
  };
}

function optPrice(text: string, field: string): number {
  return text === '' ? NaN : positive(text, field);
}

// ---------------------------------------------------------------------------------------------

const VENUE_NOTE = 'Binance USD-M/spot, OKX, Bybit; venue from each row';

export const tardisFormats: TardisFileFormat[] = [
  {
    id: 'tardis-trades',
    venue: 'binance',
    venues: VENUES_ALL,
    description: `Tardis.dev trades CSV (${VENUE_NOTE}); side = aggressor`,
    detect: detectTradeLike('trades'),
    createParser: (ctx) => tradeLikeParser('trades', ctx),
  },
  {
    id: 'tardis-liquidations',
    venue: 'binance',
    venues: VENUES_DERIV,
    description: `Tardis.dev liquidations CSV (${VENUE_NOTE}); side = forced order`,
    detect: detectTradeLike('liquidations'),
    createParser: (ctx) => tradeLikeParser('liquidations', ctx),
  },
  {
    id: 'tardis-incremental_book_L2',
    venue: 'binance',
    venues: VENUES_ALL,
    description: `Tardis.dev incremental_book_L2 CSV (${VENUE_NOTE})`,
    detect: detectByHeader(L2_HEADER),
    createParser: incrementalParser,
  },
  {
    id: 'tardis-book_snapshot_25',
    venue: 'binance',
    venues: VENUES_ALL,
    description: `Tardis.dev book_snapshot_25 CSV, one top-25 book per row (${VENUE_NOTE})`,
    detect: detectByHeader(snapshotHeader(25)),
    createParser: (ctx) => snapshotParser(25, ctx),
  },
  {
    id: 'tardis-book_snapshot_5',
    venue: 'binance',
    venues: VENUES_ALL,
    description: `Tardis.dev book_snapshot_5 CSV, one top-5 book per row (${VENUE_NOTE})`,
    detect: detectByHeader(snapshotHeader(5)),
    createParser: (ctx) => snapshotParser(5, ctx),
  },
  {
    id: 'tardis-derivative_ticker',
    venue: 'binance',
    venues: VENUES_DERIV,
    description: `Tardis.dev derivative_ticker CSV: funding, open interest, mark/index/last (${VENUE_NOTE})`,
    detect: detectByHeader(TICKER_HEADER),
    createParser: tickerParser,
  },
];

/** The Tardis exchange ids this module accepts, and the venue each maps to. */
export const TARDIS_EXCHANGES: ReadonlyMap<string, Venue> = new Map([...EXCHANGES].map(([k, v]) => [k, v.venue]));
