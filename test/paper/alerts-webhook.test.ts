/**
 * The webhook channel against a loopback receiver: signed bodies, retries on 5xx / 429 /
 * timeouts / refused connections, none on other 4xx, and the queue that keeps a hanging
 * endpoint from ever blocking the feed.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { TradeEvent } from '../../src/core/events.ts';
import { alertsSchema } from '../../src/engine/alerts-config.ts';
import type { Alert } from '../../src/paper/alerts/alert.ts';
import { AlertDispatcher } from '../../src/paper/alerts/dispatcher.ts';
import { AlertRules } from '../../src/paper/alerts/rules.ts';
import { WebhookChannel } from '../../src/paper/alerts/webhook.ts';
import { closedAddress } from '../helpers/process.ts';
import { waitFor } from '../helpers/wait.ts';
import { json, receiver, signatureValid, type Receiver } from './alert-receivers.ts';

const SECRET = 'whsec-3f9a1c';
const alert = (i = 1): Alert => ({ rule: 'btc-sell-flow', kind: 'flow', ts: 1_767_225_600_000 + i, text: `btc-sell-flow: aggressive sells #${i}`, fields: { notional: 5_123_456.5, side: 'sell', i } });
const policy = (o: Partial<{ maxAttempts: number; timeoutMs: number }> = {}) => ({ maxAttempts: 4, timeoutMs: 2000, baseBackoffMs: 50, maxBackoffMs: 1000, ...o });

const servers: Receiver[] = [];
after(() => Promise.all(servers.map((s) => s.close())));
async function serve(respond: Parameters<typeof receiver>[0]): Promise<Receiver> {
  const s = await receiver(respond);
  servers.push(s);
  return s;
}

describe('webhook channel', () => {
  it('POSTs the alert as JSON with an HMAC-SHA256 signature of the exact body the receiver verifies', async () => {
    const srv = await serve((_r, _n, res) => json(res, 200, { received: true }));
    const out = await new WebhookChannel(`${srv.url}/hook`, SECRET, policy()).send(alert());
    assert.deepEqual(out, { ok: true, attempts: 1, status: 200 });
    const r = srv.received[0];
    assert.equal(r.method, 'POST');
    assert.equal(r.path, '/hook');
    assert.match(String(r.headers['content-type']), /application\/json/);
    assert.ok(signatureValid(SECRET, r), 'signature verifies with the secret');
    assert.ok(!signatureValid('another-secret', r), 'and not with another');
    const body = JSON.parse(r.body.toString('utf8')) as Record<string, unknown>;
    assert.equal(body.rule, 'btc-sell-flow');
    assert.equal(body.time, '2026-01-01T00:00:00.001Z');
    assert.deepEqual(body.fields, { notional: 5_123_456.5, side: 'sell', i: 1 });
  });

  it('retries 5xx and 429 with growing backoff until it gets through', async () => {
    const statuses = [503, 502, 429];
    const srv = await serve((_r, n, res) => json(res, statuses[n] ?? 200, {}));
    const out = await new WebhookChannel(srv.url, SECRET, policy()).send(alert());
    assert.equal(out.ok, true);
    assert.equal(out.attempts, 4);
    assert.equal(srv.received.length, 4);
    const gaps = srv.received.slice(1).map((r, i) => r.at - srv.received[i].at);
    assert.ok(gaps[0] >= 45 && gaps[1] >= 95 && gaps[2] >= 195, `backoff 50, 100, 200 ms: ${gaps.map((g) => g.toFixed(0))}`);
    // Every attempt carries the same signed body.
    assert.ok(srv.received.every((r) => signatureValid(SECRET, r) && r.body.equals(srv.received[0].body)));
  });

  it('waits the Retry-After seconds of a 429 before retrying', async () => {
    const srv = await serve((_r, n, res) => {
      if (n > 0) return json(res, 200, {});
      res.writeHead(429, { 'retry-after': '1', 'content-type': 'text/plain' });
      res.end('slow down');
    });
    const out = await new WebhookChannel(srv.url, SECRET, policy()).send(alert());
    assert.equal(out.ok, true);
    const waited = srv.received[1].at - srv.received[0].at;
    assert.ok(waited >= 990 && waited < 1900, `waited ${waited.toFixed(0)} ms for Retry-After: 1 (the backoff alone: 50 ms)`);
  });

  it('gives up after maxAttempts on a server that keeps failing, with its last status', async () => {
    const srv = await serve((_r, _n, res) => json(res, 500, { error: 'db down' }));
    const out = await new WebhookChannel(srv.url, SECRET, policy({ maxAttempts: 3 })).send(alert());
    assert.equal(out.ok, false);
    assert.equal(out.attempts, 3);
    assert.equal(out.status, 500);
    assert.match(out.error!, /^HTTP 500 \{"error":"db down"\}/);
    assert.equal(srv.received.length, 3);
  });

  it('does not retry a 4xx other than 429: the request itself is refused', async () => {
    const srv = await serve((_r, _n, res) => json(res, 401, { error: 'bad signature' }));
    const out = await new WebhookChannel(srv.url, SECRET, policy()).send(alert());
    assert.equal(out.ok, false);
    assert.equal(out.attempts, 1);
    assert.equal(out.status, 401);
    assert.equal(srv.received.length, 1);
  });

  it('retries a refused connection and says why it failed', async () => {
    const out = await new WebhookChannel(`http://${await closedAddress()}/hook`, SECRET, policy({ maxAttempts: 2 })).send(alert());
    assert.equal(out.ok, false);
    assert.equal(out.attempts, 2);
    assert.match(out.error!, /ECONNREFUSED/);
  });

  it('a hanging server times out, is retried, is reported failed, and never blocks the feed loop', async (t) => {
    const srv = await serve(() => 'hang');
    const timeoutMs = 600;
    const dispatcher = new AlertDispatcher([new WebhookChannel(srv.url, SECRET, policy({ maxAttempts: 2, timeoutMs }))]);
    const rules = new AlertRules(alertsSchema.parse({ rules: [{ name: 'sells', kind: 'flow', side: 'sell', notional: 1e6, window: '1m' }] }).rules, (a) => dispatcher.dispatch(a));
    // The feed: batches of trades, one per event-loop turn, as a connector delivers them.
    const batch: TradeEvent[] = Array.from({ length: 200 }, (_, i) => ({ type: 'trade', venue: 'binance', symbol: 'BTCUSDT', ts: 0, localTs: 0, price: 50_000, qty: 0.001, side: i % 2 ? 'buy' : 'sell', id: '' }));
    let ts = 1_000_000;
    const feed = () => {
      for (let i = 0; i < batch.length; i++) (batch[i] as { ts: number }).ts = ts++;
      rules.onEvents(batch);
    };
    feed();
    // One huge sell: the rule fires and the alert goes to the hanging webhook.
    const t0 = performance.now();
    rules.onEvent({ ...batch[0], ts: ts++, side: 'sell', qty: 100 });
    const dispatchMs = performance.now() - t0;
    // Keep feeding, one batch per turn, until the webhook is given up on (2 attempts x 600 ms + backoff).
    let turns = 0;
    let maxTurn = 0;
    let last = performance.now();
    while (dispatcher.status()[0].failed === 0 && performance.now() - t0 < 10_000) {
      feed();
      turns++;
      await new Promise((r) => setImmediate(r));
      const now = performance.now();
      maxTurn = Math.max(maxTurn, now - last);
      last = now;
    }
    const elapsed = performance.now() - t0;
    t.diagnostic(`fire+enqueue ${dispatchMs.toFixed(3)} ms; ${turns} feed turns (${turns * batch.length} trades) in the ${elapsed.toFixed(0)} ms the webhook hung; longest turn ${maxTurn.toFixed(1)} ms`);
    assert.ok(dispatchMs < 5, `firing + enqueueing took ${dispatchMs.toFixed(2)} ms`);
    assert.ok(elapsed >= 2 * timeoutMs, `both attempts timed out (${elapsed.toFixed(0)} ms)`);
    // Waiting on the webhook would make one turn last a whole timeout.
    assert.ok(maxTurn < timeoutMs, `no feed turn waited on the webhook (longest ${maxTurn.toFixed(1)} ms)`);
    assert.ok(turns > 100, `the feed kept turning: ${turns} turns`);
    const s = dispatcher.status()[0];
    assert.equal(srv.received.length, 2, 'tried twice');
    assert.deepEqual(s, { channel: 'webhook', sent: 0, failed: 1, dropped: 0, queued: 0, lastError: `timed out after ${timeoutMs} ms`, healthy: false });
    await dispatcher.close(0);
  });

  it('a full queue drops its oldest alerts, counts them, and sends the newest', async () => {
    const srv = await serve((_r, _n, res) => json(res, 204, null));
    const dispatcher = new AlertDispatcher([new WebhookChannel(srv.url, SECRET, policy())], { capacity: 2 });
    for (let i = 1; i <= 5; i++) dispatcher.dispatch(alert(i));
    await dispatcher.close(5000);
    const sent = srv.received.map((r) => (JSON.parse(r.body.toString()) as { fields: { i: number } }).fields.i);
    assert.deepEqual(sent, [4, 5]);
    assert.deepEqual(dispatcher.status()[0], { channel: 'webhook', sent: 2, failed: 0, dropped: 3, queued: 0, lastError: null, healthy: true });
  });

  it('close() aborts a delivery still retrying after its grace period', async () => {
    const srv = await serve(() => 'hang');
    const dispatcher = new AlertDispatcher([new WebhookChannel(srv.url, SECRET, policy({ maxAttempts: 10, timeoutMs: 60_000 }))]);
    dispatcher.dispatch(alert());
    dispatcher.dispatch(alert(2));
    await waitFor(() => srv.received.length === 1, 'the first attempt', 2000);
    const t0 = performance.now();
    await dispatcher.close(100);
    assert.ok(performance.now() - t0 < 1000, 'did not wait for the 60 s timeout');
    const s = dispatcher.status()[0];
    assert.equal(s.failed + s.dropped, 2);
    assert.match(s.lastError ?? '', /stopped/);
  });
});
