/**
 * `GET /api/tape?symbol&venues&limit`: the newest trades and liquidations, newest last. A trade is
 * `large` at or above the large-size threshold: the 95th percentile of fill notional over the
 * market's last day (DEFAULT_PERCENTILES[1] of src/features/sizes.ts; its fixed fallback under
 * 1000 fills), so the highlight adapts per symbol as the size buckets do.
 */
import type { FastifyInstance } from 'fastify';
import type { Venue } from '../../core/events.ts';
import { DEFAULT_FALLBACK, DEFAULT_PERCENTILES } from '../../features/sizes.ts';
import type { Store } from '../../store/store.ts';
import type { TapeResponse, TapeRow } from '../api.ts';
import { intParam, latestTradeMs, marketParam } from '../query/params.ts';
import { marketQueryOf } from '../../query/market.ts';
import { loadBundledInstruments } from '../../venues/bundled-instruments.ts';
import type { StoreAccess } from '../store-access.ts';

const DAY_MS = 86_400_000;

function pairsWhere(pairs: readonly (readonly [Venue, string])[], values: unknown[]): string {
  return pairs
    .map(([v, s]) => {
      values.push(v, s);
      return `(venue::VARCHAR = $${values.length - 1} AND symbol = $${values.length})`;
    })
    .join(' OR ');
}

/** The large-print notional threshold of the market over the day before `atMs`. */
export async function largeThreshold(store: Store, pairs: readonly (readonly [Venue, string])[], atMs: number): Promise<number> {
  const values: unknown[] = [];
  const where = pairsWhere(pairs, values);
  values.push(BigInt(Math.round((atMs - DAY_MS) * 1000)));
  const rows = await store.rows<{ q: number | null; n: bigint }>(
    `SELECT quantile_cont(price * qty, ${DEFAULT_PERCENTILES[1]}) AS q, count(*) AS n FROM trades WHERE (${where}) AND ts >= make_timestamp($${values.length}::BIGINT)`,
    values as never,
  );
  const r = rows[0];
  return r && r.q !== null && Number(r.n) >= 1000 ? r.q : DEFAULT_FALLBACK[1];
}

export function tapeRoute(app: FastifyInstance, access: StoreAccess): void {
  app.get('/api/tape', async (req): Promise<TapeResponse> => {
    const query = req.query as Record<string, unknown>;
    const limit = intParam(query, 'limit', 1, 5000, 200);
    return access.read(async (store) => {
      const { symbol, pairs } = await marketParam(store, query);
      const latest = (await access.trades.newest(store, marketQueryOf(loadBundledInstruments(), symbol, pairs, undefined, undefined))) ?? (await latestTradeMs(store, pairs)) ?? Date.now();
      const large = await largeThreshold(store, pairs, latest);
      const values: unknown[] = [];
      const where = pairsWhere(pairs, values);
      values.push(limit);
      const rows = await store.rows<{ t: number; venue: Venue; kind: 'trade' | 'liquidation'; price: number; qty: number; side: 'buy' | 'sell' }>(
        `SELECT * FROM (
           (SELECT epoch_us(ts)::DOUBLE / 1000 AS t, venue::VARCHAR AS venue, 'trade' AS kind, price, qty, side::VARCHAR AS side FROM trades WHERE ${where} ORDER BY ts DESC LIMIT $${values.length})
           UNION ALL
           (SELECT epoch_us(ts)::DOUBLE / 1000 AS t, venue::VARCHAR AS venue, 'liquidation' AS kind, price, qty, side::VARCHAR AS side FROM liquidations WHERE ${where} ORDER BY ts DESC LIMIT $${values.length})
         ) ORDER BY t DESC LIMIT $${values.length}`,
        values as never,
      );
      const out: TapeRow[] = rows.reverse().map((r) => {
        const notional = r.price * r.qty;
        // A forced sell closes a long: the side liquidated.
        const side = r.kind === 'trade' ? r.side : r.side === 'sell' ? 'long' : 'short';
        return { t: r.t, venue: r.venue, kind: r.kind, price: r.price, qty: r.qty, side, notional, large: r.kind === 'trade' && notional >= large };
      });
      return { rows: out };
    });
  });
}
