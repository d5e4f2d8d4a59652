/**
 * Reading commands work while `orderflow record` writes the same home (docs/SCHEMA.md "Reading
 * while recording"): they see what the recorder committed up to its last flush, writers are
 * refused with a clear message, a recorder killed with -9 leaves nothing that blocks them, and
 * the recorder keeps committing while a reader scans.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { MarketEvent } from '../../src/core/events.ts';
import { ReadEndpoint } from '../../src/store/read-endpoint.ts';
import { ENDPOINT_FILE } from '../../src/store/read-wire.ts';
import { Recorder } from '../../src/store/recorder.ts';
import { Store } from '../../src/store/store.ts';
import { startBybitMockServer } from '../../src/venues/bybit/mock-server.ts';
import { importInto, tempDir } from '../helpers/store.ts';
import { waitFor } from '../helpers/wait.ts';
import { waitCommitted } from '../helpers/committed.ts';
import { runProcess } from '../helpers/process.ts';
import { BIN } from '../helpers/paths.ts';

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Run the CLI without blocking this process's event loop (the loopback server and the writer live here). */
const orderflow = (args: string[]): Promise<Run> => runProcess(BIN, args);

const until = (cond: () => boolean, ms = 15_000) => waitFor(cond, 'condition', ms, 20);

function trade(i: number): MarketEvent {
  const ts = Date.now();
  return { type: 'trade', venue: 'bybit', symbol: 'BTCUSDT', ts, localTs: ts, price: 65_000 + (i % 10), qty: 0.001 * (1 + (i % 3)), side: i % 2 ? 'buy' : 'sell', id: randomUUID() };
}

function startRecorder(home: string, server: { wsUrl: string; restUrl: string }): ChildProcess {
  return spawn(BIN, ['record', '--symbol', 'BTCUSDT', '--venues', 'bybit', '--channels', 'trades', '--flush-ms', '200', '--quiet', '--home', home], {
    env: { ...process.env, ORDERFLOW_BYBIT_WS_URL: server.wsUrl, ORDERFLOW_BYBIT_REST_URL: server.restUrl },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

interface InfoJson {
  datasets: { venue: string; symbol: string; type: string; count: number }[];
  interruptedRecordings: number;
  recordingNow: number;
}

function tradeCount(info: InfoJson): number {
  return info.datasets.find((d) => d.venue === 'bybit' && d.symbol === 'BTCUSDT' && d.type === 'trade')?.count ?? 0;
}

/** Buy and sell volume of the trades, as the cvd bars should sum them. */
function volumes(trades: readonly MarketEvent[]): { buy: number; sell: number } {
  let buy = 0;
  let sell = 0;
  for (const t of trades) if (t.type === 'trade') (t.side === 'buy' ? (buy += t.qty) : (sell += t.qty));
  return { buy, sell };
}

async function cvdVolumes(home: string): Promise<{ buy: number; sell: number }> {
  const r = await orderflow(['cvd', '--symbol', 'BTCUSDT', '--venues', 'bybit', '--timeframe', '1d', '--json', '--home', home]);
  assert.equal(r.code, 0, r.stderr);
  const { bars } = JSON.parse(r.stdout) as { bars: { buy_volume: number; sell_volume: number }[] };
  return { buy: bars.reduce((s, b) => s + b.buy_volume, 0), sell: bars.reduce((s, b) => s + b.sell_volume, 0) };
}

// Each case has its own home and loopback venue and mostly waits on processes: side by side.
describe('reading while recording', { concurrency: true }, () => {
  it('each reader (trades, liquidations, open interest, book, marks) prints the same through the writer as from the file', async () => {
    const home = join(tempDir(), 'home');
    let store = await Store.open(home);
    for (const f of ['binance/hftbacktest-binance-um-BTCUSDT-allstreams-20240808-head.txt.gz', 'bybit/bybit-v5-linear-ws-publicTrade-2026-08-09.jsonl', 'bybit/bybit-v5-linear-ws-tickers-2026-08-09.jsonl.gz']) {
      await importInto(store, fileURLToPath(new URL(`../../samples/${f}`, import.meta.url)));
    }
    // The samples hold no liquidations: every fifth Binance trade becomes one, at its time and price.
    await store.run(
      `INSERT INTO liquidations SELECT venue, symbol, ts, local_ts, price, qty * 20, CASE WHEN side = 'buy' THEN 'sell' ELSE 'buy' END, 'liq-' || rowid, import_id
       FROM trades WHERE venue = 'binance' AND rowid % 5 = 0`,
    );
    store.close();
    const commands = [
      ['footprint', '--symbol', 'BTCUSDT', '--venues', 'binance,bybit', '--timeframe', '1m'],
      ['liquidations', '--symbol', 'BTC'],
      ['levels', '--symbol', 'BTC'],
      ['book', '--symbol', 'BTCUSDT', '--venue', 'binance'],
      ['backtest', '--symbol', 'BTCUSDT', '--venues', 'binance', '--null-seeds', '2', '--workers', '2', '--json'],
    ].map((c) => [...c, '--home', home]);
    const direct = await Promise.all(commands.map(orderflow));
    store = await Store.open(home);
    const reads = await ReadEndpoint.start(store);
    try {
      const through = await Promise.all(commands.map(orderflow));
      for (const [i, c] of commands.entries()) {
        assert.equal(direct[i].code, 0, `${c[0]}: ${direct[i].stderr}`);
        assert.ok(direct[i].stdout.length > 100, `${c[0]} printed something to compare`);
        assert.deepEqual(through[i], direct[i], c[0]);
      }
    } finally {
      await reads.close();
      store.close();
    }
  });

  it('info and cvd from other processes see every flush committed so far; the recorder reports the same rows', async () => {
    const server = await startBybitMockServer({ symbols: ['BTCUSDT'] });
    const home = join(tempDir(), 'home');
    const child = startRecorder(home, server);
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    try {
      await until(() => server.subscriptions().flat().some((t) => t.startsWith('publicTrade.')));
      const first = Array.from({ length: 40 }, (_, i) => trade(i));
      for (const t of first) server.publish(t);
      // The recorder has committed all of it (read in this process), and nothing else is pending.
      await waitCommitted(home, 40);
      const info = await orderflow(['info', '--json', '--home', home]);
      assert.equal(info.code, 0, info.stderr);
      const during = JSON.parse(info.stdout) as InfoJson;
      assert.equal(tradeCount(during), 40);
      assert.equal(during.recordingNow, 1, 'the running session is live, not interrupted');
      assert.equal(during.interruptedRecordings, 0);
      const v = await cvdVolumes(home);
      const want = volumes(first);
      assert.ok(Math.abs(v.buy - want.buy) < 1e-9 && Math.abs(v.sell - want.sell) < 1e-9, `cvd ${JSON.stringify(v)}, published ${JSON.stringify(want)}`);

      // Readers keep up with later flushes, and the text output says where the data comes from.
      const second = Array.from({ length: 30 }, (_, i) => trade(100 + i));
      for (const t of second) server.publish(t);
      await waitCommitted(home, 70);
      const text = await orderflow(['info', '--home', home]);
      assert.equal(text.code, 0, text.stderr);
      assert.match(text.stdout, /being written by PID \d+ \(orderflow record\): showing what it has committed up to its last flush/);
      assert.match(text.stdout, /bybit\s+BTCUSDT\s+trade\s+70\s/);
      assert.doesNotMatch(text.stdout, /ended without a clean stop/);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'close');
      await server.close();
    }
    assert.match(out, /recorded 70 rows/, 'the recorder committed what the readers saw');
    assert.equal(existsSync(join(home, ENDPOINT_FILE)), false, 'a clean stop withdraws the endpoint');
    const after = JSON.parse((await orderflow(['info', '--json', '--home', home])).stdout) as InfoJson;
    assert.deepEqual([tradeCount(after), after.recordingNow, after.interruptedRecordings], [70, 0, 0]);
  });

  it('a writing command is refused with a message naming the recorder; nothing is written', async () => {
    const server = await startBybitMockServer({ symbols: ['BTCUSDT'] });
    const dir = tempDir();
    const home = join(dir, 'home');
    const child = startRecorder(home, server);
    try {
      await until(() => existsSync(join(home, ENDPOINT_FILE)));
      const sample = fileURLToPath(new URL('../../samples/bybit/bybit-v5-linear-ws-publicTrade-2026-08-09.jsonl', import.meta.url));
      const r = await orderflow(['import', sample, '--home', home]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, /E_STORE_LOCKED: store .*orderflow\.duckdb is being recorded into by another process \(PID \d+\); a store takes one writer at a time/);
      const info = JSON.parse((await orderflow(['info', '--json', '--home', home])).stdout) as InfoJson;
      assert.equal(tradeCount(info), 0, 'the refused import wrote nothing');
    } finally {
      child.kill('SIGTERM');
      await once(child, 'close');
      await server.close();
    }
  });

  it('record started while another command reads the store says who holds it and exits non-zero', async () => {
    const home = join(tempDir(), 'home');
    (await Store.open(home)).close();
    const reader = await Store.open(home, { readOnly: true });
    try {
      const r = await orderflow(['record', '--symbol', 'BTCUSDT', '--venues', 'bybit', '--quiet', '--home', home]);
      assert.notEqual(r.code, 0);
      assert.match(r.stderr, new RegExp(`E_STORE_LOCKED: store .* is open in another process \\(PID ${process.pid}\\) \\(a command reading or writing it\\); a writer needs it alone`));
    } finally {
      reader.close();
    }
  });

  it('after kill -9 the stale endpoint file does not stand in the way: readers open the file itself', async () => {
    const server = await startBybitMockServer({ symbols: ['BTCUSDT'] });
    const home = join(tempDir(), 'home');
    const child = startRecorder(home, server);
    await until(() => server.subscriptions().flat().some((t) => t.startsWith('publicTrade.')));
    for (let i = 0; i < 20; i++) server.publish(trade(i));
    await waitCommitted(home, 20);
    child.kill('SIGKILL');
    await once(child, 'close');
    await server.close();
    assert.ok(existsSync(join(home, ENDPOINT_FILE)), 'kill -9 leaves the endpoint file behind');
    const r = await orderflow(['info', '--json', '--home', home]);
    assert.equal(r.code, 0, r.stderr);
    const info = JSON.parse(r.stdout) as InfoJson;
    assert.deepEqual([tradeCount(info), info.recordingNow, info.interruptedRecordings], [20, 0, 1]);
  });

});

// Alone: it times the recorder's flushes, which cases running beside it would slow.
describe('reading while recording: commit cadence', () => {
  it('the recorder keeps committing at least every second while another process scans its trades', async (t) => {
    const home = join(tempDir(), 'home');
    const store = await Store.open(home);
    // Two weeks of a quiet market in miniature: 2M trades already stored, one every 600 ms.
    const N = 2_000_000;
    const T0 = Date.UTC(2026, 0, 1);
    await store.run(
      `INSERT INTO trades SELECT 'bybit', 'BTCUSDT', make_timestamp((($1::BIGINT + i * 600) * 1000)::BIGINT), NULL, 65000 + (i % 100), 0.001 * (1 + i % 3),
         CASE WHEN i % 2 = 0 THEN 'buy' ELSE 'sell' END, i, NULL, 0 FROM range($2::BIGINT) r(i)`,
      [BigInt(T0), BigInt(N)],
    );
    const [{ buy: storedBuy }] = await store.rows<{ buy: number }>("SELECT sum(qty) AS buy FROM trades WHERE side = 'buy'");
    const flushedAt: number[] = [];
    const rec = await Recorder.open(store, { label: 'record bybit BTCUSDT', flushMs: 250, onFlush: () => flushedAt.push(performance.now()) });
    const reads = await ReadEndpoint.start(store, { liveImports: () => [rec.importId] });
    let i = 0;
    const feed = setInterval(() => rec.handlers('bybit').onEvents([trade(i++)], Date.now()), 20);
    try {
      const start = performance.now();
      const [fed0, flushes0] = [i, flushedAt.length];
      const v = await cvdVolumes(home);
      const end = performance.now();
      // The scan saw the stored trades plus whatever was committed before it started.
      assert.ok(v.buy >= storedBuy - 1e-6 && v.buy <= storedBuy + i * 0.003 + 1e-6, `cvd buy volume ${v.buy}, stored ${storedBuy}`);
      const during = flushedAt.filter((x) => x >= start && x <= end);
      const edges = [start, ...during, end];
      const worst = Math.max(...edges.slice(1).map((x, k) => x - edges[k]));
      t.diagnostic(`cvd over ${N} trades through the recorder: ${(end - start).toFixed(0)} ms; ${during.length} flushes meanwhile (${i - fed0} events fed), longest wait between flushes ${worst.toFixed(0)} ms`);
      assert.ok(flushedAt.length > flushes0, 'flushes went on');
      assert.ok(worst < 1000, `a flush waited ${worst.toFixed(0)} ms while the reader scanned`);
    } finally {
      clearInterval(feed);
      await rec.close();
      await reads.close();
      store.close();
    }
  });
});
