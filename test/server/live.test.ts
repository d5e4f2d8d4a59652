/**
 * The live websocket (`/ws`, src/server/live): rows a recorder in another process commits show
 * up over a real websocket within a poll, the recorder keeps its write lock while the server
 * reads, the token guards the upgrade, and a client that stops reading is bounded in what the
 * server holds for it without delaying another client.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type { EventsResponse, LiveMessage } from '../../src/server/api.ts';
import { CLOSE_BEHIND } from '../../src/server/live/client.ts';
import type { TradesMessage } from '../../src/server/live/store-tail.ts';
import { RecorderProcess } from './recorder-process.ts';
import { startServer, type RunningServer } from '../../src/server/server.ts';
import type { LiveHub } from '../../src/server/live/hub.ts';
import { Store } from '../../src/store/store.ts';
import { waitFor } from '../helpers/wait.ts';
import { fixtureEvents, fixtureHome, removeHome, T0 } from './fixture.ts';

const M = 60_000;

/** A websocket client that keeps every message it got. */
async function connect(url: string, headers: Record<string, string> = {}): Promise<{ ws: WebSocket; got: LiveMessage[] }> {
  const ws = new WebSocket(url, { headers });
  const got: LiveMessage[] = [];
  ws.on('message', (data) => got.push(JSON.parse(String(data)) as LiveMessage));
  await once(ws, 'open');
  return { ws, got };
}

/** The HTTP status a refused upgrade answered with. */
async function refusedWith(url: string, headers: Record<string, string> = {}): Promise<number> {
  const ws = new WebSocket(url, { headers });
  ws.on('error', () => {});
  const [req, res] = (await once(ws, 'unexpected-response')) as [{ destroy(): void }, { statusCode: number }];
  req.destroy();
  return res.statusCode;
}

describe('live websocket', () => {
  let home: string;
  let server: RunningServer;
  let writer: RecorderProcess;

  before(async () => {
    home = await fixtureHome(T0 + 60 * M);
    writer = await RecorderProcess.start(home);
    server = await startServer({ home, port: 0, pollMs: 50, token: 'tok-live' });
  });
  after(async () => {
    await server?.close();
    await writer?.stop();
    removeHome(home);
  });

  it('refuses an upgrade without the token (401) and a bad market (400)', async () => {
    const ws = server.url.replace('http', 'ws');
    assert.equal(await refusedWith(`${ws}/ws?symbol=BTCUSDT`), 401);
    assert.equal(await refusedWith(`${ws}/ws?symbol=BTCUSDT&token=nope`), 401);
    assert.equal(await refusedWith(`${ws}/ws?symbol=NOSUCHCOIN&token=tok-live`), 400);
  });

  it('sends the rows a recorder in another process commits, once each, in time order', async () => {
    const { ws, got } = await connect(`${server.url.replace('http', 'ws')}/ws?symbol=BTCUSDT`, { authorization: 'Bearer tok-live' });
    try {
      await waitFor(() => got.length > 0, 'hello', 5000);
      assert.equal(got[0].type, 'hello');
      // Let the first poll set the watermarks at the stored rows, then record the next two minutes.
      await new Promise((r) => setTimeout(r, 300));
      await writer.record(T0 + 60 * M, T0 + 62 * M);
      const want = fixtureEvents({ fromMs: T0 + 60 * M, toMs: T0 + 62 * M });
      const wantTrades = want.filter((e) => e.type === 'trade');
      const trades = () => got.filter((m): m is TradesMessage => m.type === 'trades');
      await waitFor(() => trades().reduce((n, m) => n + m.t.length, 0) >= wantTrades.length, 'the recorded trades', 10_000, 20);
      const t = trades().flatMap((m) => m.t);
      assert.equal(t.length, wantTrades.length, 'each trade once');
      for (let i = 1; i < t.length; i++) assert.ok(t[i] >= t[i - 1]);
      assert.equal(t[0], wantTrades[0].ts);
      assert.ok(got.some((m) => m.type === 'marketState' && m.openInterest !== undefined), 'tickers as market state');
      // The story's Binance book: ten levels of 50 a side around the last price.
      const book = got.filter((m) => m.type === 'book').at(-1);
      assert.ok(book && book.type === 'book', 'a book message');
      assert.equal(book.venue, 'binance');
      assert.equal(book.bids.length, 10);
      assert.ok(book.bids.every(([, q]) => q === 50) && book.asks[0][0] > book.bids[0][0]);
      // A paper session in the home that advances is sent as its state.
      await writer.paper(10000);
      await waitFor(() => got.some((m) => m.type === 'paper'), 'the paper session', 5000, 20);
      await writer.paper(10123.5);
      await waitFor(() => got.some((m) => m.type === 'paper' && m.state.equity === 10123.5), 'the paper session advancing', 5000, 20);
      const paper = got.filter((m) => m.type === 'paper').at(-1)!;
      assert.ok(paper.type === 'paper' && paper.state.session === 'live' && paper.state.position.side === 'flat');
      // The recorder still holds the store: a second writer is refused at once.
      await assert.rejects(Store.open(home), /recorded into/);
    } finally {
      ws.close();
    }
  });

  it('pushes the absorption the detectors find in live rows, as /api/events finds it in history', async () => {
    const { ws, got } = await connect(`${server.url.replace('http', 'ws')}/ws?symbol=BTCUSDT`, { authorization: 'Bearer tok-live' });
    try {
      await waitFor(() => got.length > 0, 'hello', 5000);
      // The first poll warms the detectors on what is stored (to 62 min); then the heavy selling into the zone (65-67 min) comes live.
      await new Promise((r) => setTimeout(r, 300));
      await writer.record(T0 + 62 * M, T0 + 72 * M);
      const live = () => got.flatMap((m) => (m.type === 'event' ? [m.event] : []));
      await waitFor(() => live().some((e) => e.kind === 'absorption'), 'a live absorption event', 10_000, 20);
      const abs = live().filter((e) => e.kind === 'absorption');
      assert.ok(abs.every((e) => e.direction === 'up' && e.t >= T0 + 62 * M), JSON.stringify(abs));
      const res = await fetch(`${server.url}/api/events?symbol=BTCUSDT&from=${T0}&to=${T0 + 72 * M}`, { headers: { authorization: 'Bearer tok-live' } });
      const history = ((await res.json()) as EventsResponse).events;
      for (const e of abs) assert.ok(history.some((h) => h.kind === e.kind && h.t === e.t && h.text === e.text), `live ${JSON.stringify(e)} not in /api/events`);
      // Sent once each: no event twice.
      const keys = live().map((e) => `${e.kind}:${e.t}:${e.text}`);
      assert.equal(new Set(keys).size, keys.length);
    } finally {
      ws.close();
    }
  });
});

describe('slow websocket clients', () => {
  let home: string;
  let server: RunningServer;
  let hub: LiveHub;
  const BOUND = 256 * 1024;

  before(async () => {
    home = await fixtureHome(T0 + 10 * M);
    server = await startServer({ home, port: 0, pollMs: 50, clientQueueBytes: BOUND, stallMs: 1500 });
    hub = server.hub;
  });
  after(async () => {
    await server?.close();
    removeHome(home);
  });

  /** A poll's worth of trades, about `n` x 60 bytes of JSON. */
  function bigBatch(n: number, t0: number): { trades: TradesMessage; marketState: [] } {
    const trades: TradesMessage = {
      type: 'trades',
      t: Array.from({ length: n }, (_, i) => t0 + i),
      price: Array.from({ length: n }, (_, i) => 100 + (i % 10) / 10),
      qty: Array.from({ length: n }, () => 0.123),
      side: Array.from({ length: n }, (_, i) => (i % 2 ? 1 : -1)),
      venue: Array.from({ length: n }, (_, i) => (['binance', 'okx', 'bybit'] as const)[i % 3]),
    };
    return { trades, marketState: [] };
  }

  it('bounds what a client that stops reading holds, closes it with 1013, and keeps another client on time', async () => {
    const url = `${server.url.replace('http', 'ws')}/ws?symbol=BTCUSDT`;
    const fast = await connect(url);
    const slow = await connect(url);
    await waitFor(() => hub.clients.length === 2 && fast.got.length > 0 && slow.got.length > 0, 'both clients', 5000);
    // The slow client stops reading: the kernel's buffers fill, then the server's.
    (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();
    // The hub keeps clients in connection order: the fast one connected first.
    const [fastClient, slowClient] = hub.clients;
    let sent = 0;
    let maxMessage = 0;
    const start = performance.now();
    while (!slowClient.closedBehind && performance.now() - start < 15_000) {
      const b = bigBatch(2000, sent * 2000);
      maxMessage = Math.max(maxMessage, JSON.stringify(b.trades).length);
      hub.deliver([fastClient, slowClient], b);
      sent++;
      await new Promise((r) => setTimeout(r, 5));
    }
    assert.ok(slowClient.closedBehind, 'the slow client was closed');
    assert.ok(slowClient.peakQueued <= BOUND + maxMessage, `held ${slowClient.peakQueued} bytes for the slow client (bound ${BOUND} + one message ${maxMessage})`);
    // Every batch reached the fast client, none dropped.
    await waitFor(() => fast.got.filter((m) => m.type === 'trades').length === sent, 'the fast client to get every batch', 5000);
    assert.ok(!fast.got.some((m) => m.type === 'dropped'));
    // And it is still served at once.
    const before = fast.got.length;
    const t = performance.now();
    hub.deliver([fastClient], bigBatch(10, 0));
    await waitFor(() => fast.got.length > before, 'a message after the slow client was closed', 2000, 1);
    assert.ok(performance.now() - t < 500);
    (slow.ws as unknown as { _socket: { resume(): void } })._socket.resume();
    const [code] = (await once(slow.ws, 'close')) as [number];
    assert.equal(code, CLOSE_BEHIND);
    fast.ws.close();
    await waitFor(() => hub.clients.length === 0, 'the server to let both go', 5000);
  });

  it('tells a client that fell behind and caught up what it missed, then folds its trades', async () => {
    const url = `${server.url.replace('http', 'ws')}/ws?symbol=BTCUSDT`;
    const lag = await connect(url);
    await waitFor(() => hub.clients.length === 1 && lag.got.length > 0, 'the client', 5000);
    const [client] = hub.clients;
    const sock = (lag.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    sock.pause();
    let sent = 0;
    while (client.queued <= BOUND && sent < 5000) {
      hub.deliver([client], bigBatch(2000, sent * 2000));
      sent++;
      await new Promise((r) => setTimeout(r, 2));
    }
    // Past the bound: these are missed, not queued.
    for (let i = 0; i < 3; i++) hub.deliver([client], bigBatch(2000, 0));
    sock.resume();
    await waitFor(() => client.queued === 0, 'the client to drain', 5000);
    hub.deliver([client], bigBatch(3000, 0));
    await waitFor(() => lag.got.some((m) => m.type === 'dropped'), 'dropped', 5000);
    const at = lag.got.findIndex((m) => m.type === 'dropped');
    const dropped = lag.got[at] as Extract<LiveMessage, { type: 'dropped' }>;
    assert.ok(dropped.missed >= 3);
    await waitFor(() => lag.got.length > at + 1, 'the message after dropped', 5000);
    const folded = lag.got[at + 1] as TradesMessage;
    assert.equal(folded.type, 'trades');
    // Three venues, two sides: one print each, the volume kept.
    assert.equal(folded.t.length, 6);
    assert.ok(Math.abs(folded.qty.reduce((s, q) => s + q, 0) - 3000 * 0.123) < 1e-6);
    assert.ok(client.peakQueued <= BOUND + 200_000);
    lag.ws.close();
  });
});
