/**
 * Two weeks of a thin market for a paper session served at speed (test/paper/weeks.test.ts): BTC
 * perpetuals on Binance, OKX and Bybit, a trade per venue every two minutes and a ticker (mark,
 * funding every 8 h, open interest) every ten, and once a day the story of test/paper/story.ts: a long
 * liquidation cluster at 100, an hour later two minutes of heavy selling into it that does not
 * move price (the seed strategy buys the absorption), then a drift up (its target) on even days
 * or a fall of 1 a minute (its stop) on odd ones. Episodes start at a different hour each day
 * (t0's hour, then 5, 10 and 15 h later): from a t0 at midnight UTC the absorptions fall at about
 * 01:06 and 06:06 (Asia), 11:06 (Europe) and 16:06 (US), UTC; from another hour the market sessions
 * differ (from 14:00, none in Europe). About 45,000 events.
 */
import { EMPTY_TICKER_FIELDS, type MarketEvent, type Side, type Venue } from '../../src/core/events.ts';
import { H, M, S, SYMBOLS } from './story.ts';

export const DAY = 86_400_000;
const VENUES: readonly Venue[] = ['binance', 'okx', 'bybit'];
const LOT: Readonly<Record<string, number>> = { binance: 0.001, okx: 0.0001, bybit: 0.001 };
const px = (x: number) => Math.round(x * 10) / 10;
const qty = (v: Venue, base: number) => Number((Math.round(base / LOT[v]) * LOT[v]).toFixed(4));

/** When day `d`'s episode starts (a whole hour, 5 h later each day: Asia, Europe and US all get some). */
export const episodeStart = (t0: number, d: number): number => t0 + d * DAY + ((d * 5) % 20) * H;

/** The price at `t`: 101, held at 100 through an episode's heavy selling, then up to 104 or down to 95 for three hours. */
function priceAt(t0: number, days: number, t: number): { price: number; heavy: boolean } {
  for (let d = 0; d < days; d++) {
    const e = episodeStart(t0, d);
    if (t < e + H + 5 * M || t >= e + 4 * H + 7 * M) continue;
    if (t < e + H + 7 * M) return { price: 100, heavy: true };
    const since = t - e - H - 7 * M;
    return { price: d % 2 === 0 ? px(101 + Math.min(3, since / (20 * M))) : px(100 - Math.min(5, since / M)), heavy: false };
  }
  return { price: 101, heavy: false };
}

export function twoWeeks(t0: number, days = 14): MarketEvent[] {
  const out: MarketEvent[] = [];
  const base = (v: Venue, ts: number) => ({ venue: v, symbol: SYMBOLS[v as keyof typeof SYMBOLS], ts, localTs: NaN });
  const end = t0 + days * DAY;
  const trades = (t: number, price: number, size: number, side: Side) => {
    for (const [k, v] of VENUES.entries()) out.push({ type: 'trade', ...base(v, t + k), price, qty: qty(v, size), side, id: '' });
  };
  for (let t = t0; t < end; t += 2 * M) {
    const { price } = priceAt(t0, days, t);
    trades(t, price, 1, (t / (2 * M)) % 2 === 1 ? 'sell' : 'buy');
    if (t % (10 * M) === 0) {
      for (const [k, v] of VENUES.entries()) {
        out.push({
          type: 'ticker', ...base(v, t + 250 + k), ...EMPTY_TICKER_FIELDS,
          markPrice: price, indexPrice: price, lastPrice: price, fundingRate: 0.0001, nextFundingTs: Math.ceil((t + 1) / (8 * H)) * 8 * H,
          openInterest: 10_000 + (t - t0) / M, bestBid: px(price - 0.1), bestBidQty: 1, bestAsk: price, bestAskQty: 1,
        });
      }
    }
  }
  for (let d = 0; d < days; d++) {
    const e = episodeStart(t0, d);
    // Longs wiped out at 100 (distinct sizes: Binance's forceOrder has no id and the client drops repeats).
    for (let k = 0; k < 5; k++) out.push({ type: 'liquidation', ...base('binance', e + 10 * M + k * S + 500), price: 100, qty: 10 + k * 0.1 + d * 0.01, side: 'sell', id: '' });
    // Small ones away from it: the bins a cluster stands out against.
    out.push({ type: 'liquidation', ...base('binance', e + 10 * M + 20 * S), price: 95, qty: 0.1, side: 'sell', id: '' });
    out.push({ type: 'liquidation', ...base('binance', e + 10 * M + 21 * S), price: 96, qty: 0.1, side: 'sell', id: '' });
    // The heavy selling, a second at a time between the thin market's trades, and a small buy on Binance
    // each second (a market buy fills on a buy-aggressor trade: the session has no book).
    for (let t = e + H + 5 * M; t < e + H + 7 * M; t += S) {
      if (t % (2 * M) !== 0) trades(t, 100, 5, 'sell');
      out.push({ type: 'trade', ...base('binance', t + 500), price: 100, qty: 0.001, side: 'buy', id: '' });
    }
  }
  // Per venue, ids consecutive in time order (a hole is a gap the client back-fills).
  const next = new Map<Venue, number>();
  out.sort((a, b) => a.ts - b.ts);
  for (const e of out) {
    if (e.type !== 'trade') continue;
    const id = (next.get(e.venue) ?? 0) + 1;
    next.set(e.venue, id);
    (e as { id: string }).id = e.venue === 'bybit' ? `00000000-0000-4000-8000-${id.toString(16).padStart(12, '0')}` : String(id);
  }
  return out.filter((e) => e.ts < end);
}
