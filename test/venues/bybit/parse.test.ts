import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BookEvent, KlineRecord, LiquidationEvent, MarketEvent, TickerEvent, TradeEvent } from '../../../src/core/events.ts';
import { ParseError } from '../../../src/core/errors.ts';
import { InstrumentRegistry } from '../../../src/core/instruments.ts';
import { bybitCaptureFormat } from '../../../src/venues/bybit/archive.ts';
import { bybitTopics, createBybitParser } from '../../../src/venues/bybit/parse.ts';
import { assertGolden } from '../../helpers/golden.ts';
import { onlyRecord, parseError } from '../../helpers/parse-results.ts';
import { context, lines, runFormat } from '../../helpers/run-format.ts';
import { bybitTestInstruments } from './instruments.ts';
import { realLines, realText } from '../../helpers/real-data.ts';

const FIX = fileURLToPath(new URL('../../fixtures/bybit/', import.meta.url));
const fixture = (name: string) => readFileSync(FIX + name, 'utf8');
const frames = (name: string) => lines(fixture(name)).map((l) => JSON.parse(l) as Record<string, unknown>);

const parser = createBybitParser(context('x', { instruments: bybitTestInstruments() }));
const parse = (msg: unknown, localTs = NaN) => parser.parse(msg, localTs);
const one = <T extends MarketEvent>(msg: unknown): T => onlyRecord<T>(parse(msg));

describe('bybit capture -> golden events', () => {
  for (const name of [
    'publicTrade-2026-08-09-head20.jsonl',
    'orderbook200-2026-08-09-head4.jsonl',
    'tickers-2026-08-09-head12.jsonl',
    'kline1-2026-08-09-head2.jsonl',
    'tardisnode-bybit-v5-ws-samples.jsonl',
  ]) {
    it(`maps ${name}`, () => {
      const sink = runFormat(bybitCaptureFormat, context(name, { instruments: bybitTestInstruments() }), fixture(name));
      assertGolden(`${FIX}golden/${name.replace(/\.jsonl$/, '.json')}`, [...sink.events, ...sink.klines.map((kline) => ({ kline }))]);
    });
  }
});

describe('bybit trades', () => {
  it('keeps S as the taker side and v as base size', () => {
    const t = one<TradeEvent>(frames('publicTrade-2026-08-09-head20.jsonl')[0]);
    assert.deepEqual(t, {
      type: 'trade', venue: 'bybit', symbol: 'BTCUSDT', ts: 1786310819680, localTs: NaN,
      price: 65114.2, qty: 0.004, side: 'sell', id: 'a9188a0a-82bc-50de-be60-03eedbe3cdd7',
    });
    const buys = parse(frames('publicTrade-2026-08-09-head20.jsonl')[1]) as TradeEvent[];
    assert.deepEqual(buys.map((b) => b.side), ['buy', 'buy', 'buy', 'buy', 'buy']);
  });

  it('drops block trades (BT: true) and keeps RPI trades', () => {
    const frame = frames('publicTrade-2026-08-09-head20.jsonl')[1] as { data: Record<string, unknown>[] };
    frame.data[0].BT = true;
    frame.data[1].RPI = true;
    const out = parse(frame) as TradeEvent[];
    assert.equal(out.length, 4);
    assert.equal(out[0].id, '4d4ad26c-901f-5146-adc0-1db29b6b9ab6');
  });

  it('converts inverse USD contracts to base with the instrument (BTCUSD, 1 USD each)', () => {
    const out = parse(frames('tardisnode-bybit-v5-ws-samples.jsonl')[0]) as TradeEvent[];
    assert.deepEqual(out.map((t) => t.qty), [5823 / 28560.5, 3 / 28560.5, 5593 / 28560.5]);
  });

  it('refuses an inverse symbol it has no instrument for', () => {
    const bare = createBybitParser(context('x'));
    parseError(() => bare.parse(frames('tardisnode-bybit-v5-ws-samples.jsonl')[0], NaN), 'E_INSTRUMENT', 'data[0].s');
  });

  it('counts the whole capture: 327 trades from 102 messages', () => {
    const all = realLines('bybit-v5-linear-ws-publicTrade-2026-08-09.jsonl');
    assert.equal(all.length, 102);
    const events = all.flatMap((l) => parse(JSON.parse(l)) ?? []);
    assert.equal(events.length, 327);
    assert.ok(events.every((e) => e.type === 'trade'));
  });
});

describe('bybit liquidations', () => {
  const samples = frames('tardisnode-bybit-v5-ws-samples.jsonl');

  it('allLiquidation: S is the POSITION side, so S=Sell (a short) is a forced BUY', () => {
    const l = one<LiquidationEvent>(samples[14]);
    assert.deepEqual(l, {
      type: 'liquidation', venue: 'bybit', symbol: 'PIPPINUSDT', ts: 1740480207110, localTs: NaN,
      price: 0.02456, qty: 2846, side: 'buy', id: '',
    });
  });

  it('allLiquidation: S=Buy (a long) is a forced SELL', () => {
    const frame = structuredClone(samples[14]) as { data: Record<string, unknown>[] };
    frame.data[0].S = 'Buy';
    assert.equal(one<LiquidationEvent>(frame).side, 'sell');
  });

  it('legacy liquidation: side=Buy (a long) is a forced SELL, time from updatedTime', () => {
    const l = one<LiquidationEvent>(samples[11]);
    assert.deepEqual(l, {
      type: 'liquidation', venue: 'bybit', symbol: 'GALAUSDT', ts: 1673251091822, localTs: NaN,
      price: 0.03803, qty: 1637, side: 'sell', id: '',
    });
  });

  it('legacy liquidation on an inverse symbol converts USD contracts', () => {
    const l = one<LiquidationEvent>(samples[12]);
    assert.equal(l.side, 'buy');
    assert.equal(l.qty, 6949 / 0.5149);
  });
});

describe('bybit order book', () => {
  const book = frames('orderbook200-2026-08-09-head4.jsonl');

  it('maps a snapshot: seq = u, levels [price, size]', () => {
    const b = one<BookEvent>(book[0]);
    assert.equal(b.isSnapshot, true);
    assert.equal(b.seq, (book[0].data as { u: number }).u);
    assert.deepEqual(b.bids[0], [65114.2, 6.054]);
    assert.equal(b.bids.length, 200);
    // The book's time is the matching engine's `cts` (frame `ts` 1786310818129 is the push's).
    assert.equal(b.ts, (book[0] as { cts?: number }).cts);
    assert.equal(b.ts, 1786310818027);
  });

  it('takes the book time from `ts` when a frame has no `cts` (2023 frames)', () => {
    const { cts: _, ...old } = book[0] as Record<string, unknown>;
    assert.equal(one<BookEvent>(old).ts, 1786310818129);
    assert.throws(() => one<BookEvent>({ ...old, cts: 'soon' }), (e: unknown) => e instanceof ParseError && /cts/.test(String((e as Error).message) + String((e as ParseError).field)));
  });

  it('maps a delta; size "0" deletes', () => {
    const b = one<BookEvent>(book[1]);
    assert.equal(b.isSnapshot, false);
    assert.deepEqual(b.bids[2], [65093.1, 0]);
  });

  it('counts the whole capture: 1,598 book messages (4 snapshots)', () => {
    const events = realLines('bybit-v5-linear-ws-orderbook200-2026-08-09.jsonl').flatMap((l) => parse(JSON.parse(l)) ?? []) as BookEvent[];
    assert.equal(events.length, 1598);
    assert.equal(events.filter((e) => e.isSnapshot).length, 4);
  });
});

describe('bybit tickers', () => {
  const t = frames('tickers-2026-08-09-head12.jsonl');

  it('snapshot: one-sided open interest (singleOpenInterest), not the two-sided openInterest', () => {
    const e = one<TickerEvent>(t[0]);
    assert.equal(e.openInterest, 29945.866);
    assert.equal(e.openInterestValue, 1949998132.5);
    assert.equal(e.markPrice, 65117.44);
    assert.equal(e.indexPrice, 65137.76);
    assert.equal(e.lastPrice, 65114.3);
    assert.equal(e.fundingRate, 0.0001);
    assert.equal(e.nextFundingTs, 1786320000000);
    assert.deepEqual([e.bestBid, e.bestBidQty, e.bestAsk, e.bestAskQty], [65114.2, 5.954, 65114.3, 10.47]);
  });

  it('delta: fields it does not carry stay NaN', () => {
    const e = one<TickerEvent>(t[1]);
    assert.deepEqual([e.bestBid, e.bestBidQty, e.bestAsk, e.bestAskQty], [65114.2, 6.054, 65114.3, 10.486]);
    for (const k of ['markPrice', 'indexPrice', 'lastPrice', 'fundingRate', 'nextFundingTs', 'openInterest', 'openInterestValue'] as const) {
      assert.ok(Number.isNaN(e[k]), k);
    }
  });

  it('a delta with none of our fields yields nothing', () => {
    assert.deepEqual(parse({ topic: 'tickers.BTCUSDT', type: 'delta', data: { symbol: 'BTCUSDT', volume24h: '1' }, cs: 1, ts: 1786310818583 }), []);
  });

  it('2023 frames without singleOpenInterest use openInterest; "" is NaN', () => {
    const samples = frames('tardisnode-bybit-v5-ws-samples.jsonl');
    const linear = one<TickerEvent>(samples[10]);
    assert.equal(linear.openInterest, 52774.528);
    const future = one<TickerEvent>(samples[8]);
    assert.ok(Number.isNaN(future.fundingRate) && Number.isNaN(future.nextFundingTs));
  });

  it('inverse: openInterest counts USD contracts, its value is base coin', () => {
    const e = one<TickerEvent>(frames('tardisnode-bybit-v5-ws-samples.jsonl')[6]);
    assert.equal(e.openInterest, 15747.08);
    assert.equal(e.openInterestValue, 449736676);
    assert.equal(e.bestBidQty, 340549 / 28560);
  });
});

describe('bybit klines', () => {

  it('maps a kline item: symbol from the topic, interval 1 -> 1m, volume base, turnover quote, confirm -> closed', () => {
    const out = parse(frames('kline1-2026-08-09-head2.jsonl')[0], 5);
    assert.deepEqual(out, [{
      type: 'kline', venue: 'bybit', symbol: 'BTCUSDT', kind: 'trade', interval: '1m', openTime: 1786310760000, closeTime: 1786310819999,
      open: 65119.9, high: 65119.9, low: 65114.2, close: 65114.3, volume: 1.576, quoteVolume: 102627.995,
      trades: NaN, takerBuyVolume: NaN, takerBuyQuoteVolume: NaN, closed: false,
    }]);
  });

  it('inverse: volume counts USD contracts (the quote), turnover is base coin', () => {
    const f = structuredClone(frames('kline1-2026-08-09-head2.jsonl')[0]) as { topic: string; data: Record<string, unknown>[] };
    f.topic = 'kline.1.BTCUSD';
    f.data[0].volume = '5823';
    f.data[0].turnover = '0.2';
    const [k] = parse(f) as KlineRecord[];
    assert.deepEqual([k.symbol, k.volume, k.quoteVolume], ['BTCUSD', 0.2, 5823]);
    parseError(() => createBybitParser(context('x')).parse(f, NaN), 'E_INSTRUMENT', 'topic');
  });

  it('keeps the last update of each candle in a capture: 8 bars, 4 confirmed', () => {
    const all = realText('bybit-v5-linear-ws-kline1-2026-08-09.jsonl');
    assert.equal(lines(all).length, 71);
    const { klines, events } = runFormat(bybitCaptureFormat, context('k.jsonl'), all);
    assert.equal(events.length, 0);
    assert.deepEqual(klines.map((k) => [k.symbol, k.openTime, k.closed]).sort(), [
      ['BTCUSDT', 1786310760000, true], ['BTCUSDT', 1786310820000, false],
      ['DOGEUSDT', 1786310760000, true], ['DOGEUSDT', 1786310820000, false],
      ['ETHUSDT', 1786310760000, true], ['ETHUSDT', 1786310820000, false],
      ['SOLUSDT', 1786310760000, true], ['SOLUSDT', 1786310820000, false],
    ]);
    // The confirmed bar is the one of the frame that also opened the next candle.
    const last = lines(all).map((l) => JSON.parse(l)).find((f) => f.topic === 'kline.1.BTCUSDT' && f.data.length === 2);
    const btc = klines.find((k) => k.symbol === 'BTCUSDT' && k.closed)!;
    assert.deepEqual([btc.close, btc.volume, btc.quoteVolume], [+last.data[0].close, +last.data[0].volume, +last.data[0].turnover]);
  });

  const k = () => structuredClone(frames('kline1-2026-08-09-head2.jsonl')[0]) as { topic: string; data: Record<string, unknown>[] };
  const cases: [string, (f: ReturnType<typeof k>) => void, string, string][] = [
    ['unknown interval', (f) => { f.data[0].interval = '2'; f.topic = 'kline.2.BTCUSDT'; }, 'E_MESSAGE', 'data[0].interval'],
    ['interval not the topic\'s', (f) => { f.data[0].interval = '5'; }, 'E_MESSAGE', 'data[0].interval'],
    ['topic without symbol', (f) => { f.topic = 'kline.1'; }, 'E_MESSAGE', 'topic'],
    ['end before start', (f) => { f.data[0].end = 1786310700000; }, 'E_NUMBER', 'data[0].end'],
    ['start in seconds', (f) => { f.data[0].start = 1786310760; }, 'E_TIME_UNIT', 'data[0].start'],
    ['negative volume', (f) => { f.data[0].volume = '-1'; }, 'E_NUMBER', 'data[0].volume'],
    ['zero price', (f) => { f.data[0].low = '0'; }, 'E_NUMBER', 'data[0].low'],
    ['confirm not a boolean', (f) => { f.data[0].confirm = 'true'; }, 'E_FIELD', 'data[0].confirm'],
  ];
  for (const [what, mutate, code, field] of cases) {
    it(`kline ${what} -> ${code} at ${field}`, () => {
      const f = k();
      mutate(f);
      parseError(() => parse(f), code, field);
    });
  }
});

describe('bybit frames without market data', () => {
  it('subscription acks and pongs are null', () => {
    assert.equal(parse({ success: true, ret_msg: '', conn_id: 'c', req_id: '', op: 'subscribe' }), null);
    assert.equal(parse({ success: true, ret_msg: 'pong', conn_id: 'c', op: 'ping' }), null);
  });

  it('a refused subscription is an error', () => {
    const e = parseError(() => parse({ success: false, ret_msg: 'error:handler not found,topic:foo.BTCUSDT', conn_id: 'c', op: 'subscribe' }), 'E_MESSAGE', 'success');
    assert.match(e.message, /handler not found/);
  });
});

describe('bybit bad input names the field', () => {
  const trade = () => structuredClone(frames('publicTrade-2026-08-09-head20.jsonl')[1]) as { data: Record<string, unknown>[] };
  const cases: [string, (f: ReturnType<typeof trade>) => void, string, string][] = [
    ['malformed price', (f) => { f.data[3].p = '1922.5x'; }, 'E_NUMBER', 'data[3].p'],
    ['negative size', (f) => { f.data[0].v = '-1'; }, 'E_NUMBER', 'data[0].v'],
    ['number instead of decimal string', (f) => { f.data[2].v = 0.1; }, 'E_NUMBER', 'data[2].v'],
    ['missing time', (f) => { delete f.data[1].T; }, 'E_FIELD', 'data[1].T'],
    ['time in seconds', (f) => { f.data[1].T = 1786310820; }, 'E_TIME_UNIT', 'data[1].T'],
    ['unknown side', (f) => { f.data[4].S = 'Long'; }, 'E_SIDE', 'data[4].S'],
    ['missing id', (f) => { f.data[0].i = ''; }, 'E_FIELD', 'data[0].i'],
    ['BT not a boolean', (f) => { f.data[0].BT = 'false'; }, 'E_FIELD', 'data[0].BT'],
    ['data not an array', (f) => { (f as Record<string, unknown>).data = {}; }, 'E_MESSAGE', 'data'],
    ['item not an object', (f) => { (f.data as unknown[])[2] = 'x'; }, 'E_MESSAGE', 'data[2]'],
  ];
  for (const [what, mutate, code, field] of cases) {
    it(`${what} -> ${code} at ${field}`, () => {
      const f = trade();
      mutate(f);
      parseError(() => parse(f), code, field);
    });
  }

  it('book level of the wrong shape, bad type', () => {
    const b = structuredClone(frames('orderbook200-2026-08-09-head4.jsonl')[1]) as { type: string; data: { b: unknown[]; u: unknown } };
    b.data.b[1] = ['65094.60'];
    parseError(() => parse(b), 'E_MESSAGE', 'data.b[1]');
    b.data.b[1] = ['65094.60', 'x'];
    parseError(() => parse(b), 'E_NUMBER', 'data.b[1][1]');
    b.data.b[1] = ['65094.60', '1'];
    b.data.u = '5';
    parseError(() => parse(b), 'E_NUMBER', 'data.u');
    b.data.u = 5;
    b.type = 'partial';
    parseError(() => parse(b), 'E_MESSAGE', 'type');
  });

  it('unknown topics and non-frames are E_MESSAGE', () => {
    parseError(() => parse({ topic: 'orderbook_rpi.BTCUSDT', type: 'snapshot', ts: 1, data: {} }), 'E_MESSAGE', 'topic');
    parseError(() => parse({ topic: 'liquidations', data: [] }), 'E_MESSAGE', 'topic');
    parseError(() => parse([1, 2]), 'E_MESSAGE');
    parseError(() => parse({ data: [] }), 'E_FIELD', 'topic');
  });
});

describe('bybit recognizes and subscribes', () => {
  it('recognizes topic + data frames only', () => {
    assert.equal(parser.recognizes(frames('publicTrade-2026-08-09-head20.jsonl')[0]), true);
    assert.equal(parser.recognizes({ arg: { channel: 'trades', instId: 'BTC-USDT' }, data: [] }), false);
    assert.equal(parser.recognizes({ stream: 'btcusdt@trade', data: { e: 'trade' } }), false);
    assert.equal(parser.recognizes({ success: true, op: 'subscribe' }), false);
    assert.equal(parser.recognizes(null), false);
  });

  it('lists the topics live.ts subscribes to', () => {
    assert.deepEqual(bybitTopics(['BTCUSDT']), ['publicTrade.BTCUSDT', 'orderbook.200.BTCUSDT', 'tickers.BTCUSDT', 'allLiquidation.BTCUSDT']);
  });

  it('needs no instrument for linear symbols', () => {
    const bare = createBybitParser({ fileName: '', symbol: undefined, instruments: new InstrumentRegistry() });
    assert.equal((bare.parse(frames('publicTrade-2026-08-09-head20.jsonl')[0], 5) as TradeEvent[])[0].localTs, 5);
  });
});
