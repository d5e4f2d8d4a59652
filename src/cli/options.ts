/**
 * The option parsers the commands share: numbers, times, venues, a market (`--symbol`,
 * `--venues`, `--from`, `--to`), durations and the defaults several commands print. Each throws a
 * UsageError that names the option, the value and what is accepted.
 */
import { UsageError } from '../core/errors.ts';
import { PERP_VENUES, VENUES, type Venue } from '../core/events.ts';
import { marketPairs } from '../core/symbols.ts';
import { loadBundledInstruments } from '../venues/bundled-instruments.ts';
import { marketQueryOf, type MarketQuery } from '../query/market.ts';

/** `text` as a finite number, else a UsageError naming the option. */
export function numberOpt(text: string, option: string, want = 'a number'): number {
  const v = Number(text);
  if (text.trim() === '' || !Number.isFinite(v)) throw new UsageError(`${option}: expected ${want}, got ${JSON.stringify(text)}`);
  return v;
}

/** `--fixed 1000,10000,100000` -> [medium, large, whale]; whale may be `inf` (no whale bucket). */
export function parseFixed(text: string, option = '--fixed'): [number, number, number] {
  const want = 'three ascending quote notionals > 0, MEDIUM,LARGE,WHALE (WHALE may be inf), e.g. 1000,10000,100000';
  const parts = text.split(',').map((s) => s.trim());
  const v = parts.map((s) => (/^\+?inf(inity)?$/i.test(s) ? Infinity : s === '' ? NaN : Number(s)));
  if (v.length !== 3 || !(v[0] > 0 && Number.isFinite(v[0]) && v[0] <= v[1] && Number.isFinite(v[1]) && v[1] <= v[2])) {
    throw new UsageError(`${option}: expected ${want}, got ${JSON.stringify(text)}`);
  }
  return [v[0], v[1], v[2]];
}

/** A duration option in seconds (> 0), undefined when not given. */
export function secondsOpt(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const n = numberOpt(text, option, 'a number of seconds > 0');
  if (!(n > 0)) throw new UsageError(`${option}: expected a number of seconds > 0, got ${JSON.stringify(text)}`);
  return n;
}

/**
 * `2024-11-01`, `2024-11-01T12:00`, `2024-11-01 12:00:30.5`, any of them with a zone (`Z`, `+02:00`,
 * `-0500`), or epoch ms -> epoch ms. A time without a zone is UTC, never the machine's zone: every
 * output prints UTC, and the same command must mean the same bars in Tokyo and New York.
 */
export function parseTime(text: string, option: string): number {
  const t = text.trim();
  if (/^\d{10,}$/.test(t)) return Number(t);
  const m = ISO_TIME.exec(t);
  const bad = () => new UsageError(`${option}: cannot read ${JSON.stringify(text)} as a time; use 2024-11-01, 2024-11-01T12:00:00 (UTC unless a zone such as Z or +02:00 follows) or epoch ms`);
  if (!m) throw bad();
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, frac === '' ? 0 : Number(`0.${frac}`) * 1000);
  const back = new Date(ms);
  // Date.UTC rolls 2024-02-30 over into March; a calendar date that does not exist is a typo.
  if (back.getUTCFullYear() !== +y || back.getUTCMonth() !== +mo - 1 || back.getUTCDate() !== +d || +h > 23 || +mi > 59 || +s > 59) throw bad();
  return ms - zoneOffsetMs(zone);
}

/** date, optional [T ]hh:mm[:ss[.fff]], optional Z / ±hh:mm / ±hhmm / ±hh. */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

function zoneOffsetMs(zone: string | undefined): number {
  if (zone === undefined || zone === 'Z' || zone === 'z') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0')) * 60_000;
}

/** `--venues binance,okx` -> venues in the order given; undefined -> every venue. */
export function parseVenuesOpt(text: string | undefined, option = '--venues'): Venue[] {
  // Spot is a different market: merged only when asked for by name.
  if (text === undefined) return [...PERP_VENUES];
  const out: Venue[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    if (!(VENUES as readonly string[]).includes(part)) throw new UsageError(`${option}: unknown venue ${JSON.stringify(part)}; known: ${VENUES.join(', ')}`);
    if (!out.includes(part as Venue)) out.push(part as Venue);
  }
  if (out.length === 0) throw new UsageError(`${option}: expected a comma-separated list of venues (${VENUES.join(', ')}), got ${JSON.stringify(text)}`);
  return out;
}

/**
 * The trades a `--symbol` means on each venue (any venue spelling or a base asset: `ETH`,
 * `ETHUSDT` and `ETH-USDT-SWAP` all name the ETH perpetual everywhere; other OKX ids are OKX's
 * alone, spot only with `--venues okx`), over `--from`/`--to`. Once the store is open,
 * `confirmMarketQuery` refuses a symbol that names no known market.
 */
export function marketQuery(opts: { symbol: string; venues?: string; from?: string; to?: string }): MarketQuery {
  const registry = loadBundledInstruments();
  const pairs = marketPairs(registry, opts.symbol, parseVenuesOpt(opts.venues), opts.venues !== undefined);
  const fromMs = opts.from === undefined ? undefined : parseTime(opts.from, '--from');
  const toMs = opts.to === undefined ? undefined : parseTime(opts.to, '--to');
  if (fromMs !== undefined && toMs !== undefined && !(fromMs < toMs)) throw new UsageError(`--from must be before --to (got ${opts.from} and ${opts.to})`);
  return marketQueryOf(registry, opts.symbol, pairs, fromMs, toMs);
}

/** Liquidation bins of `liquidations`, `absorption` and `analyze` when neither --bps nor --bin-ticks is given. */
export const DEFAULT_BPS = 10;

/** `fn()`, with a RangeError from a library check (e.g. simConfig) turned into a usage error with its message. */
export function usageOnRangeError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RangeError) throw new UsageError(e.message);
    throw e;
  }
}
