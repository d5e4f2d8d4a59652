/** ReconnectingSocket against a plain loopback WebSocket server: reconnect, stall, heartbeat, stop. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { WebSocketServer, type WebSocket } from 'ws';
import { endpointBase } from '../../../src/venues/live/endpoint.ts';
import { backoffDelay, ReconnectingSocket } from '../../../src/venues/live/socket.ts';
import { waitFor } from '../../helpers/wait.ts';

async function server(): Promise<{ wss: WebSocketServer; url: string; conns: WebSocket[]; received: string[] }> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  const conns: WebSocket[] = [];
  const received: string[] = [];
  wss.on('connection', (c) => {
    conns.push(c);
    c.on('message', (m) => received.push(m.toString()));
  });
  const addr = wss.address() as { port: number };
  return { wss, url: `ws://127.0.0.1:${addr.port}`, conns, received };
}

const until = (cond: () => boolean, ms = 3000) => waitFor(cond, 'condition', ms, 5);

describe('ReconnectingSocket', () => {
  it('subscribes on open, reconnects after the server drops it, and stops for good', async () => {
    const s = await server();
    const opens: boolean[] = [];
    const downs: string[] = [];
    const got: string[] = [];
    const sock = new ReconnectingSocket({
      url: () => s.url,
      onOpen: (re) => {
        opens.push(re);
        sock.send('subscribe');
      },
      onMessage: (t) => got.push(t),
      onDown: (r) => downs.push(r),
      staleAfterMs: 5000,
      backoff: { initialMs: 10, maxMs: 20 },
    });
    await sock.start();
    await until(() => s.received.length === 1);
    s.conns[0].send('hello');
    await until(() => got.length === 1);
    s.conns[0].terminate();
    await until(() => opens.length === 2 && s.received.length === 2);
    assert.deepEqual(opens, [false, true]);
    assert.equal(downs.length, 1);
    await sock.stop();
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(opens.length, 2, 'no reconnect after stop');
    s.wss.close();
  });

  it('a silent stall (no frame) drops and reopens the socket; the heartbeat payload is sent', async () => {
    const s = await server();
    const downs: string[] = [];
    const sock = new ReconnectingSocket({ url: () => s.url, onOpen: () => {}, onMessage: () => {}, onDown: (r) => downs.push(r), staleAfterMs: 80, heartbeat: { everyMs: 20, payload: 'ping' }, backoff: { initialMs: 5, maxMs: 5 } });
    await sock.start();
    await until(() => s.received.includes('ping'));
    // The server never answers: the stall is noticed and the socket reopened.
    await until(() => downs.some((d) => /silent stall/.test(d)) && s.conns.length >= 2);
    await sock.stop();
    s.wss.close();
  });

  it('backoff doubles to the cap, jittered down by at most the jitter share', () => {
    const lo = () => 0.999999;
    const hi = () => 0;
    assert.equal(backoffDelay(0, { initialMs: 100, maxMs: 1000, jitter: 0.5 }, hi), 100);
    assert.equal(backoffDelay(3, { initialMs: 100, maxMs: 1000, jitter: 0.5 }, hi), 800);
    assert.equal(backoffDelay(10, { initialMs: 100, maxMs: 1000, jitter: 0.5 }, hi), 1000);
    assert.ok(Math.abs(backoffDelay(10, { initialMs: 100, maxMs: 1000, jitter: 0.5 }, lo) - 500) < 1e-3);
  });

  it('endpoints: config, then environment, then default; bad ones are refused', () => {
    assert.equal(endpointBase('BINANCE', 'ws', 'wss://fstream.binance.com'), process.env.ORDERFLOW_BINANCE_WS_URL ?? 'wss://fstream.binance.com');
    assert.equal(endpointBase('BINANCE', 'ws', 'wss://x', 'ws://127.0.0.1:9/'), 'ws://127.0.0.1:9');
    process.env.ORDERFLOW_OKX_REST_URL = 'http://127.0.0.1:8080';
    try {
      assert.equal(endpointBase('OKX', 'rest', 'https://www.okx.com'), 'http://127.0.0.1:8080');
    } finally {
      delete process.env.ORDERFLOW_OKX_REST_URL;
    }
    assert.throws(() => endpointBase('BYBIT', 'ws', 'wss://x', 'http://127.0.0.1'), /expected ws:\/\/ or wss:\/\//);
    assert.throws(() => endpointBase('BYBIT', 'rest', 'https://x', 'nope'), /not a URL/);
  });
});
