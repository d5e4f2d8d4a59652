import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LiquidationEvent, MarketEvent, TickerEvent, TradeEvent } from '../../../src/core/events.ts';
import { epochMs } from '../../../src/core/parse-util.ts';
import { binanceStreams, createBinanceParser } from '../../../src/venues/binance/parse.ts';
import { assertGolden } from '../../helpers/golden.ts';
import { parseError } from '../../helpers/parse-results.ts';
import { ctx, fixture, GOLDEN, lines, run } from './util.ts';

const CAPTURE = 'binance-ws-capture';
const parser = (symbol?: string) => createBinanceParser(ctx('capture.jsonl', symbol));

/** The JSON of a capture line (drops the `<ns> ` prefix of hftbacktest lines). */
function frame(line: string): Record<string, any> {
  return JSON.parse(line.slice(line.indexOf('{')));
}

function count(events: readonly MarketEvent[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) {
    const k = e.type === 'book' ? (e.isSnapshot ? 'snapshot' : 'diff') : e.type;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

describe('binance capture frames: golden outputs', () => {
  for (const name of [
    'hftbacktest-binance-um-BTCUSDT-allstreams-20240808-head60.txt',
    'hftbacktest-binance-um-BTCUSDT-trade-20240808-head60.txt',
    'binance-um-ws-aggTrade-2021-07-22-head30.jsonl',
    'binance-um-ws-bookTicker-2021-07-22-head30.jsonl',
    'binance-um-ws-depthUpdate-100ms-2021-07-22-head20.jsonl',
  ]) {
    it(`maps ${name} as recorded in golden/${name}.json`, () => {
      assertGolden(`${GOLDEN}${name}.json`, run(CAPTURE, name, fixture(name)).events);
    });
  }

  it('maps the tardis-node samples line by line, errors included', () => {
    const p = parser();
    const out = lines(fixture('tardisnode-binance-futures-ws-samples.jsonl')).map((l, i) => {
      try {
        return { line: i + 1, events: p.parse(JSON.parse(l), NaN) };
      } catch (e) {
        return { line: i + 1, error: { code: (e as any).code, field: (e as any).field } };
      }
    });
    assertGolden(`${GOLDEN}tardisnode-binance-futures-ws-samples.jsonl.json`, out);
  });
});

describe('binance capture files: counts', () => {
  it('gives exactly 10,000 trades with 5,975 sells for the full hftbacktest trade file', () => {
    const events = run(CAPTURE, 'trade.txt', fixture('full/hftbacktest-binance-um-BTCUSDT-trade-20240808.txt.gz')).events as TradeEvent[];
    assert.equal(events.length, 10_000);
    assert.equal(events.filter((e) => e.side === 'sell').length, 5_975);
    assert.equal(events[0].id, '5266583935');
    assert.equal(events[9_999].id, '5266593934');
  });

  it('gives 973 trades, 513 book diffs, 1 snapshot and 4,760 tickers for the allstreams file', () => {
    const events = run(CAPTURE, 'allstreams.txt', fixture('full/hftbacktest-binance-um-BTCUSDT-allstreams-20240808-head.txt.gz')).events;
    assert.deepEqual(count(events), { diff: 513, trade: 973, snapshot: 1, ticker: 4_760 });
  });

  it('maps each of the 67 kline frames to one candle update', () => {
    const p = parser();
    const results = lines(fixture('binance-um-ws-kline_1m-2021-07-22.jsonl')).map((l) => p.parse(JSON.parse(l), NaN));
    assert.equal(results.length, 67);
    assert.ok(results.every((r) => r !== null && r.length === 1 && r[0].type === 'kline'));
  });

  it('keeps the last update of each candle: 8 bars, the 4 closed ones equal to the archive rows built from them', () => {
    const { klines, events } = run(CAPTURE, 'kline.jsonl', fixture('binance-um-ws-kline_1m-2021-07-22.jsonl'));
    assert.equal(events.length, 0);
    assert.equal(klines.length, 8);
    assert.deepEqual(klines.map((k) => [k.symbol, k.openTime, k.closed]).sort(), [
      ['AKROUSDT', 1626992700000, true], ['AKROUSDT', 1626992760000, false],
      ['CTKUSDT', 1626992700000, true], ['CTKUSDT', 1626992760000, false],
      ['KEEPUSDT', 1626992700000, true], ['KEEPUSDT', 1626992760000, false],
      ['SUSHIUSDT', 1626992700000, true], ['SUSHIUSDT', 1626992760000, false],
    ]);
    // The archive-layout fixtures hold the x:true candles of this capture (fixture README).
    const archive = (name: string, symbol: string) => run('binance-um-klines', name, fixture(name), { symbol }).klines;
    const closed = klines.filter((k) => k.closed);
    for (const [name, symbol] of [
      ['archive/SUSHIUSDT-1m-2021-07-22.csv', 'SUSHIUSDT'], ['archive/CTKUSDT-1m-2021-07-22.csv', 'CTKUSDT'],
      ['archive/headerless/AKROUSDT-1m-2021-07-22.csv', 'AKROUSDT'], ['archive/headerless/KEEPUSDT-1m-2021-07-22.csv', 'KEEPUSDT'],
    ]) {
      assert.deepEqual(closed.filter((k) => k.symbol === symbol), archive(name, symbol), symbol);
    }
    assertGolden(`${GOLDEN}binance-um-ws-kline_1m-2021-07-22.jsonl.json`, klines);
  });

  it('maps the kline fields: t, T, i, o/h/l/c, v base, q quote, n trades, V/Q taker buy, x closed', () => {
    const [k] = parser().parse(JSON.parse(lines(fixture('binance-um-ws-kline_1m-2021-07-22.jsonl'))[0]), 5)!;
    assert.deepEqual(k, {
      type: 'kline', venue: 'binance', symbol: 'CTKUSDT', kind: 'trade', interval: '1m', openTime: 1626992700000, closeTime: 1626992759999,
      open: 1.01, high: 1.011, low: 1.01, close: 1.011, volume: 3917, quoteVolume: 3957.899, trades: 48,
      takerBuyVolume: 1729, takerBuyQuoteVolume: 1748.019, closed: false,
    });
  });
});

describe('binance trades', () => {
  const trades = lines(fixture('hftbacktest-binance-um-BTCUSDT-trade-20240808-head60.txt'));

  it('maps m=true (buyer is maker) to an aggressive SELL and m=false to a BUY', () => {
    const buy = frame(trades[0]);
    const sell = frame(trades[4]);
    assert.equal(buy.data.m, false);
    assert.equal(sell.data.m, true);
    assert.equal((parser().parse(buy, NaN)![0] as TradeEvent).side, 'buy');
    assert.equal((parser().parse(sell, NaN)![0] as TradeEvent).side, 'sell');
  });

  it('takes ts from the trade time T, the id from t, and localTs from the capture line', () => {
    const [ev] = run(CAPTURE, 't.txt', `${trades[0]}\n`).events as TradeEvent[];
    // localTs is the capture line's receive time (ns), converted by the shared capture code.
    assert.deepEqual(ev, {
      type: 'trade', venue: 'binance', symbol: 'BTCUSDT', ts: 1723161256322, localTs: epochMs('1723161255088176367', 'ns', 'local_ns'),
      price: 61800.3, qty: 0.006, side: 'buy', id: '5266583935',
    });
  });

  it('uses the aggregate id a for aggTrade', () => {
    const [ev] = run(CAPTURE, 'a.jsonl', lines(fixture('binance-um-ws-aggTrade-2021-07-22-head30.jsonl'))[0]).events as TradeEvent[];
    assert.equal(ev.id, '16599292');
    assert.equal(ev.ts, 1626992741421);
    assert.ok(Number.isNaN(ev.localTs));
  });

  it('drops ADL, INSURANCE_FUND and NA prints and keeps MARKET, RPI and 2019 frames without X', () => {
    const base = frame(trades[0]);
    const withType = (X: unknown) => ({ ...base, data: { ...base.data, X } });
    for (const X of ['ADL', 'INSURANCE_FUND', 'NA']) assert.deepEqual(parser().parse(withType(X), NaN), [], X);
    // The real NA placeholder has price and qty "0": dropped before they are read.
    assert.deepEqual(parser().parse({ ...base, data: { ...base.data, X: 'NA', p: '0', q: '0' } }, NaN), []);
    assert.equal(parser().parse(withType('RPI'), NaN)!.length, 1);
    const { X: _, ...noType } = base.data;
    assert.equal(parser().parse({ ...base, data: noType }, NaN)!.length, 1);
    const tardis = lines(fixture('tardisnode-binance-futures-ws-samples.jsonl')).map((l) => JSON.parse(l));
    assert.equal(tardis[10].data.X, 'INSURANCE_FUND');
    assert.deepEqual(parser().parse(tardis[10], NaN), []);
  });

  it('refuses an unknown trade type instead of guessing', () => {
    const base = frame(trades[0]);
    const err = parseError(() => parser().parse({ ...base, data: { ...base.data, X: 'LIQUIDATION' } }, NaN));
    assert.equal(err.code, 'E_MESSAGE');
    assert.equal(err.field, 'data.X');
  });

  it('uses the first trade id f when a 2019 aggTrade frame has no aggregate id a', () => {
    const tardisAgg = JSON.parse(lines(fixture('tardisnode-binance-futures-ws-samples.jsonl'))[0]);
    assert.equal(tardisAgg.data.a, undefined);
    const [ev] = parser().parse(tardisAgg, NaN) as TradeEvent[];
    assert.deepEqual(ev, {
      type: 'trade', venue: 'binance', symbol: 'BTCUSDT', ts: 1568693103463, localTs: NaN, price: 10223.74, qty: 0.236, side: 'buy', id: '181349',
    });
    const { f: _, ...neither } = tardisAgg.data;
    const err = parseError(() => parser().parse({ ...tardisAgg, data: neither }, NaN));
    assert.deepEqual([err.code, err.field], ['E_FIELD', 'data.f']);
  });
});

describe('binance liquidations (forceOrder)', () => {
  const sample = JSON.parse(lines(fixture('tardisnode-binance-futures-ws-samples.jsonl'))[12]);
  const withOrder = (o: Record<string, unknown>) => ({ ...sample, data: { ...sample.data, o: { ...sample.data.o, ...o } } });
  const liq = (msg: unknown) => parser().parse(msg, NaN)![0] as LiquidationEvent;

  it('maps the real sample: BUY = a short was liquidated, price = ap, qty = z, ts = o.T', () => {
    assert.equal(sample.data.e, 'forceOrder');
    assert.deepEqual(liq(sample), {
      type: 'liquidation', venue: 'binance', symbol: 'BTCUSDT', ts: 1584059031421, localTs: NaN,
      price: 4706.04, qty: 0.014, side: 'buy', id: '',
    });
  });

  it('maps SELL to side sell (a long was liquidated)', () => {
    assert.equal(liq(withOrder({ S: 'SELL' })).side, 'sell');
  });

  it('chooses ap over p and z over q when they are > 0, else falls back to p and q', () => {
    const partial = liq(withOrder({ ap: '4700.00', p: '4793.91', z: '0.010', q: '0.014' }));
    assert.equal(partial.price, 4700);
    assert.equal(partial.qty, 0.01);
    const unfilled = liq(withOrder({ ap: '0', z: '0' }));
    assert.equal(unfilled.price, 4793.91);
    assert.equal(unfilled.qty, 0.014);
  });

  it('names the JSON path of a bad field', () => {
    const side = parseError(() => parser().parse(withOrder({ S: 'LONG' }), NaN));
    assert.equal(side.code, 'E_SIDE');
    assert.equal(side.field, 'data.o.S');
    const ap = parseError(() => parser().parse(withOrder({ ap: 'abc' }), NaN));
    assert.equal(ap.code, 'E_NUMBER');
    assert.equal(ap.field, 'data.o.ap');
    const missing = parseError(() => parser().parse({ ...sample, data: { e: 'forceOrder', E: 1 } }, NaN));
    assert.equal(missing.code, 'E_FIELD');
    assert.equal(missing.field, 'data.o');
  });
});

describe('binance books', () => {
  const all = lines(fixture('hftbacktest-binance-um-BTCUSDT-allstreams-20240808-head60.txt'));
  const snapshotLine = all.findIndex((l) => l.includes('"lastUpdateId"'));

  it('maps the REST snapshot with the symbol of the streams, seq = lastUpdateId, ts = T', () => {
    const events = run(CAPTURE, 'all.txt', fixture('hftbacktest-binance-um-BTCUSDT-allstreams-20240808-head60.txt')).events;
    const snap = events.find((e) => e.type === 'book' && e.isSnapshot);
    assert.ok(snap && snap.type === 'book');
    assert.equal(snap.symbol, 'BTCUSDT');
    assert.equal(snap.seq, 5123107852948);
    assert.equal(snap.ts, 1723161256493);
    assert.equal(snap.bids.length, 1000);
    assert.deepEqual(snap.bids[0], [61800.2, 2.909]);
    assert.deepEqual(snap.asks[0], [61800.3, 1.072]);
  });

  it('maps a depthUpdate to a diff with seq = u and qty 0 kept as a delete', () => {
    const [ev] = parser().parse(frame(all[0]), NaN)!;
    assert.ok(ev.type === 'book' && !ev.isSnapshot);
    assert.equal(ev.seq, 5123107837557);
    assert.equal(ev.ts, 1723161256298);
    assert.deepEqual(ev.bids[2], [61510.9, 0]);
  });

  it('resolves the snapshot symbol: --symbol first, else the single stream symbol, else E_FIELD', () => {
    const snap = frame(all[snapshotLine]);
    const alone = parseError(() => parser().parse(snap, NaN));
    assert.equal(alone.code, 'E_FIELD');
    assert.equal(alone.field, 'lastUpdateId');
    assert.equal(parser('BTCUSDT').parse(snap, NaN)![0].symbol, 'BTCUSDT');
    const two = parser();
    two.parse(frame(all[0]), NaN);
    two.parse({ stream: 'ethusdt@trade', data: { ...frame(all[1]).data, s: 'ETHUSDT' } }, NaN);
    assert.equal(parseError(() => two.parse(snap, NaN)).code, 'E_FIELD');
  });

  it('names the level that is wrong', () => {
    const diff = frame(all[0]);
    const bad = { ...diff, data: { ...diff.data, b: [['1', '1'], ['x', '2']] } };
    const err = parseError(() => parser().parse(bad, NaN));
    assert.equal(err.code, 'E_NUMBER');
    assert.equal(err.field, 'data.b[1][0]');
    const negative = { ...diff, data: { ...diff.data, a: [['1', '-1']] } };
    assert.equal(parseError(() => parser().parse(negative, NaN)).field, 'data.a[0][1]');
  });
});

describe('binance tickers', () => {
  const tardis = lines(fixture('tardisnode-binance-futures-ws-samples.jsonl')).map((l) => JSON.parse(l));

  it('maps bookTicker to best bid/ask with sizes, ts = T', () => {
    const [ev] = parser().parse(JSON.parse(lines(fixture('binance-um-ws-bookTicker-2021-07-22-head30.jsonl'))[0]), NaN) as TickerEvent[];
    assert.equal(ev.ts, 1626992741012);
    assert.deepEqual([ev.bestBid, ev.bestBidQty, ev.bestAsk, ev.bestAskQty], [7.611, 2, 7.612, 297]);
    assert.ok(Number.isNaN(ev.markPrice));
  });

  it('maps markPriceUpdate to mark, index, funding rate and next funding time', () => {
    const [ev] = parser().parse(tardis[9], NaN) as TickerEvent[];
    assert.deepEqual([ev.ts, ev.markPrice, ev.indexPrice, ev.fundingRate, ev.nextFundingTs], [1597536008000, 11857.56, 11851.86949091, 0.0001564, 1597564800000]);
  });

  it('leaves funding empty for a delivery contract (T = 0) and the index empty for 2019 frames', () => {
    const [delivery] = parser().parse(tardis[13], NaN) as TickerEvent[];
    assert.equal(delivery.symbol, 'BTCBUSD_210129');
    assert.ok(Number.isNaN(delivery.fundingRate) && Number.isNaN(delivery.nextFundingTs));
    const [old] = parser().parse(tardis[2], NaN) as TickerEvent[];
    assert.ok(Number.isNaN(old.indexPrice));
    assert.equal(old.fundingRate, 0.0001);
  });
});

describe('binance open interest in a raw capture (our `<symbol>@openInterest` frame)', () => {
  // What `record --raw` writes for each new answer of the REST poll GET /fapi/v1/openInterest.
  const oiFrame = { stream: 'btcusdt@openInterest', data: { openInterest: '10659.509', symbol: 'BTCUSDT', time: 1589437530011 } };

  it('maps the REST body to a ticker with openInterest (base units) at the answer\'s time', () => {
    const [t] = parser().parse(oiFrame, 7) as TickerEvent[];
    assert.equal(t.type, 'ticker');
    assert.equal(t.symbol, 'BTCUSDT');
    assert.equal(t.ts, 1589437530011);
    assert.equal(t.localTs, 7);
    assert.equal(t.openInterest, 10659.509);
    assert.ok(Number.isNaN(t.markPrice) && Number.isNaN(t.openInterestValue));
    assert.ok(parser().recognizes(oiFrame));
  });

  it('refuses a bad body naming the data. field, and a body of another symbol than the stream', () => {
    const bad = (data: Record<string, unknown>) => parseError(() => parser().parse({ ...oiFrame, data: { ...oiFrame.data, ...data } }, NaN));
    assert.deepEqual([bad({ openInterest: '-1' }).code, bad({ openInterest: '-1' }).field], ['E_NUMBER', 'data.openInterest']);
    assert.equal(bad({ time: undefined }).field, 'data.time');
    const other = bad({ symbol: 'ETHUSDT' });
    assert.deepEqual([other.code, other.field, other.value], ['E_FIELD', 'data.symbol', 'ETHUSDT']);
  });

  it('keeps Tardis\'s frame of the same name (generated, no time) out, as before', () => {
    const tardis = lines(fixture('tardisnode-binance-futures-ws-samples.jsonl')).map((l) => JSON.parse(l));
    assert.equal(tardis[8].stream, 'btcusdt@openInterest');
    assert.equal(parser().parse(tardis[8], NaN), null);
  });
});

describe('binance frames we know and keep out, and frames we refuse', () => {
  it('returns null for subscription acks, 24hrTicker and Tardis-generated frames', () => {
    const tardis = lines(fixture('tardisnode-binance-futures-ws-samples.jsonl')).map((l) => JSON.parse(l));
    assert.equal(parser().parse({ result: null, id: 1 }, NaN), null);
    assert.equal(parser().parse(tardis[1], NaN), null); // 24hrTicker
    assert.equal(parser().parse(tardis[6], NaN), null); // generated depthSnapshot
    assert.equal(parser().parse(tardis[8], NaN), null); // generated openInterest
  });

  it('throws E_MESSAGE for an unknown event type, naming data.e', () => {
    const err = parseError(() => parser().parse({ stream: 'btcusdt@foo', data: { e: 'foo', E: 1 } }, NaN));
    assert.equal(err.code, 'E_MESSAGE');
    assert.equal(err.field, 'data.e');
    assert.equal(err.value, 'foo');
  });

  it('throws for a refused subscription and for non-objects', () => {
    assert.equal(parseError(() => parser().parse({ error: { code: 2, msg: 'Invalid request' }, id: 2 }, NaN)).code, 'E_MESSAGE');
    assert.equal(parseError(() => parser().parse(42, NaN)).code, 'E_MESSAGE');
    assert.equal(parseError(() => parser().parse('x', NaN)).code, 'E_MESSAGE');
  });

  it('names bare-frame paths without the data. prefix', () => {
    const bare = frame(lines(fixture('hftbacktest-binance-um-BTCUSDT-trade-20240808-head60.txt'))[0]).data;
    const err = parseError(() => parser().parse({ ...bare, p: '1,5' }, NaN));
    assert.equal(err.field, 'p');
    assert.equal((parser().parse(bare, 5)![0] as TradeEvent).localTs, 5);
  });

  it('refuses bad values with the right code', () => {
    const base = frame(lines(fixture('hftbacktest-binance-um-BTCUSDT-trade-20240808-head60.txt'))[0]);
    const bad = (data: Record<string, unknown>) => parseError(() => parser().parse({ ...base, data: { ...base.data, ...data } }, NaN));
    assert.deepEqual([bad({ m: 'yes' }).code, bad({ m: 'yes' }).field], ['E_SIDE', 'data.m']);
    assert.deepEqual([bad({ T: 1723161256 }).code, bad({ T: 1723161256 }).field], ['E_TIME_UNIT', 'data.T']);
    assert.deepEqual([bad({ p: '' }).code, bad({ p: '' }).field], ['E_NUMBER', 'data.p']);
    assert.deepEqual([bad({ q: '0' }).code, bad({ q: '0' }).field], ['E_NUMBER', 'data.q']);
    assert.deepEqual([bad({ s: undefined }).code, bad({ s: undefined }).field], ['E_FIELD', 'data.s']);
  });

  it('maps every element of a !markPrice@arr payload, naming data[i]', () => {
    const tardis = lines(fixture('tardisnode-binance-futures-ws-samples.jsonl')).map((l) => JSON.parse(l));
    const arr = { stream: '!markPrice@arr@1s', data: [tardis[9].data, tardis[2].data] };
    assert.equal(parser().parse(arr, NaN)!.length, 2);
    const err = parseError(() => parser().parse({ ...arr, data: [tardis[9].data, { ...tardis[2].data, p: '-1' }] }, NaN));
    assert.equal(err.field, 'data[1].p');
  });
});

describe('binance recognizes', () => {
  const p = parser();
  it('recognizes combined-stream frames, bare events, REST snapshots and acks', () => {
    const all = lines(fixture('hftbacktest-binance-um-BTCUSDT-allstreams-20240808-head60.txt'));
    for (const l of all) assert.ok(p.recognizes(frame(l)), l.slice(0, 80));
    assert.ok(p.recognizes(frame(all[0]).data));
    assert.ok(p.recognizes({ result: null, id: 1 }));
  });

  it('does not recognize Bybit or OKX frames, or anything else', () => {
    assert.ok(!p.recognizes({ topic: 'publicTrade.BTCUSDT', type: 'snapshot', ts: 1, data: [] }));
    assert.ok(!p.recognizes({ arg: { channel: 'trades', instId: 'BTC-USDT' }, data: [] }));
    assert.ok(!p.recognizes({ success: true, ret_msg: '', op: 'subscribe' }));
    assert.ok(!p.recognizes({ event: 'subscribe', arg: {} }));
    for (const v of [null, 1, 'x', [], {}]) assert.ok(!p.recognizes(v));
  });
});

describe('binance streams', () => {
  it('names the streams the mappers need, lower-case', () => {
    assert.deepEqual(binanceStreams(['BTCUSDT']), [
      'btcusdt@trade', 'btcusdt@aggTrade', 'btcusdt@forceOrder', 'btcusdt@depth@100ms', 'btcusdt@bookTicker', 'btcusdt@markPrice@1s',
    ]);
  });
});
