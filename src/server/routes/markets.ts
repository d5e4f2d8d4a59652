/** `GET /api/markets`: every market with stored trades, grouped by the name the pickers show. */
import type { FastifyInstance } from 'fastify';
import type { Venue } from '../../core/events.ts';
import { loadBundledInstruments } from '../../venues/bundled-instruments.ts';
import type { MarketInfo, MarketsResponse } from '../api.ts';
import { pickerName } from '../query/params.ts';
import type { StoreAccess } from '../store-access.ts';
import type { Store } from '../../store/store.ts';

export function marketsRoute(app: FastifyInstance, access: StoreAccess): void {
  app.get('/api/markets', async (): Promise<MarketsResponse> => access.read((store) => marketsAnswer(access, store)));
}

/**
 * The markets answer: computed from the trades table (a scan of every row), kept while the
 * table's row count and newest rowid stay (TradeCache.perTable), so the page's first request
 * after the server's start-up fill, and every reload of an unchanged store, takes it as it is.
 */
export function marketsAnswer(access: StoreAccess, store: Store): Promise<MarketsResponse> {
  return access.trades.perTable('markets', store, async () => {
    const rows = await store.rows<{ venue: Venue; symbol: string; first: number; last: number; n: bigint }>(
      `SELECT venue::VARCHAR AS venue, symbol, epoch_us(min(ts))::DOUBLE / 1000 AS first, epoch_us(max(ts))::DOUBLE / 1000 AS last, count(*) AS n
       FROM trades GROUP BY ALL ORDER BY symbol, venue`,
    );
    const registry = loadBundledInstruments();
    const by = new Map<string, { venues: MarketInfo['venues'][number][]; tick: number }>();
    for (const r of rows) {
      const name = pickerName(r.venue, r.symbol);
      const m = by.get(name) ?? { venues: [], tick: Infinity };
      m.venues.push({ venue: r.venue, symbol: r.symbol, firstMs: r.first, lastMs: r.last, trades: Number(r.n) });
      const tick = registry.get(r.venue, r.symbol)?.tickSize;
      if (tick !== undefined) m.tick = Math.min(m.tick, tick);
      by.set(name, m);
    }
    const markets = [...by].map(([symbol, m]): MarketInfo => ({ symbol, venues: m.venues, tick: Number.isFinite(m.tick) ? m.tick : 0 }));
    // The busiest market first: the picker's default.
    markets.sort((a, b) => b.venues.reduce((s, v) => s + v.trades, 0) - a.venues.reduce((s, v) => s + v.trades, 0));
    return { markets };
  });
}
