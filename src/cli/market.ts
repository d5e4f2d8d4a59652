/**
 * `--symbol`, `--venues`, `--from` and `--to` of the commands that read one market from the store.
 */
import { UsageError } from '../core/errors.ts';
import { PERP_VENUES, VENUES, type Venue } from '../core/events.ts';
import type { InstrumentRegistry } from '../core/instruments.ts';
import { marketPairs } from '../core/symbols.ts';
import { confirmMarket } from '../store/markets.ts';
import type { Store } from '../store/store.ts';
import type { TradeQuery } from '../store/trade-reader.ts';
import { loadBundledInstruments } from '../venues/bundled-instruments.ts';
import { parseTime } from './common.ts';

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
  const venues = [...new Set(pairs.map((p) => p[0]))];
  const fromMs = opts.from === undefined ? undefined : parseTime(opts.from, '--from');
  const toMs = opts.to === undefined ? undefined : parseTime(opts.to, '--to');
  if (fromMs !== undefined && toMs !== undefined && !(fromMs < toMs)) throw new UsageError(`--from must be before --to (got ${opts.from} and ${opts.to})`);
  return { venues, symbols: [...new Set(pairs.map((p) => p[1]))], fromMs, toMs, pairs, input: opts.symbol, registry };
}

export interface MarketQuery extends TradeQuery {
  readonly venues: Venue[];
  readonly pairs: [Venue, string][];
  /** The `--symbol` as typed. */
  readonly input: string;
  readonly registry: InstrumentRegistry;
}

/** A `--symbol` that names no market the instruments or the store know is an error with the closest names. */
export function confirmMarketQuery(store: Store, q: MarketQuery): Promise<void> {
  return confirmMarket(store, q.registry, q.input, q.pairs);
}
