/**
 * `orderflow record --bus` against a loopback Binance that speaks the real protocol, into a real
 * nats-server, and `orderflow sink --to store` out of it: every trade the venue sent is in the
 * store once, and a second sink reading the whole stream again adds nothing.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectBus, type Bus } from '../../src/bus/connection.ts';
import { Store } from '../../src/store/store.ts';
import { startBinanceMockServer, type BinanceMockServer } from '../../src/venues/binance/mock-server.ts';
import { NATS_SKIP, startNats, type NatsServer } from '../helpers/nats.ts';
import { BIN } from '../helpers/paths.ts';
import { tempDir } from '../helpers/store.ts';
import { committedRows } from '../helpers/committed.ts';
import { waitFor } from '../helpers/wait.ts';

const until = (cond: () => boolean | Promise<boolean>, what: string, ms = 20_000) => waitFor(cond, what, ms, 50);

function run(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; out: () => string } {
  const child = spawn(BIN, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, out: () => out };
}

async function stop(c: ChildProcess): Promise<number | null> {
  if (c.exitCode !== null) return c.exitCode;
  const exited = once(c, 'close');
  c.kill('SIGTERM');
  return (await exited)[0] as number | null;
}

async function storedTrades(home: string): Promise<{ n: number; ids: number }> {
  const store = await Store.open(home, { readOnly: true });
  try {
    const [r] = await store.rows<{ n: bigint; ids: bigint }>('SELECT count(*) AS n, count(DISTINCT trade_id) AS ids FROM trades');
    return { n: Number(r.n), ids: Number(r.ids) };
  } finally {
    store.close();
  }
}

async function settled(bus: Bus, durable: string): Promise<boolean> {
  const ci = await bus.jsm.consumers.info('ORDERFLOW_MD', durable).catch(() => undefined);
  return ci !== undefined && ci.num_pending === 0 && ci.num_ack_pending === 0;
}

describe('record --bus -> sink --to store', { skip: NATS_SKIP }, () => {
  let nats: NatsServer;
  let venue: BinanceMockServer;
  before(async () => {
    nats = await startNats();
    venue = await startBinanceMockServer({ symbols: ['BTCUSDT'] });
  });
  after(async () => {
    await venue?.close();
    await nats?.stop();
  });

  it('publishes what the venue sends, and the store sink writes every trade once however often it reads the stream', async () => {
    const home = join(tempDir(), 'home');
    const env = { ORDERFLOW_BINANCE_WS_URL: venue.wsUrl, ORDERFLOW_BINANCE_REST_URL: venue.restUrl };
    const rec = run(['record', '--symbol', 'BTCUSDT', '--venues', 'binance', '--channels', 'trades', '--bus', nats.url, '--no-store'], env);
    await until(() => venue.subscriptions().includes('btcusdt@aggTrade'), 'the recorder to subscribe');
    const n = 500;
    const t0 = Date.now();
    for (let i = 1; i <= n; i++) venue.publish({ type: 'trade', venue: 'binance', symbol: 'BTCUSDT', ts: t0 + i, localTs: t0 + i, price: 65_000 + (i % 10), qty: 1 + (i % 3), side: i % 2 ? 'buy' : 'sell', id: String(i) });
    const bus = await connectBus(nats.url, 'test');
    try {
      await until(async () => ((await bus.jsm.streams.info('ORDERFLOW_MD').catch(() => undefined))?.state.messages ?? 0) > 0, 'the first batch on the bus');
      const sink = run(['sink', '--bus', nats.url, '--durable', 'store', '--to', 'store', '--home', home, '--flush-ms', '100']);
      await until(async () => (await settled(bus, 'store')) && (await storedTrades(home)).n === n, 'the sink to store every trade');
      assert.equal(await stop(rec.child), 0, rec.out());
      assert.match(rec.out(), new RegExp(`published ${n} events in \\d+ batches to the bus`));
      assert.equal(await stop(sink.child), 0, sink.out());
      // A second sink on a new durable reads the whole stream again: every batch is already stored.
      const again = run(['sink', '--bus', nats.url, '--durable', 'again', '--to', 'store', '--home', home, '--flush-ms', '100']);
      await until(() => settled(bus, 'again'), 'the second sink to ack the stream');
      assert.equal(await stop(again.child), 0, again.out());
      assert.match(again.out(), /sink again: 0 events in 0 batches written, [1-9]\d* redelivered batches already written/);
      assert.deepEqual(await storedTrades(home), { n, ids: n });
    } finally {
      await bus.nc.close();
    }
  });

  it('a recorder that stores and publishes, killed with -9 and restarted: the bus and the store each hold every trade once', async () => {
    const home = join(tempDir(), 'home');
    const lakeDir = tempDir();
    const server = await startBinanceMockServer({ symbols: ['BTCUSDT'] });
    const env = { ORDERFLOW_BINANCE_WS_URL: server.wsUrl, ORDERFLOW_BINANCE_REST_URL: server.restUrl };
    const args = ['record', '--symbol', 'BTCUSDT', '--venues', 'binance', '--channels', 'trades', '--bus', nats.url, '--home', home, '--flush-ms', '200'];
    let id = 0;
    let tape: NodeJS.Timeout | undefined;
    const startTape = () => setInterval(() => {
      const ts = Date.now();
      id++;
      server.publish({ type: 'trade', venue: 'binance', symbol: 'BTCUSDT', ts, localTs: ts, price: 65_000 + (id % 10), qty: 1, side: id % 2 ? 'buy' : 'sell', id: String(id) });
    }, 4);
    const bus = await connectBus(nats.url, 'test-restart');
    // A fresh stream: this test counts what this recorder published.
    await bus.jsm.streams.delete('ORDERFLOW_MD').catch(() => {});
    try {
      const first = run(args, env);
      await until(() => server.subscriptions().includes('btcusdt@aggTrade') || first.child.exitCode !== null, 'the first session to subscribe', 40_000);
      assert.equal(first.child.exitCode, null, first.out());
      tape = startTape();
      // Each step waits for what it needs (rows committed, read through the running session;
      // subscriptions), not for a fixed time a loaded machine can outrun; only the outage is fixed.
      await until(async () => (await committedRows(home)) >= 100, 'the first session to commit 100 trades', 30_000);
      first.child.kill('SIGKILL');
      await once(first.child, 'close');
      await until(() => !server.subscriptions().includes('btcusdt@aggTrade'), 'the venue to see the first session gone', 30_000);
      await new Promise((r) => setTimeout(r, 500));
      const second = run(args, env);
      await until(() => server.subscriptions().includes('btcusdt@aggTrade'), 'the second session to subscribe', 30_000);
      // The outage back-filled and 50 live trades after it committed.
      const resumedAt = id;
      await until(async () => (await committedRows(home)) >= resumedAt + 50, 'the second session to commit live trades', 30_000);
      clearInterval(tape);
      const published = id;
      await until(async () => (await committedRows(home)) >= published, `the second session to commit all ${published} trades`, 30_000);
      assert.equal(await stop(second.child), 0, second.out());
      const st = await storedTrades(home);
      const sink = run(['sink', '--bus', nats.url, '--durable', 'restart', '--to', `parquet:${lakeDir}`, '--flush-ms', '200']);
      await until(async () => (await bus.jsm.streams.info('ORDERFLOW_MD')).state.messages > 0 && (await settled(bus, 'restart')), 'the sink to write the bus', 30_000);
      assert.equal(await stop(sink.child), 0, sink.out());
      const scratch = await Store.openMemory();
      const [lake] = await scratch.rows<{ n: bigint; ids: bigint; lo: bigint; hi: bigint }>(
        `SELECT count(*) AS n, count(DISTINCT trade_id) AS ids, min(trade_id) AS lo, max(trade_id) AS hi FROM read_parquet('${lakeDir}/trades/**/*.parquet', hive_partitioning = true)`,
      );
      scratch.close();
      assert.deepEqual(st, { n: published, ids: published }, `store: ${second.out()}`);
      assert.deepEqual(lake, { n: BigInt(published), ids: BigInt(published), lo: 1n, hi: BigInt(published) }, `bus: ${second.out()}`);
    } finally {
      clearInterval(tape);
      await bus.nc.close();
      await server.close();
    }
  });

  it('says which bus it cannot reach, that a stream is missing, and refuses --no-store without --bus', async () => {
    const closed = run(['record', '--symbol', 'BTCUSDT', '--venues', 'binance', '--bus', 'nats://127.0.0.1:1', '--no-store']);
    assert.equal((await once(closed.child, 'close'))[0], 1);
    assert.match(closed.out(), /E_BUS_CONNECT: cannot reach the NATS server at nats:\/\/127\.0\.0\.1:1/);
    const noBus = run(['record', '--symbol', 'BTCUSDT', '--no-store']);
    assert.equal((await once(noBus.child, 'close'))[0], 2);
    assert.match(noBus.out(), /--no-store: needs --bus/);
    const missing = run(['sink', '--bus', nats.url, '--stream', 'NOPE', '--durable', 'x', '--to', `parquet:${tempDir()}`]);
    assert.equal((await once(missing.child, 'close'))[0], 1);
    assert.match(missing.out(), /E_BUS_STREAM: stream NOPE does not exist on nats:\/\/127\.0\.0\.1:\d+: start a recorder with --bus first/);
  });
});
