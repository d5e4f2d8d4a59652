/**
 * Instruments for every live command (record, watch, later paper): fetched from each venue's REST
 * API at start (src/venues/<venue>/instrument-fetch.ts, through the same
 * `ORDERFLOW_<VENUE>_REST_URL` base as the live clients), kept in the store's `instruments` table
 * with the fetch time, and when the venue cannot be reached, the rows fetched last time from the
 * store, then the bundled snapshot, saying which. The symbols the user asked for are resolved
 * against that list before any socket opens: a symbol the venue does not list is a UsageError
 * naming the venue and the closest listed symbols; a listed symbol that is not trading (halted,
 * being delisted, pre-launch) is reported with the venue's own status word.
 */
import { UsageError } from '../../core/errors.ts';
import { closestSymbols } from '../../core/closest-symbols.ts';
import { InstrumentRegistry, venueSymbol, type Instrument } from '../../core/instruments.ts';
import { loadFetchedInstruments, saveInstruments } from '../../store/instruments-table.ts';
import type { Store } from '../../store/store.ts';
import { binanceInstrumentFetcher } from '../binance/instrument-fetch.ts';
import { binanceRestBase } from '../binance/urls.ts';
import { bybitInstrumentFetcher } from '../bybit/instrument-fetch.ts';
import { bybitRestBase } from '../bybit/urls.ts';
import { bundledInstruments } from '../bundled-instruments.ts';
import { okxInstrumentFetcher } from '../okx/instrument-fetch.ts';
import { okxRestBase } from '../okx/urls.ts';
import type { LiveVenue } from './clients.ts';
import { TRADING_STATUS, type InstrumentFetcher, type VenueListing } from './instrument-listing.ts';
import { RestGetter } from './rest-get.ts';

const OKX_SPOT_ID = /^[A-Z0-9]+-[A-Z0-9]+$/;

/** Where a venue's instruments came from this time. */
export type InstrumentOrigin = 'venue' | 'store' | 'snapshot';

export interface VenueInstrumentReport {
  readonly venue: LiveVenue;
  readonly origin: InstrumentOrigin;
  /** Instruments of this venue in the registry. */
  readonly count: number;
  /** When they were fetched from the venue (origin venue or store), epoch ms. */
  readonly fetchedAt?: number;
  /** Why the venue's own list is not used (origin store or snapshot). */
  readonly reason?: string;
  /** What is incomplete (tiers the venue did not give). */
  readonly note?: string;
}

/** A requested market and the venue's status word for it (undefined: the source has none). */
export interface MarketStatus {
  readonly venue: LiveVenue;
  readonly symbol: string;
  readonly status: string | undefined;
  readonly trading: boolean;
}

export interface LiveInstruments {
  /** Every instrument of the requested venues, for the live clients' parsers. */
  readonly registry: InstrumentRegistry;
  /** Venue-native symbols per venue, resolved from what the user typed. */
  readonly symbols: Map<LiveVenue, string[]>;
  readonly reports: readonly VenueInstrumentReport[];
  /** Every requested market with its status. */
  readonly markets: readonly MarketStatus[];
}

export interface InstrumentSourceOptions {
  readonly venues: readonly LiveVenue[];
  /** What the user typed: symbols in any venue's spelling or base assets (`BTC`, `SOL-USDT-SWAP`). */
  readonly inputs: readonly string[];
  /** Fallback rows are read from it; with `save`, fetched rows are written to it. */
  readonly store?: Store;
  readonly save?: boolean;
  /** REST bases per venue (default: urls.ts: ORDERFLOW_<VENUE>_REST_URL, else the venue's). */
  readonly restUrls?: Partial<Record<LiveVenue, string>>;
  /** Per request. Default 10 000 ms. */
  readonly timeoutMs?: number;
  /**
   * Least time between two requests to one venue. Default 250 ms: OKX position-tiers allows 10
   * requests per 2 s per IP, and tier requests are the only ones that repeat.
   */
  readonly spacingMs?: number;
  /** Bybit instruments-info page size (default 1000, Bybit's largest). */
  readonly bybitPageLimit?: number;
  readonly now?: () => number;
}

function fetcherFor(venue: LiveVenue, o: InstrumentSourceOptions): InstrumentFetcher {
  const http = new RestGetter({ timeoutMs: o.timeoutMs, spacingMs: o.spacingMs ?? 250 });
  switch (venue) {
    case 'binance':
      return binanceInstrumentFetcher(binanceRestBase(o.restUrls?.binance), http);
    case 'okx':
      return okxInstrumentFetcher(okxRestBase(o.restUrls?.okx), http);
    case 'bybit':
      return bybitInstrumentFetcher(bybitRestBase(o.restUrls?.bybit), http, o.bybitPageLimit);
  }
}

/** Brackets the venue keeps private (Binance) or did not give: the bundled snapshot's, where it has them. */
function withBundledTiers(list: readonly Instrument[]): Instrument[] {
  const bundled = new InstrumentRegistry(bundledInstruments());
  return list.map((i) => {
    if (i.tiers.length > 0) return i;
    const b = bundled.get(i.venue, i.symbol);
    return b && b.tiers.length > 0 ? { ...i, tiers: b.tiers, maxLeverage: Number.isNaN(i.maxLeverage) ? b.maxLeverage : i.maxLeverage } : i;
  });
}

interface VenueResult {
  report: VenueInstrumentReport;
  instruments: Instrument[];
  statuses: Map<string, string>;
  symbols: string[];
  misses: string[];
}

async function loadVenue(venue: LiveVenue, o: InstrumentSourceOptions): Promise<VenueResult> {
  const now = o.now ?? Date.now;
  const fetcher = fetcherFor(venue, o);
  let listing: VenueListing | undefined;
  let origin: InstrumentOrigin = 'venue';
  let fetchedAt: number | undefined;
  let reason: string | undefined;
  let note: string | undefined;
  try {
    listing = await fetcher.list();
    fetchedAt = now();
  } catch (e) {
    reason = (e as Error).message;
  }
  if (!listing && o.store) {
    const stored = await loadFetchedInstruments(o.store, venue).catch(() => undefined);
    if (stored) {
      listing = stored;
      origin = 'store';
      fetchedAt = stored.fetchedAt;
    }
  }
  if (!listing) {
    listing = { instruments: bundledInstruments().filter((i) => i.venue === venue), statuses: new Map() };
    origin = 'snapshot';
  }
  const instruments = new Map(listing.instruments.map((i) => [i.symbol, i]));
  const statuses = new Map(listing.statuses);
  const rejected = new Map(listing.rejected ?? []);
  const merge = (l: VenueListing) => {
    for (const i of l.instruments) instruments.set(i.symbol, i);
    for (const [k, v] of l.statuses) statuses.set(k, v);
    for (const [k, v] of l.rejected ?? []) rejected.set(k, v);
  };

  const symbols: string[] = [];
  const misses: string[] = [];
  for (const input of o.inputs) {
    const symbol = venueSymbol(new InstrumentRegistry(instruments.values()), venue, input);
    // `BTC-USDT` is OKX spot: the perpetual venues never take it silently for the swap.
    if (venue === 'okx' && OKX_SPOT_ID.test(input.trim().toUpperCase()) && !instruments.has(input.trim().toUpperCase())) {
      misses.push(`okx: ${JSON.stringify(input)} is an OKX spot pair; live commands record OKX swaps (the swap is ${symbol})`);
      continue;
    }
    let listed = instruments.has(symbol) || statuses.has(symbol);
    if (!listed && origin === 'venue' && fetcher.lookup) {
      const one = await fetcher.lookup(symbol).catch(() => undefined);
      if (one) {
        merge(one);
        listed = true;
      }
    }
    if (listed && rejected.has(symbol)) {
      misses.push(`${venue} lists ${JSON.stringify(symbol)} but its instrument row could not be read (${rejected.get(symbol)}); without it its sizes cannot be converted`);
      continue;
    }
    if (listed) {
      if (!symbols.includes(symbol)) symbols.push(symbol);
      continue;
    }
    const listedNames = new Set([...instruments.keys(), ...statuses.keys()]);
    const near = [...new Set([...closestSymbols(input, listedNames), ...closestSymbols(symbol, listedNames)])].slice(0, 5);
    const from = origin === 'venue' ? 'its instrument list' : origin === 'store' ? `the list stored ${new Date(fetchedAt!).toISOString()} (venue unreachable: ${reason})` : `the bundled snapshot (venue unreachable: ${reason}; nothing stored)`;
    misses.push(`${venue} does not list ${JSON.stringify(symbol)}${symbol !== input.trim().toUpperCase() ? ` (from ${JSON.stringify(input)})` : ''} according to ${from}; ${near.length ? `closest: ${near.join(', ')}` : 'no similar symbol'}`);
  }

  if (origin === 'venue' && misses.length === 0 && symbols.length > 0 && fetcher.withTiers) {
    const current: VenueListing = { instruments: [...instruments.values()], statuses };
    try {
      const r = await fetcher.withTiers(current, symbols);
      merge(r.listing);
      note = r.note;
    } catch (e) {
      note = `tiers not fetched: ${(e as Error).message}`;
    }
  }
  if (rejected.size > 0) {
    const [first] = rejected;
    const skipped = `${rejected.size} row(s) not understood and skipped (first: ${first[0]}: ${first[1]})`;
    note = note ? `${note}; ${skipped}` : skipped;
  }
  const list = origin === 'venue' ? withBundledTiers([...instruments.values()]) : [...instruments.values()];
  return { report: { venue, origin, count: list.length, fetchedAt, reason, note }, instruments: list, statuses, symbols, misses };
}

/**
 * Fetch (or fall back), resolve what the user asked for, save what was fetched. Throws a
 * UsageError naming every symbol a venue does not list, before anything connects.
 */
export async function loadLiveInstruments(o: InstrumentSourceOptions): Promise<LiveInstruments> {
  const results = await Promise.all(o.venues.map((v) => loadVenue(v, o)));
  const misses = results.flatMap((r) => r.misses);
  if (misses.length > 0) {
    const hint = o.venues.length > 1 ? `\n(--venues leaves a venue out; --symbol takes venue-native symbols or base assets)` : '';
    throw new UsageError(`--symbol: ${misses.join('\n')}${hint}`);
  }
  // One store connection: one transaction at a time.
  if (o.save && o.store) {
    for (const r of results) if (r.report.origin === 'venue') await saveInstruments(o.store, r.instruments, { source: 'venue', fetchedAt: r.report.fetchedAt, statuses: r.statuses, complete: true });
  }
  const registry = new InstrumentRegistry(results.flatMap((r) => r.instruments));
  const symbols = new Map<LiveVenue, string[]>();
  const markets: MarketStatus[] = [];
  for (const r of results) {
    symbols.set(r.report.venue, r.symbols);
    for (const s of r.symbols) {
      const status = r.statuses.get(s);
      markets.push({ venue: r.report.venue, symbol: s, status, trading: status === undefined || status === TRADING_STATUS[r.report.venue] });
    }
  }
  return { registry, symbols, reports: results.map((r) => r.report), markets };
}

/** One line per venue: where its instruments came from (`okx: instruments from the venue, 312, fetched ...`). */
export function describeInstrumentSource(r: VenueInstrumentReport): string {
  const at = r.fetchedAt === undefined ? '' : `, fetched ${new Date(r.fetchedAt).toISOString().replace(/\.\d+Z$/, 'Z')}`;
  const why = r.reason ? `; the venue was unreachable: ${r.reason}` : '';
  const note = r.note ? `; ${r.note}` : '';
  const what = r.origin === 'venue' ? 'from the venue' : r.origin === 'store' ? 'from the store (last fetched from the venue)' : 'from the bundled snapshot (offline fallback; values as of its capture dates)';
  return `${r.venue}: ${r.count} instruments ${what}${at}${why}${note}`;
}

/** `okx FOO-USDT-SWAP: status suspend (not trading)` for each requested market that is not trading. */
export function describeNotTrading(markets: readonly MarketStatus[]): string[] {
  return markets.filter((m) => !m.trading).map((m) => `${m.venue} ${m.symbol}: status ${m.status} (not trading; its streams may stay silent)`);
}
