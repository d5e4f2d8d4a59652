/**
 * Where the public archives keep their files, as pure functions: the URL layouts of Binance public
 * data (data.binance.vision) and Bybit's public trading archive (public.bybit.com), the kinds each
 * publishes, and the planner that turns a request (symbol, kind, date range) into the list of
 * files to fetch. Sources for every layout are in docs/DOWNLOAD.md.
 *
 *   Binance  data/futures/<um|cm>/daily/<kind>/<SYMBOL>/<SYMBOL>-<kind>-<YYYY-MM-DD>.zip
 *            data/futures/<um|cm>/monthly/<kind>/<SYMBOL>/<SYMBOL>-<kind>-<YYYY-MM>.zip
 *            kline kinds: .../<kind>/<SYMBOL>/<interval>/<SYMBOL>-<interval>-<date>.zip
 *            each with `<file>.CHECKSUM` = `<sha256>  <file>`
 *   Bybit    trading/<SYMBOL>/<SYMBOL><YYYY-MM-DD>.csv.gz   (no checksum file)
 */
import { FileError, UsageError } from '../../core/errors.ts';

export type ArchiveVenue = 'binance' | 'bybit';
export type BinanceMarket = 'um' | 'cm';
export type Period = 'daily' | 'monthly';

export const ARCHIVE_VENUES: readonly ArchiveVenue[] = ['binance', 'bybit'];

export const DEFAULT_ARCHIVE_BASES: Readonly<Record<ArchiveVenue, string>> = {
  binance: 'https://data.binance.vision',
  bybit: 'https://public.bybit.com',
};

export interface BinanceKindSpec {
  readonly kind: string;
  readonly daily: boolean;
  readonly monthly: boolean;
  /** The markets that publish it. */
  readonly markets: readonly BinanceMarket[];
  /** Kline kinds: files sit in an interval folder and are named `<SYMBOL>-<interval>-<date>`. */
  readonly interval?: true;
  /**
   * Whether `orderflow import` reads this kind's archive correctly (per market). False entries are
   * refused unless --no-import is given; the reason is in `importNote`.
   */
  readonly importable: Readonly<Record<BinanceMarket, boolean>>;
  readonly importNote?: string;
}

const COIN_M_IMPORT_NOTE =
  'COIN-M archives give quantities in contracts, which the importer converts for liquidationSnapshot only';

/**
 * The USD-M / COIN-M datasets (the folders under data/futures/um and data/futures/cm). Monthly
 * files: aggTrades, trades, bookTicker, fundingRate (monthly only) and the kline kinds; bookDepth,
 * metrics and liquidationSnapshot are daily only; liquidationSnapshot is published for COIN-M
 * only. When a monthly file turns out not to exist (the current month, or a kind whose monthly
 * files stopped), the downloader falls back to the daily files of that month.
 */
export const BINANCE_KINDS: readonly BinanceKindSpec[] = [
  { kind: 'aggTrades', daily: true, monthly: true, markets: ['um', 'cm'], importable: { um: true, cm: false }, importNote: COIN_M_IMPORT_NOTE },
  { kind: 'trades', daily: true, monthly: true, markets: ['um', 'cm'], importable: { um: true, cm: false }, importNote: COIN_M_IMPORT_NOTE },
  { kind: 'bookDepth', daily: true, monthly: false, markets: ['um', 'cm'], importable: { um: true, cm: false }, importNote: COIN_M_IMPORT_NOTE },
  { kind: 'bookTicker', daily: true, monthly: true, markets: ['um', 'cm'], importable: { um: true, cm: false }, importNote: COIN_M_IMPORT_NOTE },
  { kind: 'metrics', daily: true, monthly: false, markets: ['um', 'cm'], importable: { um: true, cm: false }, importNote: COIN_M_IMPORT_NOTE },
  { kind: 'fundingRate', daily: false, monthly: true, markets: ['um', 'cm'], importable: { um: true, cm: false }, importNote: COIN_M_IMPORT_NOTE },
  { kind: 'klines', daily: true, monthly: true, markets: ['um', 'cm'], interval: true, importable: { um: true, cm: false }, importNote: COIN_M_IMPORT_NOTE },
  { kind: 'markPriceKlines', daily: true, monthly: true, markets: ['um', 'cm'], interval: true, importable: { um: true, cm: false }, importNote: COIN_M_IMPORT_NOTE },
  { kind: 'indexPriceKlines', daily: true, monthly: true, markets: ['um', 'cm'], interval: true, importable: { um: true, cm: false }, importNote: COIN_M_IMPORT_NOTE },
  { kind: 'premiumIndexKlines', daily: true, monthly: true, markets: ['um'], interval: true, importable: { um: true, cm: false }, importNote: COIN_M_IMPORT_NOTE },
  { kind: 'liquidationSnapshot', daily: true, monthly: false, markets: ['cm'], importable: { um: false, cm: true } },
];

/** Bybit's public archive has one dataset here: the trade history (`trading/`). */
export const BYBIT_KINDS = ['trades'] as const;

/** Kline intervals data.binance.vision publishes for futures (`1mo`, not `1M`). */
export const BINANCE_INTERVALS = ['1m', '3m', '5m', '15m', '30m', '1h', '2h', '4h', '6h', '8h', '12h', '1d', '3d', '1w', '1mo'] as const;

export function binanceKind(kind: string): BinanceKindSpec | undefined {
  return BINANCE_KINDS.find((k) => k.kind === kind);
}

export function kindsOf(venue: ArchiveVenue): readonly string[] {
  return venue === 'binance' ? BINANCE_KINDS.map((k) => k.kind) : BYBIT_KINDS;
}

// ---------------------------------------------------------------------------------------------
// Days as integers (days since 1970-01-01, UTC): no time zones, no DST, exact arithmetic.

const DAY_MS = 86_400_000;

/** `2024-11-01` -> day number; anything else (or an impossible date such as 2024-02-30) -> undefined. */
export function parseDay(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [+m[1], +m[2], +m[3]];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return ms / DAY_MS;
}

export function dayText(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

function monthStart(day: number): number {
  const d = new Date(day * DAY_MS);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / DAY_MS;
}

function nextMonthStart(day: number): number {
  const d = new Date(day * DAY_MS);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) / DAY_MS;
}

/** The UTC day before today: the newest day the archives can have published. */
export function yesterday(now = Date.now()): string {
  return dayText(Math.floor(now / DAY_MS) - 1);
}

export interface Span {
  readonly period: Period;
  /** `YYYY-MM-DD` (daily) or `YYYY-MM` (monthly): the date part of the file name. */
  readonly label: string;
  /** First and last day the file holds (a monthly file holds its whole month). */
  readonly firstDay: string;
  readonly lastDay: string;
}

/**
 * Split `from..to` (inclusive) into files: a monthly file for each calendar month wholly inside
 * the range when the kind has monthly files, daily files for the rest. A kind with monthly files
 * only gets the monthly file of every month the range touches (which then holds days outside it).
 * Every day of the range is covered exactly once when the kind has daily files.
 */
export function splitRange(from: string, to: string, has: { daily: boolean; monthly: boolean }): Span[] {
  const a = parseDay(from);
  const b = parseDay(to);
  if (a === undefined || b === undefined) throw new RangeError(`not a date range: ${from}..${to}`);
  if (!has.daily && !has.monthly) return [];
  const out: Span[] = [];
  for (let m = monthStart(a); m <= b; m = nextMonthStart(m)) {
    const end = nextMonthStart(m) - 1;
    const lo = Math.max(a, m);
    const hi = Math.min(b, end);
    const whole = lo === m && hi === end;
    if (has.monthly && (whole || !has.daily)) {
      out.push({ period: 'monthly', label: dayText(m).slice(0, 7), firstDay: dayText(m), lastDay: dayText(end) });
    } else {
      for (let d = lo; d <= hi; d++) out.push({ period: 'daily', label: dayText(d), firstDay: dayText(d), lastDay: dayText(d) });
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Files

export interface PlannedFile {
  readonly venue: ArchiveVenue;
  /** Binance only. */
  readonly market?: BinanceMarket;
  readonly kind: string;
  readonly symbol: string;
  readonly interval?: string;
  readonly period: Period;
  readonly label: string;
  readonly firstDay: string;
  readonly lastDay: string;
  /** Path under the archive base, `/`-separated, no leading slash; also the path under --dir. */
  readonly path: string;
  /** The file name (last part of `path`). */
  readonly name: string;
  /** Whether the archive publishes `<path>.CHECKSUM`. */
  readonly checksum: boolean;
  /** Whether the daily files of this month may stand in for it when it is not published. */
  readonly dailyFallback: boolean;
  /** A format id the importer must use (none: detect). */
  readonly format?: string;
}

export interface BinanceFileRequest {
  readonly market: BinanceMarket;
  readonly kind: string;
  readonly symbol: string;
  /** Kline kinds only. */
  readonly interval?: string;
}

export function binanceFile(req: BinanceFileRequest, span: Span): PlannedFile {
  const spec = binanceKind(req.kind);
  if (!spec) throw new RangeError(`unknown Binance archive kind ${JSON.stringify(req.kind)}`);
  const nameKind = spec.interval ? req.interval : req.kind;
  if (spec.interval && !req.interval) throw new RangeError(`${req.kind} needs an interval`);
  const dir = `data/futures/${req.market}/${span.period}/${req.kind}/${req.symbol}${spec.interval ? `/${req.interval}` : ''}`;
  const name = `${req.symbol}-${nameKind}-${span.label}.zip`;
  return {
    venue: 'binance', market: req.market, kind: req.kind, symbol: req.symbol, interval: spec.interval ? req.interval : undefined,
    period: span.period, label: span.label, firstDay: span.firstDay, lastDay: span.lastDay,
    path: `${dir}/${name}`, name, checksum: true, dailyFallback: span.period === 'monthly' && spec.daily,
    // Mark / index / premium klines look like traded-price klines inside the zip: name the format.
    ...(PRICE_KLINE_KINDS.has(req.kind) && req.market === 'um' ? { format: `binance-um-${req.kind}` } : {}),
  };
}

const PRICE_KLINE_KINDS = new Set(['markPriceKlines', 'indexPriceKlines', 'premiumIndexKlines']);

export function bybitFile(symbol: string, day: string): PlannedFile {
  const name = `${symbol}${day}.csv.gz`;
  return {
    venue: 'bybit', kind: 'trades', symbol, period: 'daily', label: day, firstDay: day, lastDay: day,
    path: `trading/${symbol}/${name}`, name, checksum: false, dailyFallback: false,
  };
}

/** Binance: the files for `from..to`, monthly where whole months allow it. */
export function planBinance(req: BinanceFileRequest, from: string, to: string): PlannedFile[] {
  const spec = binanceKind(req.kind);
  if (!spec) throw new RangeError(`unknown Binance archive kind ${JSON.stringify(req.kind)}`);
  return splitRange(from, to, spec).map((span) => binanceFile(req, span));
}

/** Bybit: one file per day. */
export function planBybit(symbol: string, from: string, to: string): PlannedFile[] {
  return splitRange(from, to, { daily: true, monthly: false }).map((s) => bybitFile(symbol, s.label));
}

/** The daily files that stand in for a monthly file the archive does not have. */
export function dailyFilesFor(file: PlannedFile): PlannedFile[] {
  if (file.venue !== 'binance' || file.period !== 'monthly' || !file.dailyFallback) return [];
  const req = { market: file.market!, kind: file.kind, symbol: file.symbol, interval: file.interval };
  return splitRange(file.firstDay, file.lastDay, { daily: true, monthly: false }).map((s) => binanceFile(req, s));
}

// ---------------------------------------------------------------------------------------------
// Symbols per market

const COIN_M_SYMBOL = /^[A-Z0-9]+USD_(PERP|\d{6})$/;
const USD_M_QUOTES = ['USDT', 'USDC', 'BUSD'];

export function isCoinMSymbol(symbol: string): boolean {
  return COIN_M_SYMBOL.test(symbol);
}

/**
 * The COIN-M perpetual for a USD-M symbol (`AKTUSDT` -> `AKTUSD_PERP`); a COIN-M symbol is kept.
 * Undefined when the symbol has no recognisable base.
 */
export function coinMSymbol(symbol: string): string | undefined {
  if (isCoinMSymbol(symbol)) return symbol;
  const quote = USD_M_QUOTES.find((q) => symbol.endsWith(q) && symbol.length > q.length);
  return quote ? `${symbol.slice(0, -quote.length)}USD_PERP` : undefined;
}

// ---------------------------------------------------------------------------------------------
// Checksums and base URLs

/**
 * The sha256 in a `.CHECKSUM` file (`<sha256>  <file name>`). The name, when present, must be the
 * file's: a checksum of another file is refused.
 */
export function parseChecksum(text: string, fileName: string): string {
  const parts = text.trim().split(/\s+/);
  const sha = (parts[0] ?? '').toLowerCase();
  if (!/^[0-9a-f]{64}$/.test(sha)) {
    throw new FileError('E_CHECKSUM', `${fileName}.CHECKSUM`, `does not hold a sha256 (got ${JSON.stringify(text.slice(0, 80))})`);
  }
  const named = parts[1]?.replace(/^\*/, '');
  if (named !== undefined && named !== fileName && !named.endsWith(`/${fileName}`)) {
    throw new FileError('E_CHECKSUM', `${fileName}.CHECKSUM`, `names another file (${JSON.stringify(named)})`);
  }
  return sha;
}

export function checksumText(sha256: string, fileName: string): string {
  return `${sha256}  ${fileName}\n`;
}

export function archiveEnvName(venue: ArchiveVenue): string {
  return `ORDERFLOW_${venue.toUpperCase()}_ARCHIVE_URL`;
}

/**
 * The archive base URL: --base-url, else `ORDERFLOW_<VENUE>_ARCHIVE_URL`, else the public site.
 * A base may carry a path prefix (a mirror at `http://host/mirror`); trailing slashes are dropped.
 */
export function archiveBase(venue: ArchiveVenue, configured?: string, env: NodeJS.ProcessEnv = process.env): string {
  const key = archiveEnvName(venue);
  const raw = configured ?? env[key] ?? DEFAULT_ARCHIVE_BASES[venue];
  const what = configured !== undefined ? '--base-url' : key;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(`${what}: not a URL: ${JSON.stringify(raw)}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`${what}: expected http:// or https://, got ${JSON.stringify(raw)}`);
  return raw.replace(/\/+$/, '');
}

export function fileUrl(base: string, path: string): string {
  return `${base}/${path}`;
}
