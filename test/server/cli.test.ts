/**
 * `orderflow serve` as a user runs it: it prints the URL of a view and stops on Ctrl-C; a wider
 * bind without a token and a port in use are clear errors.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { BIN } from '../helpers/paths.ts';
import { runProcess } from '../helpers/process.ts';
import { fixtureHome, removeHome, T0 } from './fixture.ts';

describe('orderflow serve', () => {
  let home: string;
  before(async () => {
    home = await fixtureHome(T0 + 120_000);
  });
  after(() => removeHome(home));

  it('prints the URL of the busiest market\'s view, answers on it, and exits 0 on Ctrl-C', async () => {
    const child = spawn(BIN, ['serve', '--home', home, '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const deadline = Date.now() + 20_000;
    while (!/dashboard: (\S+)/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const url = /dashboard: (\S+)/.exec(out)?.[1];
    assert.ok(url, out);
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/\?symbol=BTCUSDT&venues=binance,okx,bybit&tf=1m$/);
    const r = await fetch(new URL('/api/markets', url));
    assert.equal(r.status, 200);
    child.kill('SIGINT');
    const [code] = await once(child, 'close');
    assert.equal(code, 0);
  });

  it('refuses a wider bind without a token, naming --token', async () => {
    const env = { ...process.env };
    delete env.ORDERFLOW_TOKEN;
    const r = await runProcess(BIN, ['serve', '--home', home, '--host', '0.0.0.0'], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--host 0\.0\.0\.0 listens beyond this machine: pass --token/);
  });

  it('says which port is in use', async () => {
    const srv = createServer().listen(0, '127.0.0.1');
    await once(srv, 'listening');
    const port = (srv.address() as { port: number }).port;
    try {
      const r = await runProcess(BIN, ['serve', '--home', home, '--port', String(port)]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use`));
    } finally {
      srv.close();
    }
  });
});
