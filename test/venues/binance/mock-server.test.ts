/**
 * The loopback Binance server on its own (raw `ws` clients and fetch): the stream protocol and its
 * replies, routing, heartbeat and limits, the REST endpoints, feeding (events, iterables, raw
 * captures), fault switches; the encoder as the inverse of parse.ts (fast-check round trips); and
 * the parse functions added for live fuzzed with hostile input.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import fc from 'fast-check';
import WebSocket from 'ws';
import { ParseError } from '../../../src/core/errors.ts';
import { EMPTY_TICKER_FIELDS, type BookEvent, type LiquidationEvent, type MarketEvent, type TickerEvent, type TradeEvent } from '../../../src/core/events.ts';
import { InstrumentRegistry } from '../../../src/core/instruments.ts';
import {
  combinedFrame,
  decimal,
  encodeAggTrade,
  encodeBookTicker,
  encodeDepthSnapshot,
  encodeDepthUpdate,
  encodeForceOrder,
  encodeMarkPrice,
  encodeOpenInterest,
  encodeRestAggTrade,
} from '../../../src/venues/binance/encode.ts';
import { LiveError } from '../../../src/venues/live/errors.ts';
import { startBinanceMockServer, type BinanceMockServer, type BinanceMockServerOptions } from '../../../src/venues/binance/mock-server.ts';
import {
  binanceDepthIds,
  binanceReply,
  createBinanceParser,
  parseBinanceDepthSnapshot,
  parseBinanceOpenInterest,
  parseBinanceRestAggTrades,
} from '../../../src/venues/binance/parse.ts';
import { BINANCE_REST_POLICY } from '../../../src/venues/binance/rest.ts';
import { PacedRest, RestError } from '../../../src/venues/live/rest.ts';
import { binanceAggTradesUrl, binanceCombinedStreamUrl, binanceDepthUrl, binanceOpenInterestUrl, binanceRestBase, binanceStreamRoute, binanceWsBase } from '../../../src/venues/binance/urls.ts';
import { realFile, realLines } from '../../helpers/real-data.ts';
import { waitFor } from '../../helpers/wait.ts';

const until = (cond: () => boolean, what: string, ms = 3000) => waitFor(cond, what, ms, 5);
const settle = (ms = 40) => new Promise((r) => setTimeout(r, ms));

const servers: BinanceMockServer[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.terminate();
  for (const s of servers.splice(0)) await s.close();
});

async function server(opts: BinanceMockServerOptions = {}): Promise<BinanceMockServer> {
  const s = await startBinanceMockServer({ liquidationSampleMs: 0, ...opts });
  servers.push(s);
  return s;
}

/** A bare WebSocket client that keeps every text frame. */
async function client(url: string, opts: WebSocket.ClientOptions = {}) {
  const ws = new WebSocket(url, opts);
  sockets.push(ws);
  const frames: string[] = [];
  let read = 0;
  ws.on('message', (d) => frames.push(d.toString()));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return {
    ws,
    frames,
    send: (v: unknown) => ws.send(typeof v === 'string' ? v : JSON.stringify(v)),
    async next(): Promise<string> {
      await until(() => frames.length > read, 'a frame');
      return frames[read++];
    },
    async subscribe(params: string[], id = 1): Promise<void> {
      ws.send(JSON.stringify({ method: 'SUBSCRIBE', params, id }));
      await until(() => frames.includes(`{"result":null,"id":${id}}`), `ack ${id}`);
      read = frames.length;
    },
  };
}

let clock = Date.UTC(2026, 10, 25, 12);
const trade = (id: number, symbol = 'BTCUSDT'): TradeEvent => ({ type: 'trade', venue: 'binance', symbol, ts: ++clock, localTs: NaN, price: 100 + id / 100, qty: 1 + id / 1000, side: id % 2 ? 'buy' : 'sell', id: String(id) });
const liq = (price: number): LiquidationEvent => ({ type: 'liquidation', venue: 'binance', symbol: 'BTCUSDT', ts: ++clock, localTs: NaN, price, qty: 0.5, side: 'buy', id: '' });
const diff = (bids: [number, number][], asks: [number, number][], seq = NaN): BookEvent => ({ type: 'book', venue: 'binance', symbol: 'BTCUSDT', ts: ++clock, localTs: NaN, isSnapshot: false, bids, asks, seq });

describe('Binance mock server: stream protocol', () => {
  it('acks SUBSCRIBE, UNSUBSCRIBE and LIST_SUBSCRIPTIONS as the venue does, and refuses what it refuses', async () => {
    const s = await server({ maxIncomingPerSecond: 100 }); // 13 requests in well under a second
    const c = await client(`${s.wsUrl}/market/stream`);
    c.send({ method: 'SUBSCRIBE', params: ['btcusdt@aggTrade', 'btcusdt@markPrice@1s'], id: 1 });
    assert.equal(await c.next(), '{"result":null,"id":1}');
    c.send({ method: 'LIST_SUBSCRIPTIONS', id: 2 });
    assert.equal(await c.next(), '{"result":["btcusdt@aggTrade","btcusdt@markPrice@1s"],"id":2}');
    c.send({ method: 'SUBSCRIBE', params: ['BTCUSDT@aggTrade'], id: 3 });
    assert.equal(await c.next(), '{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":3}');
    c.send({ method: 'SUBSCRIBE', params: ['btcusdt@nosuchstream'], id: 4 });
    assert.equal(await c.next(), '{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":4}');
    c.send('{"method": "SUBSCRIBE",');
    assert.equal(await c.next(), '{"error":{"code":3,"msg":"Invalid JSON: expected value at line 1 column 1"},"id":null}');
    c.send({ method: 'SUBSCRIBEE', params: [], id: 5 });
    assert.match(await c.next(), /^\{"error":\{"code":2,"msg":"Invalid request: unknown variant `SUBSCRIBEE`, expected one of `SUBSCRIBE`, `UNSUBSCRIBE`, `LIST_SUBSCRIPTIONS`, `SET_PROPERTY`, `GET_PROPERTY` at line 1 column 28"\},"id":5\}$/);
    c.send({ method: 'GET_PROPERTY', params: ['combined'], id: 6 });
    assert.equal(await c.next(), '{"result":true,"id":6}');
    // A well-formed stream of a symbol the venue does not list: accepted, and silent (as Binance does).
    c.send({ method: 'SUBSCRIBE', params: ['nosuchusdt@aggTrade'], id: 7 });
    assert.equal(await c.next(), '{"result":null,"id":7}');
    // An injected refusal uses the venue's words.
    s.faults.subscriptionError({ stream: 'ethusdt@aggTrade' });
    c.send({ method: 'SUBSCRIBE', params: ['ethusdt@aggTrade'], id: 8 });
    assert.equal(await c.next(), '{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":8}');
    s.publish(trade(1));
    assert.match(await c.next(), /^\{"stream":"btcusdt@aggTrade","data":\{"e":"aggTrade",/);
    c.send({ method: 'SET_PROPERTY', params: ['combined', false], id: 9 });
    assert.equal(await c.next(), '{"result":null,"id":9}');
    s.publish(trade(2));
    assert.match(await c.next(), /^\{"e":"aggTrade","E":\d+,"a":2,/, 'raw payloads once combined is off');
    c.send({ method: 'UNSUBSCRIBE', params: ['btcusdt@aggTrade'], id: 10 });
    assert.equal(await c.next(), '{"result":null,"id":10}');
    s.publish(trade(3));
    await settle();
    assert.equal(c.frames.length, 13, 'nothing after UNSUBSCRIBE');
    assert.deepEqual([s.stats().subscribeRequests, s.stats().unsubscribeRequests, s.stats().refusals], [5, 1, 3]);
  });

  it('routes as the 2026 base-URL split does: book streams on /public, the rest on /market, only public data on the unrouted /stream', async () => {
    const s = await server();
    const streams = ['btcusdt@aggTrade', 'btcusdt@depth@100ms'];
    const pub = await client(`${s.wsUrl}/public/stream`);
    const mkt = await client(`${s.wsUrl}/market/stream`);
    const root = await client(`${s.wsUrl}/stream`);
    for (const c of [pub, mkt, root]) await c.subscribe(streams);
    s.publish(trade(1));
    s.publish(diff([[99, 1]], [[101, 1]]));
    await settle();
    const names = (c: { frames: string[] }) => c.frames.map((f) => /^\{"stream":"([^"]+)"/.exec(f)?.[1]).filter((x) => x !== undefined);
    assert.deepEqual(names(pub), ['btcusdt@depth@100ms']);
    assert.deepEqual(names(mkt), ['btcusdt@aggTrade']);
    assert.deepEqual(names(root), ['btcusdt@depth@100ms']);
    assert.equal(binanceStreamRoute('btcusdt@bookTicker'), 'public');
    assert.equal(binanceStreamRoute('btcusdt@forceOrder'), 'market');
  });

  it('subscribes streams named in the URL (?streams= and /ws/<stream>), and sends /ws payloads unwrapped', async () => {
    const s = await server();
    const combined = await client(binanceCombinedStreamUrl(s.wsUrl, 'market', ['btcusdt@aggTrade', 'btcusdt@forceOrder']));
    const raw = await client(`${s.wsUrl}/market/ws/btcusdt@aggTrade`);
    s.publish(trade(1));
    s.publish(liq(90));
    await until(() => combined.frames.length === 2 && raw.frames.length === 1, 'frames');
    assert.match(combined.frames[1], /^\{"stream":"btcusdt@forceOrder","data":\{"e":"forceOrder",/);
    assert.match(raw.frames[0], /^\{"e":"aggTrade",/);
  });

  it('pings every pingIntervalMs, and drops a connection that does not pong within pongTimeoutMs', async () => {
    // A pong timeout six to seven ping intervals long, so that three pings reach the good connection
    // before the mute one is dropped even when a loaded neighbour holds this process's timers back;
    // pings no closer than 120 ms, as each pong counts against Binance's 10 messages a second.
    const s = await server({ pingIntervalMs: 120, pongTimeoutMs: 800 });
    const good = await client(`${s.wsUrl}/market/stream`);
    let pings = 0;
    good.ws.on('ping', () => pings++);
    const mute = await client(`${s.wsUrl}/market/stream`, { autoPong: false });
    let closed = false;
    mute.ws.on('close', () => (closed = true));
    await until(() => closed, 'the mute connection dropped');
    assert.ok(pings >= 3);
    assert.equal(good.ws.readyState, WebSocket.OPEN, 'the one that pongs stays');
    assert.ok(s.stats().pongsReceived >= 3);
  });

  it('closes a connection that sends more than 10 messages in a second, and cuts every connection at its lifetime', async () => {
    const s = await server({ maxConnectionMs: 150 });
    const noisy = await client(`${s.wsUrl}/market/stream`);
    const code = new Promise<number>((r) => noisy.ws.once('close', (c) => r(c)));
    for (let i = 1; i <= 11; i++) noisy.send({ method: 'LIST_SUBSCRIPTIONS', id: i });
    assert.equal(await code, 1008);
    const quiet = await client(`${s.wsUrl}/market/stream`);
    const closed = new Promise<[number, string]>((r) => quiet.ws.once('close', (c, why) => r([c, why.toString()])));
    assert.deepEqual(await closed, [1000, 'connection lifetime reached']);
  });

  it('silent stall: the connection stays open and gets nothing, not even replies or pongs', async () => {
    const s = await server();
    const c = await client(`${s.wsUrl}/market/stream`);
    await c.subscribe(['btcusdt@aggTrade']);
    let pongs = 0;
    c.ws.on('pong', () => pongs++);
    assert.equal(s.faults.stall(), 1);
    s.publish(trade(1));
    c.send({ method: 'LIST_SUBSCRIPTIONS', id: 2 });
    c.ws.ping();
    await settle(60);
    assert.deepEqual([c.frames.length, pongs], [1, 0]);
    assert.equal(c.ws.readyState, WebSocket.OPEN);
  });
});

describe('Binance mock server: REST', () => {
  it('depth: the venue book, best first, through its last update (lastUpdateId), which the next diff continues (pu = lastUpdateId)', async () => {
    const s = await server();
    s.publish({ ...diff([[99, 1], [98, 2], [97, 3]], [[101, 1], [102, 2]]), isSnapshot: true, seq: 1000 });
    s.publish(diff([[98, 0]], [[103, 4]]));
    const res = await fetch(binanceDepthUrl(s.restUrl, 'BTCUSDT', 5));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-mbx-used-weight-1m'), '2', 'limit 5 weighs 2, this request included');
    const text = await res.text();
    // Key order of the captured snapshot line (hftbacktest capture, line 55).
    assert.match(text, /^\{"lastUpdateId":1001,"E":\d+,"T":\d+,"bids":\[\["99","1"\],\["97","3"\]\],"asks":\[\["101","1"\],\["102","2"\],\["103","4"\]\]\}$/);
    const c = await client(`${s.wsUrl}/public/stream`);
    await c.subscribe(['btcusdt@depth@100ms']);
    s.publish(diff([[99, 5]], []));
    const next = JSON.parse(await c.next()).data;
    assert.ok(next.U === 1002 && next.pu === 1001, JSON.stringify(next));
    assert.deepEqual(await (await fetch(binanceDepthUrl(s.restUrl, 'BTCUSDT', 7))).json(), { code: -1130, msg: "Data sent for parameter 'limit' is not valid." });
  });

  it('aggTrades: from fromId (inclusive), at most limit, in the documented key order; the latest without fromId', async () => {
    const s = await server();
    for (let i = 1; i <= 30; i++) s.publish(trade(i));
    const page = (await (await fetch(binanceAggTradesUrl(s.restUrl, 'BTCUSDT', 11, 5))).json()) as Record<string, unknown>[];
    assert.deepEqual(page.map((t) => t.a), [11, 12, 13, 14, 15]);
    assert.deepEqual(Object.keys(page[0]), ['a', 'p', 'q', 'f', 'l', 'T', 'm']);
    assert.deepEqual(parseBinanceRestAggTrades(page, 'BTCUSDT', NaN), s.trades('BTCUSDT').slice(10, 15));
    const latest = (await (await fetch(`${s.restUrl}/fapi/v1/aggTrades?symbol=BTCUSDT&limit=3`)).json()) as { a: number }[];
    assert.deepEqual(latest.map((t) => t.a), [28, 29, 30]);
  });

  it('openInterest, and the venue error bodies: -1121 unknown symbol, -1102 no symbol, 503 -1001 when told to fail', async () => {
    const s = await server({ symbols: ['ETHUSDT'] });
    s.publish({ type: 'ticker', venue: 'binance', symbol: 'BTCUSDT', ts: ++clock, localTs: NaN, ...EMPTY_TICKER_FIELDS, openInterest: 10_659.509 });
    assert.deepEqual(await (await fetch(binanceOpenInterestUrl(s.restUrl, 'BTCUSDT'))).json(), { openInterest: '10659.509', symbol: 'BTCUSDT', time: clock });
    assert.equal((await fetch(binanceOpenInterestUrl(s.restUrl, 'ETHUSDT'))).status, 200, 'listed, nothing published yet');
    const bad = await fetch(binanceOpenInterestUrl(s.restUrl, 'NOPEUSDT'));
    assert.deepEqual([bad.status, await bad.json()], [400, { code: -1121, msg: 'Invalid symbol.' }]);
    const none = await fetch(`${s.restUrl}/fapi/v1/openInterest`);
    assert.deepEqual([none.status, await none.json()], [400, { code: -1102, msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed." }]);
    s.faults.restError({ path: '/fapi/v1/openInterest', count: 1 });
    const failed = await fetch(binanceOpenInterestUrl(s.restUrl, 'BTCUSDT'));
    assert.deepEqual([failed.status, await failed.json()], [503, { code: -1001, msg: 'Internal error; unable to process your request. Please try again.' }]);
    assert.equal((await fetch(binanceOpenInterestUrl(s.restUrl, 'BTCUSDT'))).status, 200, 'the fault wore off');
  });

  it('REQUEST_WEIGHT: over the limit is 429 with Retry-After; the client side counts weight, reads the header and pauses', async () => {
    const s = await server({ restWeightPerMinute: 45 });
    s.publish(trade(1));
    const rest = new PacedRest(BINANCE_REST_POLICY, { budgetLimit: 1000, attempts: 1 });
    await rest.get(binanceDepthUrl(s.restUrl, 'BTCUSDT'), { weight: 20 });
    await rest.get(binanceDepthUrl(s.restUrl, 'BTCUSDT'), { weight: 20 });
    assert.equal(rest.usedWeight(), 40);
    const err = await rest.get(binanceDepthUrl(s.restUrl, 'BTCUSDT'), { weight: 20 }).then(
      () => assert.fail('expected 429'),
      (e: unknown) => e,
    );
    assert.ok(err instanceof RestError);
    assert.equal(err.code, 'E_REST_RATE_LIMIT');
    assert.equal(err.venueCode, '-1003');
    assert.ok(err.retryAfterMs! >= 1000 && err.retryAfterMs! <= 60_000);
    assert.match(err.message, /^GET \/fapi\/v1\/depth\?symbol=BTCUSDT&limit=1000: HTTP 429: Too many requests/);
    // Paused: the next call waits (stopped here by close()).
    const waiting = rest.get(binanceOpenInterestUrl(s.restUrl, 'BTCUSDT'), { weight: 1 }).catch((e: RestError) => `${e.code} ${e.detail}`);
    await settle(30);
    rest.close();
    assert.equal(await waiting, 'E_REST_STOPPED client stopped');
    assert.equal(s.stats().restCalls['/fapi/v1/openInterest'] ?? 0, 0, 'nothing was sent while paused');
    // The local budget alone also holds requests back.
    const small = new PacedRest(BINANCE_REST_POLICY, { budgetLimit: 20, attempts: 1 });
    const s2 = await server();
    s2.publish(trade(1));
    await small.get(binanceDepthUrl(s2.restUrl, 'BTCUSDT'), { weight: 20 });
    let second = false;
    void small.get(binanceDepthUrl(s2.restUrl, 'BTCUSDT'), { weight: 20 }).then(() => (second = true), () => undefined);
    await settle(50);
    assert.equal(second, false, 'held by the local budget');
    small.close();
  });

  it('endpoints: config over environment over the venue default, documented paths appended', () => {
    assert.equal(binanceWsBase('ws://127.0.0.1:9/'), 'ws://127.0.0.1:9');
    const saved = process.env.ORDERFLOW_BINANCE_REST_URL;
    process.env.ORDERFLOW_BINANCE_REST_URL = 'http://127.0.0.1:8080';
    try {
      assert.equal(binanceRestBase(), 'http://127.0.0.1:8080');
      assert.equal(binanceRestBase('http://10.0.0.1:1'), 'http://10.0.0.1:1');
    } finally {
      if (saved === undefined) delete process.env.ORDERFLOW_BINANCE_REST_URL;
      else process.env.ORDERFLOW_BINANCE_REST_URL = saved;
    }
    if (process.env.ORDERFLOW_BINANCE_WS_URL === undefined) assert.equal(binanceWsBase(), 'wss://fstream.binance.com');
    assert.equal(binanceCombinedStreamUrl('wss://fstream.binance.com', 'public', ['btcusdt@depth@100ms', 'ethusdt@depth@100ms']), 'wss://fstream.binance.com/public/stream?streams=btcusdt@depth@100ms/ethusdt@depth@100ms');
    assert.equal(binanceAggTradesUrl('https://fapi.binance.com', 'BTCUSDT', 5), 'https://fapi.binance.com/fapi/v1/aggTrades?symbol=BTCUSDT&fromId=5&limit=1000');
    assert.throws(() => binanceWsBase('https://x'), /expected ws:\/\/ or wss:\/\//);
  });
});

describe('Binance mock server: feeding and faults', () => {
  it('takes events from any async iterable (events encoded, strings replayed raw)', async () => {
    async function* source(): AsyncIterable<MarketEvent | string> {
      for (let i = 1; i <= 3; i++) {
        yield trade(i);
        await new Promise((r) => setImmediate(r));
      }
      yield realLines('binance-um-ws-aggTrade-2021-07-22.jsonl')[0]; // a CTKUSDT frame, as captured
    }
    const s = await server();
    const c = await client(`${s.wsUrl}/market/stream`);
    await c.subscribe(['btcusdt@aggTrade', 'ctkusdt@aggTrade']);
    await s.feed(source());
    // Or given at start: consumed in the background, `sourceDone` says when.
    const fed = await server({ source: source() });
    await fed.sourceDone;
    assert.equal(fed.trades('BTCUSDT').length, 3);
    await until(() => c.frames.length === 5, 'four frames');
    assert.equal(c.frames[4], realLines('binance-um-ws-aggTrade-2021-07-22.jsonl')[0]);
    assert.deepEqual(s.trades('CTKUSDT').map((t) => t.id), ['16599292']);
  });

  it('replays a capture byte-exact to its subscribers, and serves its aggTrades over REST', async () => {
    const s = await server();
    const c = await client(`${s.wsUrl}/market/stream`);
    await c.subscribe(['sushiusdt@aggTrade']);
    assert.equal(await s.replayCapture(realFile('binance-um-ws-aggTrade-2021-07-22.jsonl')), 91);
    const sushi = realLines('binance-um-ws-aggTrade-2021-07-22.jsonl').filter((l) => l.startsWith('{"stream":"sushiusdt@aggTrade"'));
    await until(() => c.frames.length === 1 + sushi.length, 'the SUSHI frames');
    assert.deepEqual(c.frames.slice(1), sushi);
    const firstId = JSON.parse(sushi[0]).data.a;
    const page = (await (await fetch(binanceAggTradesUrl(s.restUrl, 'SUSHIUSDT', firstId, 1000))).json()) as unknown[];
    assert.equal(page.length, sushi.length);
    assert.deepEqual(page[0], (({ e: _e, E: _E, s: _s, ...rest }) => rest)(JSON.parse(sushi[0]).data));
  });

  it('samples forceOrder as the venue does: the latest liquidation of each window per symbol, at its end', async () => {
    const s = await server({ liquidationSampleMs: 40 });
    const c = await client(`${s.wsUrl}/market/stream`);
    await c.subscribe(['btcusdt@forceOrder']);
    s.publish(liq(90));
    s.publish(liq(91));
    s.publish(liq(92));
    await until(() => c.frames.length === 2, 'one frame');
    await settle(80);
    assert.equal(c.frames.length, 2, 'one frame for three liquidations');
    assert.equal(JSON.parse(c.frames[1]).data.o.ap, '92');
  });

  it('fault switches: sequence gap, duplicate, reorder, malformed, truncated, each wearing off after its count', async () => {
    const s = await server();
    const c = await client(`${s.wsUrl}/market/stream`);
    await c.subscribe(['btcusdt@aggTrade']);
    const ids = () => c.frames.slice(1).map((f) => /"a":(\d+)/.exec(f)?.[1] ?? 'bad');
    s.faults.sequenceGap({ count: 2 }).duplicate({ stream: 'btcusdt@aggTrade' });
    for (let i = 1; i <= 4; i++) s.publish(trade(i));
    await until(() => c.frames.length === 4, 'frames');
    assert.deepEqual(ids(), ['3', '3', '4']);
    s.faults.reorder({ stream: /@aggTrade$/ });
    for (let i = 5; i <= 7; i++) s.publish(trade(i));
    await until(() => c.frames.length === 7, 'reordered');
    assert.deepEqual(ids().slice(3), ['6', '5', '7']);
    s.faults.malformed().truncated();
    s.publish(trade(8));
    s.publish(trade(9));
    s.publish(trade(10));
    await until(() => c.frames.length === 10, 'bad frames');
    const [malformed, truncated, fine] = c.frames.slice(7);
    assert.match(malformed, /"p":"x"/);
    assert.doesNotThrow(() => JSON.parse(malformed));
    assert.throws(() => JSON.parse(truncated));
    assert.match(fine, /"a":10/);
    const parser = createBinanceParser({ fileName: 't', symbol: undefined, instruments: new InstrumentRegistry() });
    assert.throws(() => parser.parse(JSON.parse(malformed), NaN), (e: unknown) => e instanceof ParseError && e.field === 'data.p');
    assert.equal(s.trades('BTCUSDT').length, 10, 'the venue kept every trade, whatever the wire did');
  });

  it('slow consumer: frames held back reach the client as one burst, in order', async () => {
    const s = await server();
    const c = await client(`${s.wsUrl}/market/stream`);
    await c.subscribe(['btcusdt@aggTrade']);
    const burst = s.faults.slowConsumer();
    for (let i = 1; i <= 500; i++) s.publish(trade(i));
    await settle();
    assert.equal(c.frames.length, 1);
    burst.release();
    await until(() => c.frames.length === 501, 'the burst');
    assert.deepEqual(c.frames.slice(1).map((f) => Number(/"a":(\d+)/.exec(f)![1])), Array.from({ length: 500 }, (_, i) => i + 1));
  });
});

describe('Binance encoder: the inverse of parse.ts', () => {
  const parser = () => createBinanceParser({ fileName: 'rt', symbol: undefined, instruments: new InstrumentRegistry() });
  const positive = fc.double({ min: 1e-9, max: 1e9, noNaN: true, noDefaultInfinity: true }).filter((x) => x > 0);
  const nonNegative = fc.oneof(fc.constant(0), positive);
  const time = fc.integer({ min: Date.UTC(2015, 0, 1), max: Date.UTC(2099, 0, 1) });
  const symbol = fc.constantFrom('BTCUSDT', 'AKTUSDT', '1000PEPEUSDT');
  const side = fc.constantFrom<'buy' | 'sell'>('buy', 'sell');
  const levels = fc.array(fc.tuple(positive, nonNegative), { maxLength: 8 });
  const frame = (stream: string, data: unknown) => JSON.parse(combinedFrame(stream, data));

  it('decimal(): plain decimal text (no exponent) that parses back to the same double', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (x) => {
        const s = decimal(x, 'x');
        assert.match(s, /^-?\d+(\.\d+)?$/);
        assert.equal(Number(s), x === 0 ? 0 : x); // -0 is written "0"
      }),
    );
    assert.equal(decimal(1e-7, 'x'), '0.0000001');
    assert.equal(decimal(1.5e21, 'x'), '1500000000000000000000');
    assert.throws(() => decimal(NaN, 'price'), (e: unknown) => e instanceof LiveError && e.code === 'E_ENCODE' && e.where === 'price');
  });

  it('trades (stream aggTrade and REST aggTrades), liquidations, marks, book tickers and open interest round-trip', () => {
    fc.assert(
      fc.property(symbol, time, positive, positive, side, fc.integer({ min: 1, max: 2 ** 50 }), (sym, ts, price, qty, sd, a) => {
        const ev: TradeEvent = { type: 'trade', venue: 'binance', symbol: sym, ts, localTs: 7, price, qty, side: sd, id: String(a) };
        assert.deepEqual(parser().parse(frame(`${sym.toLowerCase()}@aggTrade`, encodeAggTrade(ev, { a, f: a, l: a })), 7), [ev]);
        assert.deepEqual(parseBinanceRestAggTrades([encodeRestAggTrade(ev, { a, f: a, l: a })], sym, 7), [ev]);
        const l: LiquidationEvent = { type: 'liquidation', venue: 'binance', symbol: sym, ts, localTs: 7, price, qty, side: sd, id: '' };
        assert.deepEqual(parser().parse(frame(`${sym.toLowerCase()}@forceOrder`, encodeForceOrder(l)), 7), [l]);
      }),
    );
    fc.assert(
      fc.property(symbol, time, positive, fc.option(positive, { nil: NaN }), fc.option(fc.tuple(fc.double({ min: -0.01, max: 0.01, noNaN: true }), time), { nil: undefined }), nonNegative, (sym, ts, markPrice, indexPrice, funding, oi) => {
        const t: TickerEvent = { type: 'ticker', venue: 'binance', symbol: sym, ts, localTs: 7, ...EMPTY_TICKER_FIELDS, markPrice, indexPrice, fundingRate: funding ? funding[0] + 0 : NaN, nextFundingTs: funding ? funding[1] : NaN };
        assert.deepEqual(parser().parse(frame(`${sym.toLowerCase()}@markPrice@1s`, encodeMarkPrice(t)), 7), [t]);
        const bt: TickerEvent = { ...t, ...EMPTY_TICKER_FIELDS, bestBid: markPrice, bestBidQty: oi, bestAsk: markPrice * 1.001, bestAskQty: oi };
        assert.deepEqual(parser().parse(frame(`${sym.toLowerCase()}@bookTicker`, encodeBookTicker(bt, 1)), 7), [bt]);
        const o: TickerEvent = { ...t, ...EMPTY_TICKER_FIELDS, openInterest: oi };
        assert.deepEqual(parseBinanceOpenInterest(JSON.parse(JSON.stringify(encodeOpenInterest(sym, oi, ts))), 7), o);
      }),
    );
  });

  it('book diffs and REST snapshots round-trip, sequencing ids included', () => {
    fc.assert(
      fc.property(symbol, time, levels, levels, fc.integer({ min: 1, max: 2 ** 45 }), fc.integer({ min: 0, max: 1000 }), (sym, ts, bids, asks, pu, span) => {
        const d: BookEvent = { type: 'book', venue: 'binance', symbol: sym, ts, localTs: 7, isSnapshot: false, bids, asks, seq: pu + 1 + span };
        const data = encodeDepthUpdate(d, { U: pu + 1, u: pu + 1 + span, pu });
        assert.deepEqual(parser().parse(frame(`${sym.toLowerCase()}@depth@100ms`, data), 7), [d]);
        assert.deepEqual(binanceDepthIds(JSON.parse(JSON.stringify(data)), 'data.'), { U: pu + 1, u: pu + 1 + span, pu });
        const snap: BookEvent = { ...d, isSnapshot: true };
        assert.deepEqual(parseBinanceDepthSnapshot(JSON.parse(JSON.stringify(encodeDepthSnapshot(snap))), sym, 7), snap);
      }),
    );
  });

  it('writes the key order of the captured frames', () => {
    const keys = (line: string) => Object.keys(JSON.parse(line.slice(line.indexOf('{'))).data ?? JSON.parse(line.slice(line.indexOf('{'))));
    const t: TradeEvent = { type: 'trade', venue: 'binance', symbol: 'CTKUSDT', ts: 1626992741421, localTs: NaN, price: 1.011, qty: 10, side: 'buy', id: '16599292' };
    assert.deepEqual(Object.keys(encodeAggTrade(t, { a: 16599292, f: 23961322, l: 23961322 })), keys(realLines('binance-um-ws-aggTrade-2021-07-22.jsonl')[0]));
    const d: BookEvent = { type: 'book', venue: 'binance', symbol: 'SUSHIUSDT', ts: 1, localTs: NaN, isSnapshot: false, bids: [], asks: [], seq: 2 };
    assert.deepEqual(Object.keys(encodeDepthUpdate(d, { U: 1, u: 2, pu: 0 })), keys(realLines('binance-um-ws-depthUpdate-100ms-2021-07-22.jsonl')[0]));
    const tardis = realLines('tardisnode-binance-futures-ws-samples.jsonl');
    const l: LiquidationEvent = { type: 'liquidation', venue: 'binance', symbol: 'BTCUSDT', ts: 1, localTs: NaN, price: 1, qty: 1, side: 'buy', id: '' };
    assert.deepEqual(Object.keys(encodeForceOrder(l)), keys(tardis[12]));
    assert.deepEqual(Object.keys(encodeForceOrder(l).o), Object.keys(JSON.parse(tardis[12]).data.o));
    const m: TickerEvent = { type: 'ticker', venue: 'binance', symbol: 'BTCUSDT', ts: 1, localTs: NaN, ...EMPTY_TICKER_FIELDS, markPrice: 1, indexPrice: 1, fundingRate: 0.0001, nextFundingTs: 2 };
    assert.deepEqual(Object.keys(encodeMarkPrice(m)), keys(tardis[9]));
    assert.deepEqual(Object.keys(encodeBookTicker({ ...m, bestBid: 1, bestBidQty: 1, bestAsk: 2, bestAskQty: 1 }, 1)), keys(tardis[14]));
    const snapLine = realLines('hftbacktest-binance-um-BTCUSDT-allstreams-20240808-head.txt')[54];
    assert.deepEqual(Object.keys(encodeDepthSnapshot({ ts: 1, seq: 1, bids: [], asks: [] })), keys(snapLine));
  });
});

describe('Binance parse functions for live: hostile input', () => {
  const seeds = [
    JSON.stringify([encodeRestAggTrade(trade(5), { a: 5, f: 9, l: 10 })]),
    JSON.stringify(encodeOpenInterest('BTCUSDT', 10_659.509, Date.UTC(2026, 0, 1))),
    JSON.stringify(encodeDepthSnapshot({ ts: Date.UTC(2026, 0, 1), seq: 1027024, bids: [[4, 431]], asks: [[4.000002, 12]] })),
    '{"error":{"code":2,"msg":"Invalid request: invalid stream"},"id":1}',
    '{"result":null,"id":1}',
    JSON.stringify(encodeDepthUpdate(diff([[1, 2]], [[3, 4]], 12), { U: 11, u: 12, pu: 10 })),
  ];
  const onlyParseErrors = (v: unknown) => {
    for (const f of [
      () => parseBinanceRestAggTrades(v, 'BTCUSDT', 1),
      () => parseBinanceOpenInterest(v, 1),
      () => parseBinanceDepthSnapshot(v, 'BTCUSDT', 1),
      () => binanceReply(v),
      () => (v !== null && typeof v === 'object' && !Array.isArray(v) ? binanceDepthIds(v as Record<string, unknown>, '') : undefined),
    ]) {
      try {
        f();
      } catch (e) {
        if (!(e instanceof ParseError)) throw e;
        assert.ok(e.field !== undefined && e.field !== '', `a field is named: ${e.message}`);
      }
    }
  };

  it('any JSON value: a result or a ParseError naming the field, never anything else', () => {
    fc.assert(fc.property(fc.jsonValue(), onlyParseErrors), { numRuns: 500 });
    fc.assert(fc.property(fc.anything(), onlyParseErrors), { numRuns: 300 });
  });

  it('real bodies mutated (characters replaced, deleted, inserted; truncated): a result or a ParseError', () => {
    const op = fc.record({ kind: fc.constantFrom('replace', 'delete', 'insert', 'truncate'), at: fc.nat(), ch: fc.constantFrom(...'0123456789.-e"{}[],:x ') });
    fc.assert(
      fc.property(fc.constantFrom(...seeds), fc.array(op, { minLength: 1, maxLength: 4 }), (seed, ops) => {
        let s = seed;
        for (const o of ops) {
          const i = o.at % (s.length + 1);
          if (o.kind === 'replace') s = s.slice(0, i) + o.ch + s.slice(i + 1);
          else if (o.kind === 'delete') s = s.slice(0, i) + s.slice(i + 1);
          else if (o.kind === 'insert') s = s.slice(0, i) + o.ch + s.slice(i);
          else s = s.slice(0, i);
        }
        let v: unknown;
        try {
          v = JSON.parse(s);
        } catch {
          return; // not JSON: the live client counts it before any parser sees it
        }
        onlyParseErrors(v);
      }),
      { numRuns: 1500 },
    );
    assert.doesNotThrow(() => parseBinanceRestAggTrades(JSON.parse(seeds[0]), 'BTCUSDT', 1));
  });

  it('errors name the element and field', () => {
    const field = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        assert.ok(e instanceof ParseError);
        return `${e.code} ${e.field}`;
      }
      return 'ok';
    };
    const good = encodeRestAggTrade(trade(1), { a: 1, f: 1, l: 1 });
    assert.equal(field(() => parseBinanceRestAggTrades([good, { ...good, p: 'abc' }], 'BTCUSDT', 1)), 'E_NUMBER [1].p');
    assert.equal(field(() => parseBinanceRestAggTrades([{ ...good, a: 1.5 }], 'BTCUSDT', 1)), 'E_NUMBER [0].a');
    assert.equal(field(() => parseBinanceRestAggTrades({ code: -1121 }, 'BTCUSDT', 1)), 'E_MESSAGE []');
    assert.equal(field(() => parseBinanceOpenInterest({ openInterest: '-1', symbol: 'BTCUSDT', time: Date.UTC(2026, 0, 1) }, 1)), 'E_NUMBER openInterest');
    assert.equal(field(() => parseBinanceOpenInterest({ openInterest: '1', symbol: 'BTCUSDT', time: 17 }, 1)), 'E_TIME_UNIT time');
    assert.equal(field(() => parseBinanceDepthSnapshot({ lastUpdateId: 1, E: 1, T: Date.UTC(2026, 0, 1), bids: [['1', '1', '1']], asks: [] }, 'BTCUSDT', 1)), 'E_MESSAGE bids[0]');
    assert.equal(field(() => binanceDepthIds({ U: 5, u: 4, pu: 3 }, 'data.')), 'E_NUMBER data.U');
    assert.equal(field(() => binanceDepthIds({ U: 5, u: '6', pu: 3 }, 'data.')), 'E_NUMBER data.u');
    assert.equal(field(() => binanceReply({ error: { code: 'two', msg: 'x' }, id: 1 })), 'E_NUMBER error.code');
    assert.equal(field(() => binanceReply({ id: { x: 1 } })), 'E_MESSAGE id');
    assert.deepEqual(binanceReply({ error: { code: 2, msg: 'Invalid request: invalid stream' }, id: 1 }), { kind: 'error', id: 1, code: 2, msg: 'Invalid request: invalid stream' });
    assert.equal(binanceReply({ stream: 'x', data: {}, id: 1 }), undefined);
  });
});
