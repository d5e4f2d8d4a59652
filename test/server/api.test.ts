/**
 * The dashboard's HTTP API (src/server, wire contract src/server/api.ts) over a recorded store,
 * through fastify.inject: every endpoint's answer checked against the events that went in, bad
 * query parameters answered 400 naming the parameter (never 500), and the token enforced.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import type { FastifyInstance } from 'fastify';
import fc from 'fast-check';
import type { CandlesResponse, CvdResponse, MarketsResponse, SessionsResponse, TapeResponse } from '../../src/server/api.ts';
import { buildServer } from '../../src/server/server.ts';
import { fixtureEvents, fixtureHome, removeHome, SPAN_MS, T0 } from './fixture.ts';

const M = 60_000;
let home: string;
let app: FastifyInstance;
const events = fixtureEvents();
const trades = events.filter((e) => e.type === 'trade');

async function get<T>(url: string, a = app): Promise<{ status: number; body: T }> {
  const r = await a.inject({ method: 'GET', url });
  return { status: r.statusCode, body: r.json() as T };
}

const RANGE = `from=${T0}&to=${T0 + SPAN_MS}`;

describe('dashboard HTTP API', () => {
  before(async () => {
    home = await fixtureHome();
    app = (await buildServer({ home })).app;
  });
  after(async () => {
    await app?.close();
  });

  it('lists the stored market once with each venue, its native symbol and counts', async () => {
    const { status, body } = await get<MarketsResponse>('/api/markets');
    assert.equal(status, 200, JSON.stringify(body));
    assert.equal(body.markets.length, 1);
    const m = body.markets[0];
    assert.equal(m.symbol, 'BTCUSDT');
    assert.deepEqual(m.venues.map((v) => `${v.venue}:${v.symbol}`).sort(), ['binance:BTCUSDT', 'bybit:BTCUSDT', 'okx:BTC-USDT-SWAP']);
    for (const v of m.venues) assert.equal(v.trades, trades.filter((t) => t.venue === v.venue).length);
    assert.ok(m.tick > 0);
  });

  it('answers candles of the merged venues whose buy and sell volumes add up to the trades', async () => {
    const { status, body } = await get<CandlesResponse>(`/api/candles?symbol=BTCUSDT&tf=1m&${RANGE}`);
    assert.equal(status, 200);
    assert.equal(body.tfMs, M);
    assert.equal(body.t.length, SPAN_MS / M);
    for (const k of ['o', 'h', 'l', 'c', 'buy', 'sell', 'trades'] as const) assert.equal(body[k].length, body.t.length, k);
    const buy = trades.filter((t) => t.side === 'buy').reduce((s, t) => s + t.qty, 0);
    const sell = trades.filter((t) => t.side === 'sell').reduce((s, t) => s + t.qty, 0);
    assert.ok(Math.abs(body.buy.reduce((s, x) => s + x, 0) - buy) < 1e-6);
    assert.ok(Math.abs(body.sell.reduce((s, x) => s + x, 0) - sell) < 1e-6);
    assert.equal(body.trades.reduce((s, x) => s + x, 0), trades.length);
    assert.equal(body.footprint, undefined);
    // The first bar's OHLC from the events themselves.
    const first = trades.filter((t) => t.ts < T0 + M);
    assert.equal(body.o[0], first[0].price);
    assert.equal(body.h[0], Math.max(...first.map((t) => t.price)));
  });

  it('flattens each bar\'s footprint so its levels hold exactly that bar\'s volume', async () => {
    const { status, body } = await get<CandlesResponse>(`/api/candles?symbol=BTC&venues=binance,okx,bybit&tf=5m&footprint=1&${RANGE}`);
    assert.equal(status, 200);
    const fp = body.footprint!;
    assert.equal(fp.offset.length, body.t.length + 1);
    assert.equal(fp.offset.at(-1), fp.price.length);
    for (const k of ['bid', 'ask', 'bidImb', 'askImb'] as const) assert.equal(fp[k].length, fp.price.length);
    for (let i = 0; i < body.t.length; i++) {
      let bid = 0;
      let ask = 0;
      for (let j = fp.offset[i]; j < fp.offset[i + 1]; j++) {
        bid += fp.bid[j];
        ask += fp.ask[j];
        assert.ok(fp.price[j] >= body.l[i] - fp.levelSize && fp.price[j] <= body.h[i], 'level inside the bar');
      }
      assert.ok(Math.abs(bid - body.sell[i]) < 1e-6 && Math.abs(ask - body.buy[i]) < 1e-6, `bar ${i}`);
      assert.ok(fp.poc[i] >= fp.val[i] && fp.poc[i] <= fp.vah[i]);
    }
    // The heavy selling at 100 (minutes 65-67) is the story's one-sided flow.
    assert.ok(fp.bidImb.length > 0);
  });

  it('defaults the range to the bars before the newest stored trade', async () => {
    const { body } = await get<CandlesResponse>('/api/candles?symbol=BTCUSDT&tf=1h');
    assert.equal(body.t.at(-1), Math.floor((T0 + SPAN_MS - 1) / 3_600_000) * 3_600_000);
  });

  it('answers cvd aggregated and per venue on one time axis, the venues adding up to the whole', async () => {
    const { status, body } = await get<CvdResponse>(`/api/cvd?symbol=BTCUSDT&tf=15m&${RANGE}`);
    assert.equal(status, 200);
    assert.equal(body.t.length, SPAN_MS / (15 * M));
    const delta = trades.reduce((s, t) => s + (t.side === 'buy' ? t.qty : -t.qty), 0);
    assert.ok(Math.abs(body.all.cvd.at(-1)! - delta) < 1e-6);
    const venues = Object.keys(body.venues).sort();
    assert.deepEqual(venues, ['binance', 'bybit', 'okx']);
    for (let i = 0; i < body.t.length; i++) {
      const sum = Object.values(body.venues).reduce((s, v) => s + v!.cvd[i], 0);
      assert.ok(Math.abs(sum - body.all.cvd[i]) < 1e-6, `bar ${i}`);
    }
  });

  it('lists the sessions overlapping a range', async () => {
    const { body } = await get<SessionsResponse>(`/api/sessions?from=2026-01-05&to=2026-01-06`);
    assert.deepEqual([...new Set(body.spans.map((s) => s.name))].sort(), ['Asia', 'Europe', 'US']);
    // Asia 09:00 Tokyo = 00:00 UTC.
    assert.ok(body.spans.some((s) => s.name === 'Asia' && s.fromMs === Date.UTC(2026, 0, 5, 0)));
    for (const s of body.spans) assert.ok(s.toMs > Date.UTC(2026, 0, 5) && s.fromMs < Date.UTC(2026, 0, 6));
  });

  it('answers the tape newest last, liquidations by the side liquidated', async () => {
    const { body } = await get<TapeResponse>('/api/tape?symbol=BTCUSDT&limit=50');
    assert.equal(body.rows.length, 50);
    for (let i = 1; i < body.rows.length; i++) assert.ok(body.rows[i].t >= body.rows[i - 1].t);
    assert.equal(body.rows.at(-1)!.t, Math.max(...trades.map((t) => t.ts)));
    const all = await get<TapeResponse>(`/api/tape?symbol=BTCUSDT&limit=5000`);
    const liq = all.body.rows.filter((r) => r.kind === 'liquidation');
    assert.ok(liq.length > 0);
    for (const r of liq) assert.ok(r.side === 'long' || r.side === 'short');
  });

  it('answers 400 naming the parameter for bad values', async () => {
    const cases: [string, string][] = [
      ['/api/candles?tf=1m', 'symbol'],
      ['/api/candles?symbol=NOSUCHCOIN', 'symbol'],
      ['/api/candles?symbol=BTCUSDT&tf=7m', 'tf'],
      ['/api/candles?symbol=BTCUSDT&from=yesterday', 'from'],
      ['/api/candles?symbol=BTCUSDT&venues=binance,kraken', 'venues'],
      ['/api/candles?symbol=BTCUSDT&from=2026-01-05&to=2026-01-04', 'from'],
      ['/api/candles?symbol=BTCUSDT&tf=1m&from=2020-01-01&to=2026-01-01', 'from'],
      ['/api/candles?symbol=BTCUSDT&footprint=maybe', 'footprint'],
      ['/api/candles?symbol=BTCUSDT&symbol=ETHUSDT', 'symbol'],
      ['/api/tape?symbol=BTCUSDT&limit=0', 'limit'],
    ];
    for (const [url, field] of cases) {
      const r = await get<{ error: string; field?: string }>(url);
      assert.equal(r.status, 400, url);
      assert.equal(r.body.field, field, url);
      assert.ok(r.body.error.length > 0);
    }
  });

  it('never answers 500 to hostile query strings', async () => {
    const paths = ['/api/candles', '/api/cvd', '/api/tape', '/api/sessions'];
    const keys = ['symbol', 'venues', 'tf', 'from', 'to', 'footprint', 'levelTicks', 'limit', 'token'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...paths), fc.array(fc.tuple(fc.constantFrom(...keys), fc.string({ maxLength: 30 })), { maxLength: 5 }), async (path, pairs) => {
        const qs = pairs.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&');
        const r = await app.inject({ method: 'GET', url: `${path}?${qs}` });
        assert.ok(r.statusCode < 500, `${path}?${qs} -> ${r.statusCode} ${r.body}`);
        assert.equal(typeof r.json().error === 'string' || r.statusCode === 200, true);
      }),
      { numRuns: 60 },
    );
  });
});

describe('dashboard token', () => {
  const TOKEN = 's3cret-token-value';
  let guarded: FastifyInstance;
  const log: string[] = [];
  before(async () => {
    home ??= await fixtureHome();
    const stream = new Writable({ write: (chunk, _enc, done) => (log.push(String(chunk)), done()) });
    guarded = (await buildServer({ home, host: '0.0.0.0', token: TOKEN, log: stream })).app;
  });
  after(async () => {
    await guarded?.close();
    removeHome(home);
  });

  it('refuses a wider bind without a token', async () => {
    await assert.rejects(buildServer({ home, host: '0.0.0.0' }), /--token/);
  });

  it('answers 401 to requests without the token or with a wrong one', async () => {
    for (const r of [
      await guarded.inject({ url: '/api/markets' }),
      await guarded.inject({ url: '/' }),
      await guarded.inject({ url: '/api/markets', headers: { authorization: 'Bearer wrong' } }),
      await guarded.inject({ url: '/api/markets?token=wrong' }),
      await guarded.inject({ url: '/api/markets', headers: { cookie: 'orderflow_token=wrong' } }),
    ]) {
      assert.equal(r.statusCode, 401);
    }
  });

  it('accepts the bearer header, and a page load with ?token= that sets an HttpOnly SameSite=Strict cookie', async () => {
    assert.equal((await guarded.inject({ url: '/api/markets', headers: { authorization: `Bearer ${TOKEN}` } })).statusCode, 200);
    const page = await guarded.inject({ url: `/?symbol=BTCUSDT&token=${TOKEN}` });
    assert.equal(page.statusCode, 200);
    const cookie = String(page.headers['set-cookie']);
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    const pair = cookie.split(';')[0];
    assert.equal((await guarded.inject({ url: '/api/markets', headers: { cookie: pair } })).statusCode, 200);
  });

  it('keeps the token out of the request log', async () => {
    await guarded.inject({ url: `/?token=${TOKEN}` });
    await guarded.inject({ url: `/api/markets?token=${TOKEN}` });
    await guarded.inject({ url: `/api/nothing?token=${TOKEN}&x=1` });
    const text = log.join('');
    assert.ok(text.includes('/api/markets'), 'requests were logged');
    assert.ok(!text.includes(TOKEN), 'token in the log');
  });
});
