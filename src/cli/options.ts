/**
 * The option parsers the commands share: numbers, times, venues, a market (`--symbol`,
 * `--venues`, `--from`, `--to`), durations and the defaults several commands print. Each throws a
 * UsageError that names the option, the value and what is accepted.
 */
import { UsageError } from '../core/errors.ts';
import { marketPairs } from '../core/symbols.ts';
import { loadBundledInstruments } from '../venues/bundled-instruments.ts';
import { marketQueryOf, type MarketQuery } from '../query/market.ts';
import { parseTime, parseVenuesOpt } from '../query/market-options.ts';

// Shared with the dashboard server (src/server), which names query parameters instead of options.
export { parseTime, parseVenuesOpt };

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
