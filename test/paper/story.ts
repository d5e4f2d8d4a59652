/**
 * A market that trades, served by the simulator's loopback exchanges (src/sim/serve.ts) to a
 * paper session: BTC perpetuals on Binance, OKX and Bybit, a trade per venue every second, a long
 * liquidation cluster at 100 early on (a zone), then two minutes of heavy selling into it that
 * does not move price (buyers absorb: the seed strategy goes long) and a slow drift up, with
 * marks, funding and open interest in the tickers and a Binance book; or, `after: 'down'`, a fall
 * of 1 a minute from 100 that crosses the long's stop. The story of
 * test/engine/lookahead.test.ts, on three venues.
 */
import { EMPTY_TICKER_FIELDS, type BookEvent, type BookLevel, type MarketEvent, type Side, type Venue } from '../../src/core/events.ts';
import { everyStreamSubscribed, type SimServing } from '../../src/sim/serve.ts';
import type { SimRun } from '../../src/sim/types.ts';

export const S = 1000;
export const M = 60_000;
export const H = 3_600_000;
export const SYMBOLS = { binance: 'BTCUSDT', okx: 'BTC-USDT-SWAP', bybit: 'BTCUSDT' } as const;
const VENUES: readonly Venue[] = ['binance', 'okx', 'bybit'];
/** Base-asset lot per venue (bundled instruments). */
const LOT: Readonly<Record<string, number>> = { binance: 0.001, okx: 0.0001, bybit: 0.001 };

const px = (x: number) => Math.round(x * 10) / 10;
const qty = (v: Venue, base: number) => Number((Math.round(base / LOT[v]) * LOT[v]).toFixed(4));

export interface StoryOptions {
  /** Exchange time of the first event (a whole minute). */
  readonly t0: number;
  /** Length, ms; default 3 h. */
  readonly spanMs?: number;
  /** Price path after the absorption: 'up' (the long's target), 'down' (its stop), 'flat' (neither: the long stays open). */
  readonly after?: 'up' | 'down' | 'flat';
  /** Only events stamped at or after this (a later part of the same story). */
  readonly fromMs?: number;
  /** Only events stamped before this. */
  readonly toMs?: number;
}

export function storyEvents(o: StoryOptions): MarketEvent[] {
  const D = o.t0;
  const span = o.spanMs ?? 3 * H;
  const out: MarketEvent[] = [];
  const base = (v: Venue, ts: number) => ({ venue: v, symbol: SYMBOLS[v as keyof typeof SYMBOLS], ts, localTs: NaN });
  for (let t = D; t < D + span; t += S) {
    const heavy = t >= D + H + 5 * M && t < D + H + 7 * M;
    const since = t - D - H - 7 * M;
    // After the absorption: a slow drift up (the long's target), or a fall of 1 a minute (its stop, then lower).
    const price = heavy ? 100 : since < 0 ? 101 : o.after === 'down' ? px(100 - Math.min(5, since / M)) : o.after === 'flat' ? 100 : px(101 + Math.min(3, since / (20 * M)));
    const side: Side = heavy || (t / S) % 2 === 1 ? 'sell' : 'buy';
    for (const [k, v] of VENUES.entries()) {
      out.push({ type: 'trade', ...base(v, t + k), price, qty: qty(v, heavy ? 5 : 1), side, id: '' });
    }
    // A small buy on Binance each second of the heavy selling: a market buy fills on a buy-aggressor
    // trade when no fresh book is live (the stored book is diffs after the connect-time snapshot).
    if (heavy) out.push({ type: 'trade', ...base('binance', t + 500), price: 100, qty: 0.001, side: 'buy', id: '' });
    if (t % (10 * S) === 0) {
      for (const [k, v] of VENUES.entries()) {
        out.push({
          type: 'ticker', ...base(v, t + 250 + k), ...EMPTY_TICKER_FIELDS,
          markPrice: price, indexPrice: price, lastPrice: price, fundingRate: 0.0001, nextFundingTs: Math.ceil((t + 1) / (8 * H)) * 8 * H,
          openInterest: 10_000 + (t - D) / M, bestBid: px(price - 0.1), bestBidQty: 1, bestAsk: price, bestAskQty: 1,
        });
      }
    }
    out.push(bookAt(t + 100, price, t % (30 * S) === 0));
  }
  // Longs wiped out at 100: the zone the absorption happens in (distinct sizes: Binance's
  // forceOrder has no id and the client drops repeats).
  for (let k = 0; k < 5; k++) out.push({ type: 'liquidation', ...base('binance', D + 10 * M + k * S + 500), price: 100, qty: 10 + k * 0.1, side: 'sell', id: '' });
  out.push({ type: 'liquidation', ...base('binance', D + 10 * M + 20 * S), price: 95, qty: 0.1, side: 'sell', id: '' });
  out.push({ type: 'liquidation', ...base('binance', D + 10 * M + 21 * S), price: 96, qty: 0.1, side: 'sell', id: '' });
  for (const [at, p] of [[H + 20 * M, 101.5], [H + 45 * M, 103], [2 * H + 15 * M, 104]] as const) {
    for (let k = 0; k < 4; k++) out.push({ type: 'liquidation', ...base('binance', D + at + k * S + 300), price: p, qty: 8 + k * 0.1, side: k % 2 ? 'buy' : 'sell', id: '' });
  }
  // Per venue, ids consecutive in time order: a hole in Binance's aggregate ids or OKX's trade ids is a gap the client back-fills (the extra buys included).
  const next = new Map<Venue, number>();
  for (const e of out.sort((a, b) => a.ts - b.ts)) {
    if (e.type !== 'trade') continue;
    const id = (next.get(e.venue) ?? 0) + 1;
    next.set(e.venue, id);
    (e as { id: string }).id = e.venue === 'bybit' ? `00000000-0000-4000-8000-${id.toString(16).padStart(12, '0')}` : String(id);
  }
  const kept = out.filter((e) => e.ts < D + span && e.ts >= (o.fromMs ?? -Infinity) && e.ts < (o.toMs ?? Infinity));
  return kept.sort((a, b) => a.ts - b.ts);
}

/** Ten levels a side around `price` on Binance (a snapshot, or a diff of the same levels). */
function bookAt(ts: number, price: number, isSnapshot: boolean): BookEvent {
  const bids: BookLevel[] = Array.from({ length: 10 }, (_, k) => [px(price - 0.1 * (k + 1)), 50]);
  const asks: BookLevel[] = Array.from({ length: 10 }, (_, k) => [px(price + 0.1 * (k + 1)), 50]);
  return { type: 'book', venue: 'binance', symbol: 'BTCUSDT', ts, localTs: NaN, isSnapshot, bids, asks, seq: NaN };
}

/** The story as a SimRun for serveSimulation. */
export function storyRun(events: readonly MarketEvent[], t0: number): SimRun {
  return {
    config: { scenario: 'quiet', seed: 1, startMs: t0, durationMs: events.length ? events[events.length - 1].ts - t0 + 1 : 0, symbol: 'BTC', venues: VENUES },
    symbols: SYMBOLS,
    events: () => events[Symbol.iterator](),
    labels: () => ({ scenario: 'quiet', seed: 1, symbol: 'BTC', labels: [] }),
  };
}

/** The strategy config the tests trade with (short absorption look-back so the story trades). */
export const STORY_CONFIG = { nullModel: { seeds: 0 }, signals: { absorption: { lookbackWindows: 5 } } };

/** Every stream the paper session subscribes to is subscribed on the loopback servers: the feed may start. */
export function allSubscribed(s: SimServing): boolean {
  return everyStreamSubscribed(s, SYMBOLS);
}

/**
 * The next whole hour (or whole `unit`: a day for a story whose market sessions must not depend on
 * the hour the test runs) at least `aheadMs` from now: a story stamped after anything the servers
 * stamp with the wall clock, and on the hour (where its absorption falls against the epoch-aligned
 * 1-minute windows and zone refreshes matters: the story is tuned on the hour).
 */
export function storyStart(aheadMs = 5000, unit = H): number {
  return Math.ceil((Date.now() + aheadMs) / unit) * unit;
}

/** Publish events on the running servers directly (as serveSimulation routes them), e.g. while no client listens. */
export function publish(s: SimServing, events: readonly MarketEvent[]): void {
  const bybit: MarketEvent[] = [];
  for (const ev of events) {
    if (ev.venue === 'binance') s.servers.binance.publish(ev);
    else if (ev.venue === 'okx') s.servers.okx.publish(ev);
    else bybit.push(ev);
  }
  if (bybit.length > 0) s.servers.bybit.publish(...bybit);
}
