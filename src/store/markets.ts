/**
 * The markets a store knows: those its `instruments` table lists and those it holds data for.
 * A `--symbol` that names none of them on any venue is a typo or a market never imported, and
 * the user hears so, with the closest names, instead of an empty result.
 */
import { UsageError } from '../core/errors.ts';
import type { Venue } from '../core/events.ts';
import { baseAssetOf, type InstrumentRegistry } from '../core/instruments.ts';
import { closestSymbols } from '../core/symbols.ts';
import { EVENT_TABLES } from './schema.ts';
import type { Store } from './store.ts';

/** `venue:symbol` of every market present in an event table, and (`listed`) in the instruments table. */
export async function knownMarkets(store: Store, listed = true): Promise<Set<string>> {
  const parts = [...(listed ? ['SELECT venue::VARCHAR AS venue, symbol FROM instruments'] : []), ...EVENT_TABLES.map((t) => `SELECT DISTINCT venue::VARCHAR AS venue, symbol FROM ${t.table}`)];
  const rows = await store.rows<{ venue: string; symbol: string }>(parts.join(' UNION '));
  return new Set(rows.map((r) => `${r.venue}:${r.symbol}`));
}

/** Whether the instruments table lists the market or an event table holds a row of it (stops at the first). */
async function holds(store: Store, venue: Venue, symbol: string): Promise<boolean> {
  for (const table of ['instruments', ...EVENT_TABLES.map((t) => t.table)]) {
    const rows = await store.rows(`SELECT 1 FROM ${table} WHERE venue::VARCHAR = $1 AND symbol = $2 LIMIT 1`, [venue, symbol]);
    if (rows.length > 0) return true;
  }
  return false;
}

/**
 * Throws a UsageError naming the closest known symbols when none of `pairs` is a market the
 * registry or the store knows.
 */
export async function confirmMarket(store: Store, registry: InstrumentRegistry, input: string, pairs: readonly (readonly [Venue, string])[], option = '--symbol'): Promise<void> {
  if (pairs.some(([v, s]) => registry.get(v, s) !== undefined)) return;
  for (const [v, s] of pairs) if (await holds(store, v, s)) return;
  const candidates = new Set<string>();
  for (const i of registry.all()) candidates.add(i.symbol).add(i.base);
  const close = closestSymbols(input, [...candidates, ...(await storedNames(store, true))]);
  const where = pairs.map(([v, s]) => `${v} ${s}`).join(', ');
  throw new UsageError(
    `${option} ${input.trim().toUpperCase()}: no such market (${where}) in the instrument list or the store` +
      (close.length > 0 ? `; did you mean ${close.join(', ')}?` : '; `orderflow info` lists what is stored'),
  );
}

/** Symbols and their base assets the store knows (`listed`: with the instruments table's), for suggestions. */
export async function storedNames(store: Store, listed: boolean): Promise<string[]> {
  const out = new Set<string>();
  for (const k of await knownMarkets(store, listed)) {
    const symbol = k.slice(k.indexOf(':') + 1);
    out.add(symbol).add(baseAssetOf(symbol));
  }
  return [...out];
}
