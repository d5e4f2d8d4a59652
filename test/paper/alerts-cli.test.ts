/**
 * The alerts from the command line: `orderflow alerts test` against loopback receivers, and
 * `record` / `watch --config` firing on the Bybit loopback exchange's live trades.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { MarketEvent } from '../../src/core/events.ts';
import { Store } from '../../src/store/store.ts';
import { startBybitMockServer } from '../../src/venues/bybit/mock-server.ts';
import { BIN } from '../helpers/paths.ts';
import { runProcess } from '../helpers/process.ts';
import { tempDir } from '../helpers/store.ts';
import { waitFor } from '../helpers/wait.ts';
import { json, receiver, signatureValid, telegramError, telegramOk, type Receiver } from './alert-receivers.ts';

const TOKEN = '6100200300:AAE-cliTokenNeverShown_987654321';
const SECRET = 'cli-webhook-secret-77';

const servers: Receiver[] = [];
after(() => Promise.all(servers.map((s) => s.close())));
async function serve(respond: Parameters<typeof receiver>[0]): Promise<Receiver> {
  const s = await receiver(respond);
  servers.push(s);
  return s;
}

function configFile(yaml: string): string {
  const file = join(tempDir(), 'strategy.yaml');
  writeFileSync(file, yaml);
  return file;
}

const env = (extra: Record<string, string>) => ({ ...process.env, ORDERFLOW_TELEGRAM_TOKEN: '', ORDERFLOW_WEBHOOK_SECRET: '', ...extra });

// Each case has its own receivers and config file, and spends its time starting the CLI: side by side.
describe('orderflow alerts test', { concurrency: true }, () => {
  it('sends one message per channel and says per channel what happened; exit 1 when one failed, token never shown', async () => {
    const hook = await serve((r, _n, res) => json(res, signatureValid(SECRET, r) ? 200 : 403, {}));
    const bot = await serve((_r, _n, res) => telegramError(res, 401, 'Unauthorized'));
    const file = configFile(`alerts:
  channels:
    terminal: true
    webhook: { url: "${hook.url}/hook", secretEnv: ORDERFLOW_WEBHOOK_SECRET }
    telegram: { chatId: "4242", tokenEnv: ORDERFLOW_TELEGRAM_TOKEN, baseUrl: "${bot.url}" }
`);
    const r = await runProcess(BIN, ['alerts', 'test', '--config', file], env({ ORDERFLOW_TELEGRAM_TOKEN: TOKEN, ORDERFLOW_WEBHOOK_SECRET: SECRET }));
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stdout, /^ALERT .* orderflow alerts test: this channel works$/m);
    assert.match(r.stdout, /^terminal: ok \(1 attempt\)$/m);
    assert.match(r.stdout, /^webhook: ok \(HTTP 200, 1 attempt\)$/m, 'signed with the secret from the environment');
    assert.match(r.stdout, /^telegram: FAILED HTTP 401 Unauthorized \(1 attempt\)$/m);
    assert.equal(bot.received[0].path, `/bot${TOKEN}/sendMessage`);
    assert.ok(!`${r.stdout}${r.stderr}`.includes(TOKEN.split(':')[1]), 'token not in the output');
  });

  it('exits 0 when every channel delivered', async () => {
    const bot = await serve((r, n, res) => telegramOk(res, '4242', 'x', n + 1));
    const file = configFile(`alerts:\n  channels:\n    telegram: { chatId: 4242, tokenEnv: ORDERFLOW_TELEGRAM_TOKEN, baseUrl: "${bot.url}" }\n`);
    const r = await runProcess(BIN, ['alerts', 'test', '--config', file], env({ ORDERFLOW_TELEGRAM_TOKEN: TOKEN }));
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^telegram: ok \(HTTP 200, 1 attempt\)$/m);
    assert.deepEqual(JSON.parse(bot.received[0].body.toString()), { chat_id: '4242', text: 'orderflow alerts test: this channel works' });
  });

  it('a secret variable that is not set is named (not its value) and nothing is sent', async () => {
    const file = configFile(`alerts:\n  channels:\n    telegram: { chatId: "1", tokenEnv: MY_BOT_TOKEN }\n`);
    const r = await runProcess(BIN, ['alerts', 'test', '--config', file], env({}));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /alerts\.channels\.telegram\.tokenEnv: the environment variable MY_BOT_TOKEN is not set/);
  });

  it('a config without channels or without an alerts block says so', async () => {
    const none = await runProcess(BIN, ['alerts', 'test', '--config', configFile('alerts:\n  rules: []\n')], env({}));
    assert.equal(none.code, 2);
    assert.match(none.stderr, /alerts\.channels: no channel is on/);
    const missing = await runProcess(BIN, ['alerts', 'test', '--config', configFile('seed: 3\n')], env({}));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no alerts: block/);
  });
});

function sell(i: number, qty: number): MarketEvent {
  const ts = Date.now();
  return { type: 'trade', venue: 'bybit', symbol: 'BTCUSDT', ts, localTs: ts, price: 65_000, qty, side: i % 4 === 3 ? 'buy' : 'sell', id: randomUUID() };
}

const flowRule = (hookUrl: string) => `alerts:
  rules:
    - name: btc-sell-flow
      kind: flow
      side: sell
      notional: 100000
      window: 1m
      venues: [bybit]
    - name: on-signals
      kind: signal
  channels:
    terminal: true
    webhook: { url: "${hookUrl}", secretEnv: ORDERFLOW_WEBHOOK_SECRET, timeoutMs: 500, maxAttempts: 2 }
`;

describe('record and watch --config', () => {
  it('record: a burst of sells fires one signed alert while every trade is stored; a hanging webhook as well never slows it', async () => {
    const good = await serve((_r, _n, res) => json(res, 200, {}));
    const server = await startBybitMockServer({ symbols: ['BTCUSDT'] });
    const home = join(tempDir(), 'home');
    const file = configFile(flowRule(`${good.url}/hook`));
    const child = spawn(BIN, ['record', '--symbol', 'BTCUSDT', '--venues', 'bybit', '--channels', 'trades', '--flush-ms', '200', '--home', home, '--config', file], {
      env: env({ ORDERFLOW_BYBIT_WS_URL: server.wsUrl, ORDERFLOW_BYBIT_REST_URL: server.restUrl, ORDERFLOW_WEBHOOK_SECRET: SECRET }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (err += d));
    await waitFor(() => server.subscriptions().flat().some((t) => t.startsWith('publicTrade.')), 'subscription', 15_000, 20);
    // 40 trades of 0.1 BTC at 65k = 6.5k each; 30 sells = 195k, crossing 100k at the 16th sell.
    for (let i = 0; i < 40; i++) {
      server.publish(sell(i, 0.1));
      await new Promise((r) => setTimeout(r, 5));
    }
    await waitFor(() => good.received.length >= 1, 'the alert', 10_000, 20);
    await new Promise((r) => setTimeout(r, 500));
    child.kill('SIGTERM');
    const [code] = await once(child, 'close');
    await server.close();
    assert.equal(code, 0, err);
    assert.equal(good.received.length, 1, 'one burst, one alert');
    assert.ok(signatureValid(SECRET, good.received[0]));
    const body = JSON.parse(good.received[0].body.toString()) as { rule: string; fields: { notional: number; symbol: string } };
    assert.equal(body.rule, 'btc-sell-flow');
    assert.equal(body.fields.symbol, 'BTCUSDT');
    assert.ok(Math.abs(body.fields.notional - 104_000) < 1e-6, `crossed at the 16th sell: ${body.fields.notional}`);
    assert.match(err, /alert rule on-signals \(signal\) needs the strategy engine: only orderflow paper evaluates it; ignored/);
    assert.match(err, /^ALERT .* btc-sell-flow: aggressive sells 104\.0k \(quote\) within 1m on BTCUSDT \[bybit 104\.0k\] >= 100\.0k$/m);
    assert.match(out, /alerts: 1 fired; terminal 1 sent; webhook 1 sent/);
    const store = await Store.open(home, { readOnly: true });
    try {
      const [{ n }] = await store.rows<{ n: bigint }>('SELECT count(*) AS n FROM trades');
      assert.equal(Number(n), 40);
    } finally {
      store.close();
    }
  });

  it('watch: the alert line and the channel health are shown; a failing webhook is reported, the flow keeps being shown', async () => {
    const hanging = await serve(() => 'hang');
    const server = await startBybitMockServer({ symbols: ['BTCUSDT'] });
    const child = spawn(BIN, ['watch', '--symbol', 'BTCUSDT', '--venues', 'bybit', '--seconds', '5', '--every', '1', '--config', configFile(flowRule(hanging.url))], {
      env: env({ ORDERFLOW_BYBIT_WS_URL: server.wsUrl, ORDERFLOW_BYBIT_REST_URL: server.restUrl, ORDERFLOW_WEBHOOK_SECRET: SECRET }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    await waitFor(() => server.subscriptions().flat().some((t) => t.startsWith('publicTrade.')), 'subscription', 15_000, 20);
    for (let i = 0; i < 40; i++) server.publish(sell(i, 0.1));
    const [code] = await once(child, 'close');
    await server.close();
    assert.equal(code, 0);
    assert.match(out, /^ALERT .* btc-sell-flow: aggressive sells 104\.0k/m);
    const last = out.trim().split('orderflow watch:').at(-1)!;
    assert.match(last, /bybit\s+BTCUSDT\s+65000\s+40\s/, 'every trade shown');
    assert.match(last, /alerts: 1 fired; terminal 1 sent; webhook FAILING 0 sent, 1 failed \(last: timed out after 500 ms\)/);
    assert.equal(hanging.received.length, 2, 'retried once');
  });
});
