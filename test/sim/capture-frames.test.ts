/**
 * `sim --out` writes the frames of trades and book diffs as text directly (capture-frames.ts):
 * each must be the very bytes JSON.stringify of the venue encoders' payloads gives (the encoders
 * the loopback servers speak), for any prices and sizes, including those whose shortest text has
 * an exponent (1e-7) and deleted levels (size 0).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { BookEvent, BookLevel, MarketEvent, TradeEvent, Venue } from '../../src/core/events.ts';
import { venueFrames, Unwritten } from '../../src/sim/capture-frames.ts';
import { loadBundledInstruments } from '../../src/venues/bundled-instruments.ts';
import { combinedFrame, encodeAggTrade, encodeDepthUpdate } from '../../src/venues/binance/encode.ts';
import { encodeBook, encodeTrade, tickDirection, tradeFrame } from '../../src/venues/bybit/encode.ts';
import { WireBook } from '../../src/venues/okx/book-sync.ts';
import { OkxEncoder, okxLevel4, okxMs } from '../../src/venues/okx/encode.ts';

const instruments = loadBundledInstruments();
const SYMBOL: Record<Venue, string> = { binance: 'BTCUSDT', okx: 'BTC-USDT-SWAP', bybit: 'BTCUSDT' } as Record<Venue, string>;
const T0 = Date.UTC(2026, 0, 6, 12);

/** Prices and sizes of every magnitude the decimal writers treat differently (exponent texts among them). */
const price = fc.oneof(fc.double({ min: 1e-8, max: 1e7, noNaN: true }), fc.integer({ min: 1, max: 2_000_000 }).map((n) => n / 10));
const qty = fc.oneof(fc.double({ min: 1e-9, max: 1e4, noNaN: true }), fc.integer({ min: 1, max: 100_000 }).map((n) => n / 1000));
const levels = fc.array(fc.tuple(price, fc.oneof(qty, fc.constant(0))), { maxLength: 6 }) as fc.Arbitrary<BookLevel[]>;
const stream = fc.array(
  fc.oneof(
    fc.record({ kind: fc.constant('trade' as const), price, qty, side: fc.constantFrom('buy' as const, 'sell' as const) }),
    fc.record({ kind: fc.constant('book' as const), bids: levels, asks: levels, snapshot: fc.boolean() }),
  ),
  { minLength: 1, maxLength: 12 },
);

type Spec = { kind: 'trade' | 'book'; [k: string]: unknown };

function events(venue: Venue, spec: readonly Spec[]): MarketEvent[] {
  const symbol = SYMBOL[venue];
  return spec.map((s, i): MarketEvent => {
    const ts = T0 + i * 100;
    if (s.kind === 'trade') return { type: 'trade', venue, symbol, ts, localTs: ts, price: s.price as number, qty: s.qty as number, side: s.side as 'buy' | 'sell', id: String(1_000_000 + i) };
    return { type: 'book', venue, symbol, ts, localTs: ts, isSnapshot: s.snapshot as boolean, bids: s.bids as BookLevel[], asks: s.asks as BookLevel[], seq: i + 1 };
  });
}

function written(venue: Venue, evs: readonly MarketEvent[]): string[] {
  const enc = venueFrames(venue, { instruments, unwritten: new Unwritten() });
  const out: string[] = [];
  for (const e of evs) enc.frames(e, (json) => out.push(json));
  return out;
}

/** The same stream through the payload encoders and JSON.stringify, sequenced as capture-frames.ts sequences it. */
function stringified(venue: Venue, evs: readonly MarketEvent[]): string[] {
  const out: string[] = [];
  const symbol = SYMBOL[venue];
  const contract = instruments.get(venue, symbol)!;
  let lastId = 0;
  let lastU = 0;
  let cross = 0;
  let lastPrice: number | undefined;
  let lastDirection: string | undefined;
  const okx = new OkxEncoder(instruments);
  const book = new WireBook();
  for (const e of evs as (TradeEvent | BookEvent)[]) {
    if (venue === 'binance') {
      if (e.type === 'trade') {
        const a = (lastId = Math.max(lastId + 1, Number(e.id)));
        out.push(combinedFrame('btcusdt@aggTrade', encodeAggTrade(e, { a, f: a, l: a })));
      } else {
        const prev = lastU;
        lastU = Math.max(prev + 1, e.seq);
        if (!e.isSnapshot) out.push(combinedFrame('btcusdt@depth@100ms', encodeDepthUpdate(e, { U: prev + 1, u: lastU, pu: prev })));
        else out.push('(snapshot)');
      }
    } else if (venue === 'okx') {
      if (e.type === 'trade') {
        lastId = Math.max(lastId + 1, Number(e.id));
        out.push(JSON.stringify({ arg: { channel: 'trades', instId: symbol }, data: [okx.trade(e, String(lastId))] }));
      } else {
        const bids = okx.levels(symbol, e.bids);
        const asks = okx.levels(symbol, e.asks);
        if (e.isSnapshot) book.clear();
        book.apply(bids, asks);
        const prev = lastU;
        lastU = Math.max(prev + 1, e.seq);
        const item = { asks: asks.map(okxLevel4), bids: bids.map(okxLevel4), ts: okxMs(e.ts), checksum: book.checksum(), prevSeqId: e.isSnapshot ? -1 : prev, seqId: lastU };
        out.push(JSON.stringify({ arg: { channel: 'books', instId: symbol }, action: e.isSnapshot ? 'snapshot' : 'update', data: [item] }));
      }
    } else if (e.type === 'trade') {
      const direction = tickDirection(e.price, lastPrice, lastDirection);
      lastPrice = e.price;
      lastDirection = direction;
      cross++;
      const id = `00000000-0000-4000-8000-${(++lastId).toString(16).padStart(12, '0')}`;
      out.push(JSON.stringify(tradeFrame(symbol, e.ts, [encodeTrade({ ...e, id }, contract, { tickDirection: direction, seq: cross })])));
    } else {
      lastU = e.isSnapshot ? Math.max(lastU + 1, e.seq) : lastU + 1;
      cross++;
      out.push(JSON.stringify(encodeBook({ ...e, seq: lastU }, 200, contract, cross)));
    }
  }
  return out;
}

describe('sim --out frames written as text', () => {
  for (const venue of ['binance', 'okx', 'bybit'] as Venue[]) {
    it(`${venue}: trades and book diffs are the bytes of JSON.stringify of the venue encoders' payloads`, () => {
      fc.assert(
        fc.property(stream, (spec) => {
          const evs = events(venue, spec);
          const ours = written(venue, evs);
          const theirs = stringified(venue, evs);
          // Binance snapshots go through encodeDepthSnapshot unchanged: compare the rest.
          const keep = theirs.map((t) => t !== '(snapshot)');
          assert.deepEqual(ours.filter((_, i) => keep[i]), theirs.filter((_, i) => keep[i]));
        }),
        { numRuns: 200 },
      );
    });
  }
});
