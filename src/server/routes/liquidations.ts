/**
 * `GET /api/liquidations` (realized: events, the clusters the liquidation map finds at `to`, the
 * heatmap per `tf` bucket and price bin) and `GET /api/predicted-liquidations` (the model's
 * projected levels at `to`: a separate layer, never mixed with the realized one). Both from
 * src/features/liquidations.ts and predicted-liquidations.ts on the stored rows of the range.
 */
import type { FastifyInstance } from 'fastify';
import { liquidationHeatmap, liquidationSnapshots } from '../../features/liquidations.ts';
import { DEFAULT_LEVERAGE_MIX, DEFAULT_POSITION_NOTIONAL, predictedLiquidationsByLeverage } from '../../features/predicted-liquidations.ts';
import { registryTick } from '../../query/market.ts';
import { readLiquidations } from '../../store/liquidation-reader.ts';
import { readOpenInterest } from '../../store/ticker-reader.ts';
import { readTrades } from '../../store/trade-reader.ts';
import { loadBundledInstruments } from '../../venues/bundled-instruments.ts';
import type { HeatmapColumns, LiquidationsResponse, PredictedLiquidationsResponse } from '../api.ts';
import { badParam } from '../http-error.ts';
import { LEVEL_BINS, tickBins } from '../query/bins.ts';
import { rangeParams, timeframeParam } from '../query/params.ts';
import type { StoreAccess } from '../store-access.ts';

/** Heatmap cells one answer may hold. */
const MAX_CELLS = 1 << 22;

export function liquidationRoutes(app: FastifyInstance, access: StoreAccess): void {
  app.get('/api/liquidations', async (req): Promise<LiquidationsResponse> => {
    const query = req.query as Record<string, unknown>;
    const { tfMs } = timeframeParam(query, 'tf', '15m');
    return access.read(async (store) => {
      const r = await rangeParams(store, query, tfMs);
      const liqs = await readLiquidations(store, r.q);
      const trades = (await access.trades.trades(store, r.q)) ?? (await readTrades(store, r.q));
      // Trades only mark clusters revisited: without a liquidation there is no cluster, and they need no pass.
      const [snap] = liquidationSnapshots(liqs, liqs.length > 0 ? trades : undefined, [r.toMs], { bins: LEVEL_BINS });
      const clusters = snap.clusters.map((c) => ({
        side: c.side, low: c.low, high: c.high, peak: c.peak, notional: c.notional, count: c.count,
        firstMs: c.first_ts, lastMs: c.last_ts, revisited: c.revisited, venues: c.venues,
      }));
      const events = { t: [] as number[], price: [] as number[], qty: [] as number[], side: [] as ('long' | 'short')[], venue: [] as LiquidationsResponse['events']['venue'][number][] };
      for (let i = 0; i < liqs.length; i++) {
        events.t.push(liqs.ts[i]);
        events.price.push(liqs.price[i]);
        events.qty.push(liqs.qty[i]);
        // A forced sell (-1) closes a long.
        events.side.push(liqs.side[i] < 0 ? 'long' : 'short');
        events.venue.push(liqs.venues[liqs.venue[i]]);
      }
      let heatmap: HeatmapColumns = { t0: r.fromMs, tfMs, p0: 0, binSize: 0, tIndex: [], pIndex: [], value: [], side: [], max: 0 };
      if (liqs.length > 0) {
        let tick: number;
        try {
          tick = registryTick(r.q.pairs);
        } catch {
          throw badParam('symbol', `symbol: no instrument metadata for ${r.q.pairs.map((p) => p.join(' ')).join(', ')}, so no tick to bin prices on`);
        }
        const bins = tickBins(tick, liqs.price[liqs.length - 1]);
        const g = liquidationHeatmap(liqs, { timeframeMs: tfMs, bins, maxCells: MAX_CELLS });
        const h = { tIndex: [] as number[], pIndex: [] as number[], value: [] as number[], side: [] as (1 | -1)[] };
        let max = 0;
        for (let row = 0; row < g.rows; row++) {
          for (let col = 0; col < g.cols; col++) {
            const i = row * g.cols + col;
            for (const [v, side] of [[g.long[i], 1], [g.short[i], -1]] as const) {
              if (v <= 0) continue;
              h.tIndex.push(row);
              h.pIndex.push(col);
              h.value.push(v);
              h.side.push(side);
              if (v > max) max = v;
            }
          }
        }
        heatmap = { t0: g.bucket_starts[0], tfMs, p0: g.bin_prices[0], binSize: Number((tick * bins.binTicks).toPrecision(12)), ...h, max };
      }
      return { events, clusters, heatmap };
    });
  });

  app.get('/api/predicted-liquidations', async (req): Promise<PredictedLiquidationsResponse> => {
    const query = req.query as Record<string, unknown>;
    return access.read(async (store) => {
      const r = await rangeParams(store, query, 60_000);
      const oi = await readOpenInterest(store, r.q);
      // Each leverage's levels apart (one pass over the trades for the whole mix), so each level says which leverage it comes from.
      const levels: PredictedLiquidationsResponse['levels'][number][] = [];
      const total = DEFAULT_LEVERAGE_MIX.reduce((s, m) => s + m.weight, 0);
      // Positions are opened only by rises in open interest: without any stored, nothing is projected and the trades need no pass.
      const [snaps] = oi.length === 0 ? [[]] : predictedLiquidationsByLeverage(oi, (await access.trades.trades(store, r.q)) ?? (await readTrades(store, r.q)), [r.toMs], { bins: LEVEL_BINS, instruments: loadBundledInstruments(), leverageMix: DEFAULT_LEVERAGE_MIX });
      for (let li = 0; li < snaps.length; li++) {
        const m = DEFAULT_LEVERAGE_MIX[li];
        const snap = snaps[li];
        const w = m.weight / total;
        for (const l of snap.longs) levels.push({ side: 'long', price: l.price, notional: l.notional * w, leverage: m.leverage });
        for (const l of snap.shorts) levels.push({ side: 'short', price: l.price, notional: l.notional * w, leverage: m.leverage });
      }
      levels.sort((a, b) => a.price - b.price || a.leverage - b.leverage);
      const mix = DEFAULT_LEVERAGE_MIX.map((m) => `${m.leverage}x`).join(', ');
      return {
        atMs: r.toMs,
        assumptions: `estimates, not liquidations: each rise in open interest is taken as new positions opened at that time's price (longs in the share of aggressive buying), spread evenly over leverage ${mix}, positions of ${DEFAULT_POSITION_NOTIONAL} quote, each venue's maintenance margin tiers`,
        levels,
      };
    });
  });
}
