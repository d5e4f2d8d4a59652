/**
 * `GET /api/events?symbol&venues&from&to`: the detectors' events as chart markers. Absorption
 * at the realized liquidation clusters, re-snapshotted every ZONES_EVERY_MS as `orderflow analyze`
 * does (a zone is known only from its snapshot on: no marker uses a later cluster); delta
 * divergence on the merged trades (15m, 1h, 1d); bait walls of the first venue with a stored book.
 */
import type { FastifyInstance } from 'fastify';
import { absorptionBatch, zonesFromClusters, type AbsorptionZone } from '../../features/absorption.ts';
import { bookBait } from '../../features/book.ts';
import { DivergenceOperator } from '../../features/divergence.ts';
import { liquidationSnapshots } from '../../features/liquidations.ts';
import { venueBooks } from '../../query/venue-books.ts';
import { readLiquidations } from '../../store/liquidation-reader.ts';
import { readTrades } from '../../store/trade-reader.ts';
import type { DetectorEvent, EventsResponse } from '../api.ts';
import { LEVEL_BINS } from '../query/bins.ts';
import { absorptionMarker, baitMarker, divergenceMarker, ZONES_EVERY_MS } from '../query/detector-events.ts';
import { rangeParams } from '../query/params.ts';
import type { StoreAccess } from '../store-access.ts';

export function eventsRoute(app: FastifyInstance, access: StoreAccess): void {
  app.get('/api/events', async (req): Promise<EventsResponse> => {
    const query = req.query as Record<string, unknown>;
    return access.read(async (store) => {
      const r = await rangeParams(store, query, 60_000);
      const trades = (await access.trades.trades(store, r.q)) ?? (await readTrades(store, r.q));
      const liqs = await readLiquidations(store, r.q);
      const events: DetectorEvent[] = [];

      const times: number[] = [];
      for (let t = Math.ceil(r.fromMs / ZONES_EVERY_MS) * ZONES_EVERY_MS; t < r.toMs; t += ZONES_EVERY_MS) times.push(t);
      // Without a liquidation there is no cluster (trades only mark clusters revisited): no pass over them.
      const snaps = times.length > 0 ? liquidationSnapshots(liqs, liqs.length > 0 ? trades : undefined, times, { bins: LEVEL_BINS }) : [];
      const zones: AbsorptionZone[] = snaps.flatMap((s, i) => zonesFromClusters(s.clusters, { fromTs: s.ts, toTs: times[i + 1] ?? r.toMs, bins: LEVEL_BINS }));
      if (zones.length > 0) {
        for (const e of absorptionBatch(trades, liqs, { zones })) events.push(absorptionMarker(e));
      }

      // The incremental operator over the whole columns: divergenceBatch's events in its order, for a third of its CPU.
      const divergence = new DivergenceOperator({}, (e) => events.push(divergenceMarker(e)));
      divergence.push(trades);
      divergence.flush();

      for await (const { venue, book, tick, trades: own } of venueBooks(store, r.q.pairs, r.fromMs, r.toMs, undefined, async (q) => (await access.trades.trades(store, q)) ?? (await readTrades(store, q)))) {
        for (const w of bookBait(book, own, { tick }).walls) {
          const m = baitMarker(venue, w);
          if (m) events.push(m);
        }
        break;
      }
      events.sort((a, b) => a.t - b.t);
      return { events };
    });
  });
}
