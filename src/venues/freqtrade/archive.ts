/**
 * freqtrade's funding-rate history files -> ticker events with `fundingRate`.
 *
 * freqtrade (`freqtrade download-data --trading-mode futures`) keeps funding rates as a candle type
 * of its own, one file per pair: `user_data/data/<exchange>/futures/<PAIR>-<timeframe>-funding_rate.json`,
 * the pair written with `/` and `:` as `_` (`XRP/USDT:USDT` -> `XRP_USDT_USDT`; before the futures
 * naming unification `XRP_USDT`). The JSON data handler writes the pandas frame with
 * `orient="values"`: one JSON array of rows, on one line. Two row layouts:
 *   [date, open, high, low, close, volume]   older files: the rate in `open`, the rest 0
 *   [date, funding_rate]                     current files (freqtrade `candle_columns.py`)
 * `date` is the funding time in epoch ms (ccxt's `fundingTime`, real jitter: `...017`).
 * Evidence for each rule: docs/normalization/freqtrade.md.
 *
 * The rows carry neither exchange nor pair: both come from the file name, which must name the
 * exchange (freqtrade keeps it in the directory, which the importer does not see).
 */
import { ParseError, shorten } from '../../core/errors.ts';
import { EMPTY_TICKER_FIELDS, type Venue } from '../../core/events.ts';
import type { EventSink, FileFormat, LineParser, ParseContext } from '../../core/format.ts';
import { perpSymbol } from '../../core/instruments.ts';
import { epochMs } from '../../core/parse-util.ts';

/** freqtrade's file name: `<pair>-<timeframe>-funding_rate.json` (anything may come before the pair). */
const FUNDING_NAME = /-\d+[a-zA-Z]{1,2}-funding_rate\.json$/;

/** freqtrade exchange ids of the venues we store. */
const EXCHANGES: ReadonlyMap<string, Venue> = new Map([
  ['binance', 'binance'],
  ['bybit', 'bybit'],
  ['okx', 'okx'],
]);

/** Pair spellings in file names -> base asset: `XRP_USDT_USDT`, `XRP_USDT`, `XRPUSDT`. */
const PAIR_SPELLINGS: readonly RegExp[] = [/^([A-Z0-9]+)_USDT_USDT$/, /^([A-Z0-9]+)_USDT$/, /^([A-Z0-9]+)USDT$/];

/**
 * The whole file is one JSON value, so it is held in memory until `end()`: refuse anything
 * larger than this (counted in UTF-16 code units, = bytes for these ASCII files). Eight-hourly
 * funding since 2019 is about 8,000 rows, under 400 kB.
 */
export const MAX_FREQTRADE_CHARS = 64 * 1024 * 1024;

function baseName(fileName: string): string {
  return fileName.slice(Math.max(fileName.lastIndexOf('/'), fileName.lastIndexOf('\\')) + 1);
}

export interface FreqtradeIdentity {
  readonly venue: Venue;
  readonly symbol: string;
}

/**
 * Venue and venue-native perpetual symbol of a freqtrade funding file: the exchange word of the
 * name (`binance`, `bybit`, `okx`, between `-`, `_` or `.`), and the pair token of the name (or
 * `symbol`, from `--symbol`). Throws ParseError `E_FIELD` saying what to rename or pass.
 */
export function freqtradeIdentity(fileName: string, symbol: string | undefined): FreqtradeIdentity {
  const name = baseName(fileName);
  const venues = new Set<Venue>();
  for (const token of name.split(/[-_.]/)) {
    const venue = EXCHANGES.get(token.toLowerCase());
    if (venue !== undefined) venues.add(venue);
  }
  if (venues.size !== 1) {
    throw new ParseError(
      'E_FIELD',
      `${venues.size === 0 ? 'the file name names no exchange' : 'the file name names several exchanges'}: freqtrade keeps it in the directory (user_data/data/<exchange>/futures/), which is not read; rename the file to carry exactly one of binance, bybit, okx (e.g. binance-XRP_USDT_USDT-8h-funding_rate.json)`,
      'exchange',
      name,
    );
  }
  const [venue] = venues;
  if (symbol !== undefined) return { venue, symbol };
  const bases = new Set<string>();
  for (const part of name.replace(/\.json$/, '').split('-')) {
    // `okx_XRP_USDT_USDT`: the exchange word may be glued on with `_`.
    const token = part.replace(/^(binance|bybit|okx)_/i, '');
    for (const re of PAIR_SPELLINGS) {
      const m = re.exec(token);
      if (m) {
        bases.add(m[1]);
        break;
      }
    }
  }
  if (bases.size !== 1) {
    throw new ParseError(
      'E_FIELD',
      'no USDT perpetual pair in the file name (XRP_USDT_USDT, XRP_USDT or XRPUSDT): pass --symbol with the venue-native symbol',
      'symbol',
      name,
    );
  }
  const [base] = bases;
  return { venue, symbol: perpSymbol(venue, base) };
}

function tooLarge(): ParseError {
  return new ParseError('E_MESSAGE', `freqtrade funding-rate file larger than ${MAX_FREQTRADE_CHARS / 1024 / 1024} MB: it is parsed whole, split it first`);
}

/** A finite JSON number (freqtrade writes every value as one). */
function finite(v: unknown, field: string): number {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (v === undefined) throw new ParseError('E_FIELD', 'missing value', field);
  throw new ParseError('E_NUMBER', 'expected a finite number', field, shorten(JSON.stringify(v) ?? String(v)));
}

/** Map the decoded file: one ticker (fundingRate, ts = funding time) per row. */
function emitRows(rows: unknown, id: FreqtradeIdentity, sink: EventSink): void {
  if (!Array.isArray(rows)) {
    throw new ParseError('E_MESSAGE', 'expected a JSON array of rows [time, rate, ...]', undefined, shorten(JSON.stringify(rows) ?? String(rows)));
  }
  for (let i = 0; i < rows.length; i++) {
    const row: unknown = rows[i];
    const at = `[${i}]`;
    if (!Array.isArray(row)) throw new ParseError('E_MESSAGE', 'expected a row [time, rate, ...]', at, shorten(JSON.stringify(row) ?? String(row)));
    if (row.length !== 2 && row.length !== 6) {
      throw new ParseError('E_COLUMNS', `expected 2 columns [date, funding_rate] or 6 [date, open, high, low, close, volume], got ${row.length}`, at, shorten(JSON.stringify(row)));
    }
    const time = row[0];
    if (typeof time !== 'number') throw new ParseError(time === undefined ? 'E_FIELD' : 'E_NUMBER', 'expected epoch milliseconds', `${at}[0]`, shorten(JSON.stringify(time) ?? String(time)));
    const ts = epochMs(Number.isFinite(time) ? String(time) : 'NaN', 'ms', `${at}[0]`);
    const fundingRate = finite(row[1], `${at}[1]`);
    // Older files: high, low, close, volume are 0 (the rate is in `open`): validated, not kept.
    for (let j = 2; j < row.length; j++) finite(row[j], `${at}[${j}]`);
    sink.ticker(id.venue, id.symbol, ts, NaN, { ...EMPTY_TICKER_FIELDS, fundingRate });
  }
}

export const freqtradeFundingRateFormat: FileFormat = {
  id: 'freqtrade-funding-rate',
  venue: 'binance',
  description:
    'freqtrade funding-rate history (<pair>-<tf>-funding_rate.json, JSON data format): settled funding rates (tickers); Binance, Bybit or OKX, named in the file name',
  detect(fileName: string, firstLine: string): number {
    const line = firstLine.trimStart();
    if (FUNDING_NAME.test(baseName(fileName))) return line.startsWith('[') ? 2 : 1;
    // The row shape without the name: ours, and the parser says what the name lacks.
    return /^\[\s*\[\s*\d{13}\s*,/.test(line) ? 1 : 0;
  },
  createParser(ctx: ParseContext): LineParser {
    let identity: FreqtradeIdentity | ParseError;
    try {
      identity = freqtradeIdentity(ctx.fileName, ctx.symbol);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      identity = e;
    }
    const parts: string[] = [];
    let chars = 0;
    return {
      // One JSON value, maybe pretty-printed over many lines: collected, parsed at the end.
      line(text: string): void {
        if (identity instanceof ParseError) throw identity;
        chars += text.length + 1;
        if (chars > MAX_FREQTRADE_CHARS) throw tooLarge();
        parts.push(text);
      },
      end(sink: EventSink): void {
        if (identity instanceof ParseError) throw identity;
        if (chars > MAX_FREQTRADE_CHARS) throw tooLarge();
        const text = parts.join('\n');
        parts.length = 0;
        let rows: unknown;
        try {
          rows = JSON.parse(text);
        } catch (e) {
          throw new ParseError('E_JSON', `invalid JSON: ${(e as Error).message}`, undefined, text);
        }
        emitRows(rows, identity, sink);
      },
    };
  },
};

export const freqtradeFormats: FileFormat[] = [freqtradeFundingRateFormat];
