/**
 * The dashboard's query parameters (src/server/api.ts): read with the CLI's own parsers
 * (src/query/market-options.ts, src/core/symbols.ts), a bad value answered with 400 naming the
 * parameter. Fastify hands repeated keys as arrays: a parameter given twice is refused too.
 */
import { UsageError } from '../../core/errors.ts';
import { PERP_VENUES, type Venue } from '../../core/events.ts';
import { marketPairs } from '../../core/symbols.ts';
import { parseTime, parseVenuesOpt } from '../../query/market-options.ts';
import { confirmMarketQuery, marketQueryOf, storedMarkets, type MarketQuery } from '../../query/market.ts';
import type { Store } from '../../store/store.ts';
import { loadBundledInstruments } from '../../venues/bundled-instruments.ts';
import { DASHBOARD_TIMEFRAMES, DEFAULT_SPAN_BARS, MAX_BARS, type DashboardTimeframe } from '../api.ts';
import { badParam } from '../http-error.ts';

export type Query = Readonly<Record<string, unknown>>;

const TF_MS: Record<DashboardTimeframe, number> = { '1m': 60_000, '5m': 300_000, '15m': 900_000, '1h': 3_600_000, '4h': 14_400_000, '1d': 86_400_000 };

/** Longest accepted parameter value: nothing legitimate comes close. */
const MAX_PARAM_CHARS = 200;

/** A string parameter, or undefined when absent; 400 when repeated or absurdly long. */
export function param(query: Query, name: string): string | undefined {
  const v = query[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw badParam(name, `${name}: give it once, as text`);
  if (v.length > MAX_PARAM_CHARS) throw badParam(name, `${name}: longer than ${MAX_PARAM_CHARS} characters`);
  return v;
}

/** A UsageError from a shared parser, as the 400 naming `field`. */
function asParam<T>(field: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof UsageError) throw badParam(field, e.message);
    throw e;
  }
}

export function timeframeParam(query: Query, name = 'tf', fallback: DashboardTimeframe = '1m'): { tf: DashboardTimeframe; tfMs: number } {
  const text = param(query, name) ?? fallback;
  if (!(DASHBOARD_TIMEFRAMES as readonly string[]).includes(text)) throw badParam(name, `${name}: expected one of ${DASHBOARD_TIMEFRAMES.join(', ')}, got ${JSON.stringify(text)}`);
  return { tf: text as DashboardTimeframe, tfMs: TF_MS[text as DashboardTimeframe] };
}

/** An integer parameter in [min, max], `fallback` when absent. */
export function intParam(query: Query, name: string, min: number, max: number, fallback: number): number {
  const text = param(query, name);
  if (text === undefined) return fallback;
  const v = Number(text);
  if (text.trim() === '' || !Number.isInteger(v) || v < min || v > max) throw badParam(name, `${name}: expected a whole number from ${min} to ${max}, got ${JSON.stringify(text)}`);
  return v;
}

/** A number parameter >= min, `fallback` when absent. */
export function numberParam(query: Query, name: string, min: number, fallback: number): number {
  const text = param(query, name);
  if (text === undefined) return fallback;
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v) || v < min) throw badParam(name, `${name}: expected a number >= ${min}, got ${JSON.stringify(text)}`);
  return v;
}

export function flagParam(query: Query, name: string): boolean {
  const text = param(query, name);
  if (text === undefined || text === '0' || text === 'false') return false;
  if (text === '1' || text === 'true' || text === '') return true;
  throw badParam(name, `${name}: expected 1 or 0, got ${JSON.stringify(text)}`);
}

export function timeParam(query: Query, name: string): number | undefined {
  const text = param(query, name);
  return text === undefined ? undefined : asParam(name, () => parseTime(text, name));
}

/** `BTC-USDT-SWAP` and `BTCUSDT` are one market for the pickers: base + quote, Binance style. */
export function pickerName(venue: Venue, symbol: string): string {
  const inst = loadBundledInstruments().get(venue, symbol);
  if (inst) return `${inst.base}${inst.quote}`.toUpperCase();
  const parts = symbol.toUpperCase().split('-');
  return parts.length >= 2 ? `${parts[0]}${parts[1]}` : symbol.toUpperCase();
}

/** The market a request names: its (venue, symbol) pairs, the venues with stored trades by default. */
export async function marketParam(store: Store, query: Query): Promise<{ symbol: string; pairs: [Venue, string][] }> {
  const symbol = param(query, 'symbol');
  if (symbol === undefined || symbol.trim() === '') throw badParam('symbol', 'symbol: required, e.g. symbol=BTCUSDT');
  const venuesText = param(query, 'venues');
  const registry = loadBundledInstruments();
  const explicit = venuesText !== undefined;
  const venues = explicit ? asParam('venues', () => parseVenuesOpt(venuesText, 'venues')) : [...PERP_VENUES];
  const all = asParam('symbol', () => marketPairs(registry, symbol, venues, explicit, 'symbol', 'venues'));
  await asParamAsync('symbol', () => confirmMarketQuery(store, marketQueryOf(registry, symbol, all, undefined, undefined)));
  if (explicit) return { symbol, pairs: all };
  const stored = await storedMarkets(store, all);
  return { symbol, pairs: stored.length > 0 ? stored : all };
}

async function asParamAsync<T>(field: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof UsageError) throw badParam(field, e.message);
    throw e;
  }
}

export interface RangeRequest {
  readonly symbol: string;
  readonly q: MarketQuery & { readonly fromMs: number; readonly toMs: number };
  readonly fromMs: number;
  readonly toMs: number;
}

/** Newest stored trade time of the markets, ms; undefined when none. */
export async function latestTradeMs(store: Store, pairs: readonly (readonly [Venue, string])[]): Promise<number | undefined> {
  if (pairs.length === 0) return undefined;
  const values: string[] = [];
  const cond = pairs.map(([v, s]) => {
    values.push(v, s);
    return `(venue::VARCHAR = $${values.length - 1} AND symbol = $${values.length})`;
  });
  const rows = await store.rows<{ t: number | null }>(`SELECT epoch_us(max(ts))::DOUBLE / 1000 AS t FROM trades WHERE ${cond.join(' OR ')}`, values);
  return rows[0]?.t ?? undefined;
}

/** The newest trade time of a market query's trades from memory (TradeCache.newest), undefined when it cannot say. */
export type NewestTrade = (q: MarketQuery) => Promise<number | undefined>;

/**
 * A range query: market, `from`/`to` (default the last `bars` bars of `tfMs` before the newest
 * stored trade; `bars` defaults to DEFAULT_SPAN_BARS), refused past MAX_BARS bars of `tfMs`.
 * `newest`: that trade's time from memory when it can say, else a store query.
 */
export async function rangeParams(store: Store, query: Query, tfMs: number, newest?: NewestTrade): Promise<RangeRequest> {
  let toMs = timeParam(query, 'to');
  let fromMs = timeParam(query, 'from');
  const span = intParam(query, 'bars', 1, MAX_BARS, DEFAULT_SPAN_BARS);
  const { symbol, pairs } = await marketParam(store, query);
  if (toMs === undefined) {
    const q = marketQueryOf(loadBundledInstruments(), symbol, pairs, undefined, undefined);
    const latest = (await newest?.(q)) ?? (await latestTradeMs(store, pairs));
    const anchor = fromMs !== undefined ? fromMs + span * tfMs : (latest ?? Date.now());
    toMs = fromMs !== undefined ? anchor : Math.floor(anchor / tfMs) * tfMs + tfMs;
  }
  fromMs ??= toMs - span * tfMs;
  if (!(fromMs < toMs)) throw badParam('from', `from must be before to (got ${fromMs} and ${toMs})`);
  const bars = Math.ceil((toMs - fromMs) / tfMs);
  if (bars > MAX_BARS) throw badParam('from', `from..to spans ${bars} bars of ${tfMs / 60_000} min, more than the ${MAX_BARS} one request may ask for: narrow the range or take a longer tf`);
  const q = marketQueryOf(loadBundledInstruments(), symbol, pairs, fromMs, toMs) as RangeRequest['q'];
  return { symbol, q, fromMs, toMs };
}
