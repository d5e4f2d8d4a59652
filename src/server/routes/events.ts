/**
 * `GET /api/events?symbol&venues&from&to`: the detectors' events as chart markers. Absorption
 * at the realized liquidation clusters, re-snapshotted every ZONES_EVERY_MS as `orderflow analyze`
 * does (a zone is known only from its snapshot on: no marker uses a later cluster); delta
 * divergence on the merged trades (15m, 1h, 1d); bait walls of the first venue with a stored book.
 */
import type { FastifyInstance } from 'fastify';
import { absorptionBatch, zonesFromClusters, type AbsorptionZone } from '../../features/absorption.ts';
import { bookBait } from '../../features/book.ts';
import { divergenceBatch } from '../../features/divergence.ts';
import { liquidationSnapshots } from '../../features/liquidations.ts';
import { venueBooks } from '../../query/venue-books.ts';
import { readLiquidations } from '../../store/liquidation-reader.ts';
import { readTrades } from '../../store/trade-reader.ts';
import type { DetectorEvent, EventsResponse } from '../api.ts';
import { LEVEL_BINS } from '../query/bins.ts';
import { rangeParams } from '../query/params.ts';
import type { StoreAccess } from '../store-access.ts';

const ZONES_EVERY_MS = 3_600_000;

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
      const snaps = times.length > 0 ? liquidationSnapshots(liqs, trades, times, { bins: LEVEL_BINS }) : [];
      const zones: AbsorptionZone[] = snaps.flatMap((s, i) => zonesFromClusters(s.clusters, { fromTs: s.ts, toTs: times[i + 1] ?? r.toMs, bins: LEVEL_BINS }));
      if (zones.length > 0) {
        for (const e of absorptionBatch(trades, liqs, { zones })) {
          const up = e.direction === 'buyers_absorb';
          events.push({
            t: e.ts, kind: 'absorption', direction: up ? 'up' : 'down', price: e.vwap,
            text: `absorption (${e.kind}): ${up ? 'buyers' : 'sellers'} absorb ${e.attack_ratio.toFixed(1)}x typical ${e.attack_side} volume at ${e.zone.low}-${e.zone.high}, price moved ${e.progress_bps.toFixed(1)} bps`,
          });
        }
      }

      for (const e of divergenceBatch(trades, {})) {
        const up = e.direction === 'buy_flow_no_rise';
        events.push({
          t: e.ts, kind: 'divergence', direction: up ? 'up' : 'down', price: e.close,
          text: `divergence ${e.timeframe_ms / 60_000}m: ${up ? 'buying' : 'selling'} (cvd z ${e.cvd_z.toFixed(1)}) while price ${up ? 'did not rise' : 'did not fall'} (${e.window_return_bps.toFixed(1)} bps)`,
        });
      }

      for await (const { venue, book, tick, trades: own } of venueBooks(store, r.q.pairs, r.fromMs, r.toMs, undefined, async (q) => (await access.trades.trades(store, q)) ?? (await readTrades(store, q)))) {
        for (const w of bookBait(book, own, { tick }).walls) {
          if (w.outcome !== 'bait') continue;
          events.push({
            t: w.endTs, kind: 'bait', direction: w.side === 'bid' ? 'up' : 'down', price: w.price,
            text: `bait: ${venue} ${w.side} wall of ${w.peak} (${w.multiple.toFixed(1)}x typical) at ${w.price} pulled as price came ${w.distanceAtEnd} ticks away`,
          });
        }
        break;
      }
      events.sort((a, b) => a.t - b.t);
      return { events };
    });
  });
}
