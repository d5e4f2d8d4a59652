/**
 * A download request (venue, symbols, kinds, days) checked and turned into the list of archive
 * files to fetch. Every mistake is a UsageError naming the `orderflow download` option.
 */
import { UsageError } from '../../core/errors.ts';
import { ARCHIVE_VENUES, type ArchiveVenue, BINANCE_INTERVALS, binanceKind, type BinanceMarket, coinMSymbol, dayText, isCoinMSymbol, kindsOf, parseDay, planBinance, planBybit, type PlannedFile } from './layout.ts';

export interface DownloadRequest {
  readonly venue: string;
  readonly symbols: readonly string[];
  /** Empty: the venue's default (Binance aggTrades, Bybit trades). */
  readonly kinds: readonly string[];
  /** First UTC day, YYYY-MM-DD. */
  readonly from: string;
  /** The UTC day after the last one fetched (exclusive, like every other command's --to). */
  readonly to: string;
  readonly market?: string;
  readonly interval?: string;
  /** Whether files will be imported (some kinds are download-only). */
  readonly importing: boolean;
}

export interface DownloadPlan {
  readonly venue: ArchiveVenue;
  readonly files: PlannedFile[];
  /** Choices made for the user, said once before downloading. */
  readonly notes: string[];
}

/** The last day of COIN-M liquidationSnapshot files seen in the archive (docs/normalization/binance.md). */
const LIQUIDATION_SNAPSHOT_LAST_SEEN = '2024-10-14';

/** Validate a request and list its files; every mistake is a UsageError naming the option. */
export function planDownload(req: DownloadRequest): DownloadPlan {
  const venue = req.venue.toLowerCase();
  if (venue === 'okx') {
    throw new UsageError('--venue okx: OKX historical data is not supported by download (no published checksums, and its file URLs are not a documented interface; see docs/DOWNLOAD.md). Download the files from okx.com and run `orderflow import` on them.');
  }
  if (!(ARCHIVE_VENUES as readonly string[]).includes(venue)) {
    throw new UsageError(`--venue: unknown venue ${JSON.stringify(req.venue)}; choose one of ${ARCHIVE_VENUES.join(', ')}`);
  }
  const v = venue as ArchiveVenue;
  const from = parseDay(req.from);
  const to = parseDay(req.to);
  if (from === undefined) throw new UsageError(`--from: ${JSON.stringify(req.from)} is not a date; use YYYY-MM-DD (UTC days)`);
  if (to === undefined) throw new UsageError(`--to: ${JSON.stringify(req.to)} is not a date; use YYYY-MM-DD (UTC days)`);
  if (!(from < to)) throw new UsageError(`--from ${req.from} must be before --to ${req.to} (--to is exclusive: ${req.to} itself is not fetched)`);
  // The planners work on inclusive day ranges.
  const last = dayText(to - 1);
  if (req.symbols.length === 0) throw new UsageError('--symbol: give at least one symbol, e.g. --symbol AKTUSDT');
  for (const s of req.symbols) {
    if (!/^[A-Z0-9_]+$/.test(s)) throw new UsageError(`--symbol: ${JSON.stringify(s)} is not an exchange symbol (letters, digits and _ only, e.g. AKTUSDT)`);
  }
  const known = kindsOf(v);
  const kinds = (req.kinds.length > 0 ? req.kinds : [known[0]]).map((k) => {
    const found = known.find((n) => n === k) ?? known.find((n) => n.toLowerCase() === k.toLowerCase());
    if (!found) throw new UsageError(`--kinds: unknown ${v} archive kind ${JSON.stringify(k)}; known: ${known.join(', ')}`);
    return found;
  });
  const notes: string[] = [];
  const files: PlannedFile[] = [];

  if (v === 'bybit') {
    if (req.market !== undefined) throw new UsageError('--market is for Binance (um or cm); Bybit publishes one trading archive');
    if (req.interval !== undefined) throw new UsageError('--interval is for Binance kline kinds');
    for (const symbol of new Set(req.symbols)) files.push(...planBybit(symbol, req.from, last));
    notes.push('Bybit publishes no checksums: each file is verified by decompressing it whole (gzip CRC and length) before it is kept.');
    return { venue: v, files, notes };
  }

  if (req.market !== undefined && req.market !== 'um' && req.market !== 'cm') {
    throw new UsageError(`--market: ${JSON.stringify(req.market)}; use um (USD-M futures) or cm (COIN-M futures)`);
  }
  const interval = req.interval ?? '1m';
  if (!(BINANCE_INTERVALS as readonly string[]).includes(interval)) {
    throw new UsageError(`--interval: ${JSON.stringify(interval)} is not a published kline interval; use one of ${BINANCE_INTERVALS.join(', ')}`);
  }
  if (req.interval !== undefined && !kinds.some((k) => binanceKind(k)?.interval)) {
    throw new UsageError('--interval applies to kline kinds only (klines, markPriceKlines, indexPriceKlines, premiumIndexKlines)');
  }
  for (const kind of kinds) {
    const spec = binanceKind(kind)!;
    let market: BinanceMarket;
    if (req.market !== undefined) {
      market = req.market as BinanceMarket;
      if (!spec.markets.includes(market)) {
        throw new UsageError(`--kinds ${kind}: published for ${spec.markets.map(marketName).join(' and ')} only, not ${marketName(market)} (--market ${market})`);
      }
    } else {
      market = spec.markets.includes('um') ? 'um' : 'cm';
    }
    if (req.importing && !spec.importable[market]) {
      throw new UsageError(`--kinds ${kind} (${marketName(market)}): cannot be imported yet (${spec.importNote}); add --no-import to download the files only`);
    }
    for (const given of req.symbols) {
      let symbol = given;
      if (market === 'cm') {
        const cm = coinMSymbol(given);
        if (!cm) throw new UsageError(`--symbol ${given}: no COIN-M symbol for it (COIN-M symbols look like BTCUSD_PERP)`);
        symbol = cm;
        if (req.market === undefined) {
          notes.push(`${kind} is published for COIN-M futures only (data/futures/cm/), not USD-M: fetching ${symbol}${symbol !== given ? ` (the COIN-M perpetual of ${given})` : ''}.`);
        } else if (symbol !== given) {
          notes.push(`--market cm: fetching ${symbol}, the COIN-M perpetual of ${given}.`);
        }
        if (kind === 'liquidationSnapshot' && last > LIQUIDATION_SNAPSHOT_LAST_SEEN) {
          notes.push(`liquidationSnapshot files were last seen for ${LIQUIDATION_SNAPSHOT_LAST_SEEN}; later days are probably not published (reported as missing).`);
        }
      } else if (isCoinMSymbol(given)) {
        throw new UsageError(`--symbol ${given} is a COIN-M symbol; pass --market cm (or a USD-M symbol such as BTCUSDT)`);
      }
      if (!spec.daily) notes.push(`${kind} is published as monthly files only: whole months are fetched, including days outside ${req.from}..${last}.`);
      files.push(...planBinance({ market, kind, symbol, interval: spec.interval ? interval : undefined }, req.from, last));
    }
  }
  // The same file twice (a symbol given twice, AKTUSDT and AKTUSD_PERP for COIN-M) is fetched once.
  const unique = [...new Map(files.map((f) => [f.path, f])).values()];
  return { venue: v, files: unique, notes: [...new Set(notes)] };
}

function marketName(m: BinanceMarket): string {
  return m === 'um' ? 'USD-M' : 'COIN-M';
}
