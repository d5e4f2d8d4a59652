/**
 * Generated wire responses (src/server/api.ts shapes) for the plugin examples, from a seeded
 * random walk: the examples run the same data.ts conversions as the dashboard, with no server.
 */
import type { BookHeatmapResponse, CandlesResponse, LiquidationsResponse, PredictedLiquidationsResponse, PrintsResponse, SessionsResponse } from '../../../api.ts';

/** mulberry32: small, seeded, good enough for pictures. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const T0 = Date.UTC(2026, 0, 5, 0, 0);

/** `bars` one-minute bars around 50 000 with a footprint of `levelSize` levels. */
export function exampleCandles(bars: number, levelSize = 5, seed = 1): CandlesResponse {
  const r = rng(seed);
  const tfMs = 60_000;
  const t: number[] = [], o: number[] = [], h: number[] = [], l: number[] = [], c: number[] = [];
  const buy: number[] = [], sell: number[] = [], trades: number[] = [];
  const offset: number[] = [0], price: number[] = [], bid: number[] = [], ask: number[] = [];
  const bidImb: (0 | 1)[] = [], askImb: (0 | 1)[] = [], poc: number[] = [], vah: number[] = [], val: number[] = [];
  const stacked: { bar: number; side: 'bid' | 'ask'; low: number; high: number }[] = [];
  let last = 50_000;
  for (let i = 0; i < bars; i++) {
    const open = last;
    const drift = (r() - 0.5) * levelSize * 8;
    const close = Math.max(levelSize * 10, open + drift);
    const high = Math.max(open, close) + r() * levelSize * 3;
    const low = Math.min(open, close) - r() * levelSize * 3;
    t.push(T0 + i * tfMs); o.push(open); h.push(high); l.push(low); c.push(close);
    const lo = Math.floor(low / levelSize) * levelSize;
    const hi = Math.floor(high / levelSize) * levelSize;
    let best = -1, bestP = lo, sb = 0, sa = 0;
    const up = close >= open;
    let run = 0, runSide: 'bid' | 'ask' | '' = '', runLow = 0;
    for (let p = lo; p <= hi + 1e-9; p += levelSize) {
      const centre = 1 - Math.abs((p - (lo + hi) / 2) / ((hi - lo) / 2 + levelSize));
      const b = Math.round((0.5 + r() * 20 * centre * (up ? 0.7 : 1.3)) * 100) / 100;
      const a = Math.round((0.5 + r() * 20 * centre * (up ? 1.3 : 0.7)) * 100) / 100;
      price.push(p); bid.push(b); ask.push(a);
      const ai: 0 | 1 = a >= 3 * b ? 1 : 0;
      const bi: 0 | 1 = b >= 3 * a ? 1 : 0;
      askImb.push(ai); bidImb.push(bi);
      const side = ai ? 'ask' : bi ? 'bid' : '';
      if (side && side === runSide) run++;
      else {
        if (run >= 3 && runSide) stacked.push({ bar: i, side: runSide, low: runLow, high: p - levelSize });
        run = side ? 1 : 0; runSide = side; runLow = p;
      }
      if (a + b > best) { best = a + b; bestP = p; }
      sb += b; sa += a;
    }
    if (run >= 3 && runSide) stacked.push({ bar: i, side: runSide, low: runLow, high: hi });
    offset.push(price.length);
    poc.push(bestP);
    vah.push(Math.min(hi, bestP + 2 * levelSize));
    val.push(Math.max(lo, bestP - 2 * levelSize));
    buy.push(sa); sell.push(sb); trades.push(Math.round((sa + sb) * 10));
    last = close;
  }
  return {
    symbol: 'BTCUSDT', venues: ['binance'], tf: '1m', tfMs, t, o, h, l, c, buy, sell, trades,
    footprint: { levelSize, offset, price, bid, ask, bidImb, askImb, poc, vah, val, stacked },
  };
}

/** Liquidations near the candles: a heatmap over the second half, clusters, events. */
export function exampleLiquidations(candles: CandlesResponse, seed = 2): LiquidationsResponse {
  const r = rng(seed);
  const n = candles.t.length;
  const binSize = 10;
  const lows = Math.min(...candles.l);
  const p0 = Math.floor(lows / binSize) * binSize - 200;
  const tIndex: number[] = [], pIndex: number[] = [], value: number[] = [], side: (1 | -1)[] = [];
  let max = 0;
  for (let i = Math.floor(n / 2); i < n; i++) {
    for (let k = 0; k < 4; k++) {
      const s: 1 | -1 = r() < 0.5 ? 1 : -1;
      const price = s === 1 ? candles.l[i] - r() * 30 : candles.h[i] + r() * 30;
      const v = Math.round(r() * r() * 2_000_000);
      tIndex.push(i); pIndex.push(Math.floor((price - p0) / binSize)); value.push(v); side.push(s);
      max = Math.max(max, v);
    }
  }
  const mid = candles.c[Math.floor(n / 3)];
  return {
    events: { t: [], price: [], qty: [], side: [], venue: [] },
    clusters: [
      { side: 'long', low: mid - 60, high: mid - 40, peak: mid - 50, notional: 4e6, count: 40, firstMs: candles.t[Math.floor(n / 3)], lastMs: candles.t[Math.floor(n / 3) + 3], revisited: false, venues: ['binance'] },
      { side: 'short', low: mid + 40, high: mid + 55, peak: mid + 50, notional: 2e6, count: 22, firstMs: candles.t[Math.floor(n / 4)], lastMs: candles.t[Math.floor(n / 4) + 2], revisited: true, venues: ['okx', 'bybit'] },
    ],
    heatmap: { t0: candles.t[0], tfMs: candles.tfMs, p0, binSize, tIndex, pIndex, value, side, max },
  };
}

export function examplePredicted(candles: CandlesResponse): PredictedLiquidationsResponse {
  const last = candles.c[candles.c.length - 1];
  return {
    atMs: candles.t[candles.t.length - 1],
    assumptions: 'example',
    levels: [
      { side: 'long', price: last * 0.999, notional: 5e6, leverage: 25 },
      { side: 'long', price: last * 0.9985, notional: 8e6, leverage: 10 },
      { side: 'short', price: last * 1.001, notional: 6e6, leverage: 25 },
    ],
  };
}

/** A resting book around the candles' closes, with a bid wall pulled and an ask wall consumed. */
export function exampleBook(candles: CandlesResponse, seed = 3): BookHeatmapResponse {
  const r = rng(seed);
  const n = candles.t.length;
  const binSize = 5;
  const lows = Math.min(...candles.l);
  const p0 = Math.floor(lows / binSize) * binSize - 100;
  const tIndex: number[] = [], pIndex: number[] = [], value: number[] = [];
  const bestBid: number[] = [], bestAsk: number[] = [];
  let max = 0;
  for (let i = 0; i < n; i++) {
    const bb = Math.floor(candles.c[i] / binSize) * binSize;
    bestBid.push(bb); bestAsk.push(bb + binSize);
    for (let k = 1; k <= 16; k++) {
      for (const s of [-1, 1]) {
        const p = s < 0 ? bb - (k - 1) * binSize : bb + k * binSize;
        const v = Math.round(8 + r() * 12 + (k % 5 === 0 ? 150 * (0.5 + r()) : 0));
        tIndex.push(i); pIndex.push(Math.round((p - p0) / binSize)); value.push(v);
        max = Math.max(max, v);
      }
    }
  }
  const c = candles.c[Math.floor(n / 2)];
  return {
    venue: 'binance',
    heatmap: { t0: candles.t[0], tfMs: candles.tfMs, p0, binSize, tIndex, pIndex, value, max },
    bestBid, bestAsk,
    walls: [
      { side: 'bid', price: c - 40, size: 300, outcome: 'pulled', firstMs: candles.t[Math.floor(n / 4)], endMs: candles.t[Math.floor(n / 2)] },
      { side: 'ask', price: c + 30, size: 250, outcome: 'consumed', firstMs: candles.t[Math.floor(n / 3)], endMs: candles.t[Math.floor((2 * n) / 3)] },
      { side: 'bid', price: c - 20, size: 400, outcome: 'bait', firstMs: candles.t[Math.floor(n / 2)], endMs: candles.t[Math.floor(n / 2) + 5] },
    ],
  };
}

export function examplePrints(candles: CandlesResponse, count: number, seed = 4): PrintsResponse {
  const r = rng(seed);
  const n = candles.t.length;
  const out = { minNotional: 100_000, t: [] as number[], price: [] as number[], qty: [] as number[], notional: [] as number[], side: [] as (1 | -1)[], venue: [] as PrintsResponse['venue'][number][] };
  for (let k = 0; k < count; k++) {
    const i = Math.floor(r() * n);
    const price = candles.l[i] + r() * (candles.h[i] - candles.l[i]);
    const notional = 100_000 * (1 + 30 * r() * r());
    out.t.push(candles.t[i] + Math.floor(r() * candles.tfMs)); out.price.push(price);
    out.qty.push(notional / price); out.notional.push(notional);
    out.side.push(r() < 0.5 ? 1 : -1); out.venue.push('binance');
  }
  return out;
}

export function exampleSessions(fromMs: number, toMs: number): SessionsResponse {
  const spans: { name: string; fromMs: number; toMs: number }[] = [];
  const day = 86_400_000;
  const h = 3_600_000;
  for (let d = Math.floor(fromMs / day) * day; d < toMs; d += day) {
    spans.push({ name: 'Asia', fromMs: d, toMs: d + 8 * h }, { name: 'Europe', fromMs: d + 7 * h, toMs: d + 16 * h }, { name: 'US', fromMs: d + 13 * h + h / 2, toMs: d + 20 * h });
  }
  return { spans };
}
