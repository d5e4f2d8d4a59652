/**
 * `orderflow record` and `orderflow watch` against the Bybit loopback exchange server (the real
 * protocol): a graceful stop keeps every event; kill -9 loses at most the last flush and the store
 * opens clean; watch shows the flow.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { constants, gunzipSync } from 'node:zlib';
import { EMPTY_TICKER_FIELDS, type MarketEvent } from '../../src/core/events.ts';
import { Store } from '../../src/store/store.ts';
import { startBinanceMockServer } from '../../src/venues/binance/mock-server.ts';
import { startBybitMockServer } from '../../src/venues/bybit/mock-server.ts';
import { tempDir } from '../helpers/store.ts';
import { waitFor } from '../helpers/wait.ts';
import { waitCommitted } from '../helpers/committed.ts';
import { closedAddress } from '../helpers/process.ts';
import { BIN } from '../helpers/paths.ts';

const until = (cond: () => boolean, ms = 15_000) => waitFor(cond, 'condition', ms, 20);

function trade(i: number): MarketEvent {
  const ts = Date.now();
  return { type: 'trade', venue: 'bybit', symbol: 'BTCUSDT', ts, localTs: ts, price: 65_000 + (i % 10), qty: 0.001 * (1 + (i % 3)), side: i % 2 ? 'buy' : 'sell', id: randomUUID() };
}

async function startRecorder(home: string, server: { wsUrl: string; restUrl: string }, extra: string[] = []): Promise<ChildProcess> {
  const child = spawn(BIN, ['record', '--symbol', 'BTCUSDT', '--venues', 'bybit', '--channels', 'trades', '--flush-ms', '200', '--quiet', '--home', home, ...extra], {
    env: { ...process.env, ORDERFLOW_BYBIT_WS_URL: server.wsUrl, ORDERFLOW_BYBIT_REST_URL: server.restUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return child;
}

async function storedTrades(home: string): Promise<{ trades: number; status: string }> {
  const store = await Store.open(home, { readOnly: true });
  try {
    const [{ n }] = await store.rows<{ n: bigint }>('SELECT count(*) AS n FROM trades');
    const [{ status }] = await store.rows<{ status: string }>("SELECT status FROM imports WHERE format = 'record'");
    return { trades: Number(n), status };
  } finally {
    store.close();
  }
}

describe('orderflow record', () => {
  it('records until SIGTERM: every published trade is stored, the session ends ok', async () => {
    const server = await startBybitMockServer({ symbols: ['BTCUSDT'] });
    const home = join(tempDir(), 'home');
    const child = await startRecorder(home, server);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    await until(() => server.subscriptions().flat().some((t) => t.startsWith('publicTrade.')));
    for (let i = 0; i < 50; i++) {
      server.publish(trade(i));
      await new Promise((r) => setTimeout(r, 10));
    }
    await waitCommitted(home, 50);
    child.kill('SIGTERM');
    const [code] = await once(child, 'close');
    await server.close();
    assert.equal(code, 0);
    assert.match(out, /recorded 50 rows/);
    assert.deepEqual(await storedTrades(home), { trades: 50, status: 'ok' });
  });

  it('after kill -9 at most the last flush is lost and the store opens clean', async () => {
    const server = await startBybitMockServer({ symbols: ['BTCUSDT'] });
    const home = join(tempDir(), 'home');
    const child = await startRecorder(home, server);
    await until(() => server.subscriptions().flat().some((t) => t.startsWith('publicTrade.')));
    const sentAt: number[] = [];
    for (let i = 0; i < 150; i++) {
      server.publish(trade(i));
      sentAt.push(Date.now());
      await new Promise((r) => setTimeout(r, 10));
    }
    const killedAt = Date.now();
    child.kill('SIGKILL');
    await once(child, 'close');
    await server.close();
    const { trades, status } = await storedTrades(home);
    // Everything sent more than one second before the kill was flushed (flush every 200 ms).
    const old = sentAt.filter((t) => t < killedAt - 1000).length;
    assert.ok(trades >= old && trades <= 150, `stored ${trades}, sent ${old} more than 1 s before the kill`);
    assert.equal(status, 'recording', 'the interrupted session is visible in the ledger');
    const info = spawnSync(BIN, ['info', '--home', home], { encoding: 'utf8' });
    assert.equal(info.status, 0, info.stderr);
    assert.match(info.stdout, /1 recorder session\(s\) ended without a clean stop/);
  });

  it('--raw keeps the frames, the REST book snapshot and open interest: the capture imports back with both', async () => {
    const server = await startBinanceMockServer({ symbols: ['BTCUSDT'] });
    const t0 = Date.now();
    server.publish({ type: 'book', venue: 'binance', symbol: 'BTCUSDT', ts: t0, localTs: NaN, isSnapshot: true, bids: [[59_999, 1], [59_998, 2]], asks: [[60_001, 1.5]], seq: NaN });
    // What the REST poll `GET /fapi/v1/openInterest` answers (the connector polls at start).
    server.publish({ type: 'ticker', venue: 'binance', symbol: 'BTCUSDT', ts: t0 - 1000, localTs: NaN, ...EMPTY_TICKER_FIELDS, openInterest: 81_234.567 });
    const dir = tempDir();
    const home = join(dir, 'home');
    const raw = join(dir, 'raw');
    const child = spawn(BIN, ['record', '--symbol', 'BTCUSDT', '--venues', 'binance', '--channels', 'trades,book,ticker', '--raw', raw, '--quiet', '--home', home], {
      env: { ...process.env, ORDERFLOW_BINANCE_WS_URL: server.wsUrl, ORDERFLOW_BINANCE_REST_URL: server.restUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await until(() => server.subscriptions().length >= 3);
    for (let k = 0; k < 5; k++) {
      server.publish({ type: 'trade', venue: 'binance', symbol: 'BTCUSDT', ts: Date.now(), localTs: NaN, price: 60_000, qty: 0.01, side: k % 2 ? 'buy' : 'sell', id: String(100 + k) });
      server.publish({ type: 'book', venue: 'binance', symbol: 'BTCUSDT', ts: Date.now(), localTs: NaN, isSnapshot: false, bids: [[59_999, 1 + k]], asks: [], seq: NaN });
      await new Promise((r) => setTimeout(r, 50));
    }
    await waitCommitted(home, 5);
    child.kill('SIGTERM');
    const [code] = await once(child, 'close');
    await server.close();
    assert.equal(code, 0);
    const [file] = readdirSync(raw);
    assert.match(file, /^binance-.*\.jsonl\.gz$/);
    // The poll's answer, kept as our `<symbol>@openInterest` frame holding the REST body as it came.
    const frames = gunzipSync(readFileSync(join(raw, file))).toString('utf8').trimEnd().split('\n').map((l) => JSON.parse(l.slice(l.indexOf(' ') + 1)));
    const oiFrames = frames.filter((f) => f.stream === 'btcusdt@openInterest');
    assert.equal(oiFrames.length, 1, 'the same answer polled again is written once');
    assert.deepEqual(oiFrames[0].data, { openInterest: '81234.567', symbol: 'BTCUSDT', time: t0 - 1000 });
    const again = join(dir, 'again');
    const imp = spawnSync(BIN, ['import', join(raw, file), '--home', again], { encoding: 'utf8' });
    assert.equal(imp.status, 0, imp.stderr + imp.stdout);
    const store = await Store.open(again, { readOnly: true });
    try {
      const [{ n }] = await store.rows<{ n: bigint }>('SELECT count(*) AS n FROM trades');
      assert.equal(Number(n), 5);
      const [{ snaps }] = await store.rows<{ snaps: bigint }>("SELECT count(DISTINCT msg) AS snaps FROM book WHERE is_snapshot AND symbol = 'BTCUSDT'");
      assert.ok(Number(snaps) >= 1, 'the REST snapshot came back from the raw capture');
      const oi = await store.rows<{ ts: bigint; oi: number }>("SELECT epoch_ms(ts) AS ts, open_interest AS oi FROM tickers WHERE venue = 'binance' AND open_interest IS NOT NULL");
      assert.deepEqual(oi.map((r) => [Number(r.ts), r.oi]), [[t0 - 1000, 81_234.567]], 'the open interest came back from the raw capture');
    } finally {
      store.close();
    }
  });

  it('--raw after kill -9: the cut capture holds every frame up to about a second before the kill, and imports back', async (t) => {
    const server = await startBybitMockServer({ symbols: ['BTCUSDT'] });
    const dir = tempDir();
    const raw = join(dir, 'raw');
    const child = await startRecorder(join(dir, 'home'), server, ['--raw', raw]);
    await until(() => server.subscriptions().flat().some((t) => t.startsWith('publicTrade.')));
    const sent: { id: string; at: number }[] = [];
    // Three seconds of trades, and on: until more than 30 were sent over 2 s ago (a loaded
    // machine runs the 10 ms timer late, and would leave too few to check).
    const enough = () => sent.length > 0 && Date.now() - sent[0].at >= 3000 && sent.filter((x) => Date.now() - x.at > 2000).length > 30;
    for (let i = 0; !enough(); i++) {
      const t = trade(i);
      server.publish(t);
      sent.push({ id: (t as { id: string }).id, at: Date.now() });
      await new Promise((r) => setTimeout(r, 10));
    }
    const killedAt = Date.now();
    child.kill('SIGKILL');
    await once(child, 'close');
    await server.close();
    const [file] = readdirSync(raw);
    assert.match(file, /^bybit-.*\.jsonl\.gz$/);
    const bytes = readFileSync(join(raw, file));
    assert.throws(() => gunzipSync(bytes), /unexpected end of file/, 'killed: no gzip trailer');
    // As a reader after a crash reads it: up to the last sync flush.
    const text = gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
    const lines = text.split('\n').filter((l) => l.includes('"publicTrade.BTCUSDT"'));
    const captured = new Set(lines.flatMap((l) => [...l.matchAll(/"i":"([0-9a-f-]{36})"/g)].map((m) => m[1])));
    // The sync flush (1 s) and the write tick (0.1 s), plus scheduling on a loaded machine: 2 s.
    const old = sent.filter((x) => x.at < killedAt - 2000);
    const missing = old.filter((x) => !captured.has(x.id));
    assert.ok(old.length > 30, `${old.length} trades sent over 2 s before the kill`);
    assert.deepEqual(missing.map((x) => killedAt - x.at), [], 'every trade sent more than 2 s before the kill is in the capture');
    assert.ok(captured.size <= sent.length);
    const newest = Math.max(...sent.filter((x) => captured.has(x.id)).map((x) => x.at));
    t.diagnostic(`the capture reaches ${killedAt - newest} ms before the kill (${captured.size} of ${sent.length} trades)`);

    const again = join(dir, 'again');
    const imp = spawnSync(BIN, ['import', join(raw, file), '--home', again], { encoding: 'utf8' });
    assert.equal(imp.status, 0, imp.stderr + imp.stdout);
    assert.match(imp.stderr, /warning: .*capture cut short \(no gzip trailer/);
    const store = await Store.open(again, { readOnly: true });
    try {
      const [{ n }] = await store.rows<{ n: bigint }>('SELECT count(*) AS n FROM trades');
      assert.ok(Number(n) >= captured.size - 1 && Number(n) <= captured.size, `imported ${n} of the ${captured.size} trades decompressed`);
    } finally {
      store.close();
    }
  });

  it('bad options exit 2 with a clear message', () => {
    const r = spawnSync(BIN, ['record', '--symbol', 'BTC', '--venues', 'kraken', '--home', tempDir()], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown live venue "kraken"/);
  });
});

async function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  const child = spawn(BIN, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const [code] = await once(child, 'close');
  return { code: code as number | null, out, err };
}

// Each case runs a command for its fixed --seconds against its own dead address or loopback
// venue: they wait side by side.
describe('watch and record without a network', { concurrency: true }, () => {
  it('record: no venue reachable exits 1 naming each venue and its connection error', async () => {
    const dead = await closedAddress();
    const home = join(tempDir(), 'home');
    const r = await run(['record', '--symbol', 'BTCUSDT', '--venues', 'binance,bybit', '--channels', 'trades', '--seconds', '2', '--quiet', '--home', home], {
      ORDERFLOW_BINANCE_WS_URL: `ws://${dead}`, ORDERFLOW_BINANCE_REST_URL: `http://${dead}`, ORDERFLOW_BYBIT_WS_URL: `ws://${dead}`, ORDERFLOW_BYBIT_REST_URL: `http://${dead}`,
    });
    assert.equal(r.code, 1, r.err);
    assert.match(r.out, /recorded 0 rows/);
    assert.match(r.err, /no venue ever connected/);
    assert.match(r.err, /binance: never connected; last error: \[E_DISCONNECT\] .*ECONNREFUSED/);
    assert.match(r.err, /bybit: never connected; last error: \[E_DISCONNECT\] .*ECONNREFUSED/);
    // Said at once too, not only at the end.
    assert.match(r.err, /record: binance: cannot connect yet \(retrying\): \[E_DISCONNECT\] .*ECONNREFUSED/);
  });

  it('record: one venue unreachable is named, the other records, exit 0', async () => {
    const dead = await closedAddress();
    const server = await startBybitMockServer({ symbols: ['BTCUSDT'] });
    const home = join(tempDir(), 'home');
    const done = run(['record', '--symbol', 'BTCUSDT', '--venues', 'binance,bybit', '--channels', 'trades', '--seconds', '3', '--quiet', '--flush-ms', '200', '--home', home], {
      ORDERFLOW_BINANCE_WS_URL: `ws://${dead}`, ORDERFLOW_BINANCE_REST_URL: `http://${dead}`, ORDERFLOW_BYBIT_WS_URL: server.wsUrl, ORDERFLOW_BYBIT_REST_URL: server.restUrl,
    });
    await until(() => server.subscriptions().flat().some((t) => t.startsWith('publicTrade.')));
    for (let i = 0; i < 5; i++) server.publish(trade(i));
    const r = await done;
    await server.close();
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /recorded 5 rows/);
    assert.match(r.err, /record: binance: cannot connect yet \(retrying\): \[E_DISCONNECT\] .*ECONNREFUSED/);
    assert.doesNotMatch(r.err, /no venue ever connected/);
  });

  it('watch: no venue reachable shows the errors under the table and exits 1', async () => {
    const dead = await closedAddress();
    const r = await run(['watch', '--symbol', 'BTCUSDT', '--venues', 'okx', '--seconds', '2', '--every', '1'], { ORDERFLOW_OKX_WS_URL: `ws://${dead}`, ORDERFLOW_OKX_REST_URL: `http://${dead}` });
    assert.equal(r.code, 1, r.err);
    assert.match(r.out.split('orderflow watch:').at(-1)!, /okx: never connected; last error: \[E_DISCONNECT\] .*ECONNREFUSED/);
    assert.match(r.err, /orderflow watch: no venue ever connected\n {2}okx: never connected; last error: \[E_DISCONNECT\] .*ECONNREFUSED/);
  });
});

describe('orderflow watch', () => {
  it('shows the venue flow from the live stream', async () => {
    const server = await startBybitMockServer({ symbols: ['BTCUSDT'] });
    const child = spawn(BIN, ['watch', '--symbol', 'BTCUSDT', '--venues', 'bybit', '--seconds', '4', '--every', '1'], {
      env: { ...process.env, ORDERFLOW_BYBIT_WS_URL: server.wsUrl, ORDERFLOW_BYBIT_REST_URL: server.restUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    await until(() => server.subscriptions().flat().some((t) => t.startsWith('publicTrade.')));
    for (let i = 0; i < 10; i++) server.publish(trade(i));
    const [code] = await once(child, 'close');
    await server.close();
    assert.equal(code, 0);
    const last = out.trim().split('orderflow watch:').at(-1)!;
    assert.match(last, /bybit\s+BTCUSDT\s+6500\d\s+10\s/);
  });
});
