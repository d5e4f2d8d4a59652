/**
 * The Telegram channel against a loopback Bot API: sendMessage's path and body, 429 with
 * `parameters.retry_after`, per-chat pacing, and a token that never shows up anywhere.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { Alert } from '../../src/paper/alerts/alert.ts';
import { AlertDispatcher, alertStatusText } from '../../src/paper/alerts/dispatcher.ts';
import { chatIntervalMs, TelegramChannel } from '../../src/paper/alerts/telegram.ts';
import { closedAddress } from '../helpers/process.ts';
import { waitFor } from '../helpers/wait.ts';
import { receiver, telegramError, telegramOk, telegramTooMany, type Receiver } from './alert-receivers.ts';

const TOKEN = '7012345678:AAH9x-Secret_TokenValue0123456789abcdef';
const alert = (i = 1): Alert => ({ rule: 'liq-burst', kind: 'liquidations', ts: 1_767_225_600_000, text: `liq-burst: longs liquidated 2.10M #${i}`, fields: {} });
const policy = (o: Partial<{ maxAttempts: number; timeoutMs: number }> = {}) => ({ maxAttempts: 3, timeoutMs: 2000, baseBackoffMs: 50, maxBackoffMs: 1000, ...o });
/** A fresh chat id per test: the pacing is per chat for the whole process. */
let chats = 100_000;
const chat = () => String(++chats);

const servers: Receiver[] = [];
after(() => Promise.all(servers.map((s) => s.close())));
async function botApi(respond: Parameters<typeof receiver>[0]): Promise<Receiver> {
  const s = await receiver(respond);
  servers.push(s);
  return s;
}
/** The Bot API answering every sendMessage with the Message sent. */
const okBot = () =>
  botApi((r, n, res) => {
    const body = JSON.parse(r.body.toString()) as { chat_id: string; text: string };
    telegramOk(res, body.chat_id, body.text, n + 1);
  });

describe('telegram channel', () => {
  it('POSTs {chat_id, text} to {baseUrl}/bot<token>/sendMessage and takes ok:true as sent', async () => {
    const srv = await okBot();
    const id = chat();
    const out = await new TelegramChannel(`${srv.url}/`, TOKEN, id, policy()).send(alert());
    assert.deepEqual(out, { ok: true, attempts: 1, status: 200 });
    const r = srv.received[0];
    assert.equal(r.method, 'POST');
    assert.equal(r.path, `/bot${TOKEN}/sendMessage`);
    assert.match(String(r.headers['content-type']), /application\/json/);
    assert.deepEqual(JSON.parse(r.body.toString()), { chat_id: id, text: 'liq-burst: longs liquidated 2.10M #1' });
  });

  it('on 429 waits parameters.retry_after seconds, then retries', async () => {
    const srv = await botApi((r, n, res) => (n === 0 ? telegramTooMany(res, 1) : telegramOk(res, '1', 'x', n)));
    const out = await new TelegramChannel(srv.url, TOKEN, chat(), policy(), { intervalMs: 0 }).send(alert());
    assert.equal(out.ok, true);
    assert.equal(out.attempts, 2);
    const waited = srv.received[1].at - srv.received[0].at;
    assert.ok(waited >= 990, `waited ${waited.toFixed(0)} ms for retry_after 1`);
    assert.ok(waited < 1900, `and not much more (${waited.toFixed(0)} ms; the backoff alone would be 50 ms)`);
  });

  it('a 429 holds every channel to that chat for retry_after, not only the one that got it', async () => {
    let flooded = false;
    const srv = await botApi((r, n, res) => {
      if (!flooded) {
        flooded = true;
        return telegramTooMany(res, 1);
      }
      telegramOk(res, '1', 'x', n);
    });
    const id = chat();
    const first = new TelegramChannel(srv.url, TOKEN, id, policy(), { intervalMs: 0 });
    const second = new TelegramChannel(srv.url, TOKEN, id, policy(), { intervalMs: 0 });
    const sending = first.send(alert(1));
    await waitFor(() => srv.received.length === 1, 'the 429', 2000);
    await new Promise((r) => setTimeout(r, 50));
    const [a, b] = await Promise.all([sending, second.send(alert(2))]);
    assert.ok(a.ok && b.ok);
    assert.equal(b.attempts, 1, 'the second channel waited instead of hitting the limit');
    assert.ok(srv.received[1].at - srv.received[0].at >= 990, 'nothing reached the chat before retry_after passed');
  });

  it('spaces messages to one chat by its interval (1 s for a private chat), without holding the caller', async () => {
    const srv = await okBot();
    const id = chat();
    const dispatcher = new AlertDispatcher([new TelegramChannel(srv.url, TOKEN, id, policy())]);
    const t0 = performance.now();
    for (let i = 1; i <= 3; i++) dispatcher.dispatch(alert(i));
    assert.ok(performance.now() - t0 < 5, 'dispatch returns at once');
    await dispatcher.close(10_000);
    assert.equal(srv.received.length, 3);
    const gaps = srv.received.slice(1).map((r, i) => r.at - srv.received[i].at);
    assert.ok(gaps.every((g) => g >= 990), `gaps ${gaps.map((g) => g.toFixed(0)).join(', ')} ms`);
    assert.equal(chatIntervalMs(id), 1000);
    assert.equal(chatIntervalMs('-1001234567890'), 3000, 'a group: 20 messages a minute');
  });

  it('two channels to the same chat share its pacing; another chat is not held back', async () => {
    const srv = await okBot();
    const id = chat();
    const other = chat();
    const a = new TelegramChannel(srv.url, TOKEN, id, policy());
    const b = new TelegramChannel(srv.url, TOKEN, id, policy());
    const c = new TelegramChannel(srv.url, TOKEN, other, policy());
    await Promise.all([a.send(alert(1)), b.send(alert(2)), c.send(alert(3))]);
    const at = (chatId: string) => srv.received.filter((r) => (JSON.parse(r.body.toString()) as { chat_id: string }).chat_id === chatId).map((r) => r.at);
    const same = at(id);
    assert.ok(Math.abs(same[1] - same[0]) >= 990, 'same chat spaced');
    assert.ok(Math.abs(at(other)[0] - Math.min(...same)) < 500, 'other chat not waiting');
  });

  it('does not retry 400/401 (a wrong chat or token) and says the Bot API description', async () => {
    const srv = await botApi((_r, _n, res) => telegramError(res, 400, 'Bad Request: chat not found'));
    const out = await new TelegramChannel(srv.url, TOKEN, chat(), policy(), { intervalMs: 0 }).send(alert());
    assert.deepEqual(out, { ok: false, attempts: 1, status: 400, error: 'HTTP 400 Bad Request: chat not found' });
  });

  it('retries 5xx with backoff', async () => {
    const srv = await botApi((_r, n, res) => (n < 2 ? telegramError(res, 502, 'Bad Gateway') : telegramOk(res, '1', 'x', n)));
    const out = await new TelegramChannel(srv.url, TOKEN, chat(), policy(), { intervalMs: 0 }).send(alert());
    assert.equal(out.ok, true);
    assert.equal(out.attempts, 3);
  });
});

describe('telegram token', () => {
  /** Everything written to the console and the process streams while `fn` runs. */
  async function captured(fn: () => Promise<void>): Promise<string> {
    let out = '';
    const saved = { stdout: process.stdout.write, stderr: process.stderr.write, log: console.log, error: console.error, warn: console.warn, info: console.info, debug: console.debug };
    const grab = (chunk: unknown) => ((out += String(chunk)), true);
    process.stdout.write = grab as typeof process.stdout.write;
    process.stderr.write = grab as typeof process.stderr.write;
    for (const k of ['log', 'error', 'warn', 'info', 'debug'] as const) console[k] = (...a: unknown[]) => void (out += `${a.map(String).join(' ')}\n`);
    try {
      await fn();
    } finally {
      Object.assign(process.stdout, { write: saved.stdout });
      Object.assign(process.stderr, { write: saved.stderr });
      Object.assign(console, { log: saved.log, error: saved.error, warn: saved.warn, info: saved.info, debug: saved.debug });
    }
    return out;
  }

  const secretForms = [TOKEN, encodeURIComponent(TOKEN), TOKEN.split(':')[1]];
  const assertNoToken = (text: string, where: string) => {
    for (const s of secretForms) assert.ok(!text.includes(s), `${where} holds the token: ${text}`);
  };

  it('never appears in errors, statuses or output: echoed by the server, in a URL error, on a refused connection', async () => {
    // A proxy or misconfigured server that echoes the request line back.
    const echo = await botApi((r, _n, res) => telegramError(res, 404, `Not Found: POST ${r.path}`));
    const cases = [
      { name: 'echoed path', baseUrl: echo.url },
      // fetch refuses to parse it and its error message holds the whole URL, token included.
      { name: 'unparsable URL', baseUrl: 'http://exa mple.org' },
      { name: 'refused connection', baseUrl: `http://${await closedAddress()}` },
    ];
    const outcomes: string[] = [];
    const logged = await captured(async () => {
      for (const c of cases) {
        const ch = new TelegramChannel(c.baseUrl, TOKEN, chat(), policy({ maxAttempts: 2 }), { intervalMs: 0 });
        const dispatcher = new AlertDispatcher([ch], { onFailure: (channel, error) => console.error(`alerts: ${channel} failed: ${error}`) });
        dispatcher.dispatch(alert());
        await dispatcher.close(5000);
        const s = dispatcher.status()[0];
        assert.equal(s.failed, 1, c.name);
        console.error(alertStatusText(dispatcher.status()));
        outcomes.push(`${c.name}: ${JSON.stringify(s)}`);
      }
    });
    for (const o of outcomes) assertNoToken(o, 'status');
    assertNoToken(logged, 'console output');
    // The failures were said (so the absence of the token means redaction, not silence).
    assert.match(logged, /HTTP 404 Not Found: POST \/bot<redacted>\/sendMessage/);
    assert.match(logged, /Failed to parse URL from http:\/\/exa mple\.org\/bot<redacted>\/sendMessage/);
    assert.match(logged, /ECONNREFUSED/);
  });
});
