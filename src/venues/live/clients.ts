/**
 * One live client per venue, by name: what `orderflow watch` and `orderflow record` start.
 * Endpoints come from each venue's urls.ts (config > ORDERFLOW_<VENUE>_WS_URL / _REST_URL >
 * the venue's default), so the same commands run against the loopback servers.
 */
import type { Venue } from '../../core/events.ts';
import { BinanceLiveClient } from '../binance/live.ts';
import { BybitLiveClient } from '../bybit/live.ts';
import { createOkxLiveClient } from '../okx/shards.ts';
import type { LiveClient, LiveClientOptions } from './types.ts';

/** Venues with a live connector (Binance USD-M, OKX swaps, Bybit linear). */
export const LIVE_VENUES = ['binance', 'okx', 'bybit'] as const satisfies readonly Venue[];
export type LiveVenue = (typeof LIVE_VENUES)[number];

export function createLiveClient(venue: LiveVenue, opts: LiveClientOptions): LiveClient {
  switch (venue) {
    case 'binance':
      return new BinanceLiveClient(opts);
    case 'okx':
      // Many symbols: several connections within OKX's per-connection limits.
      return createOkxLiveClient(opts);
    case 'bybit':
      return new BybitLiveClient(opts);
  }
}
