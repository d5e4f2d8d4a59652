/**
 * `orderflow record` / `watch` take their instruments from the venue (the loopback OKX serving
 * its own list): a swap listed today records with the venue's contract value, an unknown symbol
 * stops before any connection with suggestions, an unreachable REST API falls back and says so,
 * a halted swap shows its status.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Store } from '../../src/store/store.ts';
import { startBybitMockServer } from '../../src/venues/bybit/mock-server.ts';
import { startOkxMockServer, type OkxMockServer } from '../../src/venues/okx/mock-server.ts';
import { tempDir } from '../helpers/store.ts';
import { waitFor } from '../helpers/wait.ts';
import { waitCommitted } from '../helpers/committed.ts';
import { closedAddress, runProcess } from '../helpers/process.ts';
import { BIN } from '../helpers/paths.ts';

const NEW = 'NEWC-USDT-SWAP';

const until = (cond: () => boolean, what: string, ms = 20_000) => waitFor(cond, what, ms, 20);

const env = (server: { wsUrl: string; restUrl: string }, rest = server.restUrl) => ({ ...process.env, ORDERFLOW_OKX_WS_URL: server.wsUrl, ORDERFLOW_OKX_REST_URL: rest });

/** An OKX `trades` push as OKX sends it: sizes in contracts. */
const tradeFrame = (instId: string, tradeId: number, px: string, sz: string, side: 'buy' | 'sell') =>
  JSON.stringify({ arg: { channel: 'trades', instId }, data: [{ instId, tradeId: String(tradeId), px, sz, side, ts: String(Date.now()), count: '1' }] });

/** Run the CLI without blocking this process (the loopback server lives here). */
const run = (args: string[], environment: NodeJS.ProcessEnv) => runProcess(BIN, args, environment);

const deadUrl = async () => `http://${await closedAddress()}`;

async function withServer<T>(f: (s: OkxMockServer) => Promise<T>): Promise<T> {
  const server = await startOkxMockServer();
  try {
    return await f(server);
  } finally {
    await server.close();
  }
}

// Each case has its own loopback venue and home, and spends its time waiting on a process: side by side.
describe('live commands take instruments from the venue', { concurrency: true }, () => {
  it('record: a swap the bundled snapshot does not know is stored with the venue contract value', () =>
    withServer(async (server) => {
      server.listings.listSwap({ instId: NEW, ctVal: '10', tickSz: '0.001' });
      const home = join(tempDir(), 'home');
      const child = spawn(BIN, ['record', '--symbol', NEW, '--venues', 'okx', '--channels', 'trades', '--flush-ms', '200', '--home', home], { env: env(server), stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      child.stderr!.on('data', (d) => (err += d));
      await until(() => server.subscribers({ channel: 'trades', instId: NEW }) > 0, 'the trades subscription');
      server.replayRaw([tradeFrame(NEW, 1, '2.5', '3', 'buy'), tradeFrame(NEW, 2, '2.6', '7', 'sell')]);
      await waitCommitted(home, 2);
      child.kill('SIGTERM');
      const [code] = await once(child, 'close');
      assert.equal(code, 0, err);
      assert.match(err, /record: instruments: okx: \d+ instruments from the venue, fetched /);
      const store = await Store.open(home, { readOnly: true });
      try {
        const trades = await store.rows<{ qty: number; side: string }>('SELECT qty, side::VARCHAR AS side FROM trades ORDER BY trade_id');
        assert.deepEqual(trades, [{ qty: 30, side: 'buy' }, { qty: 70, side: 'sell' }]);
        const [inst] = await store.rows<{ contract_value: number; source: string; status: string }>("SELECT contract_value, source, status FROM instruments WHERE symbol = $1", [NEW]);
        assert.deepEqual(inst, { contract_value: 10, source: 'venue', status: 'live' });
      } finally {
        store.close();
      }
      // info says where the instruments came from, and when.
      const info = await run(['info', '--json', '--home', home], env(server));
      assert.equal(info.code, 0, info.stderr);
      const okx = (JSON.parse(info.stdout) as { instruments: { venue: string; source: string; count: number; fetched_at: number | null }[] }).instruments.filter((r) => r.venue === 'okx');
      assert.deepEqual(okx.map((r) => r.source), ['venue']);
      assert.ok(okx[0].count > 1 && okx[0].fetched_at !== null && Math.abs(okx[0].fetched_at - Date.now()) < 120_000, JSON.stringify(okx));
      const text = await run(['info', '--home', home], env(server));
      assert.match(text.stdout, /instruments: okx \d+ from the venue, fetched \d{4}-\d\d-\d\d[ T]\d\d:\d\d/);
    }));

  it('record: a symbol the venue does not list exits 2 before connecting, naming the closest', () =>
    withServer(async (server) => {
      server.listings.listSwap({ instId: 'SOL-USDT-SWAP', ctVal: '1', tickSz: '0.01' });
      const r = await run(['record', '--symbol', 'SOLUSTD', '--venues', 'okx', '--home', join(tempDir(), 'home')], env(server));
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /okx does not list "SOLUSTD-USDT-SWAP" \(from "SOLUSTD"\) according to its instrument list; closest: SOL-USDT-SWAP/);
      assert.equal(server.stats().connections, 0);
    }));

  it('record: Bybit list read page by page; a linear contract listed today is recorded and stored', async () => {
    const server = await startBybitMockServer();
    try {
      server.listings.pageLimit = 3;
      server.listings.listLinear({ symbol: 'NEWCUSDT', tickSize: '0.0001', qtyStep: '1' });
      const home = join(tempDir(), 'home');
      const child = spawn(BIN, ['record', '--symbol', 'NEWC', '--venues', 'bybit', '--channels', 'trades', '--flush-ms', '200', '--quiet', '--home', home], {
        env: { ...process.env, ORDERFLOW_BYBIT_WS_URL: server.wsUrl, ORDERFLOW_BYBIT_REST_URL: server.restUrl },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      await until(() => server.subscriptions().flat().includes('publicTrade.NEWCUSDT'), 'the trades subscription');
      server.publish({ type: 'trade', venue: 'bybit', symbol: 'NEWCUSDT', ts: Date.now(), localTs: NaN, price: 0.5, qty: 120, side: 'buy', id: '2f1b9a8e-4a6c-4e0b-9a51-7d2b1c3e4f50' });
      await waitCommitted(home, 1);
      child.kill('SIGTERM');
      const [code] = await once(child, 'close');
      assert.equal(code, 0);
      const store = await Store.open(home, { readOnly: true });
      try {
        assert.deepEqual(await store.rows('SELECT symbol, qty FROM trades'), [{ symbol: 'NEWCUSDT', qty: 120 }]);
        const [{ n }] = await store.rows<{ n: bigint }>("SELECT count(*) AS n FROM instruments WHERE venue = 'bybit' AND source = 'venue'");
        assert.equal(Number(n), server.listings.symbols().length, 'every page stored');
      } finally {
        store.close();
      }
    } finally {
      await server.close();
    }
  });

  it('watch: with the REST API unreachable the header says the bundled snapshot is used; a halted swap shows its status', () =>
    withServer(async (server) => {
      const dead = await deadUrl();
      const off = await run(['watch', '--symbol', 'BTC-USDT-SWAP', '--venues', 'okx', '--seconds', '1', '--home', join(tempDir(), 'none')], env(server, dead));
      assert.equal(off.code, 0, off.stderr);
      assert.match(off.stdout, /instruments: okx bundled snapshot \(venue unreachable\)/);
      assert.match(off.stderr, /watch: instruments: okx: \d+ instruments from the bundled snapshot \(offline fallback.*ECONNREFUSED/);

      server.listings.setState('ETH-USDT-SWAP', 'suspend');
      const on = await run(['watch', '--symbol', 'ETH', '--venues', 'okx', '--seconds', '1', '--home', join(tempDir(), 'none')], env(server));
      assert.equal(on.code, 0, on.stderr);
      assert.match(on.stdout, /instruments: okx venue \d{4}-/);
      assert.match(on.stdout, /okx\s+ETH-USDT-SWAP \[suspend\]/);
      assert.match(on.stderr, /watch: okx ETH-USDT-SWAP: status suspend \(not trading/);
    }));
});
