/**
 * `orderflow demo`: live, a simulated market's history imported and the rest served by the
 * loopback exchanges to a paper session, with the dashboard reading the same store; `--batch`, a
 * short simulated absorption scenario through the real import path into a fresh store, and every
 * section of the method's output on it; its folder rules (a demo folder is rebuilt, any other
 * non-empty folder refused).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.ts';
import { prepareHome } from '../../src/demo/sim-demo.ts';
import { isoTime } from '../../src/cli/format.ts';
import type { SimLabels } from '../../src/sim/types.ts';
import { Store } from '../../src/store/store.ts';
import WebSocket from 'ws';
import type { LiveMessage, MarketsResponse, PaperResponse } from '../../src/server/api.ts';
import { BIN } from '../helpers/paths.ts';
import { runProcess } from '../helpers/process.ts';
import { tempDir } from '../helpers/store.ts';

const run = (args: string[]) => runProcess(BIN, args, { ...process.env, CI: 'true' });

/** The text of section `n` ("5. ..." up to the next numbered section or the end). */
function section(out: string, n: number): string {
  const m = new RegExp(`^${n}\\. [\\s\\S]*?(?=^\\d\\. |^report: |(?![\\s\\S]))`, 'm').exec(out);
  assert.ok(m, `section ${n} missing in:\n${out}`);
  return m[0];
}

// The live and the batch demo each have their own folder and mostly wait on their process: side by side.
describe('orderflow demo', { concurrency: true }, () => {
  it('live: imports the history, serves the rest to a paper session that records it, and the dashboard shows it as it grows, until Ctrl-C', { timeout: 180_000 }, async () => {
    const home = join(tempDir(), 'demo');
    const child = spawn(BIN, ['demo', '--home', home, '--history', '10m', '--port', '0', '--seconds', '150'], { env: { ...process.env, CI: 'true' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    const exited = once(child, 'close');
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const poll = setInterval(() => {
          const m = /^dashboard: (http:\/\/127\.0\.0\.1:\d+)\/\?symbol=BTCUSDT&venues=binance,okx,bybit&tf=1m$/m.exec(out);
          if (m) {
            clearInterval(poll);
            resolve(m[1]);
          } else if (child.exitCode !== null) {
            clearInterval(poll);
            reject(new Error(`the demo exited before printing the URL:\n${out}`));
          }
        }, 100);
      });
      const get = async <T>(path: string): Promise<T> => {
        const r = await fetch(url + path);
        assert.equal(r.status, 200, `${path}: HTTP ${r.status}`);
        return (await r.json()) as T;
      };
      const page = await fetch(`${url}/`);
      assert.match(await page.text(), /<script type="module" src="\.\/app\.js">/);
      const tradesOf = (m: MarketsResponse) => m.markets.find((x) => x.symbol === 'BTCUSDT')?.venues.reduce((n, v) => n + v.trades, 0) ?? 0;
      const first = await get<MarketsResponse>('/api/markets');
      assert.deepEqual(first.markets.find((x) => x.symbol === 'BTCUSDT')?.venues.map((v) => v.venue).sort(), ['binance', 'bybit', 'okx'], JSON.stringify(first));
      // Live: trades arrive over the dashboard's websocket, and the store behind it grows.
      const ws = new WebSocket(`${url.replace('http', 'ws')}/ws?symbol=BTCUSDT`);
      const live = await new Promise<LiveMessage>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('no trades over the websocket in 30 s')), 30_000);
        ws.on('message', (d) => {
          const m = JSON.parse(String(d)) as LiveMessage;
          if (m.type === 'trades' && m.t.length > 0) {
            clearTimeout(timer);
            resolve(m);
          }
        });
        ws.on('error', reject);
      });
      ws.close();
      assert.ok(live.type === 'trades' && live.t.every((t) => Math.abs(t - Date.now()) < 60_000), 'live trades are stamped now (the served part of the run follows the wall clock)');
      const later = await get<MarketsResponse>('/api/markets');
      assert.ok(tradesOf(later) > tradesOf(first), `stored trades grow: ${tradesOf(first)} -> ${tradesOf(later)}`);
      // The paper session's journal row is written with its first committed step.
      let paper = await get<PaperResponse>('/api/paper');
      for (let i = 0; i < 300 && paper.sessions.length === 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        paper = await get<PaperResponse>('/api/paper');
      }
      assert.deepEqual(paper.sessions.map((x) => x.name), ['demo']);
    } finally {
      child.kill('SIGINT');
      await exited;
    }
    assert.equal(child.exitCode, 0, out);
    assert.match(out, /^demo: stopping \(SIGINT\)$/m);
    assert.match(out, /^2\. import the history .*\n(.*\n)*.*rows as okx-ws-capture/m);
  });

  it('--batch: simulates a 1h absorption run, imports it into a fresh store and shows clusters, absorption, divergence and a backtest with trades', async () => {
    const home = join(tempDir(), 'demo');
    const r = await run(['demo', '--batch', '--home', home, '--duration', '1h', '--null-seeds', '3']);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const out = r.stdout;

    // The store holds what the importer stored from the capture, on every venue.
    const store = await Store.open(home, { readOnly: true });
    try {
      const trades = await store.rows<{ venue: string; n: bigint }>('SELECT venue::VARCHAR AS venue, count(*) AS n FROM trades GROUP BY ALL ORDER BY venue');
      assert.deepEqual(trades.map((t) => t.venue), ['binance', 'bybit', 'okx']);
      assert.ok(trades.every((t) => t.n > 1000n), JSON.stringify(trades, (_, v) => (typeof v === 'bigint' ? Number(v) : v)));
      const [liqs] = await store.rows<{ n: bigint }>('SELECT count(*) AS n FROM liquidations');
      assert.ok(liqs.n > 0n, 'the planted cascade printed liquidations');
    } finally {
      store.close();
    }
    assert.match(section(out, 2), /\[3\/3\] okx-.*rows as okx-ws-capture/);

    // What was planted is printed from labels.json, and the cluster detector finds the cascade.
    const labels = (JSON.parse(readFileSync(join(home, 'capture', 'labels.json'), 'utf8')) as SimLabels).labels;
    const cascade = labels.find((l) => l.kind === 'long-cascade');
    assert.ok(cascade, JSON.stringify(labels));
    const at = isoTime(cascade.start_ms).slice(11, 19);
    assert.match(section(out, 3), new RegExp(`long-cascade\\s+sell ${at}-`));
    assert.match(section(out, 5), new RegExp(`^\\s+long .*yes: the long-cascade at ${at}$`, 'm'));

    const absorption = section(out, 6);
    const absorbed = Number(/zones every 15m\): (\d+)/.exec(absorption)?.[1]);
    assert.ok(absorbed >= 1, absorption);
    assert.match(absorption, /(revisit|cascade-stop)\s+buyers absorb .*yes: the absorption at/);
    assert.match(section(out, 7), /delta divergence on 1m bars .*: \d+/);

    const backtest = section(out, 8);
    assert.match(backtest, /no 1h large-print veto/, 'the settings scaled to a short market are said');
    const trades = Number(/acted on; (\d+) trades?,/.exec(backtest)?.[1]);
    assert.ok(trades >= 1, backtest);
    assert.equal(backtest.split('\n').filter((l) => /^\s+(long|short)\s+\d/.test(l)).length, trades, 'one row per trade');
    assert.match(backtest, /null model: .*3 null runs/);
    const report = /^report: (\S+)/m.exec(out)?.[1];
    assert.ok(report && existsSync(report), out);
    assert.match(out, /^real data: the \d+ bundled samples .* \d+ rows; /m);
  });

  it('rebuilds its own folder on every run and refuses a folder it did not make', () => {
    const home = join(tempDir(), 'demo');
    prepareHome(home);
    writeFileSync(join(home, 'orderflow.duckdb'), 'an earlier demo store');
    prepareHome(home);
    assert.equal(existsSync(join(home, 'orderflow.duckdb')), false, 'the earlier store is gone: no data doubles on a re-run');

    const other = join(tempDir(), 'mine');
    mkdirSync(other);
    writeFileSync(join(other, 'orderflow.duckdb'), 'a user store');
    assert.throws(() => prepareHome(other), (e) => e instanceof UsageError && /not made by the demo/.test(e.message));
    assert.equal(readFileSync(join(other, 'orderflow.duckdb'), 'utf8'), 'a user store', 'left untouched');
  });

  it('an unknown scenario is a usage error naming the known ones', async () => {
    const r = await run(['demo', '--scenario', 'moon', '--home', join(tempDir(), 'demo')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--scenario: unknown scenario "moon"; known: .*absorption/);
  });
});
