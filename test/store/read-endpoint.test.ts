/**
 * The read endpoint of a store's writer (src/store/read-endpoint.ts): a reader in another
 * process gets the same rows, types and order as from the file itself, only single SELECTs are
 * answered, a wrong token gets nothing, and `export` works through it.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import fc from 'fast-check';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { ReadClient } from '../../src/store/read-client.ts';
import { ReadEndpoint } from '../../src/store/read-endpoint.ts';
import { ENDPOINT_FILE, encodeValues, READS_DIR, type EndpointFile } from '../../src/store/read-wire.ts';
import { Store } from '../../src/store/store.ts';
import { tag } from '../helpers/read-rows.ts';
import { importInto, tempDir } from '../helpers/store.ts';
import { runProcess } from '../helpers/process.ts';
import { BIN } from '../helpers/paths.ts';

const READER = fileURLToPath(new URL('../helpers/read-rows.ts', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../../samples/bybit/bybit-v5-linear-ws-publicTrade-2026-08-09.jsonl', import.meta.url));

interface Query {
  readonly sql: string;
  readonly values?: (string | number | bigint | boolean | null)[];
}

type Result = { rows: unknown } | { error: { code: string; message: string } };

const spawnOut = (cmd: string, args: string[]) => runProcess(cmd, args);

/** Run the queries in a reader process (asynchronously: the writer answering it lives in this one). */
async function readElsewhere(home: string, queries: readonly Query[]): Promise<{ writerPid: number | null; results: Result[] }> {
  const r = await spawnOut(process.execPath, ['--import', 'tsx', READER, home, JSON.stringify(queries.map((q) => ({ sql: q.sql, values: encodeValues(q.values) })))]);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

describe('read endpoint', () => {
  const home = join(tempDir(), 'home');
  let store: Store;
  let endpoint: ReadEndpoint;
  /** A connection that never says anything, opened at the start: the endpoint's hello wait (a few seconds) runs out while the cases before its own run. */
  let silent: { readonly connectedAt: number; readonly closedAt: Promise<number> };

  before(async () => {
    store = await Store.open(home);
    await importInto(store, SAMPLE);
    // Rows of every kind the readers meet: integer and UUID ids, NULLs, several venues.
    await store.run(
      `INSERT INTO trades SELECT CASE WHEN i % 2 = 0 THEN 'binance' ELSE 'okx' END, 'BTCUSDT', make_timestamp((1767225600000000 + i * 1000)::BIGINT),
         CASE WHEN i % 3 = 0 THEN NULL ELSE make_timestamp((1767225600000000 + i * 1000 + 7)::BIGINT) END,
         65000.5 + i, 0.001 * i, CASE WHEN i % 2 = 0 THEN 'buy' ELSE 'sell' END, 9007199254740000 + i, NULL, 99 FROM range(5000) r(i)`,
    );
    endpoint = await ReadEndpoint.start(store, { liveImports: () => [99] });
    const ep = JSON.parse(readFileSync(join(home, ENDPOINT_FILE), 'utf8')) as EndpointFile;
    const socket = connect({ host: '127.0.0.1', port: ep.port });
    const closed = once(socket, 'close').then(() => performance.now());
    await once(socket, 'connect');
    silent = { connectedAt: performance.now(), closedAt: closed };
  });

  after(async () => {
    await endpoint.close();
    store.close();
  });

  it('gives a reader in another process the rows, JS types and order the file itself gives', async () => {
    const queries: Query[] = [
      { sql: 'SELECT venue, symbol, ts, local_ts, price, qty, side, trade_id, trade_uuid, import_id FROM trades ORDER BY ts, rowid' },
      // sum(BIGINT) is a HUGEINT, a bigint in JS, beyond 2^53 here: Parquet would make it a double.
      { sql: 'SELECT venue, sum(trade_id) AS s, count(*) AS n, max(ts) AS hi FROM trades GROUP BY ALL ORDER BY venue' },
      {
        sql: 'SELECT count(*) AS n, $4 IS NULL AS none FROM trades WHERE venue::VARCHAR = $1 AND ts >= make_timestamp($2::BIGINT) AND $3::BOOLEAN AND price > $5',
        values: ['binance', 1767225600000000n + 1000n, true, null, 65100.25],
      },
      { sql: 'SELECT * FROM trades WHERE false' },
      { sql: "SELECT import_id, format, status FROM imports ORDER BY import_id" },
    ];
    const here = [];
    for (const q of queries) here.push({ rows: tag(await store.rows(q.sql, q.values)) });
    const there = await readElsewhere(home, queries);
    assert.equal(there.writerPid, process.pid, 'the reader went through this process');
    assert.deepEqual(there.results, here);
    const [{ n }] = await store.rows<{ n: bigint }>('SELECT count(*) AS n FROM trades');
    assert.ok(n > 5000n);
    assert.equal((here[0].rows as unknown[]).length, Number(n), 'the comparison covered every row');
  });

  it('answers only single SELECTs, and a refused statement changes nothing', async () => {
    const [{ n }] = await store.rows<{ n: bigint }>('SELECT count(*) AS n FROM trades');
    const there = await readElsewhere(home, [
      { sql: 'DELETE FROM trades' },
      { sql: 'SELECT 1 AS x; DELETE FROM trades' },
      { sql: "COPY trades TO '/tmp/x.csv'" },
      { sql: 'SELECT 1 AS x --' },
      { sql: 'SELECT count(*) AS n FROM trades' },
    ]);
    const errors = there.results.slice(0, 3).map((r) => ('error' in r ? `${r.error.code}: ${r.error.message}` : 'answered'));
    assert.match(errors[0], /^E_STORE_QUERY: .*only queries \(SELECT\) are answered/);
    assert.match(errors[1], /^E_STORE_QUERY: .*one statement per query, got 2/);
    assert.match(errors[2], /^E_STORE_QUERY: .*only queries \(SELECT\) are answered/);
    assert.deepEqual(there.results[3], { rows: [{ x: 1 }] }, 'a trailing comment stays inside the query');
    assert.deepEqual(there.results[4], { rows: [{ n: { bigint: String(n) } }] }, 'nothing was deleted');
  });

  it('a connection without the token, or silent, gets no answer and is closed', async () => {
    const ep = JSON.parse(readFileSync(join(home, ENDPOINT_FILE), 'utf8')) as EndpointFile;
    assert.equal(ep.pid, process.pid);
    const socket = connect({ host: '127.0.0.1', port: ep.port });
    let answer = '';
    socket.on('data', (d) => (answer += d));
    await once(socket, 'connect');
    socket.write(`${JSON.stringify({ id: 1, op: 'hello', token: 'f'.repeat(64) })}\n${JSON.stringify({ id: 2, op: 'query', sql: 'SELECT 1', values: [] })}\n`);
    await once(socket, 'close');
    assert.equal(answer, '');
    // One that says nothing at all is closed too, after a few seconds (opened in before).
    assert.ok((await silent.closedAt) - silent.connectedAt < 9000);
  });

  it('any line a token holder sends gets an answer or a closed connection, and the writer keeps answering', async () => {
    const ep = JSON.parse(readFileSync(join(home, ENDPOINT_FILE), 'utf8')) as EndpointFile;
    /** Authenticate, send one line, and say what came back first: a reply or the connection closing. */
    const send = async (line: string): Promise<'reply' | 'closed'> => {
      const socket: Socket = connect({ host: '127.0.0.1', port: ep.port });
      await once(socket, 'connect');
      let text = '';
      const first = new Promise<'reply' | 'closed'>((done, fail) => {
        const timer = setTimeout(() => fail(new Error(`no reply and no close for ${JSON.stringify(line).slice(0, 200)}`)), 10_000);
        socket.on('data', (d) => {
          text += d;
          if (text.split('\n').length > 2) (clearTimeout(timer), done('reply'));
        });
        socket.on('close', () => (clearTimeout(timer), done('closed')));
      });
      socket.write(`${JSON.stringify({ id: 0, op: 'hello', token: ep.token })}\n${line}\n`);
      try {
        return await first;
      } finally {
        socket.destroy();
      }
    };
    const line = fc.oneof(
      fc.string({ maxLength: 200 }).filter((x) => !x.includes('\n')),
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc.record({ id: fc.jsonValue(), op: fc.constantFrom('query', 'hello', 'other'), sql: fc.oneof(fc.string({ maxLength: 80 }), fc.jsonValue()), values: fc.jsonValue() }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
    );
    await fc.assert(fc.asyncProperty(line, async (l) => void (await send(l))), { numRuns: 60 });
    const there = await readElsewhere(home, [{ sql: 'SELECT 41 + 1 AS x' }]);
    assert.deepEqual(there.results, [{ rows: [{ x: 42 }] }]);
  });

  it('one reader sees the store as of its connection, whatever the writer commits meanwhile; the next sees the new rows', async () => {
    const mem = await Store.openMemory();
    const count = async (c: ReadClient) => {
      const { path } = await c.query("SELECT count(*) AS n FROM trades WHERE symbol = 'LATEUSDT'");
      const [{ n }] = await mem.rows<{ n: bigint }>('SELECT n FROM read_parquet($1)', [path]);
      return Number(n);
    };
    const early = (await ReadClient.connect(home))!.client;
    try {
      assert.equal(await count(early), 0);
      await store.run("INSERT INTO trades SELECT 'bybit', 'LATEUSDT', make_timestamp(1767225600000000 + i), NULL, 1, 1, 'buy', i, NULL, 98 FROM range(10) r(i)");
      assert.equal(await count(early), 0, 'a commit after it connected is not seen');
      const late = (await ReadClient.connect(home))!.client;
      assert.equal(await count(late), 10);
      late.close();
    } finally {
      early.close();
      mem.close();
    }
  });

  it('a reader that goes away stops its query: the writer is free for the next one at once', { timeout: 60_000 }, async () => {
    // Two endless scans take both of the writer's query slots; their readers then disconnect.
    const slow = 'SELECT sum(i) AS s FROM range(100000000000) r(i)';
    const quitters = await Promise.all([ReadClient.connect(home), ReadClient.connect(home)]);
    const pending = quitters.map((q) => q!.client.query(slow).then(() => 'answered', (e: Error) => e.message));
    await new Promise((r) => setTimeout(r, 500));
    for (const q of quitters) q!.client.close();
    assert.deepEqual(await Promise.all(pending), ['the store was closed while a query was waiting for its answer', 'the store was closed while a query was waiting for its answer']);
    const next = await ReadClient.connect(home);
    const t0 = performance.now();
    const r = await next!.client.query('SELECT 42 AS x');
    const waited = performance.now() - t0;
    next!.client.close();
    assert.ok(waited < 5000, `the next query waited ${waited.toFixed(0)} ms for slots held by readers that had gone`);
    assert.match(r.path, /\.parquet$/);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(readdirSync(join(home, READS_DIR)), [], 'their result files are removed');
  });

  const lake = join(tempDir(), 'lake');
  it('export writes the Parquet lake while the store is being written', async () => {
    const out = lake;
    const r = await spawnOut(BIN, ['export', '--out', out, '--tables', 'trades', '--home', home]);
    assert.equal(r.code, 0, r.stderr);
    const mem = await Store.openMemory();
    try {
      const rows = await mem.rows<{ venue: string; n: bigint }>(`SELECT venue, count(*) AS n FROM read_parquet($1, hive_partitioning = true) GROUP BY ALL ORDER BY venue`, [join(out, 'trades', '**', '*.parquet')]);
      const want = await store.rows<{ venue: string; n: bigint }>('SELECT venue::VARCHAR AS venue, count(*) AS n FROM trades GROUP BY ALL ORDER BY venue');
      assert.deepEqual(rows, want);
    } finally {
      mem.close();
    }
  });

  it('export --layout lake works too while the store is being written (its one-thread COPY runs here)', async () => {
    const out = join(tempDir(), 'hourly');
    const r = await spawnOut(BIN, ['export', '--out', out, '--tables', 'trades', '--layout', 'lake', '--home', home]);
    assert.equal(r.code, 0, r.stderr);
    const mem = await Store.openMemory();
    try {
      const rows = await mem.rows<{ venue: string; n: bigint }>(`SELECT venue, count(*) AS n FROM read_parquet($1, hive_partitioning = true) GROUP BY ALL ORDER BY venue`, [join(out, 'trades', '**', 'hour=*', '*.parquet')]);
      const want = await store.rows<{ venue: string; n: bigint }>('SELECT venue::VARCHAR AS venue, count(*) AS n FROM trades GROUP BY ALL ORDER BY venue');
      assert.deepEqual(rows, want);
    } finally {
      mem.close();
    }
  });
});

describe('a store held by a writer that answers no reads', () => {
  it('a reader waits a few seconds, then names the holder, even with a stale endpoint file beside the store', async () => {
    const home = join(tempDir(), 'home');
    const store = await Store.open(home);
    try {
      // What a recorder killed with -9 leaves: an endpoint nobody listens on any more.
      const server = createServer().listen(0, '127.0.0.1');
      await once(server, 'listening');
      const port = (server.address() as { port: number }).port;
      server.close();
      const stale: EndpointFile = { pid: 999_999, port, token: 'a'.repeat(64), startedAt: new Date().toISOString() };
      writeFileSync(join(home, ENDPOINT_FILE), JSON.stringify(stale), { mode: 0o600 });
      const t0 = performance.now();
      const there = await readElsewhere(home, [{ sql: 'SELECT 1' }]);
      const waited = performance.now() - t0;
      assert.deepEqual(Object.keys(there), ['error']);
      const { error } = there as unknown as { error: { code: string; message: string } };
      assert.equal(error.code, 'E_STORE_LOCKED');
      assert.match(error.message, new RegExp(`is being written by another process \\(PID ${process.pid}\\) that does not answer reads`));
      assert.ok(waited >= 3000, `gave up after ${waited.toFixed(0)} ms`);
    } finally {
      store.close();
    }
  });
});
