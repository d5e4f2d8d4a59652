/**
 * The restart test: `orderflow record` against a loopback venue that keeps publishing trades,
 * `kill -9`, the venue keeps publishing, `record` again on the same home, stop. Every trade
 * published is stored exactly once where the venue's REST history still holds the outage; where
 * it does not (a history-limited server), the `restart` gap row names exactly the ids lost.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { TradeEvent } from '../../src/core/events.ts';
import { Store } from '../../src/store/store.ts';
import { startBinanceMockServer } from '../../src/venues/binance/mock-server.ts';
import { startBybitMockServer } from '../../src/venues/bybit/mock-server.ts';
import { startOkxMockServer } from '../../src/venues/okx/mock-server.ts';
import { tempDir } from '../helpers/store.ts';
import { waitFor } from '../helpers/wait.ts';
import { BIN } from '../helpers/paths.ts';
import { runProcess } from '../helpers/process.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const until = (cond: () => boolean | Promise<boolean>, what: string, ms = 30_000) => waitFor(cond, what, ms, 50);

interface Venue {
  readonly name: 'binance' | 'okx' | 'bybit';
  readonly symbol: string;
  readonly env: Record<string, string>;
  readonly subscribed: () => boolean;
  readonly publish: (ev: TradeEvent) => void;
  readonly close: () => Promise<void>;
}

async function binance(historyLimit?: number): Promise<Venue> {
  const server = await startBinanceMockServer({ symbols: ['BTCUSDT'], historyLimit });
  return {
    name: 'binance',
    symbol: 'BTCUSDT',
    env: { ORDERFLOW_BINANCE_WS_URL: server.wsUrl, ORDERFLOW_BINANCE_REST_URL: server.restUrl },
    subscribed: () => server.subscriptions().includes('btcusdt@aggTrade'),
    publish: (ev) => server.publish(ev),
    close: () => server.close(),
  };
}

async function okx(historyLimit?: number): Promise<Venue> {
  const server = await startOkxMockServer({ historyLimit });
  return {
    name: 'okx',
    symbol: 'BTC-USDT-SWAP',
    env: { ORDERFLOW_OKX_WS_URL: server.wsUrl, ORDERFLOW_OKX_REST_URL: server.restUrl },
    subscribed: () => server.subscribers({ channel: 'trades', instId: 'BTC-USDT-SWAP' }) > 0,
    publish: (ev) => server.publish(ev),
    close: () => server.close(),
  };
}

async function bybit(tradeHistory?: number): Promise<Venue> {
  const server = await startBybitMockServer({ symbols: ['BTCUSDT'], tradeHistory });
  return {
    name: 'bybit',
    symbol: 'BTCUSDT',
    env: { ORDERFLOW_BYBIT_WS_URL: server.wsUrl, ORDERFLOW_BYBIT_REST_URL: server.restUrl },
    subscribed: () => server.subscriptions().flat().includes('publicTrade.BTCUSDT'),
    publish: (ev) => server.publish(ev),
    close: () => server.close(),
  };
}

/** Bybit trade ids are UUIDs: the publisher's counter is their last 12 hex digits. */
const uuidOf = (n: number) => `00000000-0000-4000-8000-${n.toString(16).padStart(12, '0')}`;

/** Publishes one trade every `everyMs` with ids 1, 2, 3... until stopped. */
function publisher(v: Venue, everyMs = 4): { last(): number; stop(): number } {
  let id = 0;
  const timer = setInterval(() => {
    const ts = Date.now();
    id++;
    v.publish({ type: 'trade', venue: v.name, symbol: v.symbol, ts, localTs: ts, price: 65_000 + (id % 10), qty: 1 + (id % 3), side: id % 2 ? 'buy' : 'sell', id: v.name === 'bybit' ? uuidOf(id) : String(id) });
  }, everyMs);
  return {
    last: () => id,
    stop() {
      clearInterval(timer);
      return id;
    },
  };
}

function record(v: Venue, home: string, raw?: string): ChildProcess {
  const child = spawn(BIN, ['record', '--symbol', v.symbol, '--venues', v.name, '--channels', 'trades', '--flush-ms', '200', '--quiet', '--home', home, ...(raw ? ['--raw', raw] : [])], {
    env: { ...process.env, ...v.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d) => (err += d));
  child.on('close', (code) => {
    if (code !== 0 && code !== null) console.error(`record exited ${code}: ${err}`);
  });
  return child;
}

async function stored(home: string): Promise<{ ids: number[]; firstSession: number[]; gaps: { type: string; reason: string }[] }> {
  const store = await Store.open(home, { readOnly: true });
  try {
    const firstSession = (
      await store.rows<{ id: bigint }>("SELECT trade_id AS id FROM trades WHERE import_id = (SELECT min(import_id) FROM imports WHERE format = 'record') ORDER BY trade_id")
    ).map((r) => Number(r.id));
    const rows = await store.rows<{ id: bigint | null; uuid: string | null }>('SELECT trade_id AS id, CAST(trade_uuid AS VARCHAR) AS uuid FROM trades');
    const ids = rows.map((r) => (r.id !== null ? Number(r.id) : parseInt(r.uuid!.slice(-12), 16))).sort((a, b) => a - b);
    const gaps = await store.rows<{ type: string; reason: string }>('SELECT type, reason FROM gaps ORDER BY from_ts');
    return { ids, firstSession, gaps };
  } finally {
    store.close();
  }
}

/**
 * The newest trade id the home holds: while a session runs, what it has committed, read through
 * it. -1 when the session could not answer yet (a loaded machine): the poll asks again.
 */
const newestStored = (home: string): Promise<number> => stored(home).then((s) => s.ids.at(-1) ?? 0, () => -1);

/**
 * record, kill -9 while the venue publishes, record again, stop: what the store holds, and the
 * last id published. Each step waits for what it needs (a subscription, rows committed), not for
 * a fixed time, so a loaded machine stretches the run instead of failing it; only the outage
 * itself is a fixed span.
 */
async function crashAndRestart(v: Venue, outageMs: number, raw?: string): Promise<{ ids: number[]; firstSession: number[]; gaps: { type: string; reason: string }[]; published: number }> {
  const home = join(tempDir(), 'home');
  const first = record(v, home);
  let second: ChildProcess | undefined;
  let pub: ReturnType<typeof publisher> | undefined;
  try {
    await until(v.subscribed, 'the first session subscribed');
    // Bybit's REST holds the newest 1000 only: a slower tape keeps the outage (spawn included) within it.
    pub = publisher(v, v.name === 'bybit' ? 10 : 4);
    await until(async () => (await newestStored(home)) >= 100, 'the first session to commit 100 trades');
    first.kill('SIGKILL');
    await once(first, 'close');
    await until(() => !v.subscribed(), 'the venue to see the first session gone');
    await sleep(outageMs);
    second = record(v, home, raw);
    await until(v.subscribed, 'the second session subscribed');
    // Live trades in the second session: 50 past the one published when it subscribed are committed.
    const resumedAt = pub.last();
    await until(async () => (await newestStored(home)) >= resumedAt + 50, 'the second session to commit live trades');
    const published = pub.stop();
    await until(async () => (await newestStored(home)) === published, `the second session to commit the last trade published (${published})`);
    const exited = once(second, 'close');
    second.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0, 'the second session stops cleanly');
    return { ...(await stored(home)), published };
  } finally {
    // A failed wait must not leave sessions running: the file would never end.
    pub?.stop();
    for (const c of [first, second]) if (c && c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await v.close();
  }
}

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

// The cases share nothing (each its own loopback venue, home and capture folder) and spend most
// of their time waiting on the venue and the recorder, so a venue's three run beside the others':
// each case keeps its own timeline, the file takes a third of the time.
describe('orderflow record: kill -9 and restart', { concurrency: 3 }, () => {
  for (const make of [binance, okx, bybit]) {
    it(`${make.name}: every trade published, before, during and after the outage, is stored exactly once`, async () => {
      const raw = tempDir();
      const { ids, firstSession, gaps, published } = await crashAndRestart(await make(), 1000, raw);
      assert.ok(published > 300, `published ${published}`);
      assert.deepEqual(ids, range(1, published), 'ids 1..N, each once');
      const restart = gaps.filter((g) => g.type === 'restart');
      assert.equal(restart.length, 1, JSON.stringify(gaps));
      assert.match(restart[0].reason, /^backfilled: /);
      // The second session's raw capture holds the back-fill as flagged frames (each venue's
      // stream shape, "backfill" naming the endpoint): it re-imports cleanly (they are kept out,
      // being out of time order there), with the live trades after the outage each once, all
      // after the first session's last.
      // One file, or two when the session crossed a UTC hour (the capture rotates hourly).
      const files = readdirSync(raw).filter((f) => f.endsWith('.jsonl.gz'));
      assert.ok(files.length === 1 || files.length === 2, files.join(', '));
      const lines = files.flatMap((f) => gunzipSync(readFileSync(join(raw, f))).toString('utf8').split('\n'));
      assert.ok(lines.some((l) => l.includes('"backfill":"GET ')), 'a back-fill line in the capture');
      const again = join(tempDir(), 'again');
      // Not spawnSync: it would stall the loopback venues of the cases running beside this one.
      const imp = await runProcess(BIN, ['import', ...files.map((f) => join(raw, f)), '--home', again]);
      assert.equal(imp.code, 0, imp.stderr + imp.stdout);
      const live = (await stored(again)).ids;
      assert.equal(new Set(live).size, live.length, 'no trade twice');
      assert.ok(live.length > 0 && live[0] > firstSession.at(-1)! && live.at(-1) === published, `${live[0]}..${live.at(-1)} after ${firstSession.at(-1)}`);
    });
  }

  for (const make of [binance, okx]) {
    it(`${make.name} keeping only the last 100 trades: the restart gap row names exactly the ids lost, the rest is stored once`, async () => {
      const { ids, gaps, published } = await crashAndRestart(await make(100), 1500);
      const lost = gaps.filter((g) => g.type === 'restart' && !g.reason.startsWith('backfilled'));
      assert.equal(lost.length, 1, JSON.stringify(gaps));
      const m = /ids (\d+)\.\.(\d+) \((\d+)\)/.exec(lost[0].reason);
      assert.ok(m, lost[0].reason);
      const [from, to] = [Number(m[1]), Number(m[2])];
      assert.ok(to - from + 1 > 100, `an outage of 1.5 s at 250 trades/s loses more than the history: ${lost[0].reason}`);
      assert.deepEqual(ids, [...range(1, from - 1), ...range(to + 1, published)], 'every other id, once');
    });
  }

  it('bybit keeping only the last 100 trades (recent-trade has no cursor): the restart gap row names the time range lost, the rest is stored once', async () => {
    const { ids, gaps, published } = await crashAndRestart(await bybit(100), 1500);
    const lost = gaps.filter((g) => g.type === 'restart' && !g.reason.startsWith('backfilled'));
    assert.equal(lost.length, 1, JSON.stringify(gaps));
    assert.match(lost[0].reason, /the 1000 most recent trades from REST reach back only to \S+ \(\d+\): trades after \S+ \(\d+\) and before it are lost/);
    assert.equal(new Set(ids).size, ids.length, 'no trade twice');
    // One hole: the trades between the last one stored and the oldest REST still had.
    const holes = ids.slice(1).filter((id, i) => id !== ids[i] + 1);
    assert.equal(holes.length, 1, `one hole in ${ids.length} ids`);
    assert.equal(ids[0], 1);
    assert.equal(ids.at(-1), published);
  });
});
