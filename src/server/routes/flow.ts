/**
 * Order flow by size and by venue, and the derivatives state: `GET /api/sizes` (delta per size
 * bucket, src/features/sizes.ts), `GET /api/prints` (big prints: merged aggressor orders at or
 * above the large bucket, or `minNotional`), `GET /api/agreement` (the venues' agreement strip,
 * src/features/venues.ts) and `GET /api/market-state` (open interest and funding per venue, per bar).
 */
import type { FastifyInstance } from 'fastify';
import type { Venue } from '../../core/events.ts';
import { classifyPrintClasses, mergeFlowPrints, SizeFlowOperator, type BigPrint, type SizeBar, type SizeFlowOptions } from '../../features/sizes.ts';
import type { Store } from '../../store/store.ts';
import { crossVenueBatch } from '../../features/venues.ts';
import { readTrades, streamTrades, type TradeQuery } from '../../store/trade-reader.ts';
import type { AgreementResponse, MarketStateResponse, PrintsResponse, SizesResponse } from '../api.ts';
import { numberParam, rangeParams, timeframeParam } from '../query/params.ts';
import { bigPrintColumns, classifiedRange, sizeDeltaColumns, type ClassifiedPrints } from '../query/size-columns.ts';
import { BAR_MS } from '../cache/minute-bars.ts';
import type { TradeColumns } from '../../core/columns.ts';
import type { StoreAccess } from '../store-access.ts';

/** Big prints one answer lists at most (the largest kept). */
const MAX_PRINTS = 20_000;

export function flowRoutes(app: FastifyInstance, access: StoreAccess): void {
  app.get('/api/sizes', async (req): Promise<SizesResponse> => {
    const query = req.query as Record<string, unknown>;
    const { tfMs } = timeframeParam(query, 'tf', '15m');
    return access.read(async (store) => {
      const r = await rangeParams(store, query, tfMs);
      const held = await sizePrints(access, store, r.q);
      if (held) {
        const { t, delta, thresholds: th } = sizeDeltaColumns(held.prints, held.classes, tfMs);
        return { tfMs, t, thresholds: th ? [th[0], th[1], finiteOr(th[2], Number.MAX_VALUE)] : [0, 0, 0], delta: { small: delta[0], medium: delta[1], large: delta[2], whale: delta[3] } };
      }
      const bars = await storeSizeBars(store, r.q, { timeframeMs: tfMs, bigPrintMin: 'none' });
      const last = bars.at(-1);
      return {
        tfMs,
        t: bars.map((b) => b.open_time_ms),
        thresholds: last ? [last.medium_min, last.large_min, finiteOr(last.whale_min, Number.MAX_VALUE)] : [0, 0, 0],
        delta: {
          small: bars.map((b) => b.small.delta_notional),
          medium: bars.map((b) => b.medium.delta_notional),
          large: bars.map((b) => b.large.delta_notional),
          whale: bars.map((b) => b.whale.delta_notional),
        },
      };
    });
  });

  app.get('/api/prints', async (req): Promise<PrintsResponse> => {
    const query = req.query as Record<string, unknown>;
    const minNotional = numberParam(query, 'minNotional', 0, NaN);
    return access.read(async (store) => {
      const r = await rangeParams(store, query, 60_000);
      // The size classifier's large bucket unless a floor is given: the same prints `orderflow sizes` lists.
      const minBucket = Number.isNaN(minNotional) ? 'large' : 'small';
      const held = await sizePrints(access, store, r.q);
      if (held) {
        const { largeMin, ...columns } = bigPrintColumns(held.prints, held.classes, { timeframeMs: 60_000, minBucket, ...(Number.isNaN(minNotional) ? {} : { minNotional }), max: MAX_PRINTS });
        return { minNotional: Number.isNaN(minNotional) ? finiteOr(largeMin, 0) : minNotional, ...columns };
      }
      const big: BigPrint[] = [];
      let largeMin = Infinity;
      for (const b of await storeSizeBars(store, r.q, { timeframeMs: 60_000, bigPrintMin: minBucket })) {
        largeMin = Math.min(largeMin, b.large_min);
        for (const p of b.big_prints) if (Number.isNaN(minNotional) || p.notional >= minNotional) big.push(p);
      }
      const kept = big.length <= MAX_PRINTS ? big : [...big].sort((a, b) => b.notional - a.notional).slice(0, MAX_PRINTS).sort((a, b) => a.ts - b.ts);
      return {
        minNotional: Number.isNaN(minNotional) ? finiteOr(largeMin, 0) : minNotional,
        t: kept.map((p) => p.ts),
        price: kept.map((p) => p.price),
        qty: kept.map((p) => p.qty),
        notional: kept.map((p) => p.notional),
        side: kept.map((p) => (p.side === 'buy' ? 1 : -1)),
        venue: kept.map((p) => p.venue),
      };
    });
  });

  app.get('/api/agreement', async (req): Promise<AgreementResponse> => {
    const query = req.query as Record<string, unknown>;
    const { tfMs } = timeframeParam(query, 'tf', '5m');
    return access.read(async (store) => {
      const r = await rangeParams(store, query, tfMs);
      // Windows are independent of each other: bounds on window edges take their windows from the whole held history's.
      const whole = r.fromMs % tfMs === 0 && r.toMs % tfMs === 0 ? await access.trades.whole(`agreement ${tfMs}`, store, r.q, 'range', (t) => agreementOf(t, tfMs)) : undefined;
      if (whole) return { tfMs, ...windowsIn(whole.value, r.fromMs, r.toMs) };
      return { tfMs, ...agreementOf((await access.trades.trades(store, r.q)) ?? (await readTrades(store, r.q)), tfMs) };
    });
  });

  app.get('/api/market-state', async (req): Promise<MarketStateResponse> => {
    const query = req.query as Record<string, unknown>;
    const { tfMs } = timeframeParam(query, 'tf', '15m');
    return access.read(async (store) => {
      const r = await rangeParams(store, query, tfMs);
      const venues: MarketStateResponse['venues'] = {};
      for (const [venue, symbol] of r.q.pairs) {
        // Each bar's last value of each: open interest is a level, funding the rate in force.
        const rows = await store.rows<{ t: number; oi: number | null; fr: number | null }>(
          `SELECT floor(epoch_ms(ts) / $3) * $3 AS t, arg_max(open_interest, ts) FILTER (WHERE open_interest IS NOT NULL) AS oi,
                  arg_max(funding_rate, ts) FILTER (WHERE funding_rate IS NOT NULL) AS fr
           FROM tickers WHERE venue::VARCHAR = $1 AND symbol = $2 AND ts >= make_timestamp($4::BIGINT) AND ts < make_timestamp($5::BIGINT)
           GROUP BY 1 ORDER BY 1`,
          [venue, symbol, tfMs, BigInt(r.fromMs * 1000), BigInt(r.toMs * 1000)],
        );
        if (rows.length === 0) continue;
        const s = { t: [] as number[], openInterest: [] as (number | null)[], fundingRate: [] as (number | null)[] };
        let oi: number | null = null;
        let fr: number | null = null;
        for (const row of rows) {
          oi = row.oi ?? oi;
          fr = row.fr ?? fr;
          s.t.push(Number(row.t));
          s.openInterest.push(oi);
          s.fundingRate.push(fr);
        }
        venues[venue as Venue] = s;
      }
      return { tfMs, venues };
    });
  });
}

/** SizeFlowOperator's bars of the query's trades, streamed from the store (a market too large to hold in memory). */
async function storeSizeBars(store: Store, q: TradeQuery, opts: Omit<SizeFlowOptions, 'thresholds'>): Promise<SizeBar[]> {
  const bars: SizeBar[] = [];
  const op = new SizeFlowOperator(opts, (b) => bars.push(b));
  for await (const chunk of streamTrades(store, q)) op.push(chunk);
  op.flush();
  return bars;
}

/**
 * The query's prints merged and classified (default thresholds), kept for the range and rows;
 * undefined when its trades are not held. Taken from the whole held history's classified prints
 * when those are kept or worth computing (TradeCache.whole: classifiedRange classifies only the
 * range's first window afresh), else computed for the range.
 */
async function sizePrints(access: StoreAccess, store: Store, q: TradeQuery): Promise<ClassifiedPrints | undefined> {
  const whole = await access.trades.whole('size prints', store, q, 'range', classifiedPrints);
  if (whole) return access.trades.derived('size prints of range', JSON.stringify([whole.key, q.fromMs ?? null, q.toMs ?? null]), () => classifiedRange(whole.value, q.fromMs, q.toMs));
  const held = await access.trades.held(store, q);
  if (!held) return undefined;
  return access.trades.derived('size prints', held.key, () => classifiedPrints(held.trades));
}

function classifiedPrints(trades: TradeColumns): ClassifiedPrints {
  const prints = mergeFlowPrints(trades);
  return { prints, classes: classifyPrintClasses(prints) };
}

/**
 * What the server's start-up fill computes for each stored market's default view (every venue)
 * whose history one page may ask for whole: the classified prints of sizes and prints, and the
 * agreement windows at the default timeframe, so the first page load takes its range of them.
 */
export async function warmFlow(access: StoreAccess, store: Store, q: TradeQuery): Promise<void> {
  await access.trades.whole('size prints', store, q, 'view', classifiedPrints);
  await access.trades.whole(`agreement ${BAR_MS}`, store, q, 'view', (t) => agreementOf(t, BAR_MS));
}

interface AgreementColumns {
  readonly t: number[];
  readonly agreement: number[];
  readonly leader: (Venue | '')[];
}

function agreementOf(trades: TradeColumns, tfMs: number): AgreementColumns {
  const windows = crossVenueBatch(trades, { timeframeMs: tfMs });
  return {
    t: windows.map((w) => w.window_start),
    agreement: windows.map((w) => w.agreement),
    leader: windows.map((w) => leaderOf(w.lead_lag.map((l) => l.leader))),
  };
}

/** The windows opening in [fromMs, toMs). */
function windowsIn(a: AgreementColumns, fromMs: number, toMs: number): AgreementColumns {
  const lo = firstAtOrAfter(a.t, fromMs);
  const hi = Math.max(lo, firstAtOrAfter(a.t, toMs));
  return { t: a.t.slice(lo, hi), agreement: a.agreement.slice(lo, hi), leader: a.leader.slice(lo, hi) };
}

function firstAtOrAfter(t: readonly number[], x: number): number {
  let lo = 0;
  let hi = t.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (t[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function finiteOr(x: number, fallback: number): number {
  return Number.isFinite(x) ? x : fallback;
}

/** The venue that leads most of the window's pairs, '' when none does. */
function leaderOf(leaders: readonly (Venue | null)[]): Venue | '' {
  const n = new Map<Venue, number>();
  for (const l of leaders) if (l) n.set(l, (n.get(l) ?? 0) + 1);
  let best: Venue | '' = '';
  let most = 0;
  for (const [v, k] of n) if (k > most) [best, most] = [v, k];
  return best;
}
