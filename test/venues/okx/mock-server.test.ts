/**
 * The loopback OKX (src/venues/okx/mock-server.ts) speaks OKX's protocol, and its encoder is the
 * inverse of parse.ts; the checksum it (and the client) computes is OKX's, proven on the 290
 * frames of the real 2022 capture.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { crc32 } from 'node:zlib';
import fc from 'fast-check';
import { WebSocket } from 'ws';
import type { BookEvent, LiquidationEvent, MarketEvent, TickerEvent, TradeEvent } from '../../../src/core/events.ts';
import { EMPTY_TICKER_FIELDS } from '../../../src/core/events.ts';
import { toBaseQty } from '../../../src/core/instruments.ts';
import { OkxBookSync, WireBook } from '../../../src/venues/okx/book-sync.ts';
import { crc32Signed, okxChecksum, okxChecksumString } from '../../../src/venues/okx/checksum.ts';
import { OkxEncoder, okxDecimal } from '../../../src/venues/okx/encode.ts';
import { startOkxMockServer, type OkxMockServer, type OkxMockServerOptions } from '../../../src/venues/okx/mock-server.ts';
import { createOkxParser, okxBookSeq } from '../../../src/venues/okx/parse.ts';
import { okxBooksUrl, okxHistoryTradesUrl, okxOpenInterestUrl, okxTradesUrl } from '../../../src/venues/okx/urls.ts';
import { context } from '../../helpers/run-format.ts';
import { realLines } from '../../helpers/real-data.ts';
import { BTC_USD_SWAP, BTC_USDT_SWAP, okxTestInstruments, okxVenueListings } from './instruments.ts';

const instruments = okxTestInstruments();
const parser = createOkxParser(context('x', { instruments }));
const captureLines = () => realLines('okx-v5-ws-books-2022-05-13.jsonl');

const until = async (cond: () => boolean, ms = 3000) => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
};

// Whatever a test leaves open when it fails (a server, a socket, a ping timer) is closed here:
// an open handle would keep this file's process alive, and a failure would hang the suite instead
// of failing it.
const servers: OkxMockServer[] = [];
const sockets: WebSocket[] = [];
const timers: NodeJS.Timeout[] = [];
after(async () => {
  for (const t of timers) clearInterval(t);
  for (const s of sockets) s.terminate();
  for (const s of servers) await s.close();
});

async function startServer(opts: OkxMockServerOptions = {}): Promise<OkxMockServer> {
  const s = await startOkxMockServer({ listings: okxVenueListings(), ...opts });
  servers.push(s);
  return s;
}

/** A bare WebSocket client: what it sends and every text frame it gets. */
async function rawClient(server: OkxMockServer) {
  const ws = new WebSocket(`${server.wsUrl}/ws/v5/public`);
  sockets.push(ws);
  const got: string[] = [];
  ws.on('message', (m) => got.push(m.toString()));
  await once(ws, 'open');
  return {
    ws,
    got,
    json: () => got.filter((t) => t !== 'pong' && /^\{.*\}$/s.test(t)).map((t) => JSON.parse(t) as Record<string, any>),
    send: (v: unknown) => ws.send(typeof v === 'string' ? v : JSON.stringify(v)),
  };
}

const trade = (symbol: string, id: string, price: number, contracts: number, side: 'buy' | 'sell', ts: number): TradeEvent => ({
  type: 'trade', venue: 'okx', symbol, ts, localTs: NaN, price, qty: toBaseQty(instruments.get('okx', symbol)!, contracts, price), side, id,
});
const book = (symbol: string, isSnapshot: boolean, bids: [number, number][], asks: [number, number][], ts: number): BookEvent => {
  const inst = instruments.get('okx', symbol)!;
  const conv = (ls: [number, number][]) => ls.map(([p, c]) => [p, toBaseQty(inst, c, p)] as const);
  return { type: 'book', venue: 'okx', symbol, ts, localTs: NaN, isSnapshot, bids: conv(bids), asks: conv(asks), seq: NaN };
};

describe('okx checksum: OKX CRC32 of the best 25 levels', () => {
  it('is zlib CRC-32 read as a signed 32-bit integer', () => {
    fc.assert(fc.property(fc.string({ unit: fc.constantFrom(...'0123456789.:-'.split('')) }), (s) => {
      assert.equal(crc32Signed(s), crc32(Buffer.from(s, 'latin1')) | 0);
    }), { numRuns: 300 });
  });

  it("builds OKX's documented check strings (25+ levels alternate; missing levels are skipped)", () => {
    assert.equal(okxChecksumString([['3366.1', '7'], ['3366', '6']], [['3366.8', '9'], ['3368', '8']]), '3366.1:7:3366.8:9:3366:6:3368:8');
    assert.equal(okxChecksumString([['3366.1', '7']], [['3366.8', '9'], ['3368', '8'], ['3372', '8']]), '3366.1:7:3366.8:9:3368:8:3372:8');
    const many = Array.from({ length: 30 }, (_, i) => [String(100 - i), '1'] as const);
    assert.equal(okxChecksumString(many, []).split(':').length, 50);
  });

  it('verifies every one of the 290 frames of the real 2022 books capture', () => {
    const syncs = new Map<string, OkxBookSync>();
    let verified = 0;
    for (const line of captureLines()) {
      const msg = JSON.parse(line) as { arg: { instId: string }; action: 'snapshot' | 'update'; data: Record<string, unknown>[] };
      const sync = syncs.get(msg.arg.instId) ?? new OkxBookSync();
      syncs.set(msg.arg.instId, sync);
      const item = msg.data[0];
      const r = sync.apply(msg.action, item.bids as string[][], item.asks as string[][], okxBookSeq(item, 'data[0]'));
      assert.ok(r.kind === 'snapshot' || r.kind === 'update', `${msg.arg.instId}: ${JSON.stringify(r)}`);
      assert.equal(sync.book.checksum(), item.checksum);
      verified++;
    }
    assert.equal(verified, 290);
  });

  it('a checksum of 0 (deprecated since 2026-06-23) is not checked; a wrong one breaks the sync', () => {
    const sync = new OkxBookSync();
    assert.equal(sync.apply('snapshot', [['10', '1']], [['11', '2']], { seqId: 5, prevSeqId: -1, checksum: 0 }).kind, 'snapshot');
    const good = okxChecksum([['10', '3']], [['11', '2']]);
    assert.equal(sync.apply('update', [['10', '3']], [], { seqId: 7, prevSeqId: 5, checksum: good }).kind, 'update');
    assert.equal(sync.apply('update', [['9', '1']], [], { seqId: 8, prevSeqId: 7, checksum: good }).kind, 'checksum');
    assert.equal(sync.apply('update', [], [], { seqId: 9, prevSeqId: 8 }).kind, 'waiting');
  });

  it('links updates by prevSeqId: heartbeat, sequence reset, duplicate and gap', () => {
    const sync = new OkxBookSync();
    sync.apply('snapshot', [['10', '1']], [['11', '2']], { seqId: 10, prevSeqId: -1 });
    assert.equal(sync.apply('update', [['10', '2']], [], { seqId: 15, prevSeqId: 10 }).kind, 'update');
    assert.equal(sync.apply('update', [], [], { seqId: 15, prevSeqId: 15 }).kind, 'heartbeat');
    assert.equal(sync.apply('update', [['10', '4']], [], { seqId: 3, prevSeqId: 15 }).kind, 'update', 'sequence reset (docs example 4)');
    assert.equal(sync.apply('update', [['10', '5']], [], { seqId: 5, prevSeqId: 3 }).kind, 'update');
    assert.equal(sync.apply('update', [['10', '5']], [], { seqId: 5, prevSeqId: 3 }).kind, 'duplicate');
    assert.equal(sync.book.bids.top()[0][1], '5');
    const gap = sync.apply('update', [['10', '6']], [], { seqId: 9, prevSeqId: 7 });
    assert.equal(gap.kind, 'sequence_gap');
    assert.equal(sync.isSynced, false);
  });
});

describe('okx encoder: parse(encode(event)) gives the event back', () => {
  const enc = new OkxEncoder(instruments);
  const symbols = ['BTC-USDT-SWAP', 'BTC-USD-SWAP', 'UNI-USD-SWAP', 'WNCG-USDT-SWAP'];
  const price = fc.integer({ min: 1, max: 10_000_000 }).map((n) => n / 100);
  const contracts = fc.integer({ min: 1, max: 1_000_000 });
  const ts = fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 });
  const parseOne = (msg: unknown) => parser.parse(msg, NaN) ?? [];

  it('writes decimals without exponents', () => {
    assert.equal(okxDecimal(1e-7), '0.0000001');
    assert.equal(okxDecimal(1.5e21), '1500000000000000000000');
    assert.equal(okxDecimal(-2.5e-8), '-0.000000025');
    assert.equal(okxDecimal(726.9999999999999, 12), '727');
    fc.assert(fc.property(fc.double({ min: -1e25, max: 1e25, noNaN: true }), (x) => {
      const s = okxDecimal(x);
      assert.match(s, /^-?\d+(\.\d+)?$/);
      assert.ok(Number(s) === x, `${x} -> ${s}`);
    }), { numRuns: 500 });
  });

  it('writes a size to `significant` digits as the toPrecision rounding does, whether or not it takes the shortcut', () => {
    const slow = (x: number, p: number) => okxDecimal(Number(x.toPrecision(p)));
    // Sizes as the encoder meets them (short decimals, float noise from unit conversion) and any double.
    const noisy = fc.tuple(fc.integer({ min: 1, max: 10_000_000 }), fc.constantFrom(0.001, 0.01, 0.1, 1, 100), fc.constantFrom(1, 0.01, 0.1, 0.001)).map(([n, lot, ct]) => (n * lot) / ct);
    fc.assert(fc.property(fc.oneof(noisy, fc.double({ min: -1e25, max: 1e25, noNaN: true })), fc.integer({ min: 1, max: 21 }), (x, p) => {
      assert.equal(okxDecimal(x, p), slow(x, p), `${x} to ${p} digits`);
    }), { numRuns: 3000 });
    assert.equal(okxDecimal(0.30000000000000004, 15), '0.3');
    assert.equal(okxDecimal(123456789012345.67, 15), '123456789012346');
    assert.equal(okxDecimal(1e-7, 15), '0.0000001');
  });

  it('trades', () => {
    fc.assert(fc.property(fc.constantFrom(...symbols), price, contracts, fc.constantFrom('buy' as const, 'sell' as const), ts, fc.integer({ min: 1, max: 1e12 }), (sym, px, c, side, t, id) => {
      const ev = trade(sym, String(id), px, c, side, t);
      assert.deepEqual(parseOne({ arg: { channel: 'trades', instId: sym }, data: [enc.trade(ev, ev.id)] }), [ev]);
    }), { numRuns: 300 });
  });

  it('liquidations', () => {
    fc.assert(fc.property(fc.constantFrom(...symbols), price, contracts, fc.constantFrom('buy' as const, 'sell' as const), ts, (sym, px, c, side, t) => {
      const ev: LiquidationEvent = { ...trade(sym, '', px, c, side, t), type: 'liquidation' };
      assert.deepEqual(parseOne({ arg: { channel: 'liquidation-orders', instType: 'SWAP' }, data: [enc.liquidation(ev, 'SWAP')] }), [ev]);
    }), { numRuns: 300 });
  });

  it('book levels (snapshot and diff, deletes included)', () => {
    const level = fc.tuple(price, fc.integer({ min: 0, max: 100_000 }));
    fc.assert(fc.property(fc.constantFrom(...symbols), fc.array(level, { maxLength: 20 }), fc.array(level, { maxLength: 20 }), fc.boolean(), ts, (sym, b, a, snap, t) => {
      const ev = book(sym, snap, b, a, t);
      const item = { asks: enc.levels(sym, ev.asks).map((l) => [...l, '0', '1']), bids: enc.levels(sym, ev.bids).map((l) => [...l, '0', '1']), ts: String(t), checksum: 0, seqId: 7, prevSeqId: 3 };
      assert.deepEqual(parseOne({ arg: { channel: 'books', instId: sym }, action: snap ? 'snapshot' : 'update', data: [item] }), [{ ...ev, seq: 7 }]);
    }), { numRuns: 300 });
  });

  it('tickers: mark-price, funding-rate, open-interest, tickers', () => {
    fc.assert(fc.property(fc.constantFrom(...symbols), price, ts, fc.integer({ min: -37500, max: 37500 }), contracts, (sym, px, t, rate, oi) => {
      const base = { type: 'ticker' as const, venue: 'okx' as const, symbol: sym, ts: t, localTs: NaN, ...EMPTY_TICKER_FIELDS };
      const mark: TickerEvent = { ...base, markPrice: px };
      assert.deepEqual(parseOne({ arg: { channel: 'mark-price', instId: sym }, data: [enc.markPrice(mark, 'SWAP')] }), [mark]);
      const funding: TickerEvent = { ...base, fundingRate: rate / 1e7, nextFundingTs: t + 3_600_000 };
      assert.deepEqual(parseOne({ arg: { channel: 'funding-rate', instId: sym }, data: [enc.fundingRate(funding, 'SWAP', 8 * 3_600_000)] }), [funding]);
      const oiEv: TickerEvent = { ...base, openInterest: oi / 100 };
      assert.deepEqual(parseOne({ arg: { channel: 'open-interest', instId: sym }, data: [enc.openInterest(oiEv, 'SWAP', px)] }), [oiEv]);
      const inst = instruments.get('okx', sym)!;
      const tick: TickerEvent = { ...base, lastPrice: px, bestBid: px, bestBidQty: toBaseQty(inst, 3, px), bestAsk: px + 1, bestAskQty: toBaseQty(inst, 5, px + 1) };
      assert.deepEqual(parseOne({ arg: { channel: 'tickers', instId: sym }, data: [enc.ticker(tick, 'SWAP')] }), [tick]);
    }), { numRuns: 200 });
  });
});

describe('okx mock server: protocol', () => {
  it('acks subscribe and unsubscribe as OKX does, answers ping with pong, refuses unknown instruments with 60018', async () => {
    const server = await startServer();
    const c = await rawClient(server);
    c.send({ id: '7', op: 'subscribe', args: [{ channel: 'trades', instId: 'BTC-USDT-SWAP' }, { channel: 'books', instId: 'NOPE-USDT-SWAP' }, { channel: 'liquidation-orders', instType: 'SWAP' }] });
    c.send('ping');
    await until(() => c.got.includes('pong') && c.json().length >= 3);
    const [ack, err, liq] = c.json();
    assert.deepEqual(Object.keys(ack), ['id', 'event', 'arg', 'connId']);
    assert.deepEqual({ ...ack, connId: 'x' }, { id: '7', event: 'subscribe', arg: { channel: 'trades', instId: 'BTC-USDT-SWAP' }, connId: 'x' });
    assert.equal(err.event, 'error');
    assert.equal(err.code, '60018');
    assert.equal(err.msg, "Wrong URL or channel:books,instId:NOPE-USDT-SWAP doesn't exist. Please use the correct URL, channel and parameters referring to API document.");
    assert.equal(err.arg, undefined, 'OKX names the refused subscription only in msg');
    assert.deepEqual(liq.arg, { channel: 'liquidation-orders', instType: 'SWAP' });
    server.publish(trade('BTC-USDT-SWAP', '100', 50_000.5, 3, 'buy', 1_700_000_000_000));
    await until(() => c.json().length === 4);
    assert.deepEqual(c.json()[3], {
      arg: { channel: 'trades', instId: 'BTC-USDT-SWAP' },
      data: [{ instId: 'BTC-USDT-SWAP', tradeId: '100', px: '50000.5', sz: '3', side: 'buy', ts: '1700000000000', count: '1', source: '0' }],
    });
    c.send({ op: 'unsubscribe', args: [{ channel: 'trades', instId: 'BTC-USDT-SWAP' }] });
    await until(() => c.json().length === 5);
    assert.equal(c.json()[4].event, 'unsubscribe');
    server.publish(trade('BTC-USDT-SWAP', '101', 50_000.5, 3, 'buy', 1_700_000_000_001));
    c.send('not json');
    c.send({ op: 'login', args: [] });
    await until(() => c.json().length === 7);
    assert.deepEqual(c.json().slice(5).map((m) => [m.code, m.msg]), [['60012', 'Invalid request: not json'], ['60019', 'Invalid op: login']]);
    assert.equal(server.stats().pings, 1);
    c.ws.close();
    await server.close();
  });

  it('books: a snapshot on subscribe (prevSeqId -1), then updates linked by prevSeqId with a valid CRC32', async () => {
    const server = await startServer();
    server.publish(book('BTC-USDT-SWAP', true, [[100, 5], [99, 3]], [[101, 2]], 1_700_000_000_000));
    const c = await rawClient(server);
    c.send({ op: 'subscribe', args: [{ channel: 'books', instId: 'BTC-USDT-SWAP' }] });
    await until(() => c.json().length === 2);
    server.publish(book('BTC-USDT-SWAP', false, [[99, 0], [98, 1]], [[102, 4]], 1_700_000_000_100));
    server.publish(book('BTC-USDT-SWAP', true, [[100, 1]], [[101, 1]], 1_700_000_000_200));
    server.bookHeartbeat('BTC-USDT-SWAP');
    await until(() => c.json().length === 5);
    const frames = c.json().slice(1);
    assert.equal(frames[0].action, 'snapshot');
    assert.equal(frames[0].data[0].prevSeqId, -1);
    assert.deepEqual(frames[0].data[0].bids, [['100', '5', '0', '1'], ['99', '3', '0', '1']]);
    const mine = new WireBook();
    for (let i = 0; i < frames.length; i++) {
      const d = frames[i].data[0];
      if (i > 0) assert.equal(d.prevSeqId, frames[i - 1].data[0].seqId);
      mine.apply(d.bids, d.asks);
      assert.equal(mine.checksum(), d.checksum);
    }
    const hb = frames[3].data[0];
    assert.deepEqual([hb.bids, hb.asks, hb.seqId === hb.prevSeqId], [[], [], true]);
    // The published snapshot became a diff: 98 deleted, 100 changed, 102 deleted.
    assert.deepEqual(mine.bids.top(), [['100', '1']]);
    assert.deepEqual(mine.asks.top(), [['101', '1']]);
    assert.deepEqual(server.book('BTC-USDT-SWAP').bids, [['100', '1']]);
    c.ws.close();
    await server.close();
  });

  it('checksums: false sends 0, as OKX does since 2026-06-23', async () => {
    const server = await startServer({ checksums: false });
    const c = await rawClient(server);
    c.send({ op: 'subscribe', args: [{ channel: 'books', instId: 'BTC-USDT-SWAP' }] });
    await until(() => c.json().length === 2);
    server.publish(book('BTC-USDT-SWAP', false, [[100, 5]], [], 1));
    await until(() => c.json().length === 3);
    assert.deepEqual(c.json().slice(1).map((m) => m.data[0].checksum), [0, 0]);
    c.ws.close();
    await server.close();
  });

  it('closes a connection idle for idleCloseMs with 4004, not one that pings', async () => {
    // 400 ms, not less: on a loaded machine a neighbour can hold this process's timers back for
    // ~100 ms, and the pinging client must never look idle for a reason other than the server's.
    const server = await startServer({ idleCloseMs: 400 });
    const idle = await rawClient(server);
    const closed = once(idle.ws, 'close');
    const pinging = await rawClient(server);
    const timer = setInterval(() => pinging.send('ping'), 20);
    timers.push(timer);
    const [code, reason] = (await closed) as [number, Buffer];
    assert.equal(code, 4004);
    assert.equal(reason.toString(), 'No data received in 30s');
    assert.equal(pinging.ws.readyState, WebSocket.OPEN);
    clearInterval(timer);
    pinging.ws.close();
    await server.close();
  });

  it('faults: duplicate, truncated, malformed, reorder, seq-gap, checksum, stall, notice', async () => {
    const server = await startServer();
    const c = await rawClient(server);
    c.send({ op: 'subscribe', args: [{ channel: 'trades', instId: 'BTC-USDT-SWAP' }, { channel: 'books', instId: 'BTC-USDT-SWAP' }] });
    await until(() => c.got.length === 3);
    const t = (id: number) => trade('BTC-USDT-SWAP', String(id), 100, 1, 'buy', 1_700_000_000_000 + id);
    const tradeIds = () => c.json().filter((m) => m.arg?.channel === 'trades' && m.data).map((m) => m.data[0].tradeId as string);
    server.faults.duplicate({ stream: /^trades:/ });
    server.publish(t(1));
    server.faults.reorder({ stream: /^trades:/ });
    server.publish(t(2));
    server.publish(t(3));
    server.faults.truncated({ stream: /^trades:/, mode: 'insert' });
    server.publish(t(4));
    server.faults.malformed({ stream: /^trades:/ });
    server.publish(t(5));
    await until(() => tradeIds().length === 6);
    assert.deepEqual(tradeIds(), ['1', '1', '3', '2', '4', '5']);
    assert.equal(c.json().filter((m) => m.data?.[0]?.ts === 'not-a-time').length, 1);
    assert.equal(c.got.filter((g) => g.startsWith('{"arg":{"channel":"trades"') && !g.endsWith('}')).length, 1, 'one truncated frame');

    const books = () => c.json().filter((m) => m.arg?.channel === 'books' && m.data).map((m) => m.data[0]);
    server.publish(book('BTC-USDT-SWAP', false, [[100, 1]], [[101, 1]], 1));
    server.faults.sequenceGap({ stream: /^books:/ });
    server.publish(book('BTC-USDT-SWAP', false, [[99, 1]], [], 2));
    server.faults.checksumMismatch({ stream: /^books:/ });
    server.publish(book('BTC-USDT-SWAP', false, [[98, 1]], [], 3));
    await until(() => books().length === 3);
    const [snap, first, third] = books();
    assert.equal(first.prevSeqId, snap.seqId);
    assert.notEqual(third.prevSeqId, first.seqId, 'the seq-gap update was not sent');
    const mine = new WireBook();
    mine.apply(snap.bids, snap.asks);
    mine.apply(first.bids, first.asks);
    mine.apply([['99', '1']], []);
    mine.apply(third.bids, third.asks);
    assert.notEqual(mine.checksum(), third.checksum, 'one level is wrong');
    assert.deepEqual(third.bids.find((l: string[]) => l[0] === '100'), ['100', '2', '0', '1']);

    server.noticeUpgrade();
    await until(() => c.json().some((m) => m.event === 'notice'));
    assert.deepEqual({ ...c.json().find((m) => m.event === 'notice'), connId: 'x' }, { event: 'notice', code: '64008', msg: 'The connection will soon be closed for a service upgrade. Please reconnect.', connId: 'x' });
    server.faults.stall();
    const before = c.got.length;
    c.send('ping');
    server.publish(t(6));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(c.got.length, before, 'a stalled connection gets nothing, not even pong');
    assert.equal(c.ws.readyState, WebSocket.OPEN);
    c.ws.close();
    await server.close();
  });

  it('replays raw captured frames verbatim and keeps the book they build', async () => {
    const server = await startServer();
    const c = await rawClient(server);
    c.send({ op: 'subscribe', args: ['BTC-USD-220527', 'UNI-USD-SWAP', 'BTC-USDT'].map((instId) => ({ channel: 'books', instId })) });
    await until(() => c.got.length === 6);
    const lines = captureLines();
    await server.replayRaw(lines);
    await until(() => c.got.length === 6 + 290);
    assert.deepEqual(c.got.slice(6), lines);
    const last = JSON.parse(lines.filter((l) => l.includes('"instId":"BTC-USDT"')).at(-1)!) as { data: { checksum: number }[] };
    const b = server.book('BTC-USDT');
    assert.equal(okxChecksum(b.bids, b.asks), last.data[0].checksum);
    c.ws.close();
    await server.close();
  });

  it('publishes any event source: an async iterable given at start', async () => {
    async function* source(): AsyncIterable<MarketEvent> {
      for (let i = 1; i <= 5; i++) yield trade('BTC-USD-SWAP', String(i), 30_000 + i, i, 'sell', 1_700_000_000_000 + i);
    }
    const server = await startServer({ source: source() });
    await server.sourceDone;
    assert.deepEqual(server.trades('BTC-USD-SWAP').map((t) => [t.tradeId, t.sz]), [['1', '1'], ['2', '2'], ['3', '3'], ['4', '4'], ['5', '5']]);
    assert.equal(BTC_USD_SWAP.contractType, 'inverse');
    await server.close();
  });
});

describe('okx mock server: REST', () => {
  const get = async (server: OkxMockServer, pathOrUrl: string) => {
    const res = await fetch(pathOrUrl.startsWith('http') ? pathOrUrl : `${server.restUrl}${pathOrUrl}`);
    return { status: res.status, body: (await res.json()) as { code: string; msg: string; data: Record<string, any>[] } };
  };

  it('history-trades pages by trade id (after = older), newest first; trades; books; open interest', async () => {
    const server = await startServer();
    for (let i = 1; i <= 250; i++) server.publish(trade('BTC-USDT-SWAP', String(1000 + i), 100 + i / 10, i, i % 2 ? 'buy' : 'sell', 1_700_000_000_000 + i));
    const page1 = await get(server, okxHistoryTradesUrl(server.restUrl, 'BTC-USDT-SWAP', '1200', 100));
    assert.equal(page1.body.code, '0');
    assert.equal(page1.body.data.length, 100);
    assert.deepEqual([page1.body.data[0].tradeId, page1.body.data[99].tradeId], ['1199', '1100']);
    assert.deepEqual(Object.keys(page1.body.data[0]), ['instId', 'side', 'sz', 'source', 'px', 'tradeId', 'ts']);
    const before = await get(server, '/api/v5/market/history-trades?instId=BTC-USDT-SWAP&before=1245');
    assert.deepEqual(before.body.data.map((t) => t.tradeId), ['1250', '1249', '1248', '1247', '1246']);
    const recent = await get(server, okxTradesUrl(server.restUrl, 'BTC-USDT-SWAP', 3));
    assert.deepEqual(recent.body.data.map((t) => t.tradeId), ['1250', '1249', '1248']);

    server.publish(book('BTC-USDT-SWAP', true, [[100, 5], [99, 3]], [[101, 2]], 1_700_000_000_500));
    const books = await get(server, okxBooksUrl(server.restUrl, 'BTC-USDT-SWAP', 400));
    assert.deepEqual(books.body.data[0], { asks: [['101', '2', '0', '1']], bids: [['100', '5', '0', '1'], ['99', '3', '0', '1']], ts: '1700000000500', seqId: server.book('BTC-USDT-SWAP').seqId });
    assert.equal((await get(server, '/api/v5/market/books?instId=BTC-USDT-SWAP')).body.data[0].bids.length, 1, "OKX's default sz is 1");

    server.publish({ type: 'ticker', venue: 'okx', symbol: 'BTC-USDT-SWAP', ts: 1_700_000_000_600, localTs: NaN, ...EMPTY_TICKER_FIELDS, openInterest: 12.34 });
    const oi = await get(server, okxOpenInterestUrl(server.restUrl, 'SWAP', 'BTC-USDT-SWAP'));
    assert.deepEqual(oi.body.data, [{ instType: 'SWAP', instId: 'BTC-USDT-SWAP', oi: '1234', oiCcy: '12.34', ts: '1700000000600' }]);
    assert.equal(BTC_USDT_SWAP.contractValue, 0.01);

    const unknown = await get(server, '/api/v5/market/history-trades?instId=NOPE-USDT-SWAP');
    assert.deepEqual([unknown.body.code, unknown.body.msg], ['51001', 'Instrument ID does not exist']);
    await server.close();
  });

  it('answers 429 / 50011 past 20 history-trades requests per 2 s, and 503 / 50001 when told to fail', async () => {
    const server = await startServer();
    server.faults.restError({ count: 1 });
    const failed = await get(server, '/api/v5/market/history-trades?instId=BTC-USDT-SWAP');
    assert.deepEqual([failed.status, failed.body.code], [503, '50001']);
    // All 22 at once: one after another they could, on a loaded machine, spread past the 2 s window.
    const statuses = (await Promise.all(Array.from({ length: 22 }, () => get(server, '/api/v5/market/history-trades?instId=BTC-USDT-SWAP')))).map((r) => r.status);
    assert.deepEqual([statuses.filter((s) => s === 200).length, statuses.filter((s) => s === 429).length], [20, 2]);
    assert.equal(server.stats().rest429, 2);
    await server.close();
  });
});
