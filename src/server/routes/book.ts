/**
 * `GET /api/book-heatmap?symbol&venue&tf&from&to`: one venue's resting size by price over time
 * (books do not add across venues), best bid and ask per column, and the walls the bait detector
 * saw end in the range. The replay starts at the last stored snapshot before `from` (within
 * SNAPSHOT_LOOKBACK_MS), so the first columns have a book; earlier diffs cannot be applied.
 * A range of more than MAX_COLUMNS `tf` columns gets wider ones (`columnMs`), not a refusal: the
 * page asks for the span of its candles, 50k of them and more.
 */
import type { FastifyInstance } from 'fastify';
import type { Venue } from '../../core/events.ts';
import { readBook } from '../../store/book-reader.ts';
import { readTrades } from '../../store/trade-reader.ts';
import { registryTick } from '../../query/market.ts';
import type { BookHeatmapResponse } from '../api.ts';
import { badParam } from '../http-error.ts';
import { tickBins } from '../query/bins.ts';
import { replayBook } from '../query/book-replay.ts';
import { param, rangeParams, timeframeParam } from '../query/params.ts';
import type { StoreAccess } from '../store-access.ts';

const SNAPSHOT_LOOKBACK_MS = 6 * 3_600_000;
/** Columns one answer may hold (each up to 2 x BOOK_DEPTH cells); a longer range gets wider columns. */
export const MAX_COLUMNS = 20_000;
/**
 * The heatmap's column width: `tfMs`, or the smallest multiple of it that keeps the range within
 * MAX_COLUMNS columns (a 50k-bar page of 1m candles gets 3m columns: the book sampled every third
 * candle). Columns stay aligned on the epoch like the candles, so each spans whole candles.
 */
export function columnMs(fromMs: number, toMs: number, tfMs: number): number {
  for (let k = Math.max(1, Math.ceil((toMs - fromMs) / tfMs / MAX_COLUMNS)); ; k++) {
    const w = k * tfMs;
    const t0 = Math.floor(fromMs / w) * w;
    if (Math.ceil((toMs - t0) / w) <= MAX_COLUMNS) return w;
  }
}

/** Cell key = column x ROW_STRIDE + price row: far more rows than 2 x BOOK_DEPTH levels can span. */
const ROW_STRIDE = 1 << 24;

export function bookRoute(app: FastifyInstance, access: StoreAccess): void {
  app.get('/api/book-heatmap', async (req): Promise<BookHeatmapResponse> => {
    const query = req.query as Record<string, unknown>;
    const { tfMs } = timeframeParam(query, 'tf', '1m');
    const venueText = param(query, 'venue');
    return access.read(async (store) => {
      const r = await rangeParams(store, { ...query, ...(venueText === undefined ? {} : { venues: venueText }) }, tfMs);
      const colMs = columnMs(r.fromMs, r.toMs, tfMs);
      // The venue asked for, else the first of the market's with a stored book.
      let pair: [Venue, string] | undefined;
      for (const p of r.q.pairs) {
        const rows = await store.rows('SELECT 1 FROM book WHERE venue::VARCHAR = $1 AND symbol = $2 LIMIT 1', [p[0], p[1]]);
        if (rows.length > 0 || venueText !== undefined) {
          pair = p;
          break;
        }
      }
      if (!pair) throw badParam('venue', `venue: no stored book for ${r.q.pairs.map((p) => p.join(' ')).join(', ')}`);
      const [venue, symbol] = pair;
      let tick: number;
      try {
        tick = registryTick([pair]);
      } catch {
        throw badParam('venue', `venue: no instrument metadata for ${venue} ${symbol}, so no tick to read its book on`);
      }
      const [snap] = await store.rows<{ t: number | null }>(
        'SELECT epoch_us(max(ts))::DOUBLE / 1000 AS t FROM book WHERE venue::VARCHAR = $1 AND symbol = $2 AND is_snapshot AND ts <= make_timestamp($3::BIGINT) AND ts >= make_timestamp($4::BIGINT)',
        [venue, symbol, BigInt(r.fromMs * 1000), BigInt((r.fromMs - SNAPSHOT_LOOKBACK_MS) * 1000)],
      );
      const startMs = snap.t ?? r.fromMs;
      const book = await readBook(store, { venue, symbol, fromMs: startMs, toMs: r.toMs });
      const tq = { venues: [venue], symbols: [symbol], fromMs: startMs, toMs: r.toMs };
      const trades = (await access.trades.trades(store, tq)) ?? (await readTrades(store, tq));
      const replay = replayBook(book, trades, { tick, tfMs: colMs, fromMs: r.fromMs, toMs: r.toMs });
      // Price rows: bins of whole ticks (heatmap rows are linear in price).
      const mid = replay.bestBid.find((x) => Number.isFinite(x)) ?? (trades.length > 0 ? trades.price[0] : NaN);
      const { binTicks } = tickBins(tick, mid);
      const cells = new Map<number, number>();
      let loBin = Infinity;
      for (let i = 0; i < replay.col.length; i++) {
        const bin = Math.floor(replay.index[i] / binTicks);
        if (bin < loBin) loBin = bin;
      }
      for (let i = 0; i < replay.col.length; i++) {
        const key = replay.col[i] * ROW_STRIDE + (Math.floor(replay.index[i] / binTicks) - loBin);
        // Quote notional resting, as every heatmap's value.
        cells.set(key, (cells.get(key) ?? 0) + replay.size[i] * replay.index[i] * tick);
      }
      const tIndex: number[] = [];
      const pIndex: number[] = [];
      const value: number[] = [];
      let max = 0;
      for (const [key, v] of [...cells].sort((a, b) => a[0] - b[0])) {
        tIndex.push(Math.floor(key / ROW_STRIDE));
        pIndex.push(key % ROW_STRIDE);
        value.push(v);
        if (v > max) max = v;
      }
      const binSize = Number((tick * binTicks).toPrecision(12));
      return {
        venue,
        heatmap: { t0: replay.t0, tfMs: colMs, p0: Number.isFinite(loBin) ? Number((loBin * binSize).toPrecision(12)) : 0, binSize, tIndex, pIndex, value, max },
        bestBid: replay.bestBid,
        bestAsk: replay.bestAsk,
        walls: replay.walls
          .filter((w) => w.endTs >= r.fromMs && w.firstSeenTs < r.toMs)
          .map((w) => ({ side: w.side, price: w.price, size: w.peak, outcome: w.outcome, firstMs: w.firstSeenTs, endMs: w.endTs })),
      };
    });
  });
}
