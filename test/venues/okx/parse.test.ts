import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BookEvent, LiquidationEvent, MarketEvent, TickerEvent, TradeEvent } from '../../../src/core/events.ts';
import { okxCaptureFormat } from '../../../src/venues/okx/archive.ts';
import { createOkxParser, okxSubscriptions } from '../../../src/venues/okx/parse.ts';
import { assertGolden } from '../../helpers/golden.ts';
import { onlyRecord, parseError } from '../../helpers/parse-results.ts';
import { context, lines, runFormat } from '../../helpers/run-format.ts';
import { okxTestInstruments } from './instruments.ts';
import { realLines } from '../../helpers/real-data.ts';
import { exactProductQuotient } from '../../helpers/exact-decimal.ts';

const FIX = fileURLToPath(new URL('../../fixtures/okx/', import.meta.url));
const fixture = (name: string) => readFileSync(FIX + name, 'utf8');
const frames = (name: string) => lines(fixture(name)).map((l) => JSON.parse(l) as Record<string, unknown>);

const parser = createOkxParser(context('x', { instruments: okxTestInstruments() }));
const parse = (msg: unknown, localTs = NaN) => parser.parse(msg, localTs);
const one = <T extends MarketEvent>(msg: unknown, localTs = NaN): T => onlyRecord<T>(parse(msg, localTs));

const swap = frames('tardisnode-okex-swap-v5-ws-samples.jsonl');
const futures = frames('tardisnode-okex-futures-v5-ws-samples.jsonl');

describe('okx capture -> golden events', () => {
  for (const name of ['trades-2022-05-13-head10.jsonl', 'books-2022-05-13-head4.jsonl', 'tickers-2022-05-13-head3.jsonl']) {
    it(`maps ${name}`, () => {
      const sink = runFormat(okxCaptureFormat, context(name, { instruments: okxTestInstruments() }), fixture(name));
      assertGolden(`${FIX}golden/${name.replace(/\.jsonl$/, '.json')}`, sink.events);
    });
  }

  it('maps the tardis swap samples', () => {
    const events = swap.flatMap((f) => parse(f, 1640131263000) ?? []);
    assertGolden(`${FIX}golden/tardisnode-okex-swap-v5-ws-samples.json`, events);
  });

  it('maps the tardis futures samples, the Tardis-generated `liquidations` lines included', () => {
    assert.equal(futures.length, 14);
    assertGolden(`${FIX}golden/tardisnode-okex-futures-v5-ws-samples.json`, futures.flatMap((f) => parse(f) ?? []));
  });
});

describe('okx trades: side is the taker, sz contracts -> base', () => {
  const trades = frames('trades-2022-05-13-head10.jsonl');

  it('inverse future BTC-USD-220527 (100 USD): base = sz x 100 / px', () => {
    const t = one<TradeEvent>(trades[0]);
    assert.deepEqual(t, {
      type: 'trade', venue: 'okx', symbol: 'BTC-USD-220527', ts: 1652459199958, localTs: NaN,
      price: 30218.8, qty: 100 / 30218.8, side: 'buy', id: '7849',
    });
  });

  it('inverse swap UNI-USD-SWAP (10 USD): 100 contracts at 5.123', () => {
    const t = one<TradeEvent>(trades[1]);
    assert.equal(t.side, 'sell');
    assert.equal(t.qty, exactProductQuotient('100', '10', '5.123'));
  });

  it('linear swap BTC-USDT-SWAP (0.01 BTC): 5 contracts = 0.05 BTC', () => {
    const t = one<TradeEvent>(swap[2]);
    assert.equal(t.qty, 5 * 0.01);
    assert.equal(t.price, 48938.5);
  });

  it('spot BTC-USDT needs no instrument: sz is base', () => {
    const bare = createOkxParser(context('x'));
    const [t] = bare.parse(trades[2], 7) as TradeEvent[];
    assert.deepEqual([t.symbol, t.qty, t.localTs], ['BTC-USDT', 0.0002, 7]);
  });

  it('an unknown swap or future is E_INSTRUMENT naming the instId', () => {
    const bare = createOkxParser(context('x'));
    const e = parseError(() => bare.parse(trades[1], NaN), 'E_INSTRUMENT', 'data[0].instId');
    assert.equal(e.value, 'UNI-USD-SWAP');
  });

  it('trades-all maps the same way', () => {
    const f = structuredClone(swap[2]) as { arg: { channel: string } };
    f.arg.channel = 'trades-all';
    assert.equal(one<TradeEvent>(f).qty, 0.05);
  });

  it('counts the whole capture: 74 trades', () => {
    const events = realLines('okx-v5-ws-trades-2022-05-13.jsonl').flatMap((l) => parse(JSON.parse(l)) ?? []);
    assert.equal(events.length, 74);
    const by = (s: string) => events.filter((e) => e.symbol === s).length;
    assert.deepEqual([by('BTC-USDT'), by('BTC-USD-220527'), by('UNI-USD-SWAP')], [69, 4, 1]);
  });
});

describe('okx liquidation-orders', () => {
  it('one liquidation per details[] item; side is the order side (buy = a short was closed); bkPx; contracts -> base', () => {
    const l = one<LiquidationEvent>(futures[12]);
    assert.deepEqual(l, {
      type: 'liquidation', venue: 'okx', symbol: 'XRP-USD-230929', ts: 1680173247614, localTs: NaN,
      price: 0.55205, qty: exactProductQuotient('39', '10', '0.55205'), side: 'buy', id: '',
    });
  });

  it('several details yield several events; posSide must agree with side', () => {
    const f = structuredClone(futures[12]) as { data: { details: Record<string, unknown>[] }[] };
    f.data[0].details.push({ ...f.data[0].details[0], side: 'sell', posSide: 'long', ts: '1680173247700' });
    f.data[0].details.push({ ...f.data[0].details[0], side: 'sell', posSide: 'net' });
    assert.deepEqual((parse(f) as LiquidationEvent[]).map((e) => e.side), ['buy', 'sell', 'sell']);
    f.data[0].details[1].side = 'buy';
    parseError(() => parse(f), 'E_SIDE', 'data[0].details[1].posSide');
  });

  it('Tardis-generated `liquidations` frames (REST polls, generated: true): details in data[], symbol from arg.instId', () => {
    const f = futures[8] as { arg: Record<string, unknown>; data: Record<string, unknown>[] };
    assert.equal(f.arg.generated, true);
    // BTC-USD-220624: inverse, 100 USD a contract.
    assert.deepEqual(one<LiquidationEvent>(f), {
      type: 'liquidation', venue: 'okx', symbol: 'BTC-USD-220624', ts: 1640140210617, localTs: NaN,
      price: 51886.2, qty: exactProductQuotient('12', '100', '51886.2'), side: 'buy', id: '',
    });
    // BTC-USDT-211231: linear, 0.01 BTC a contract.
    assert.equal(one<LiquidationEvent>(futures[9]).qty, 0.4);
    // Same rules as liquidation-orders details: posSide must agree with side.
    const bad = structuredClone(f);
    bad.data[0].posSide = 'long';
    parseError(() => parse(bad), 'E_SIDE', 'data[0].posSide');
    const noSymbol = structuredClone(f);
    delete noSymbol.arg.instId;
    parseError(() => parse(noSymbol), 'E_FIELD', 'arg.instId');
  });

  it('a `liquidations` frame without generated: true is not an OKX channel', () => {
    const f = structuredClone(futures[8]) as { arg: Record<string, unknown> };
    delete f.arg.generated;
    parseError(() => parse(f), 'E_MESSAGE', 'arg.channel');
    f.arg.generated = 'true';
    parseError(() => parse(f), 'E_MESSAGE', 'arg.channel');
  });
});

describe('okx books', () => {
  const books = frames('books-2022-05-13-head4.jsonl');

  it('snapshot levels [px, sz, "0", n]: sz contracts -> base; no seqId in 2022 -> NaN', () => {
    const b = one<BookEvent>(books[0]);
    assert.equal(b.isSnapshot, true);
    assert.deepEqual(b.asks[0], [30238.8, exactProductQuotient('2', '100', '30238.8')]);
    assert.ok(Number.isNaN(b.seq));
    const spot = one<BookEvent>(books[2]);
    assert.equal(spot.symbol, 'BTC-USDT');
  });

  it('update; sz "0" deletes; seq = seqId when present', () => {
    const u = one<BookEvent>(swap[0]);
    assert.equal(u.isSnapshot, false);
    assert.deepEqual(u.bids[1], [0.65418, 0]);
    const f = structuredClone(swap[0]) as { data: Record<string, unknown>[] };
    f.data[0].seqId = 123456;
    f.data[0].prevSeqId = 123455;
    assert.equal(one<BookEvent>(f).seq, 123456);
  });

  it('books5 has no action and is always a snapshot', () => {
    const f = { arg: { channel: 'books5', instId: 'BTC-USDT-SWAP' }, data: [{ asks: [['38632.4', '727', '0', '22']], bids: [['38632.3', '990', '0', '22']], instId: 'BTC-USDT-SWAP', ts: '1651761120004', seqId: 7 }] };
    const b = one<BookEvent>(f);
    assert.equal(b.isSnapshot, true);
    assert.deepEqual(b.asks[0], [38632.4, 7.27]); // 727 contracts x 0.01 BTC, without float noise
  });

  it('books without action, bad levels, bad seqId', () => {
    const f = structuredClone(books[3]) as { action?: string; data: { asks: unknown[]; seqId?: unknown }[] };
    delete f.action;
    parseError(() => parse(f), 'E_FIELD', 'action');
    f.action = 'partial';
    parseError(() => parse(f), 'E_MESSAGE', 'action');
    f.action = 'update';
    f.data[0].asks[0] = ['30238.8', '2'];
    parseError(() => parse(f), 'E_MESSAGE', 'data[0].asks[0]');
    f.data[0].asks[0] = ['30238.8', '2', '0', '1'];
    f.data[0].seqId = '5';
    parseError(() => parse(f), 'E_NUMBER', 'data[0].seqId');
  });
});

describe('okx tickers and derivative channels', () => {
  it('tickers: last and best bid/ask, sizes contracts -> base (inverse at its own price)', () => {
    const t = one<TickerEvent>(frames('tickers-2022-05-13-head3.jsonl')[1]);
    assert.deepEqual([t.symbol, t.lastPrice, t.bestBid, t.bestAsk, t.ts], ['UNI-USD-SWAP', 5.123, 5.134, 5.142, 1652459223143]);
    assert.equal(t.bestBidQty, exactProductQuotient('96', '10', '5.134'));
    assert.equal(t.bestAskQty, exactProductQuotient('25', '10', '5.142'));
    assert.ok(Number.isNaN(t.markPrice) && Number.isNaN(t.fundingRate));
  });

  it('funding-rate: fundingTime is the next funding; no ts in 2021 frames -> receive time', () => {
    const t = one<TickerEvent>(swap[1], 1640131263000);
    assert.deepEqual([t.symbol, t.fundingRate, t.nextFundingTs, t.ts, t.localTs], ['WNCG-USDT-SWAP', 0.00048105, 1640131200000, 1640131263000, 1640131263000]);
    const withTs = structuredClone(swap[1]) as { data: Record<string, unknown>[] };
    withTs.data[0].ts = '1640131201000';
    assert.equal(one<TickerEvent>(withTs, 5).ts, 1640131201000);
  });

  it('funding-rate without fundingRate (SOS sample) leaves it NaN', () => {
    const t = one<TickerEvent>(swap[7], 1640851200500);
    assert.ok(Number.isNaN(t.fundingRate));
    assert.equal(t.nextFundingTs, 1640851200000);
  });

  it('funding-rate with neither ts nor a receive time is E_FIELD data[i].ts, never a NaN time', () => {
    for (const f of [swap[1], swap[7]]) parseError(() => parse(f, NaN), 'E_FIELD', 'data[0].ts');
  });

  it('open-interest: oiCcy (base), not oi (contracts)', () => {
    const t = one<TickerEvent>(futures[4]);
    assert.equal(t.openInterest, 23687);
    assert.ok(Number.isNaN(t.openInterestValue));
  });

  it('mark-price and index-tickers', () => {
    assert.equal(one<TickerEvent>(swap[5]).markPrice, 2.1729);
    const idx = one<TickerEvent>(swap[4]);
    assert.deepEqual([idx.symbol, idx.indexPrice, idx.ts], ['WNCG-USDT', 2.1675, 1640131290649]);
  });
});

describe('okx frames without market data, and errors', () => {
  it('subscribe acks, bbo-tbt, price-limit and candles are null', () => {
    assert.equal(parse(futures[0]), null);
    assert.equal(parse(swap[8]), null);
    assert.equal(parse(futures[5]), null);
    assert.equal(parse({ arg: { channel: 'candle1m', instId: 'BTC-USDT' }, data: [['1', '2', '3', '4', '5', '6', '7', '8', '0']] }), null);
    assert.equal(parse({ event: 'unsubscribe', arg: { channel: 'trades', instId: 'BTC-USDT' }, connId: 'a' }), null);
  });

  it('an error event throws E_MESSAGE with the code and message', () => {
    const e = parseError(() => parse({ event: 'error', code: '60012', msg: 'Invalid request: {"op": "subscribe"}', connId: 'a4d3ae55' }), 'E_MESSAGE', 'event');
    assert.equal(e.value, '60012');
    assert.match(e.message, /60012.*Invalid request/);
  });

  it('unknown channels and events are E_MESSAGE', () => {
    parseError(() => parse({ arg: { channel: 'status' }, data: [] }), 'E_MESSAGE', 'arg.channel');
    parseError(() => parse({ event: 'login', code: '0' }), 'E_MESSAGE', 'event');
    parseError(() => parse({ data: [] }), 'E_FIELD', 'arg');
    parseError(() => parse('pong'), 'E_MESSAGE');
  });
});

describe('okx bad input names the field', () => {
  const trade = () => structuredClone(frames('trades-2022-05-13-head10.jsonl')[0]) as { data: Record<string, unknown>[] };
  const cases: [string, (f: ReturnType<typeof trade>) => void, string, string][] = [
    ['malformed price', (f) => { f.data[0].px = '30,218.8'; }, 'E_NUMBER', 'data[0].px'],
    ['zero size', (f) => { f.data[0].sz = '0'; }, 'E_NUMBER', 'data[0].sz'],
    ['number instead of string', (f) => { f.data[0].sz = 1; }, 'E_NUMBER', 'data[0].sz'],
    ['ts in seconds', (f) => { f.data[0].ts = '1652459199'; }, 'E_TIME_UNIT', 'data[0].ts'],
    ['missing ts', (f) => { delete f.data[0].ts; }, 'E_FIELD', 'data[0].ts'],
    ['unknown side', (f) => { f.data[0].side = 'BUY'; }, 'E_SIDE', 'data[0].side'],
    ['missing tradeId', (f) => { delete f.data[0].tradeId; }, 'E_FIELD', 'data[0].tradeId'],
    ['instId not a string', (f) => { f.data[0].instId = 7; }, 'E_FIELD', 'data[0].instId'],
    ['data not an array', (f) => { (f as Record<string, unknown>).data = { a: 1 }; }, 'E_MESSAGE', 'data'],
    ['arg not an object', (f) => { (f as Record<string, unknown>).arg = 'trades'; }, 'E_MESSAGE', 'arg'],
  ];
  for (const [what, mutate, code, field] of cases) {
    it(`${what} -> ${code} at ${field}`, () => {
      const f = trade();
      mutate(f);
      parseError(() => parse(f), code, field);
    });
  }

  it('liquidation details: missing bkPx, bad posSide', () => {
    const f = structuredClone(futures[12]) as { data: { details: Record<string, unknown>[] }[] };
    f.data[0].details[0].posSide = 'both';
    parseError(() => parse(f), 'E_SIDE', 'data[0].details[0].posSide');
    f.data[0].details[0].posSide = 'short';
    delete f.data[0].details[0].bkPx;
    parseError(() => parse(f), 'E_FIELD', 'data[0].details[0].bkPx');
  });
});

describe('okx recognizes and subscribes', () => {
  it('recognizes arg.channel + data, and events with arg', () => {
    assert.equal(parser.recognizes(frames('trades-2022-05-13-head10.jsonl')[0]), true);
    assert.equal(parser.recognizes(futures[0]), true);
    assert.equal(parser.recognizes({ topic: 'publicTrade.BTCUSDT', data: [] }), false);
    assert.equal(parser.recognizes({ stream: 'btcusdt@trade', data: {} }), false);
    assert.equal(parser.recognizes({ arg: { channel: 'trades' } }), false);
    assert.equal(parser.recognizes(null), false);
  });

  it('lists the subscription args live.ts sends', () => {
    assert.deepEqual(okxSubscriptions(['BTC-USDT-SWAP']), [
      { channel: 'trades', instId: 'BTC-USDT-SWAP' },
      { channel: 'books', instId: 'BTC-USDT-SWAP' },
      { channel: 'tickers', instId: 'BTC-USDT-SWAP' },
      { channel: 'funding-rate', instId: 'BTC-USDT-SWAP' },
      { channel: 'open-interest', instId: 'BTC-USDT-SWAP' },
      { channel: 'mark-price', instId: 'BTC-USDT-SWAP' },
      { channel: 'index-tickers', instId: 'BTC-USDT' },
      { channel: 'liquidation-orders', instType: 'SWAP' },
    ]);
  });
});
