import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EMPTY_TICKER_FIELDS, type BookEvent, type EventType, type LiquidationEvent, type MarketEvent, type TickerEvent, type TradeEvent, type Venue } from '../../src/core/events.ts';
import { decodeBatch, encodeBatch } from '../../src/bus/batch-codec.ts';
import { BusError } from '../../src/bus/errors.ts';
import { parseSubject, subjectOf, symbolToken, tokenSymbol } from '../../src/bus/subjects.ts';

const venue = fc.constantFrom<Venue>('binance', 'binance-spot', 'okx', 'bybit');
const symbol = fc.constantFrom('BTCUSDT', 'BTC-USDT-SWAP', '币安人生USDT', 'XBT/USD', 'BTC.P');
const ts = fc.double({ min: 1e12, max: 2e12, noNaN: true });
const localTs = fc.oneof(ts, fc.constant(NaN));
const num = fc.double({ noNaN: true, noDefaultInfinity: true });
const opt = fc.oneof(num, fc.constant(NaN));
const side = fc.constantFrom<'buy' | 'sell'>('buy', 'sell');
const id = fc.oneof(fc.bigInt({ min: 0n, max: 10n ** 15n }).map(String), fc.uuid(), fc.constant(''), fc.string({ unit: 'grapheme', maxLength: 12 }));
const level = fc.tuple(num, num);

function eventsOf(type: EventType, v: Venue, s: string): fc.Arbitrary<MarketEvent[]> {
  const head = { venue: fc.constant(v), symbol: fc.constant(s), ts, localTs };
  switch (type) {
    case 'trade':
    case 'liquidation':
      return fc.array(fc.record({ ...head, type: fc.constant(type), price: num, qty: num, side, id }) as fc.Arbitrary<TradeEvent | LiquidationEvent>, { maxLength: 30 });
    case 'book':
      return fc.array(
        fc.record({ ...head, type: fc.constant('book' as const), isSnapshot: fc.boolean(), bids: fc.array(level, { maxLength: 6 }), asks: fc.array(level, { maxLength: 6 }), seq: opt }) as fc.Arbitrary<BookEvent>,
        { maxLength: 20 },
      );
    case 'ticker':
      return fc.array(
        fc.record({ ...head, type: fc.constant('ticker' as const), ...Object.fromEntries(Object.keys(EMPTY_TICKER_FIELDS).map((k) => [k, opt])) }) as unknown as fc.Arbitrary<TickerEvent>,
        { maxLength: 20 },
      );
  }
}

const batch = fc
  .tuple(fc.constantFrom<EventType>('trade', 'liquidation', 'book', 'ticker'), venue, symbol)
  .chain(([type, v, s]) => eventsOf(type, v, s).map((events) => ({ type, venue: v, symbol: s, events })));

function busError(f: () => unknown): BusError {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof BusError, `expected a BusError, got ${(e as Error).stack}`);
    return e;
  }
  assert.fail('expected an error');
}

const trade = (i: number, over: Partial<TradeEvent> = {}): TradeEvent => ({ type: 'trade', venue: 'binance', symbol: 'BTCUSDT', ts: 1.7e12 + i, localTs: 1.7e12 + i + 3, price: 100 + i, qty: 0.5, side: 'buy', id: String(1000 + i), ...over });

describe('bus batch codec', () => {
  it('decodes every encoded batch to the same events, in order', () => {
    fc.assert(
      fc.property(batch, (b) => {
        const d = decodeBatch(encodeBatch(b.venue, b.symbol, b.type, b.events));
        // fast-check's records have no prototype; the decoder's are plain objects.
        assert.deepEqual(d, { ...b, events: b.events.map((e) => ({ ...e })) });
      }),
      { numRuns: 300 },
    );
  });

  it('refuses every truncation of a batch with a BusError naming the field, never a partial batch', () => {
    fc.assert(
      fc.property(batch.filter((b) => b.events.length > 0), fc.nat(), (b, cut) => {
        const bytes = encodeBatch(b.venue, b.symbol, b.type, b.events);
        const e = busError(() => decodeBatch(bytes.subarray(0, cut % bytes.length)));
        assert.ok(e.field, e.message);
      }),
      { numRuns: 300 },
    );
  });

  it('answers hostile bytes (random, or a batch with bytes flipped) with a batch or a BusError, nothing else', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeBatch(bytes);
        } catch (e) {
          assert.ok(e instanceof BusError, (e as Error).stack);
        }
      }),
    );
    fc.assert(
      fc.property(batch, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }), (b, flips) => {
        const bytes = encodeBatch(b.venue, b.symbol, b.type, b.events);
        for (const [at, v] of flips) bytes[at % bytes.length] = v;
        try {
          decodeBatch(bytes);
        } catch (e) {
          assert.ok(e instanceof BusError, (e as Error).stack);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('names the field and index of a bad value', () => {
    const bytes = encodeBatch('binance', 'BTCUSDT', 'trade', [trade(0), trade(1), trade(2)]);
    const sideAt = 12 + 7 + 3 * 8 * 4 + 1; // header, symbol, ts/localTs/price/qty, then side[1]
    bytes[sideAt] = 7;
    const e = busError(() => decodeBatch(bytes));
    assert.equal(e.code, 'E_BATCH_FIELD');
    assert.equal(e.field, 'trade.side[1]');

    const nan = encodeBatch('binance', 'BTCUSDT', 'trade', [trade(0), trade(1, { price: NaN })]);
    assert.equal(busError(() => decodeBatch(nan)).field, 'trade.price[1]');

    const huge = encodeBatch('okx', 'BTC-USDT-SWAP', 'ticker', []);
    new DataView(huge.buffer).setUint32(8, 1_000_000, true);
    const t = busError(() => decodeBatch(huge));
    assert.equal(t.code, 'E_BATCH_TRUNCATED');
    assert.equal(t.field, 'ticker.ts');
  });

  it('refuses another format or version by its code', () => {
    assert.equal(busError(() => decodeBatch(new TextEncoder().encode('{"type":"trade"}'))).code, 'E_BATCH_MAGIC');
    const b = encodeBatch('bybit', 'BTCUSDT', 'trade', [trade(0, { venue: 'bybit' })]);
    b[3] = 2;
    assert.equal(busError(() => decodeBatch(b)).code, 'E_BATCH_VERSION');
    const extra = new Uint8Array([...encodeBatch('bybit', 'BTCUSDT', 'trade', [trade(0, { venue: 'bybit' })]), 0]);
    assert.equal(busError(() => decodeBatch(extra)).field, 'trade.end');
  });
});

describe('bus subjects', () => {
  it('maps every storable symbol to one NATS token and back', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[\p{L}\p{N}._:/~-]{1,40}$/u), (s) => {
        const t = symbolToken(s);
        assert.match(t, /^[^.*>\s]+$/);
        assert.equal(tokenSymbol(t), s);
        assert.deepEqual(parseSubject(subjectOf('okx', s, 'book')), { venue: 'okx', symbol: s, type: 'book' });
      }),
    );
    assert.equal(subjectOf('binance', 'BTCUSDT', 'trade'), 'md.binance.BTCUSDT.trade');
    assert.equal(subjectOf('okx', 'BTC.P', 'ticker'), 'md.okx.BTC~2EP.ticker');
  });

  it('refuses a subject that is not md.<venue>.<symbol>.<type>, naming the part', () => {
    assert.equal(busError(() => parseSubject('md.kraken.BTC.trade')).field, 'subject.venue');
    assert.equal(busError(() => parseSubject('md.okx.BTC.candle')).field, 'subject.type');
    assert.equal(busError(() => parseSubject('md.okx.BTC')).field, 'subject');
  });
});
