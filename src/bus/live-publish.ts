/**
 * A recorder's connectors feeding the bus: the live handlers that publish each frame's events
 * (after the store's handlers, when the recorder also stores), and the subjects a recording covers.
 */
import type { EventType, Venue } from '../core/events.ts';
import type { LiveChannel, LiveHandlers } from '../venues/live/types.ts';
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
