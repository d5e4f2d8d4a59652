/** TEMPORARY: an api.ts-shaped stub until the real server lands (replaced by startServer on a fixture store). */
import websocket from '@fastify/websocket';
import Fastify from 'fastify';
import { buildWebAssets } from '../../../src/server/web-assets.ts';

export interface Stub {
  url: string;
  close(): Promise<void>;
  pushTrades(n: number): Promise<void>;
}

export async function startStub(): Promise<Stub> {
  const assets = await buildWebAssets({ minify: false });
  const app = Fastify();
  await app.register(websocket);
  const TF = 60_000;
  const N = 600;
  const end = Math.floor(Date.UTC(2026, 11, 5, 7, 0) / TF) * TF;
  const t: number[] = [], o: number[] = [], h: number[] = [], l: number[] = [], c: number[] = [], buy: number[] = [], sell: number[] = [], trades: number[] = [];
  let p = 100000;
  let seed = 1;
  const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  for (let i = 0; i < N; i++) {
    const open = p;
    p += (rnd() - 0.5) * 80;
    t.push(end - (N - i) * TF); o.push(open); c.push(p); h.push(Math.max(open, p) + rnd() * 30); l.push(Math.min(open, p) - rnd() * 30);
    buy.push(rnd() * 50); sell.push(rnd() * 50); trades.push(100);
  }
  for (const [path, a] of assets) app.get(path, (_q, r) => r.type(a.contentType).send(a.body));
  app.get('/api/markets', () => ({ markets: [{ symbol: 'BTCUSDT', tick: 0.1, venues: ['binance', 'okx', 'bybit'].map((venue) => ({ venue, symbol: 'BTCUSDT', firstMs: t[0], lastMs: end, trades: 1000 })) }] }));
  app.get('/api/candles', () => ({ symbol: 'BTCUSDT', venues: ['binance', 'okx', 'bybit'], tf: '1m', tfMs: TF, t, o, h, l, c, buy, sell, trades }));
  app.get('/api/cvd', (q) => {
    const tf = (q.query as any).tf === '1h' ? 3600000 : (q.query as any).tf === '1d' ? 86400000 : 900000;
    const tt: number[] = [];
    for (let x = Math.floor(t[0] / tf) * tf; x <= end; x += tf) tt.push(x);
    const mk = (k: number) => { let a = 0; const d = tt.map(() => (rnd() - 0.45) * 100 * k); return { delta: d, cvd: d.map((x) => (a += x)) }; };
    return { tfMs: tf, t: tt, all: mk(3), venues: { binance: mk(1), okx: mk(1), bybit: mk(1) } };
  });
  app.get('/api/sizes', () => ({ tfMs: TF, t, thresholds: [1e4, 1e5, 1e6], delta: { small: t.map(() => rnd() - 0.5), medium: t.map(() => rnd() - 0.5), large: t.map(() => rnd() - 0.4), whale: t.map(() => rnd() - 0.6) } }));
  app.get('/api/market-state', () => ({ tfMs: TF, venues: { binance: { t, openInterest: t.map((_, i) => 5e4 + i * 3), fundingRate: t.map(() => 0.0001) } } }));
  app.get('/api/agreement', () => ({ tfMs: TF, t, agreement: t.map(() => rnd() * 2 - 1), leader: t.map(() => '') }));
  app.get('/api/events', () => ({ events: [] }));
  app.get('/api/tape', () => ({ rows: [] }));
  app.get('/api/paper', () => ({ sessions: [] }));
  app.get('/api/runs', () => ({ runs: [] }));
  app.get('/api/sessions', () => ({ spans: [] }));
  const sockets = new Set<{ send(s: string): void }>();
  app.get('/ws', { websocket: true }, (socket) => {
    sockets.add(socket);
    socket.send(JSON.stringify({ type: 'hello', symbol: 'BTCUSDT', venues: ['binance'], serverMs: Date.now(), source: 'stub' }));
    socket.on('close', () => sockets.delete(socket));
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address() as { port: number };
  let now = end;
  return {
    url: `http://127.0.0.1:${addr.port}`,
    close: () => app.close(),
    async pushTrades(n) {
      now += 30_000;
      const msg = { type: 'trades', t: Array(n).fill(now), price: Array.from({ length: n }, () => (p += 20)), qty: Array(n).fill(40), side: Array(n).fill(1), venue: Array(n).fill('binance') };
      for (const s of sockets) s.send(JSON.stringify(msg));
    },
  };
}
