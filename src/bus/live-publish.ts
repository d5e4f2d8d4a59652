/**
 * A recorder's connectors feeding the bus: the live handlers that publish each frame's events
 * (after the store's handlers, when the recorder also stores), and the subjects a recording covers.
 */
import type { CaptureRecord, EventType, Venue } from '../core/events.ts';
import type { LiveChannel, LiveHandlers, TradeResume } from '../venues/live/types.ts';
import type { BusPublisher } from './publisher.ts';

const TYPE_OF: Record<LiveChannel, EventType> = { trades: 'trade', liquidations: 'liquidation', book: 'book', ticker: 'ticker' };

/** `base`'s handlers, with every frame's events also handed to the publisher; without `base`, publishing only. */
export function publishingHandlers(base: LiveHandlers | undefined, publisher: BusPublisher): LiveHandlers {
  return {
    ...base,
    onEvents: (records, localTs) => {
      base?.onEvents(records, localTs);
      publisher.add(records);
    },
  };
}

/** The (venue, symbol, type) subjects a recording of these channels publishes to. */
export function recordedSubjects(symbols: ReadonlyMap<Venue, readonly string[]>, channels: readonly LiveChannel[]): { venue: Venue; symbol: string; type: EventType }[] {
  const out: { venue: Venue; symbol: string; type: EventType }[] = [];
  for (const [venue, list] of symbols) for (const symbol of list) for (const c of channels) out.push({ venue, symbol, type: TYPE_OF[c] });
  return out;
}

/**
 * A recorder that stores and publishes resumes its trade streams from the earlier of where the
 * store's and the bus's trades stopped, so neither misses the outage; each side then drops the
 * trades it already holds (the publisher by its own resume check, the store by `storeHas`). A
 * recorder that only publishes resumes from the bus's.
 */
export function resumeForBoth(
  symbols: readonly string[],
  stored: ReadonlyMap<string, TradeResume> | undefined,
  onBus: (symbol: string) => TradeResume | undefined,
): { connector: Map<string, TradeResume>; storeHas: Map<string, TradeResume> } {
  const connector = new Map<string, TradeResume>();
  const storeHas = new Map<string, TradeResume>();
  for (const symbol of symbols) {
    const s = stored?.get(symbol);
    const b = onBus(symbol);
    if (s && b && b.lastTs < s.lastTs) {
      connector.set(symbol, b);
      storeHas.set(symbol, s);
    } else if (s ?? b) connector.set(symbol, (s ?? b)!);
  }
  return { connector, storeHas };
}

/** `base` without the trades at or before each symbol's point in `has` (what the store already holds). */
export function withoutHeldTrades(base: LiveHandlers, has: ReadonlyMap<string, TradeResume>): LiveHandlers {
  if (has.size === 0) return base;
  const held = (r: CaptureRecord): boolean => {
    if (r.type !== 'trade') return false;
    const p = has.get(r.symbol);
    if (!p) return false;
    if (p.lastId !== undefined && /^[0-9]{1,15}$/.test(r.id)) return Number(r.id) <= p.lastId;
    return r.ts < p.lastTs || (r.ts === p.lastTs && (p.idsAtLastTs ?? []).includes(r.id));
  };
  return {
    ...base,
    onEvents: (records, localTs) => {
      const kept = records.some(held) ? records.filter((r) => !held(r)) : records;
      if (kept.length > 0) base.onEvents(kept, localTs);
    },
  };
}
