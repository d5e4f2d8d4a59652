/**
 * ApiClient's bound on requests in flight (the page's refresh after a live bar opens asks one at
 * a time), against a real HTTP server on 127.0.0.1 that counts the requests it holds at once.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { ApiClient, ApiRequestError } from '../../../src/server/web/api-client.ts';

describe('api client', () => {
  let server: Server;
  let base = '';
  let open = 0;
  let most = 0;
  before(async () => {
    server = createServer((req, res) => {
      open++;
      most = Math.max(most, open);
      // Held a little, so requests sent together overlap unless the client holds them back.
      setTimeout(() => {
        open--;
        const n = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('n'));
        if (n === 3) {
          res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'no such n', field: 'n' }));
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ n }));
      }, 20);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((r) => server.close(r));
  });

  it('holds requests past its bound until one in flight settles, a failed one included, and answers each its own', async () => {
    most = 0;
    const api = new ApiClient(base, { maxInFlight: 1 });
    const got = await Promise.allSettled([0, 1, 2, 3, 4, 5].map((n) => api.get<{ n: number }>('/x', { n })));
    assert.equal(most, 1);
    assert.deepEqual(
      got.map((g) => (g.status === 'fulfilled' ? g.value.n : (g.reason as ApiRequestError).field)),
      [0, 1, 2, 'n', 4, 5],
    );
  });

  it('sends requests together without a bound', async () => {
    most = 0;
    const api = new ApiClient(base);
    await Promise.all([0, 1, 2, 4].map((n) => api.get('/x', { n })));
    assert.ok(most > 1, `${most} at once`);
  });
});
