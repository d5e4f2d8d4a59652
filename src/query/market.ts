/**
 * One market as the store-reading commands and the engine read it: the (venue, symbol) pairs a
 * symbol names, a time range, and the checks against what the store and the instruments know.
 * Option parsing (`--symbol`, `--venues`, `--from`, `--to`) is the CLI's (src/cli/options.ts).
 */
import { UsageError } from '../core/errors.ts';
import type { Venue } from '../core/events.ts';
import { scale, type InstrumentRegistry } from '../core/instruments.ts';
import { confirmMarket } from '../store/markets.ts';
import type { Store } from '../store/store.ts';
import type { TradeQuery } from '../store/trade-reader.ts';
import { loadBundledInstruments } from '../venues/bundled-instruments.ts';

export interface MarketQuery extends TradeQuery {
  readonly venues: Venue[];
  readonly pairs: [Venue, string][];
  /** The symbol as the user typed it. */
  readonly input: string;
  readonly registry: InstrumentRegistry;
}

/** The query of the markets `pairs` (resolved from `input`), over [fromMs, toMs). */
export function marketQueryOf(registry: InstrumentRegistry, input: string, pairs: [Venue, string][], fromMs: number | undefined, toMs: number | undefined): MarketQuery {
  const venues = [...new Set(pairs.map((p) => p[0]))];
  return { venues, symbols: [...new Set(pairs.map((p) => p[1]))], fromMs, toMs, pairs, input, registry };
}

/** A symbol that names no market the instruments or the store know is an error with the closest names. */
export function confirmMarketQuery(store: Store, q: MarketQuery): Promise<void> {
  return confirmMarket(store, q.registry, q.input, q.pairs);
}

/** The (venue, symbol) pairs that have stored trades. */
export async function storedMarkets(store: Store, pairs: readonly [Venue, string][]): Promise<[Venue, string][]> {
  const out: [Venue, string][] = [];
  for (const [venue, symbol] of pairs) {
    const rows = await store.rows<{ n: bigint }>('SELECT count(*) AS n FROM (SELECT 1 FROM trades WHERE venue::VARCHAR = $1 AND symbol = $2 LIMIT 1)', [venue, symbol]);
    if (Number(rows[0].n) > 0) out.push([venue, symbol]);
  }
  return out;
}

/**
 * The finest lot of the markets in base units, so every venue's sizes round to something it could
 * trade; undefined when a market is unknown or inverse (its lot is in USD, not base units).
 */
export function registryLot(markets: readonly [Venue, string][]): number | undefined {
  const registry = loadBundledInstruments();
  let lot = Infinity;
  for (const [venue, symbol] of markets) {
    const inst = registry.get(venue, symbol);
    if (!inst || inst.contractType === 'inverse') return undefined;
    lot = Math.min(lot, scale(inst.lotSize, inst.contractValue));
  }
  return Number.isFinite(lot) ? lot : undefined;
}

/**
 * The coarsest tick of the markets, so every venue's prices land on whole levels; a UsageError
 * suggesting --tick (and `alternative`, when the command has one) for an unknown instrument.
 */
export function registryTick(markets: readonly [Venue, string][], alternative = ''): number {
  const registry = loadBundledInstruments();
  let tick = 0;
  for (const [venue, symbol] of markets) {
    const inst = registry.get(venue, symbol);
    if (!inst) throw new UsageError(`no instrument metadata for ${venue} ${symbol} (needed for its tick size): pass --tick <price step>, e.g. --tick 0.01${alternative}`);
    tick = Math.max(tick, inst.tickSize);
  }
  return tick;
}

/** One market's tick, or undefined when the instruments do not know it (the caller skips that market). */
export function knownTick(venue: Venue, symbol: string): number | undefined {
  return loadBundledInstruments().get(venue, symbol)?.tickSize;
}
