/**
 * Property tests: whatever a line holds, a Binance parser either accepts it or throws ParseError,
 * never anything else. Seeds are real rows from the fixtures, mutated (characters replaced,
 * deleted, inserted; columns swapped) and random text.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CollectSink } from '../../../src/core/collect-sink.ts';
import { ParseError } from '../../../src/core/errors.ts';
import type { TradeEvent } from '../../../src/core/events.ts';
import { bool, epochMsAnyUnit, positive, splitCsv } from '../../../src/core/parse-util.ts';
import { binanceFormats } from '../../../src/venues/binance/archive.ts';
import { ctx, fixture, format, lines } from './util.ts';

/** Real rows (and headers) per format, and the file name that gives them a symbol. */
const SEEDS: Record<string, { fileName: string; rows: string[] }> = {
  'binance-um-aggTrades': { fileName: 'BTCUSDT-aggTrades-2024-08-08.csv', rows: lines(fixture('archive/BTCUSDT-aggTrades-2024-08-08.csv')).slice(0, 8) },
  'binance-um-trades': { fileName: 'BTCUSDT-trades-2024-08-08.csv', rows: lines(fixture('archive/BTCUSDT-trades-2024-08-08.csv')).slice(0, 8) },
  'binance-um-bookDepth': { fileName: '1000BONKUSDT-bookDepth-2025-07-31.csv', rows: lines(fixture('archive/quoted/1000BONKUSDT-bookDepth-2025-07-31.csv')) },
  'binance-um-bookTicker': { fileName: 'SUSHIUSDT-bookTicker-2021-07-22.csv', rows: lines(fixture('archive/SUSHIUSDT-bookTicker-2021-07-22.csv')).slice(0, 6) },
  'binance-um-metrics': { fileName: 'ACEUSDT-metrics-2025-01-21.csv', rows: lines(fixture('archive/quoted/ACEUSDT-metrics-2025-01-21.csv')) },
  'binance-um-fundingRate': { fileName: 'XRPUSDT-fundingRate-2021-11.csv', rows: lines(fixture('archive/XRPUSDT-fundingRate-2021-11.csv')).slice(0, 6) },
  'binance-um-klines': { fileName: 'SUSHIUSDT-1m-2021-07-22.csv', rows: lines(fixture('archive/SUSHIUSDT-1m-2021-07-22.csv')) },
  'binance-um-markPriceKlines': { fileName: 'markPriceKlines/SUSHIUSDT-1m-2021-07-22.csv', rows: lines(fixture('archive/SUSHIUSDT-1m-2021-07-22.csv')) },
  'binance-um-indexPriceKlines': { fileName: 'SUSHIUSDT-1m-2021-07-22.csv', rows: lines(fixture('archive/CTKUSDT-1m-2021-07-22.csv')) },
  'binance-um-premiumIndexKlines': { fileName: 'SUSHIUSDT-1m-2021-07-22.csv', rows: lines(fixture('archive/headerless/AKROUSDT-1m-2021-07-22.csv')) },
  'binance-futures-liquidationSnapshot': {
    fileName: 'BTCUSDT-liquidationSnapshot-2020-03-13.csv',
    rows: [...lines(fixture('archive/BTCUSDT-liquidationSnapshot-2020-03-13.csv')), ...lines(fixture('archive/quoted/BTCUSD_PERP-liquidationSnapshot-2024-10-14.csv')).slice(1)],
  },
  'binance-um-tDepth': { fileName: 'depth.csv', rows: lines(fixture('binance-um-depth-update-BTCUSDT-head30.csv')).slice(0, 6) },
  'binance-spot-aggTrades': { fileName: 'BTCUSDT-aggTrades-2026-01-01.csv', rows: lines(fixture('binance-spot-aggTrades-BTCUSDT-2026-01-01-head40.csv')).slice(0, 6) },
  'binance-spot-trades': { fileName: 'BTCUSDT-trades-2020-03-09.csv', rows: ['51175358,17.80180000,5.69000000,101.29224200,1583709433583,True,True'] },
  'binance-ws-capture': {
    fileName: 'capture.txt',
    rows: [
      ...lines(fixture('hftbacktest-binance-um-BTCUSDT-allstreams-20240808-head60.txt')).filter((l) => l.length < 3000).slice(0, 6),
      ...lines(fixture('tardisnode-binance-futures-ws-samples.jsonl')),
      ...lines(fixture('binance-um-ws-kline_1m-2021-07-22.jsonl')).slice(42, 44),
    ],
  },
};

const ALPHABET = [...'0123456789.,-+eE :TrueFalsBUYSEL_{}[]"@\\\r\t', '\u00e9', '\u0000'];

type Mutation = { op: 'replace' | 'delete' | 'insert' | 'swap'; at: number; ch: string; other: number };

const mutation: fc.Arbitrary<Mutation> = fc.record({
  op: fc.constantFrom('replace', 'delete', 'insert', 'swap'),
  at: fc.nat(),
  ch: fc.constantFrom(...ALPHABET),
  other: fc.nat(),
});

function mutate(row: string, ms: readonly Mutation[]): string {
  let s = row;
  for (const m of ms) {
    if (m.op === 'swap') {
      const cols = s.split(',');
      const i = m.at % cols.length;
      const j = m.other % cols.length;
      [cols[i], cols[j]] = [cols[j], cols[i]];
      s = cols.join(',');
      continue;
    }
    const i = s.length === 0 ? 0 : m.at % (s.length + (m.op === 'insert' ? 1 : 0));
    if (m.op === 'replace') s = s.slice(0, i) + m.ch + s.slice(i + 1);
    else if (m.op === 'delete') s = s.slice(0, i) + s.slice(i + 1);
    else s = s.slice(0, i) + m.ch + s.slice(i);
  }
  return s;
}

/** Feed one line; only ParseError may escape. */
function feed(formatId: string, fileName: string, text: string, lineNo: number): void {
  const f = format(formatId);
  const parser = f.createParser(ctx(fileName, f.symbolFromName?.(fileName) ?? 'BTCUSDT'));
  try {
    parser.line(text, lineNo, new CollectSink());
  } catch (e) {
    if (!(e instanceof ParseError)) throw new Error(`${formatId} threw ${String(e)} for ${JSON.stringify(text)}`);
  }
}

describe('binance parsers under fuzz: only ParseError escapes', () => {
  it('covers every Binance format', () => {
    assert.deepEqual(Object.keys(SEEDS).sort(), binanceFormats.map((f) => f.id).sort());
  });

  for (const [formatId, { fileName, rows }] of Object.entries(SEEDS)) {
    it(`${formatId}: mutated real rows`, () => {
      fc.assert(
        fc.property(fc.constantFrom(...rows), fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.constantFrom(1, 2), (row, ms, lineNo) => {
          feed(formatId, fileName, mutate(row, ms), lineNo);
        }),
        { numRuns: 300 },
      );
    });

    it(`${formatId}: random text`, () => {
      const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 120 }), fc.string({ unit: fc.constantFrom(...ALPHABET), maxLength: 120 }));
      fc.assert(
        fc.property(text, fc.constantFrom(1, 2), (t, lineNo) => feed(formatId, fileName, t, lineNo)),
        { numRuns: 200 },
      );
    });
  }

  it('binance-ws-capture: random JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        feed('binance-ws-capture', 'capture.jsonl', JSON.stringify(v) ?? 'null', 2);
        feed('binance-ws-capture', 'capture.jsonl', JSON.stringify({ stream: 'btcusdt@trade', data: v }), 2);
      }),
      { numRuns: 300 },
    );
  });
});

describe('binance fast number paths agree with the core helpers', () => {
  const DIGITS = [...'0123456789.'];

  /** What `fn` returns, or the ParseError it throws (anything else is thrown on). */
  function outcome<T>(fn: () => T): T | ParseError {
    try {
      return fn();
    } catch (e) {
      if (e instanceof ParseError) return e;
      throw e;
    }
  }

  function tradeOf(price: string, time: string): TradeEvent | ParseError {
    const f = format('binance-um-aggTrades');
    const sink = new CollectSink();
    return outcome(() => {
      f.createParser(ctx('BTCUSDT-aggTrades-2024-08-08.csv', 'BTCUSDT')).line(`1,${price},1,1,1,${time},true`, 2, sink);
      return sink.events[0] as TradeEvent;
    });
  }

  it('prices: the same value as positive(), or the same error code and field', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...DIGITS, '-', 'e', '+'), maxLength: 24 }), (price) => {
        const got = tradeOf(price, '1723161256322');
        const want = outcome(() => positive(price, 'price'));
        if (want instanceof ParseError) {
          assert.ok(got instanceof ParseError, price);
          assert.deepEqual([got.code, got.field], [want.code, want.field]);
        } else {
          assert.ok(!(got instanceof ParseError), price);
          assert.equal(got.price, want);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('timestamps: the same value as epochMsAnyUnit(), or the same error code', () => {
    const time = fc.oneof(
      fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 9, maxLength: 20 }),
      fc.integer({ min: 1_230_768_000_000, max: 4_102_444_800_000 }).map(String),
      fc.integer({ min: 1_230_768_000_000_000, max: 4_102_444_800_000_000 }).map(String),
      fc.string({ unit: fc.constantFrom(...DIGITS, '-', 'e'), maxLength: 20 }),
    );
    fc.assert(
      fc.property(time, (t) => {
        const got = tradeOf('1', t);
        const want = outcome(() => epochMsAnyUnit(t, 'transact_time'));
        if (want instanceof ParseError) {
          assert.ok(got instanceof ParseError, t);
          assert.equal(got.code, want.code);
        } else {
          assert.ok(!(got instanceof ParseError), t);
          assert.equal(got.ts, want);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('binance trade rows: the in-place scanner agrees with a split-and-check reference', () => {
  const digitsId = (text: string, field: string) => {
    if (!/^\d+$/.test(text)) throw new ParseError('E_NUMBER', 'expected an integer id', field, text);
  };
  /** The row read with the core helpers only, in the documented column order. */
  function reference(row: string, kind: 'aggTrades' | 'trades', cols: number, venue: string): unknown {
    try {
      const c = splitCsv(row, cols, kind);
      if (kind === 'aggTrades') {
        digitsId(c[0], 'agg_trade_id');
        const price = positive(c[1], 'price');
        const qty = positive(c[2], 'quantity');
        digitsId(c[3], 'first_trade_id');
        digitsId(c[4], 'last_trade_id');
        const ts = epochMsAnyUnit(c[5], 'transact_time');
        const m = bool(c[6], 'is_buyer_maker');
        if (cols === 8) bool(c[7], 'is_best_match');
        return { type: 'trade', venue, symbol: 'BTCUSDT', ts, localTs: NaN, price, qty, side: m ? 'sell' : 'buy', id: c[0] };
      }
      digitsId(c[0], 'id');
      const price = positive(c[1], 'price');
      const qty = positive(c[2], 'qty');
      positive(c[3], 'quote_qty');
      const ts = epochMsAnyUnit(c[4], 'time');
      const m = bool(c[5], 'is_buyer_maker');
      if (cols === 7) bool(c[6], 'is_best_match');
      return { type: 'trade', venue, symbol: 'BTCUSDT', ts, localTs: NaN, price, qty, side: m ? 'sell' : 'buy', id: c[0] };
    } catch (e) {
      if (e instanceof ParseError) return { code: e.code, field: e.field };
      throw e;
    }
  }

  function actual(formatId: string, row: string): unknown {
    const sink = new CollectSink();
    try {
      format(formatId).createParser(ctx('x.csv', 'BTCUSDT')).line(row, 2, sink);
      return sink.events[0];
    } catch (e) {
      if (e instanceof ParseError) return { code: e.code, field: e.field };
      throw e;
    }
  }

  const cases: [formatId: string, kind: 'aggTrades' | 'trades', cols: number, venue: string, rows: string[]][] = [
    ['binance-um-aggTrades', 'aggTrades', 7, 'binance', SEEDS['binance-um-aggTrades'].rows.slice(1)],
    ['binance-spot-aggTrades', 'aggTrades', 8, 'binance-spot', SEEDS['binance-spot-aggTrades'].rows],
    ['binance-um-trades', 'trades', 6, 'binance', SEEDS['binance-um-trades'].rows.slice(1)],
    ['binance-spot-trades', 'trades', 7, 'binance-spot', SEEDS['binance-spot-trades'].rows],
  ];
  for (const [formatId, kind, cols, venue, rows] of cases) {
    it(`${formatId}: same event or same error for mutated rows`, () => {
      fc.assert(
        fc.property(fc.constantFrom(...rows), fc.array(mutation, { minLength: 0, maxLength: 3 }), (row, ms) => {
          const text = mutate(row, ms);
          assert.deepEqual(actual(formatId, text), reference(text, kind, cols, venue), text);
        }),
        { numRuns: 1500 },
      );
    });
  }
});
