/**
 * `GET /api/candles`: the merged venues' candles of `tf`, and with `footprint=1` every bar's
 * footprint (src/features/footprint.ts), flattened into columns as the wire contract says. One
 * pass over the market's trades (held in memory, or streamed from the store when too large to
 * hold): each candle goes into the columns as the operator emits it, not as candle objects.
 * One market's 1m candles over whole minutes are sliced from the bars held beside its trades
 * (cache/minute-bars.ts), the same numbers without the fold.
 */
import type { FastifyInstance } from 'fastify';
import { decimalsOf, FootprintOperator, levelPrice, type FootprintCandle } from '../../features/footprint.ts';
import { registryTick } from '../../query/market.ts';
import { SPAN_HEADER, type CandlesResponse, type FootprintColumns } from '../api.ts';
import { BAR_MS } from '../cache/minute-bars.ts';
import { badParam } from '../http-error.ts';
import { flagParam, intParam, rangeParams, timeframeParam } from '../query/params.ts';
import type { StoreAccess } from '../store-access.ts';

/** Footprint levels one answer may hold (a bound on its size: about 40 bytes of JSON each). */
export const MAX_FOOTPRINT_LEVELS = 4_000_000;

type Mutable<T> = {
  -readonly [K in keyof T]: T[K] extends readonly (infer E)[] ? E[] : T[K];
};

export function candlesRoute(app: FastifyInstance, access: StoreAccess): void {
  app.get('/api/candles', async (req, reply): Promise<CandlesResponse> => {
    const query = req.query as Record<string, unknown>;
    const { tf, tfMs } = timeframeParam(query);
    const withFootprint = flagParam(query, 'footprint');
    const levelTicks = intParam(query, 'levelTicks', 1, 1_000_000, 1);
    const answer = await access.read(async (store): Promise<CandlesResponse> => {
      const r = await rangeParams(store, query, tfMs, (q) => access.trades.newest(store, q));
      // Whole one-minute bars of one market: sliced from those held beside its trades.
      if (!withFootprint && tfMs === BAR_MS && r.fromMs % BAR_MS === 0 && r.toMs % BAR_MS === 0) {
        const bars = await access.trades.minuteBars(store, r.q);
        if (bars) {
          const { lo, hi } = bars.range(r.fromMs, r.toMs);
          const col = (a: Float64Array | Uint32Array) => Array.from(a.subarray(lo, hi));
          return { symbol: r.symbol, venues: r.q.venues, tf, tfMs, t: col(bars.t), o: col(bars.o), h: col(bars.h), l: col(bars.l), c: col(bars.c), buy: col(bars.buy), sell: col(bars.sell), trades: col(bars.trades) };
        }
      }
      const c: Mutable<Omit<CandlesResponse, 'symbol' | 'venues' | 'tf' | 'tfMs' | 'footprint'>> = { t: [], o: [], h: [], l: [], c: [], buy: [], sell: [], trades: [] };
      let fp: Mutable<FootprintColumns> | undefined;
      let tick = 0;
      if (withFootprint) {
        try {
          tick = registryTick(r.q.pairs);
        } catch {
          throw badParam('symbol', `symbol: no instrument metadata for ${r.q.pairs.map((p) => p.join(' ')).join(', ')}, so no tick to build footprint levels on`);
        }
        fp = { levelSize: Number((tick * levelTicks).toFixed(decimalsOf(tick))), offset: [0], price: [], bid: [], ask: [], bidImb: [], askImb: [], poc: [], vah: [], val: [], stacked: [] };
      } else {
        // Candles alone: any level height does; the coarsest keeps the operator's level arrays short.
        tick = 1;
      }
      const prices = new LevelPrices(tick, levelTicks);
      const onCandle = (k: FootprintCandle) => {
        const bar = c.t.length;
        c.t.push(k.open_time_ms);
        c.o.push(k.open);
        c.h.push(k.high);
        c.l.push(k.low);
        c.c.push(k.close);
        c.buy.push(k.buy_volume);
        c.sell.push(k.sell_volume);
        c.trades.push(k.trades);
        if (!fp) return;
        const lv = k.levels;
        for (let i = 0; i < lv.length; i++) {
          const bid = lv.sellVolume[i];
          const ask = lv.buyVolume[i];
          if (bid === 0 && ask === 0) continue;
          fp.price.push(prices.at(k.low_index + i));
          fp.bid.push(bid);
          fp.ask.push(ask);
          fp.bidImb.push(lv.bidImbalance[i] === 1 ? 1 : 0);
          fp.askImb.push(lv.askImbalance[i] === 1 ? 1 : 0);
        }
        if (fp.price.length > MAX_FOOTPRINT_LEVELS) {
          throw badParam('levelTicks', `footprint of more than ${MAX_FOOTPRINT_LEVELS} levels: raise levelTicks (now ${levelTicks}), take a longer tf or a shorter range`);
        }
        fp.offset.push(fp.price.length);
        fp.poc.push(k.poc);
        fp.vah.push(k.vah);
        fp.val.push(k.val);
        for (const s of k.stacked_bid) fp.stacked.push({ bar, side: 'bid', low: s.low, high: s.high });
        for (const s of k.stacked_ask) fp.stacked.push({ bar, side: 'ask', low: s.low, high: s.high });
      };
      // Without a footprint the level height is the whole price range: one level per candle.
      const op = new FootprintOperator({ timeframeMs: tfMs, tick, levelTicks: withFootprint ? levelTicks : 1e9 }, onCandle);
      for await (const chunk of access.trades.chunks(store, r.q)) op.push(chunk);
      op.flush();
      return { symbol: r.symbol, venues: r.q.venues, tf, tfMs, ...c, ...(fp ? { footprint: fp } : {}) };
    }, /* the main chart's: before the other panes' reads queued meanwhile */ true);
    // The page asks its other panes for the candles' span as soon as this header arrives, while the body is still on its way.
    const t = answer.t;
    if (t.length > 0) void reply.header(SPAN_HEADER, `${t[0]},${t[t.length - 1] + tfMs}`);
    return answer;
  });
}

/** Level prices LevelPrices keeps at most (8 MB). */
const MAX_KNOWN_LEVELS = 1 << 20;

/**
 * levelPrice of each level index, computed once per index: a 50k-bar footprint asks for millions
 * of levels over a few thousand distinct prices, and levelPrice rounds through toFixed.
 */
class LevelPrices {
  private base = 0;
  private known = new Float64Array(0);
  private readonly decimals: number;

  constructor(
    private readonly tick: number,
    private readonly levelTicks: number,
  ) {
    this.decimals = decimalsOf(tick);
  }

  at(index: number): number {
    let k = index - this.base;
    if (k < 0 || k >= this.known.length) {
      // Widen the window to cover the index with room either side; NaN marks a price not yet computed.
      const empty = this.known.length === 0;
      const room = Math.max(256, this.known.length >> 1);
      const lo = (empty ? index : Math.min(index, this.base)) - room;
      const hi = (empty ? index : Math.max(index, this.base + this.known.length - 1)) + room;
      // A range of prices too wide to keep one slot per level: compute each level's price as asked.
      if (hi - lo >= MAX_KNOWN_LEVELS) return levelPrice(index, this.tick, this.levelTicks, this.decimals);
      const next = new Float64Array(hi - lo + 1).fill(NaN);
      if (!empty) next.set(this.known, this.base - lo);
      this.known = next;
      this.base = lo;
      k = index - lo;
    }
    let p = this.known[k];
    if (p !== p) p = this.known[k] = levelPrice(index, this.tick, this.levelTicks, this.decimals);
    return p;
  }
}
