/**
 * The loopback Bybit on its own, through a bare WebSocket and fetch: the protocol replies, the
 * frame shapes (against the capture), the encoder round trip, the depth windows, REST, and each
 * fault. No test touches the internet.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import WebSocket from 'ws';
import type { BookEvent, LiquidationEvent, TickerEvent, TradeEvent } from '../../../src/core/events.ts';
import { EMPTY_TICKER_FIELDS } from '../../../src/core/events.ts';
import { InstrumentRegistry } from '../../../src/core/instruments.ts';
import { decimalText, encodeBook, encodeLiquidation, encodeTickerData, encodeTrade, liquidationFrame, tickerFrame, tradeFrame } from '../../../src/venues/bybit/encode.ts';
import { startBybitMockServer, type BybitMockServer, type BybitMockServerOptions } from '../../../src/venues/bybit/mock-server.ts';
import { createBybitParser, parseBybitRecentTrades } from '../../../src/venues/bybit/parse.ts';
import { orderbookUrl, openInterestUrl, publicLinearUrl, recentTradeUrl } from '../../../src/venues/bybit/urls.ts';
import { realLines } from '../../helpers/real-data.ts';
import { bybitTestInstruments } from './instruments.ts';

const LINEAR = { contractType: 'linear', contractValue: 1 } as const;
const servers: BybitMockServer[] = [];
const sockets: WebSocket[] = [];
after(async () => {
  for (const s of sockets) s.terminate();
  for (const s of servers) await s.close();
});

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function server(o: BybitMockServerOptions = { symbols: ['BTCUSDT', 'ETHUSDT'] }): Promise<BybitMockServer> {
  const s = await startBybitMockServer(o);
  servers.push(s);
  return s;
}

/** A bare client: what it sends, and every frame it gets (as text and decoded). */
async function connect(srv: BybitMockServer) {
  const ws = new WebSocket(publicLinearUrl(srv.wsUrl));
  sockets.push(ws);
  const texts: string[] = [];
  ws.on('message', (d) => texts.push(d.toString()));
  await once(ws, 'open');
  const json = () => texts.map((t) => JSON.parse(t) as Record<string, unknown>);
  return {
    ws,
    texts,
    json,
    send: (o: unknown) => ws.send(typeof o === 'string' ? o : JSON.stringify(o)),
    /** Waits for `n` frames in all and returns them decoded. */
    async frames(n: number) {
      await until(() => texts.length >= n, `${n} frames`);
      return json();
    },
  };
}

const book = (isSnapshot: boolean, bids: [number, number][], asks: [number, number][], ts = Date.now()): BookEvent => ({ type: 'book', venue: 'bybit', symbol: 'BTCUSDT', ts, localTs: NaN, isSnapshot, bids, asks, seq: NaN });
const trade = (id: string, price = 100.5, ts = Date.now()): TradeEvent => ({ type: 'trade', venue: 'bybit', symbol: 'BTCUSDT', ts, localTs: NaN, price, qty: 0.25, side: 'sell', id });

describe('bybit mock: protocol replies', () => {
  it('acks a subscribe as Bybit linear does, then sends the book snapshot', async () => {
    const srv = await server();
    const c = await connect(srv);
    c.send({ req_id: 'r1', op: 'subscribe', args: ['orderbook.50.BTCUSDT', 'publicTrade.BTCUSDT'] });
    const [ack, snap] = await c.frames(2);
    assert.deepEqual(Object.keys(ack), ['success', 'ret_msg', 'conn_id', 'req_id', 'op']);
    assert.deepEqual({ ...ack, conn_id: 'x' }, { success: true, ret_msg: '', conn_id: 'x', req_id: 'r1', op: 'subscribe' });
    assert.match(ack.conn_id as string, /^[0-9a-f-]{36}$/);
    assert.equal(snap.topic, 'orderbook.50.BTCUSDT');
    assert.equal(snap.type, 'snapshot');
    assert.deepEqual(srv.subscriptions(), [['orderbook.50.BTCUSDT', 'publicTrade.BTCUSDT']]);
  });

  it('answers ping with the linear pong, echoing req_id', async () => {
    const srv = await server();
    const c = await connect(srv);
    c.send({ req_id: '100001', op: 'ping' });
    c.send({ op: 'ping' });
    const [a, b] = await c.frames(2);
    assert.deepEqual(Object.keys(a), ['success', 'ret_msg', 'conn_id', 'req_id', 'op']);
    assert.deepEqual([a.success, a.ret_msg, a.req_id, a.op], [true, 'pong', '100001', 'ping']);
    assert.equal(b.req_id, '');
    assert.equal(srv.stats.pings, 2);
  });

  it('refuses unknown symbols and topics, repeats and bad ops with Bybit error replies', async () => {
    const srv = await server();
    const c = await connect(srv);
    c.send({ req_id: 'e1', op: 'subscribe', args: ['orderbook.50.NOPEUSDT'] });
    c.send({ req_id: 'e2', op: 'subscribe', args: ['orderbook.30.BTCUSDT'] });
    c.send({ req_id: 'e3', op: 'subscribe', args: ['publicTrade.BTCUSDT'] });
    c.send({ req_id: 'e4', op: 'subscribe', args: ['publicTrade.BTCUSDT'] });
    c.send({ op: 'nope' });
    c.send('hello');
    const f = await c.frames(6);
    assert.deepEqual({ ...f[0], conn_id: 'x' }, { success: false, ret_msg: 'error:handler not found,topic:orderbook.50.NOPEUSDT', conn_id: 'x', req_id: 'e1', op: 'subscribe' });
    assert.equal(f[1].ret_msg, 'error:handler not found,topic:orderbook.30.BTCUSDT');
    assert.equal(f[2].success, true);
    assert.equal(f[3].ret_msg, 'error:already subscribed,topic:publicTrade.BTCUSDT');
    assert.equal(f[4].ret_msg, 'error:invalid op');
    assert.match(f[5].ret_msg as string, /^Failed to decode incoming data/);
    // A refused request subscribes none of its topics.
    c.send({ req_id: 'e5', op: 'subscribe', args: ['tickers.BTCUSDT', 'tickers.NOPEUSDT'] });
    await c.frames(7);
    assert.deepEqual(srv.subscriptions(), [['publicTrade.BTCUSDT']]);
  });

  it('unsubscribe stops a topic', async () => {
    const srv = await server();
    const c = await connect(srv);
    c.send({ op: 'subscribe', args: ['publicTrade.BTCUSDT'] });
    await c.frames(1);
    c.send({ req_id: 'u', op: 'unsubscribe', args: ['publicTrade.BTCUSDT'] });
    const [, unsub] = await c.frames(2);
    assert.deepEqual([unsub.success, unsub.op, unsub.req_id], [true, 'unsubscribe', 'u']);
    srv.publish(trade('t1'));
    c.send({ op: 'ping' });
    await c.frames(3);
    assert.equal(c.json()[2].op, 'ping');
  });

  it('serves only /v5/public/linear', async () => {
    const srv = await server();
    const ws = new WebSocket(`${srv.wsUrl}/v5/public/spot`);
    const [err] = (await once(ws, 'error')) as [Error];
    assert.match(err.message, /400/);
  });
});

describe('bybit mock: frames', () => {
  const line = (name: string, i: number) => JSON.parse(realLines(name)[i]) as Record<string, unknown>;
  const captured = ['publicTrade', 'orderbook200', 'tickers'].map((k) => `bybit-v5-linear-ws-${k}-2026-08-09.jsonl`);

  it('publishes frames with the captured shapes and key order', async () => {
    const srv = await server();
    const c = await connect(srv);
    c.send({ op: 'subscribe', args: ['publicTrade.BTCUSDT', 'orderbook.200.BTCUSDT', 'tickers.BTCUSDT'] });
    await c.frames(2);
    srv.publish(trade('a9188a0a-82bc-50de-be60-03eedbe3cdd7'));
    srv.publish(book(false, [[100, 1]], []));
    srv.publish({ type: 'ticker', venue: 'bybit', symbol: 'BTCUSDT', ts: Date.now(), localTs: NaN, ...EMPTY_TICKER_FIELDS, markPrice: 1, openInterest: 2, openInterestValue: 3, bestBid: 1, bestBidQty: 1, bestAsk: 2, bestAskQty: 1, lastPrice: 1, indexPrice: 1, fundingRate: 0, nextFundingTs: 1786320000000 });
    const f = await c.frames(5);
    const keys = (o: unknown) => Object.keys(o as object);
    const [t, b, tk] = [f[2], f[3], f[4]];
    const ct = line(captured[0], 0);
    assert.deepEqual(keys(t), keys(ct));
    assert.deepEqual(keys((t.data as unknown[])[0]), keys((ct.data as unknown[])[0]));
    const cb = line(captured[1], 1);
    assert.deepEqual(keys(b), keys(cb));
    assert.deepEqual(keys(b.data), keys(cb.data));
    const ck = line(captured[2], 0);
    assert.deepEqual(keys(tk), keys(ck));
    // Our fields, in the capture's order.
    const order = keys(ck.data);
    const ours = keys(tk.data);
    assert.deepEqual(ours, order.filter((k) => ours.includes(k)));
    assert.equal((tk.data as Record<string, string>).openInterest, '4');
    assert.equal((tk.data as Record<string, string>).singleOpenInterest, '2');
  });

  it('encode then parse gives the event back (trades, liquidations, books, tickers)', () => {
    const parser = createBybitParser({ fileName: 'x', symbol: undefined, instruments: new InstrumentRegistry() });
    const price = fc.integer({ min: 1, max: 10_000_000 }).map((n) => n / 100);
    const qty = fc.integer({ min: 1, max: 10_000_000 }).map((n) => n / 1000);
    const ts = fc.integer({ min: 1_262_304_000_000, max: 4_000_000_000_000 });
    const side = fc.constantFrom('buy' as const, 'sell' as const);
    const tradeArb = fc.record({ ts, price, qty, side, id: fc.uuid() }).map((x): TradeEvent => ({ type: 'trade', venue: 'bybit', symbol: 'BTCUSDT', localTs: NaN, ...x }));
    fc.assert(fc.property(fc.array(tradeArb, { minLength: 1, maxLength: 5 }), (ts2) => {
      const frame = tradeFrame('BTCUSDT', ts2[0].ts, ts2.map((e) => encodeTrade(e, LINEAR, { tickDirection: 'PlusTick', seq: 1 })));
      assert.deepEqual(parser.parse(JSON.parse(JSON.stringify(frame)), NaN), ts2);
    }), { numRuns: 200 });
    const liqArb = fc.record({ ts, price, qty, side }).map((x): LiquidationEvent => ({ type: 'liquidation', venue: 'bybit', symbol: 'BTCUSDT', localTs: NaN, id: '', ...x }));
    fc.assert(fc.property(liqArb, (e) => {
      assert.deepEqual(parser.parse(JSON.parse(JSON.stringify(liquidationFrame('BTCUSDT', e.ts, [encodeLiquidation(e, LINEAR)]))), NaN), [e]);
    }), { numRuns: 200 });
    const level = fc.tuple(price, fc.oneof(qty, fc.constant(0)));
    const bookArb = fc.record({ ts, isSnapshot: fc.boolean(), bids: fc.array(level, { maxLength: 6 }), asks: fc.array(level, { maxLength: 6 }), seq: fc.integer({ min: 1, max: 2 ** 40 }) })
      .map((x): BookEvent => ({ type: 'book', venue: 'bybit', symbol: 'BTCUSDT', localTs: NaN, ...x }));
    fc.assert(fc.property(bookArb, (e) => {
      assert.deepEqual(parser.parse(JSON.parse(JSON.stringify(encodeBook(e, 200, LINEAR, 7))), NaN), [e]);
    }), { numRuns: 200 });
    const opt = <T>(a: fc.Arbitrary<T>) => fc.option(a, { nil: NaN as T });
    const tickerArb = fc.record({
      ts, markPrice: opt(price), indexPrice: opt(price), lastPrice: opt(price), fundingRate: opt(fc.integer({ min: -50000, max: 50000 }).map((n) => n / 1e7)),
      nextFundingTs: opt(ts), openInterest: opt(qty), openInterestValue: opt(qty), bestBid: opt(price), bestBidQty: opt(qty), bestAsk: opt(price), bestAskQty: opt(qty),
    }).map((x): TickerEvent => ({ type: 'ticker', venue: 'bybit', symbol: 'BTCUSDT', localTs: NaN, ...EMPTY_TICKER_FIELDS, ...x }));
    fc.assert(fc.property(tickerArb, (e) => {
      const out = parser.parse(JSON.parse(JSON.stringify(tickerFrame('snapshot', encodeTickerData(e, LINEAR), 1, e.ts))), NaN) as TickerEvent[];
      // A ticker with none of our fields yields nothing, as parse.ts documents.
      if (out.length === 0) assert.ok(Object.values({ ...e, ts: NaN, localTs: NaN }).every((v) => typeof v === 'string' || Number.isNaN(v)));
      else assert.deepEqual(out, [e]);
    }), { numRuns: 300 });
  });

  it('encodes inverse sizes in USD contracts (BTCUSD, 1 USD each)', () => {
    const inv = bybitTestInstruments().get('bybit', 'BTCUSD')!;
    const parser = createBybitParser({ fileName: 'x', symbol: undefined, instruments: bybitTestInstruments() });
    const e: TradeEvent = { type: 'trade', venue: 'bybit', symbol: 'BTCUSD', ts: 1680673823564, localTs: NaN, price: 28560.5, qty: 5823 / 28560.5, side: 'buy', id: 'x' };
    const item = encodeTrade(e, inv, { tickDirection: 'PlusTick', seq: 1 });
    assert.equal(item.v, '5823');
    assert.deepEqual(parser.parse(JSON.parse(JSON.stringify(tradeFrame('BTCUSD', e.ts, [item]))), NaN), [e]);
  });

  it('writes decimals without exponents, exactly', () => {
    fc.assert(fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
      const t = decimalText(x);
      assert.doesNotMatch(t, /e/i);
      assert.equal(Number(t), x === 0 ? 0 : x);
    }), { numRuns: 1000 });
    assert.equal(decimalText(1e-7), '0.0000001');
    assert.equal(decimalText(1.5e21), '1500000000000000000000');
  });
});

describe('bybit mock: books', () => {
  it('keeps one window per depth: levels leaving it are deleted, u rises by one per changed window', async () => {
    const srv = await server();
    const c = await connect(srv);
    c.send({ op: 'subscribe', args: ['orderbook.1.BTCUSDT', 'orderbook.50.BTCUSDT'] });
    const [, s1, s50] = await c.frames(3);
    srv.publish(book(true, [[100, 1], [99, 2]], [[101, 1]]));
    srv.publish(book(false, [[99, 3]], [])); // outside the 1-level window
    srv.publish(book(false, [[100, 0]], [])); // 99 enters the 1-level window
    const f = (await c.frames(8)).slice(3);
    const u = (x: Record<string, unknown>) => (x.data as { u: number }).u;
    const of = (depth: number) => f.filter((x) => x.topic === `orderbook.${depth}.BTCUSDT`);
    assert.deepEqual(of(1).map(u), [u(s1) + 1, u(s1) + 2]);
    assert.deepEqual(of(50).map(u), [u(s50) + 1, u(s50) + 2, u(s50) + 3]);
    assert.deepEqual(of(1)[1].data, { s: 'BTCUSDT', b: [['100', '0'], ['99', '3']], a: [], u: u(s1) + 2, seq: (of(1)[1].data as { seq: number }).seq });
    assert.deepEqual(srv.bookView('BTCUSDT', 1), { bids: [[99, 3]], asks: [[101, 1]], u: u(s1) + 2 });
  });

  it('restartBookService sends a snapshot with u=1, then diffs from 2', async () => {
    const srv = await server();
    const c = await connect(srv);
    c.send({ op: 'subscribe', args: ['orderbook.200.BTCUSDT'] });
    await c.frames(2);
    srv.publish(book(true, [[100, 1]], [[101, 1]]));
    srv.restartBookService('BTCUSDT');
    srv.publish(book(false, [[100, 2]], []));
    const f = (await c.frames(5)).slice(2);
    assert.deepEqual(f.map((x) => [x.type, (x.data as { u: number }).u]), [['delta', 100001], ['snapshot', 1], ['delta', 2]]);
  });

  it('with awaitBookData, an unknown book sends its snapshot with its first update', async () => {
    const srv = await server({ awaitBookData: true });
    const c = await connect(srv);
    c.send({ op: 'subscribe', args: ['orderbook.50.ETHUSDT'] });
    await c.frames(1);
    srv.publish({ ...book(false, [[10, 1]], []), symbol: 'ETHUSDT' });
    const [, snap] = await c.frames(2);
    assert.equal(snap.type, 'snapshot');
    assert.deepEqual((snap.data as { b: unknown }).b, [['10', '1']]);
  });
});

describe('bybit mock: sources', () => {
  it('feeds from any iterable or async iterable, and batches liquidations like allLiquidation', async () => {
    const srv = await server({ liquidationPushMs: 30 });
    const c = await connect(srv);
    c.send({ op: 'subscribe', args: ['publicTrade.BTCUSDT', 'allLiquidation.BTCUSDT'] });
    await c.frames(1);
    async function* gen() {
      yield trade('g1');
      yield trade('g2');
    }
    assert.equal(await srv.feed(gen()), 2);
    assert.equal(await srv.feed([trade('g3')], { everyMs: 1 }), 1);
    const liq = (p: number): LiquidationEvent => ({ type: 'liquidation', venue: 'bybit', symbol: 'BTCUSDT', ts: Date.now(), localTs: NaN, price: p, qty: 1, side: 'buy', id: '' });
    srv.publish(liq(1));
    srv.publish(liq(2));
    const f = await c.frames(5);
    assert.deepEqual(f.slice(1, 4).map((x) => (x.data as { i: string }[])[0].i), ['g1', 'g2', 'g3']);
    assert.deepEqual((f[4].data as { p: string; S: string }[]).map((x) => [x.p, x.S]), [['1', 'Sell'], ['2', 'Sell']]);
  });

  it('replays raw captured lines verbatim, `<ns> <json>` lines too', async () => {
    const srv = await server();
    const c = await connect(srv);
    c.send({ op: 'subscribe', args: ['publicTrade.BTCUSDT'] });
    await c.frames(1);
    const line = '{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1786310819681,"data":[{"T":1786310819680,"s":"BTCUSDT","S":"Sell","v":"0.004","p":"65114.20","L":"MinusTick","i":"a9188a0a-82bc-50de-be60-03eedbe3cdd7","BT":false,"RPI":false,"seq":753843954913}]}';
    assert.equal(await srv.replayRaw([line, `1786310819000000000 ${line.replace('a9188a0a', 'b9188a0a')}`, '{"topic":"publicTrade.ETHUSDT","data":[]}']), 3);
    const f = await c.frames(3);
    assert.equal(c.texts[1], line);
    assert.equal(((f[2].data as { i: string }[])[0]).i, 'b9188a0a-82bc-50de-be60-03eedbe3cdd7');
  });
});

describe('bybit mock: REST', () => {
  it('answers recent-trade, orderbook and open-interest from what was published', async () => {
    const srv = await server();
    for (let i = 0; i < 5; i++) srv.publish(trade(`r${i}`, 100 + i, 1786310819000 + i));
    srv.publish(book(true, [[100, 1], [99, 2], [98, 3]], [[101, 1]]));
    const oi = (v: number, ts: number): TickerEvent => ({ type: 'ticker', venue: 'bybit', symbol: 'BTCUSDT', ts, localTs: NaN, ...EMPTY_TICKER_FIELDS, openInterest: v });
    srv.publish(oi(10, 1786310400000), oi(11, 1786310500000), oi(12, 1786310700000));
    const get = async (url: string) => (await (await fetch(url)).json()) as { retCode: number; retMsg: string; result: Record<string, unknown>; time: number };
    const rt = await get(recentTradeUrl(srv.restUrl, 'BTCUSDT', 3));
    assert.deepEqual((rt.result.list as { execId: string }[]).map((x) => x.execId), ['r4', 'r3', 'r2']);
    assert.deepEqual(Object.keys((rt.result.list as object[])[0]), ['execId', 'symbol', 'price', 'size', 'side', 'time', 'isBlockTrade', 'isRPITrade', 'seq']);
    assert.deepEqual(parseBybitRecentTrades(rt, new InstrumentRegistry(), NaN).map((t) => t.id), ['r2', 'r3', 'r4']);
    const ob = await get(orderbookUrl(srv.restUrl, 'BTCUSDT', 2));
    assert.deepEqual({ ...ob.result, seq: 0, ts: 0, cts: 0, u: 0 }, { s: 'BTCUSDT', b: [['100', '1'], ['99', '2']], a: [['101', '1']], ts: 0, u: 0, seq: 0, cts: 0 });
    // Its `u` is the 1000-level stream's: a subscriber's snapshot and later REST calls agree.
    const c = await connect(srv);
    c.send({ op: 'subscribe', args: ['orderbook.1000.BTCUSDT'] });
    const [, snap] = await c.frames(2);
    assert.equal((snap.data as { u: number }).u, ob.result.u);
    srv.publish(book(false, [[97, 1]], []));
    const [, , delta] = await c.frames(3);
    assert.equal((await get(orderbookUrl(srv.restUrl, 'BTCUSDT', 2))).result.u, (delta.data as { u: number }).u);
    const o = await get(openInterestUrl(srv.restUrl, 'BTCUSDT', '5min', 10));
    assert.deepEqual(o.result, { symbol: 'BTCUSDT', category: 'linear', list: [{ openInterest: '24', singleOpenInterest: '12', timestamp: '1786310700000' }, { openInterest: '22', singleOpenInterest: '11', timestamp: '1786310400000' }], nextPageCursor: '' });
    const bad = await get(recentTradeUrl(srv.restUrl, 'NOPEUSDT', 3));
    assert.equal(bad.retCode, 10001);
    assert.equal((await fetch(`${srv.restUrl}/v5/market/nothing`)).status, 404);
    srv.faults.restError({ path: '/v5/market/orderbook' });
    assert.equal((await fetch(orderbookUrl(srv.restUrl, 'BTCUSDT', 1))).status, 503);
    assert.equal((await fetch(orderbookUrl(srv.restUrl, 'BTCUSDT', 1))).status, 200);
  });
});

describe('bybit mock: faults', () => {
  const subscribed = async (srv: BybitMockServer, topic = 'publicTrade.BTCUSDT') => {
    const c = await connect(srv);
    c.send({ op: 'subscribe', args: [topic] });
    await c.frames(topic.startsWith('orderbook') ? 2 : 1);
    return c;
  };

  it('a sequence gap skips frames; on a book it spends the update id', async () => {
    const srv = await server();
    const c = await subscribed(srv, 'orderbook.50.BTCUSDT');
    srv.faults.sequenceGap({ stream: /^orderbook/ });
    for (let i = 1; i <= 3; i++) srv.publish(book(false, [[100, i]], []));
    const f = (await c.frames(4)).slice(1);
    const [s, a, b] = f.map((x) => (x.data as { u: number }).u);
    assert.deepEqual([a - s, b - a], [2, 1]);
  });

  it('duplicate, reorder, truncate and malformed change the next frames only', async () => {
    const srv = await server();
    const c = await subscribed(srv);
    srv.faults.duplicate();
    srv.publish(trade('d'));
    srv.faults.reorder({ stream: 'publicTrade.BTCUSDT' });
    srv.publish(trade('r1'));
    srv.publish(trade('r2'));
    srv.faults.truncated();
    srv.publish(trade('t'));
    srv.faults.malformed();
    srv.publish(trade('m'));
    srv.publish(trade('ok'));
    await until(() => c.texts.length === 8, 'eight frames');
    const t = c.texts.slice(1);
    assert.equal(t[0], t[1]);
    assert.deepEqual([t[2], t[3]].map((x) => (JSON.parse(x) as { data: { i: string }[] }).data[0].i), ['r2', 'r1']);
    assert.throws(() => JSON.parse(t[4]));
    const parser = createBybitParser({ fileName: 'x', symbol: undefined, instruments: new InstrumentRegistry() });
    assert.throws(() => parser.parse(JSON.parse(t[5]), NaN), (e: unknown) => (e as { field?: string }).field === 'data[0].p');
    assert.equal((JSON.parse(t[6]) as { data: { i: string }[] }).data[0].i, 'ok');
  });

  it('a subscription error answers the next subscription with the venue error', async () => {
    const srv = await server();
    srv.faults.subscriptionError({ stream: /^tickers/, count: 1 });
    const c = await connect(srv);
    c.send({ op: 'subscribe', args: ['tickers.BTCUSDT'] });
    c.send({ op: 'subscribe', args: ['tickers.BTCUSDT'] });
    const [a, b] = await c.frames(2);
    assert.deepEqual([a.success, a.ret_msg, b.success], [false, 'error:handler not found,topic:tickers.BTCUSDT', true]);
  });

  it('stall silences a connection, pongs included; disconnect drops it', async () => {
    const srv = await server();
    const c = await subscribed(srv);
    srv.faults.stall();
    c.send({ op: 'ping' });
    srv.publish(trade('x'));
    await until(() => srv.received.length === 2, 'the ping');
    await new Promise((r) => setTimeout(r, 30));
    assert.equal(c.texts.length, 1);
    assert.equal(c.ws.readyState, WebSocket.OPEN);
    srv.faults.disconnect();
    await once(c.ws, 'close');
    await until(() => srv.stats.connections === 0, 'closed');
  });

  it('slow consumer: every queued frame bursts at once, in order', async () => {
    const srv = await server();
    const c = await subscribed(srv);
    const burst = srv.faults.slowConsumer();
    for (let i = 0; i < 500; i++) srv.publish(trade(`h${i}`));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(c.texts.length, 1);
    burst.release();
    await c.frames(501);
    assert.deepEqual(c.json().slice(1).map((x) => (x.data as { i: string }[])[0].i), Array.from({ length: 500 }, (_, i) => `h${i}`));
  });

  it('sendRaw writes any text to every connection', async () => {
    const srv = await server();
    const c = await connect(srv);
    srv.sendRaw('{"topic":"tickers.BTCUSDT","type":"delta"');
    await until(() => c.texts.length === 1, 'the text');
    assert.equal(c.texts[0], '{"topic":"tickers.BTCUSDT","type":"delta"');
  });
});
