/**
 * The two halves of the scale-out meet: a simulated run published through a real nats-server,
 * `orderflow sink --to parquet:DIR` writing the lake, and `analyze` / `cvd --lake` over that lake
 * giving byte for byte what they give over a store holding the same events (the same stream
 * sunk with `--to store`). Mirrors test/lake/lake.test.ts, which does the same for
 * `export --layout lake`.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connectBus, type Bus } from '../../src/bus/connection.ts';
import { BusPublisher } from '../../src/bus/publisher.ts';
import { ensureStream } from '../../src/bus/stream.ts';
import { lakeColumns } from '../../src/lake/layout.ts';
import { openLake } from '../../src/lake/lake-store.ts';
import { Store } from '../../src/store/store.ts';
import { loadBundledInstruments } from '../../src/venues/bundled-instruments.ts';
import { allFormats } from '../../src/venues/formats.ts';
import type { MarketEvent } from '../../src/core/events.ts';
import { context, lines, runFormat } from '../helpers/run-format.ts';
import { NATS_SKIP, startNats, type NatsServer } from '../helpers/nats.ts';
import { assertSameFiles, tree } from '../helpers/same-files.ts';
import { BIN } from '../helpers/paths.ts';
import { runProcess } from '../helpers/process.ts';
import { tempDir } from '../helpers/store.ts';
import { waitFor } from '../helpers/wait.ts';

function ok(args: string[]): string {
  const r = spawnSync(BIN, args, { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  assert.equal(r.status, 0, `orderflow ${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}

/** `ok` without blocking this process: the read-only cases below run side by side. */
async function okAsync(args: string[]): Promise<string> {
  const r = await runProcess(BIN, args, { ...process.env, CI: 'true' });
  assert.equal(r.code, 0, `orderflow ${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}

/** The simulator's venue captures, parsed as `orderflow import` parses them. */
function simEvents(dir: string): MarketEvent[] {
  const events: MarketEvent[] = [];
  const instruments = loadBundledInstruments();
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.jsonl')).sort()) {
    const text = readFileSync(join(dir, f), 'utf8');
    const first = text.slice(0, text.indexOf('\n'));
    const format = allFormats().find((fmt) => fmt.detect(f, first) > 0);
    assert.ok(format, `a format reads ${f}`);
    events.push(...runFormat(format, context(basename(f), { instruments }), lines(text).join('\n')).events);
  }
  return events;
}

/** A sink child until it has acked the whole stream, then stopped. */
async function sinkAll(bus: Bus, url: string, durable: string, args: string[]): Promise<string> {
  const child = spawn(BIN, ['sink', '--bus', url, '--durable', durable, '--flush-ms', '200', '--ack-wait', '10', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const settled = async () => {
    const ci = await bus.jsm.consumers.info('ORDERFLOW_MD', durable).catch(() => undefined);
    return ci !== undefined && ci.num_pending === 0 && ci.num_ack_pending === 0 && ci.delivered.stream_seq > 0;
  };
  await waitFor(settled, `sink ${durable} to ack the stream`, 60_000, 100);
  const exited = once(child, 'close');
  child.kill('SIGTERM');
  assert.equal((await exited)[0], 0, out);
  return out;
}

// After before(), every case only reads (the store, the lakes) and writes its own folders: side by side.
describe('bus -> sink --to parquet -> --lake', { skip: NATS_SKIP, concurrency: true }, () => {
  const dir = tempDir('orderflow-bus-lake-');
  const home = join(dir, 'home');
  const lake = join(dir, 'lake');
  const lakeOneGroup = join(dir, 'lake-one-group');
  const lakeExport = join(dir, 'lake-export');
  let nats: NatsServer;
  let published = 0;

  before(async () => {
    // 11:58 to 12:02 UTC: the run spans two hour partitions.
    ok(['sim', '--scenario', 'long-cascade', '--seed', '3', '--duration', '4m', '--start', '2026-01-06T11:58:00Z', '--out', join(dir, 'sim')]);
    const events = simEvents(join(dir, 'sim'));
    nats = await startNats();
    const bus = await connectBus(nats.url, 'test');
    try {
      await ensureStream(bus, { maxAgeHours: 1, maxBytes: 512 * 1024 ** 2 });
      const pub = new BusPublisher(bus);
      for (let i = 0; i < events.length; i += 2000) {
        pub.add(events.slice(i, i + 2000));
        await pub.flush();
      }
      await pub.close();
      published = pub.stats().publishedEvents;
      assert.equal(published, events.length);
      // Three sinks, each its own durable consumer and target: side by side.
      await Promise.all([
        // Small groups: several files per hour partition, so the tie order across files counts.
        sinkAll(bus, nats.url, 'lake', ['--to', `parquet:${lake}`, '--max-messages', '20']),
        // And the whole stream as one group (tens of thousands of rows per table: DuckDB's
        // partitioned COPY lost the sort order of such a group, file by file).
        sinkAll(bus, nats.url, 'lake-one-group', ['--to', `parquet:${lakeOneGroup}`]),
        sinkAll(bus, nats.url, 'store', ['--to', 'store', '--home', home]),
      ]);
      // The store exported as a lake: the same rows again (this run's Bybit book is where DuckDB's partitioned COPY lost the order).
      ok(['export', '--home', home, '--out', lakeExport, '--layout', 'lake']);
    } finally {
      await bus.nc.close();
    }
  });
  after(async () => {
    await nats?.stop();
  });

  it('writes the layout of src/lake/layout.ts: hour=H folders, the layout columns then batch_id, one file per partition per group, no .tmp left', async () => {
    const files = [...tree(lake).keys()].sort();
    for (const f of files) assert.match(f, /^(trades|liquidations|book|tickers)\/venue=(binance|okx|bybit)\/symbol=[A-Z-]+\/date=2026-01-06\/hour=(11|12)\/\d{20}-\d{20}-[0-9a-f]{8}\.parquet$/);
    assert.ok(files.some((f) => f.includes('/hour=11/')) && files.some((f) => f.includes('/hour=12/')));
    const perPartition = new Map<string, number>();
    for (const f of files) perPartition.set(f.slice(0, f.lastIndexOf('/')), (perPartition.get(f.slice(0, f.lastIndexOf('/'))) ?? 0) + 1);
    assert.ok(Math.max(...perPartition.values()) > 1, 'some partition holds several files');
    const mem = await Store.openMemory();
    try {
      for (const table of ['trades', 'liquidations', 'book', 'tickers'] as const) {
        const file = join(lake, files.find((f) => f.startsWith(`${table}/`))!);
        const schema = await mem.rows<{ name: string; duckdb_type: string }>(`SELECT name, duckdb_type FROM parquet_schema($1) WHERE duckdb_type IS NOT NULL`, [file]);
        assert.deepEqual(
          schema.map((r) => [r.name, r.duckdb_type]),
          [...lakeColumns(table).map((c) => [c.name, c.file]), ['batch_id', 'VARCHAR']],
          `${table} columns`,
        );
      }
    } finally {
      mem.close();
    }
  });

  it('every column of every event table as the store holds it, in the same tie order (but import_id and msg, the sink\'s own); export --layout lake too', async () => {
    for (const where of [lake, lakeOneGroup, lakeExport]) await sameRows(where);
  });

  async function sameRows(where: string): Promise<void> {
    const store = await Store.open(home, { readOnly: true });
    const lakeStore = await openLake(where, { venues: ['binance', 'okx', 'bybit'], symbols: ['BTCUSDT', 'BTC-USDT-SWAP'] });
    try {
      let rows = 0;
      for (const table of ['trades', 'liquidations', 'book', 'tickers'] as const) {
        const cols = lakeColumns(table).filter((c) => !['date', 'hour', 'import_id', 'msg'].includes(c.name)).map((c) => c.name);
        const sql = `SELECT ${cols.join(', ')} FROM ${table} ORDER BY venue, symbol, ts, rowid`;
        const want = await store.rows(sql);
        assert.deepEqual(await lakeStore.rows(sql), want, `${table} rows of ${basename(where)}`);
        rows += want.length;
      }
      assert.ok(rows > 10_000, `the run holds rows (${rows})`);
      // A book message is still the rows sharing (import_id, msg).
      const messages = `SELECT count(*) AS n FROM (SELECT DISTINCT import_id, msg FROM book)`;
      assert.deepEqual(await lakeStore.rows(messages), await store.rows(messages));
    } finally {
      lakeStore.close();
      store.close();
    }
  }

  it('orderflow analyze: the same summary and byte-identical outputs over the sink\'s lake as over the store', async () => {
    const [a, b] = await Promise.all([
      okAsync(['analyze', '--home', home, '--symbol', 'BTC', '--out', join(dir, 'a-store')]),
      okAsync(['analyze', '--lake', lake, '--symbol', 'BTC', '--out', join(dir, 'a-lake')]),
    ]);
    assert.match(a, /trades/);
    assert.equal(b.replaceAll('a-lake', 'OUT'), a.replaceAll('a-store', 'OUT'));
    assertSameFiles(join(dir, 'a-store'), join(dir, 'a-lake'));
  });

  it('orderflow cvd --json: the same bars, per venue too, across the hour boundary', async () => {
    const args = ['cvd', '--symbol', 'BTC', '--timeframe', '1m', '--per-venue', '--json'];
    const [a, b] = await Promise.all([okAsync([...args, '--home', home]), okAsync([...args, '--lake', lake])]);
    assert.ok(JSON.parse(a).bars.length >= 4, a.slice(0, 200));
    assert.equal(b, a);
  });
});
