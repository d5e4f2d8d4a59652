/**
 * The live source of `serve --bus`: a market's trades, liquidations and tickers as the recorder
 * fleet publishes them (BusFeed on md.<venue>.<symbol>.*), held between two polls of the hub and
 * taken by the next one as the same messages the store tail makes. The store is not read for
 * them, so a dashboard shows the market live even where nothing writes into its --home (the
 * sinks write a lake elsewhere); the book heatmap and the paper session still come from the store.
 */
import type { CaptureRecord, Venue } from '../../core/events.ts';
import { BusFeed } from '../../bus/bus-feed.ts';
import type { Bus } from '../../bus/connection.ts';
import type { MarketStateMessage, TailBatch } from './store-tail.ts';

interface Prints {
  t: number[];
  price: number[];
  qty: number[];
  side: number[];
  venue: Venue[];
}

const empty = (): Prints => ({ t: [], price: [], qty: [], side: [], venue: [] });

export class BusTail {
  private trades = empty();
  private liqs = empty();
  private tickers = new Map<Venue, { -readonly [K in keyof MarketStateMessage]: MarketStateMessage[K] }>();
  private readonly feed: BusFeed;

  constructor(bus: Bus, pairs: readonly (readonly [Venue, string])[], o: { stream?: string; onBadBatch?: (subject: string, e: Error) => void } = {}) {
    const symbols = new Map<Venue, string[]>();
    for (const [v, s] of pairs) symbols.set(v, [...(symbols.get(v) ?? []), s]);
    this.feed = new BusFeed(bus, { symbols, types: ['trade', 'liquidation', 'ticker'], stream: o.stream, onBadBatch: o.onBadBatch, handlers: { onEvents: (records) => this.add(records) } });
  }

  /** Resolves once every consumer delivers (from the next batch published on). */
  start(): Promise<void> {
    return this.feed.start();
  }

  stop(): Promise<void> {
    return this.feed.stop();
  }

  private add(records: readonly CaptureRecord[]): void {
    for (const r of records) {
      if (r.type === 'trade' || r.type === 'liquidation') {
        const p = r.type === 'trade' ? this.trades : this.liqs;
        p.t.push(r.ts);
        p.price.push(r.price);
        p.qty.push(r.qty);
        // Trades: the aggressor side; liquidations: a forced sell closes a long (1 here, 'long' below).
        p.side.push(r.side === (r.type === 'trade' ? 'buy' : 'sell') ? 1 : -1);
        p.venue.push(r.venue);
      } else if (r.type === 'ticker') {
        const m = this.tickers.get(r.venue) ?? { type: 'marketState', venue: r.venue, t: 0 };
        m.t = r.ts;
        // A venue sends open interest, funding and mark in separate frames: keep the last of each (NaN: not in this frame).
        if (Number.isFinite(r.openInterest)) m.openInterest = r.openInterest;
        if (Number.isFinite(r.fundingRate)) m.fundingRate = r.fundingRate;
        if (Number.isFinite(r.markPrice)) m.markPrice = r.markPrice;
        this.tickers.set(r.venue, m);
      }
    }
  }

  /** What arrived since the last take, in exchange-time order. */
  take(): TailBatch {
    const trades = inOrder(this.trades);
    const liqs = inOrder(this.liqs);
    const marketState = [...this.tickers.values()];
    this.trades = empty();
    this.liqs = empty();
    this.tickers = new Map();
    return {
      trades: trades.t.length === 0 ? undefined : { type: 'trades', t: trades.t, price: trades.price, qty: trades.qty, side: trades.side as (1 | -1)[], venue: trades.venue },
      liquidations: liqs.t.length === 0 ? undefined : { type: 'liquidations', t: liqs.t, price: liqs.price, qty: liqs.qty, side: liqs.side.map((s) => (s === 1 ? 'long' : 'short')), venue: liqs.venue },
      marketState,
    };
  }
}

/** Each venue's consumer delivers in order; merged across venues by exchange time (stable). */
function inOrder(p: Prints): Prints {
  let sorted = true;
  for (let i = 1; i < p.t.length && sorted; i++) sorted = p.t[i - 1] <= p.t[i];
  if (sorted) return p;
  const idx = p.t.map((_, i) => i).sort((a, b) => p.t[a] - p.t[b] || a - b);
  return { t: idx.map((i) => p.t[i]), price: idx.map((i) => p.price[i]), qty: idx.map((i) => p.qty[i]), side: idx.map((i) => p.side[i]), venue: idx.map((i) => p.venue[i]) };
}
