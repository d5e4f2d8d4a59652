/** PacedRest against a plain loopback HTTP server: retries, venue envelopes, budget and spacing, named failures. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { afterEach, describe, it } from 'node:test';
import { BINANCE_REST_POLICY } from '../../../src/venues/binance/rest.ts';
import { BYBIT_REST_POLICY } from '../../../src/venues/bybit/rest.ts';
import { PacedRest, RestError } from '../../../src/venues/live/rest.ts';
import { OKX_REST_POLICY } from '../../../src/venues/okx/rest.ts';

type Answer = { status: number; body: string; headers?: Record<string, string> };

/** Servers still open: closed after each test even when it failed, so a failure never hangs the file. */
const open = new Set<() => Promise<void>>();

/** `hits`: arrival times on the monotonic clock (the wall clock can step on a shared machine). */
async function server(answers: Answer[]): Promise<{ url: string; hits: number[]; close: () => Promise<void> }> {
  const hits: number[] = [];
  const http = createServer((_req: IncomingMessage, res: ServerResponse) => {
    hits.push(performance.now());
    const a = answers.length > 1 ? answers.shift()! : answers[0];
    res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
    res.end(a.body);
  });
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const close = () => {
    open.delete(close);
    http.closeAllConnections();
    return new Promise<void>((r) => http.close(() => r()));
  };
  open.add(close);
  return { url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/x?a=1`, hits, close };
}

const failure = (p: Promise<unknown>) => p.then(() => assert.fail('expected a failure'), (e: unknown) => e as RestError);

describe('PacedRest', () => {
  afterEach(() => Promise.all([...open].map((c) => c())));

  it('retries a 5xx and returns the body that follows', async () => {
    const s = await server([{ status: 503, body: '{"code":-1001,"msg":"Internal error"}' }, { status: 200, body: '[1,2]' }]);
    const rest = new PacedRest(BINANCE_REST_POLICY, { retryBaseMs: 5 });
    const { body } = await rest.get(s.url);
    assert.deepEqual(body, [1, 2]);
    assert.equal(s.hits.length, 2);
    await s.close();
  });

  it('does not retry what the venue explains (-1121 Invalid symbol): one call, the venue code kept', async () => {
    const s = await server([{ status: 400, body: '{"code":-1121,"msg":"Invalid symbol."}' }]);
    const e = await failure(new PacedRest(BINANCE_REST_POLICY, { retryBaseMs: 5 }).get(s.url));
    assert.equal(e.code, 'E_REST_STATUS');
    assert.equal(e.venueCode, '-1121');
    assert.equal(e.message, 'GET /x?a=1: HTTP 400: Invalid symbol. (venue code -1121)');
    assert.equal(s.hits.length, 1);
    await s.close();
  });

  it("a 200 carrying the venue's error envelope is an error: OKX 50011 is retried, Bybit 10001 is not", async () => {
    const okx = await server([{ status: 200, body: '{"code":"50011","msg":"Too Many Requests","data":[]}' }]);
    const e = await failure(new PacedRest(OKX_REST_POLICY, { retryBaseMs: 5, attempts: 2 }).get(okx.url));
    assert.deepEqual([e.code, e.venueCode, okx.hits.length], ['E_REST_VENUE', '50011', 2]);
    const bybit = await server([{ status: 200, body: '{"retCode":10001,"retMsg":"params error","result":{}}' }]);
    const b = await failure(new PacedRest(BYBIT_REST_POLICY, { retryBaseMs: 5 }).get(bybit.url));
    assert.deepEqual([b.code, b.venueCode, bybit.hits.length], ['E_REST_VENUE', '10001', 1]);
    await Promise.all([okx.close(), bybit.close()]);
  });

  it('spaces calls and keeps the budget: the third call of a 2-per-window budget waits for the window', async () => {
    const s = await server([{ status: 200, body: '{"code":"0","msg":"","data":[]}' }]);
    const rest = new PacedRest({ ...OKX_REST_POLICY, budget: { limit: 2, windowMs: 400 } }, { spacingMs: 100 });
    const start = performance.now();
    await Promise.all([rest.get(s.url), rest.get(s.url), rest.get(s.url)]);
    const [, b, c] = s.hits;
    // Lower bounds from before the first call was issued: a loaded machine can delay the first
    // call's arrival (it also opens the connection) but never make a later call come early.
    assert.ok(b - start >= 99, `spacing: the second call arrived ${b - start} ms after the first was issued`);
    assert.ok(c - start >= 399, `budget window: the third call arrived ${c - start} ms after the first was issued`);
    await s.close();
  });

  it('a refused connection names its cause (ECONNREFUSED), after the retries', async () => {
    const s = await server([{ status: 200, body: '[]' }]);
    const url = s.url;
    await s.close();
    const e = await failure(new PacedRest(BINANCE_REST_POLICY, { retryBaseMs: 5 }).get(url));
    assert.equal(e.code, 'E_REST_NETWORK');
    assert.match(e.message, /ECONNREFUSED/);
  });
});
