/**
 * The bus end to end on a real nats-server with JetStream: publishers -> stream -> sinks into the
 * Parquet lake and the store. Every event exactly once through a `kill -9` of the sink, a
 * crash between write and ack, a restarted publisher re-sending an overlap, and two sinks
 * sharing one durable consumer; a malformed message is dead-lettered, not fatal.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { jetstream } from '@nats-io/jetstream';
import type { MarketEvent } from '../../src/core/events.ts';
import { encodeBatch } from '../../src/bus/batch-codec.ts';
import { connectBus, type Bus } from '../../src/bus/connection.ts';
import { LakeWriter } from '../../src/bus/lake-writer.ts';
import { BusFeed } from '../../src/bus/bus-feed.ts';
import { BusPublisher } from '../../src/bus/publisher.ts';
import { BusSink, type BatchWriter, type ReceivedBatch } from '../../src/bus/sink.ts';
import { ensureStream } from '../../src/bus/stream.ts';
import { Store } from '../../src/store/store.ts';
import { NATS_SKIP, startNatsBus, TEST_STREAM, type NatsServer } from '../helpers/nats.ts';
import { BIN } from '../helpers/paths.ts';
import { tempDir } from '../helpers/store.ts';
import { waitFor } from '../helpers/wait.ts';
import { others, T0, trade } from './events.ts';

const until = (cond: () => boolean | Promise<boolean>, what: string, ms = 20_000) => waitFor(cond, what, ms, 50);

let scratch: Store;
/** Rows of a lake table as DuckDB reads it (hive partitions included). */
async function lake<T = Record<string, unknown>>(dir: string, table: string, select: string): Promise<T[]> {
  try {
    return await scratch.rows<T>(`SELECT ${select} FROM read_parquet('${join(dir, table)}/**/*.parquet', hive_partitioning = true)`);
  } catch (e) {
    // Before the sink's first file: nothing to read yet.
    if (/No files found/.test((e as Error).message)) return [];
    throw e;
  }
}
const tradeCount = async (dir: string) => Number((await lake<{ n: bigint }>(dir, 'trades', 'count(*) AS n'))[0]?.n ?? 0);

/** Publishes trades i in [from, to) of `symbols`, one batch per symbol per `per` trades. */
async function publishTrades(pub: BusPublisher, from: number, to: number, per: number, symbols = ['BTCUSDT']): Promise<void> {
  for (let i = from; i < to; i += per) {
    for (const s of symbols) pub.add(Array.from({ length: Math.min(per, to - i) }, (_, k) => trade(i + k, s)));
    await pub.flush();
  }
}

function sinkChild(url: string, durable: string, lakeDir: string, extra: string[] = []): { child: ChildProcess; out: () => string } {
  const child = spawn(BIN, ['sink', '--bus', url, '--durable', durable, '--to', `parquet:${lakeDir}`, '--ack-wait', '2', '--flush-ms', '100', '--max-messages', '4', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return { child, out: () => out };
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  const exited = once(child, 'close');
  child.kill(signal);
  const [code] = await exited;
  return code as number | null;
}

async function pending(bus: Bus, durable: string): Promise<{ pending: number; unacked: number }> {
  const ci = await bus.jsm.consumers.info('ORDERFLOW_MD', durable);
  return { pending: ci.num_pending, unacked: ci.num_ack_pending };
}

describe('bus: JetStream -> sinks', { skip: NATS_SKIP }, () => {
  let nats: NatsServer;
  let bus: Bus;
  before(async () => {
    ({ nats, bus } = await startNatsBus());
    scratch = await Store.openMemory();
  });
  after(async () => {
    await bus?.nc.close();
    await nats?.stop();
    scratch?.close();
  });
  /** A fresh stream per test (its de-duplication window too): each test reads what it published. */
  const fresh = async () => {
    await bus.jsm.streams.delete('ORDERFLOW_MD');
    await ensureStream(bus, TEST_STREAM);
  };

  it('writes every event type through the bus into Parquet partitioned venue=/symbol=/date=/hour= by exchange time', async () => {
    await fresh();
    const dir = tempDir();
    const pub = new BusPublisher(bus);
    const sent: MarketEvent[] = [];
    for (let i = 0; i < 120; i++) sent.push(trade(i), ...others(i));
    pub.add(sent.slice(0, 200));
    await pub.flush();
    pub.add(sent.slice(200));
    await pub.close();
    assert.equal(pub.stats().publishedEvents, sent.length);
    const writer = await LakeWriter.open(dir);
    const sink = await BusSink.open(bus, writer, { durable: 'all-types', deadLetterDir: join(dir, '_dead-letter'), flushMs: 200 });
    const running = sink.run();
    await until(async () => (await pending(bus, 'all-types')).pending === 0 && (await pending(bus, 'all-types')).unacked === 0, 'the sink to ack everything');
    sink.stop();
    await running;
    await writer.close();

    const trades = await lake<{ id: bigint; hour: bigint; price: number; side: string; ts: Date; local_ts: Date }>(dir, 'trades', 'trade_id AS id, hour, price, side, ts, local_ts');
    assert.equal(trades.length, 120);
    assert.deepEqual(trades.map((t) => Number(t.id)).sort((a, b) => a - b), Array.from({ length: 120 }, (_, i) => 5_000_000 + i));
    // T0 is 07:59:00: 60 trades in hour 07, 60 in hour 08.
    assert.equal(trades.filter((t) => Number(t.hour) === 7).length, 60);
    const t7 = trades.find((t) => Number(t.id) === 5_000_007)!;
    assert.equal(t7.price, trade(7).price);
    assert.equal(t7.side, trade(7).side);
    assert.equal(t7.ts.getTime(), T0 + 7000);
    assert.equal(t7.local_ts.getTime(), T0 + 7007);
    assert.ok(existsSync(join(dir, 'trades/venue=binance/symbol=BTCUSDT/date=2026-12-05/hour=8')));
    const book = await lake<{ n: bigint; msgs: bigint; deletes: bigint }>(dir, 'book', 'count(*) AS n, count(DISTINCT (batch_id, msg)) AS msgs, count(*) FILTER (WHERE qty = 0) AS deletes');
    assert.deepEqual(book[0], { n: 360n, msgs: 120n, deletes: 120n });
    const tickers = await lake<{ n: bigint; mark: number; funding: number | null }>(dir, 'tickers', 'count(*) AS n, max(mark_price) AS mark, max(funding_rate) AS funding');
    assert.deepEqual(tickers[0], { n: 120n, mark: 90_119, funding: null });
    const liqs = await lake<{ n: bigint }>(dir, 'liquidations', 'count(*) AS n');
    assert.equal(liqs[0].n, 120n);
  });

  it('a crash after the write and before the ack: the redelivered batches are recognised and nothing is doubled', async () => {
    await fresh();
    const dir = tempDir();
    const pub = new BusPublisher(bus);
    await publishTrades(pub, 0, 200, 20);
    const lakeWriter = await LakeWriter.open(dir);
    // The first sink writes its first group durably, then "crashes" before acking it.
    const crashing: BatchWriter = {
      target: dir,
      write: async (g: readonly ReceivedBatch[]) => {
        await lakeWriter.write(g);
        throw new Error('crash before the ack');
      },
      close: async () => {},
    };
    const first = await BusSink.open(bus, crashing, { durable: 'crashy', ackWaitS: 2, maxMessages: 4, flushMs: 100, deadLetterDir: join(dir, '_dead-letter') });
    await assert.rejects(first.run(), /crash before the ack/);
    assert.equal(await tradeCount(dir), 80);
    const second = await BusSink.open(bus, lakeWriter, { durable: 'crashy', maxMessages: 50, flushMs: 100, deadLetterDir: join(dir, '_dead-letter') });
    const running = second.run();
    await until(async () => (await pending(bus, 'crashy')).pending === 0 && (await pending(bus, 'crashy')).unacked === 0, 'the second sink to ack everything');
    second.stop();
    await running;
    assert.ok(second.stats().batchesSkipped >= 4, `the 4 batches written before the crash were skipped on redelivery (${second.stats().batchesSkipped} skipped)`);
    const ids = await lake<{ n: bigint; ids: bigint }>(dir, 'trades', 'count(*) AS n, count(DISTINCT trade_id) AS ids');
    assert.deepEqual(ids[0], { n: 200n, ids: 200n });
    await lakeWriter.close();
  });

  it('kill -9 of a sink mid-stream, then a restart: every event exactly once in Parquet', async () => {
    await fresh();
    const dir = tempDir();
    const pub = new BusPublisher(bus);
    await publishTrades(pub, 0, 1200, 10);
    const a = sinkChild(nats.url, 'killed', dir);
    await until(async () => (await tradeCount(dir)) > 0, 'the first sink to write');
    assert.equal(await stopChild(a.child, 'SIGKILL'), null);
    const afterKill = await tradeCount(dir);
    assert.ok(afterKill < 1200, `the kill came before the end (${afterKill} written)`);
    const b = sinkChild(nats.url, 'killed', dir);
    await until(async () => (await tradeCount(dir)) >= 1200 && (await pending(bus, 'killed')).unacked === 0, 'the restarted sink to write the rest', 30_000);
    assert.equal(await stopChild(b.child, 'SIGTERM'), 0, b.out());
    assert.match(b.out(), /sink killed: .* events in .* batches written/);
    const ids = await lake<{ n: bigint; ids: bigint; lo: bigint; hi: bigint }>(dir, 'trades', 'count(*) AS n, count(DISTINCT trade_id) AS ids, min(trade_id) AS lo, max(trade_id) AS hi');
    assert.deepEqual(ids[0], { n: 1200n, ids: 1200n, lo: 5_000_000n, hi: 5_001_199n });
  });

  it('a publisher restarted mid-stream re-sends an overlap: the bus drops it, and a batch published twice is stored once', async () => {
    await fresh();
    const dir = tempDir();
    const first = new BusPublisher(bus);
    await publishTrades(first, 0, 60, 20);
    first.add(Array.from({ length: 5 }, (_, k) => trade(60 + k))); // in memory at the crash: never published
    // The restarted recorder reads the bus, then its connectors deliver from trade 30 again.
    const bus2 = await connectBus(nats.url, 'restarted');
    const second = new BusPublisher(bus2);
    assert.equal(await second.resumeFrom([{ venue: 'binance', symbol: 'BTCUSDT', type: 'trade' }]), 1);
    await publishTrades(second, 30, 100, 20);
    assert.equal(second.stats().alreadyOnBus, 30);
    // The first batch again with its Msg-Id, as a publish retried after a lost ack: JetStream says duplicate.
    const third = new BusPublisher(bus2);
    await publishTrades(third, 0, 20, 20);
    assert.deepEqual([third.stats().duplicates, third.stats().batches], [1, 0]);
    await bus2.nc.close();
    const writer = await LakeWriter.open(dir);
    const sink = await BusSink.open(bus, writer, { durable: 'overlap', flushMs: 100, deadLetterDir: join(dir, '_dead-letter') });
    const running = sink.run();
    await until(async () => (await pending(bus, 'overlap')).pending === 0 && (await pending(bus, 'overlap')).unacked === 0, 'the sink to ack everything');
    sink.stop();
    await running;
    await writer.close();
    const ids = await lake<{ n: bigint; ids: bigint }>(dir, 'trades', 'count(*) AS n, count(DISTINCT trade_id) AS ids');
    assert.deepEqual(ids[0], { n: 100n, ids: 100n });
  });

  it('two sinks on one durable consumer share the batches, nothing lost or doubled', async () => {
    await fresh();
    const dir = tempDir();
    const pub = new BusPublisher(bus);
    await publishTrades(pub, 0, 600, 10, ['BTCUSDT', 'ETHUSDT']);
    const a = sinkChild(nats.url, 'shared', dir);
    const b = sinkChild(nats.url, 'shared', dir);
    await until(async () => (await tradeCount(dir)) >= 1200 && (await pending(bus, 'shared')).unacked === 0, 'both sinks to write everything', 30_000);
    assert.equal(await stopChild(a.child, 'SIGTERM'), 0, a.out());
    assert.equal(await stopChild(b.child, 'SIGTERM'), 0, b.out());
    const written = [a.out(), b.out()].map((o) => Number(/events in ([\d,]+) batches written/.exec(o)?.[1].replace(/,/g, '')));
    assert.ok(written.every((n) => n > 0), `each sink wrote a share: ${written.join(' + ')}`);
    assert.equal(written[0] + written[1], 120);
    const ids = await lake<{ n: bigint; ids: bigint }>(dir, 'trades', 'count(*) AS n, count(DISTINCT (symbol, trade_id)) AS ids');
    assert.deepEqual(ids[0], { n: 1200n, ids: 1200n });
  });

  it('dead-letters a malformed message with the field at fault and goes on', async () => {
    await fresh();
    const dir = tempDir();
    const js = jetstream(bus.nc);
    const good = encodeBatch('binance', 'BTCUSDT', 'trade', [trade(1), trade(2)]);
    const bad = good.slice(0, good.length - 3);
    const mismatched = encodeBatch('okx', 'BTC-USDT-SWAP', 'ticker', []);
    await js.publish('md.binance.BTCUSDT.trade', bad, { msgID: 'bad-1' });
    await js.publish('md.binance.BTCUSDT.trade', mismatched, { msgID: 'bad-2' });
    await js.publish('md.binance.BTCUSDT.trade', good, { msgID: 'good-1' });
    const writer = await LakeWriter.open(dir);
    const sink = await BusSink.open(bus, writer, { durable: 'dlq', flushMs: 100, deadLetterDir: join(dir, '_dead-letter') });
    const running = sink.run();
    await until(async () => (await pending(bus, 'dlq')).pending === 0 && (await pending(bus, 'dlq')).unacked === 0, 'the sink to settle every message');
    sink.stop();
    await running;
    await writer.close();
    assert.equal(await tradeCount(dir), 2);
    assert.equal(sink.stats().deadLettered, 2);
    const files = readdirSync(join(dir, '_dead-letter'));
    const lines = readFileSync(join(dir, '_dead-letter', files[0]), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(lines.map((l) => [l.msgId, l.code, l.field]), [
      ['bad-1', 'E_BATCH_TRUNCATED', 'trade.id'],
      ['bad-2', 'E_BATCH_SUBJECT', 'subject'],
    ]);
    assert.deepEqual(Buffer.from(lines[0].payload, 'base64'), Buffer.from(bad));
  });

  it('a bus feed hands its handlers the events of its symbols and types, in order, as a connector would', async () => {
    await fresh();
    const got: MarketEvent[] = [];
    const feed = new BusFeed(bus, { symbols: new Map([['binance', ['BTCUSDT']], ['okx', ['BTC-USDT-SWAP']]]), types: ['trade', 'book'], handlers: { onEvents: (ev) => got.push(...(ev as MarketEvent[])) } });
    await feed.start();
    const pub = new BusPublisher(bus);
    const sent: MarketEvent[] = [];
    for (let i = 0; i < 50; i++) sent.push(trade(i), trade(i, 'ETHUSDT'), ...others(i));
    pub.add(sent.slice(0, 100));
    await pub.flush();
    pub.add(sent.slice(100));
    await pub.close();
    const wanted = sent.filter((e) => (e.type === 'trade' && e.symbol === 'BTCUSDT') || e.type === 'book');
    await until(() => got.length >= wanted.length, 'the feed to deliver');
    await feed.stop();
    const byType = (list: MarketEvent[], t: string) => list.filter((e) => e.type === t);
    assert.deepEqual(byType(got, 'trade'), byType(wanted, 'trade'));
    assert.deepEqual(byType(got, 'book'), byType(wanted, 'book'));
    assert.equal(got.length, wanted.length);
  });

  it('refuses an ack wait a group could outlast (its batches would be redelivered while it waits)', async () => {
    const writer = await LakeWriter.open(tempDir());
    await assert.rejects(BusSink.open(bus, writer, { durable: 'hasty', ackWaitS: 3, flushMs: 2000, deadLetterDir: tempDir() }), (e: Error & { code?: string }) => e.code === 'E_BUS_STREAM' && /ack wait 3 s is under twice/.test(e.message));
    await writer.close();
  });
});
