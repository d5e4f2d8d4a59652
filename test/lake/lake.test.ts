/**
 * The Parquet lake as a desk uses it: a simulated run recorded into a store, written out with
 * `orderflow export --layout lake`, and `analyze` / `backtest` over `--lake` giving byte for byte
 * what they give over the store; only the partitions of the query are opened; a missing, empty
 * or corrupt lake fails with an error naming the folder or file.
 */
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { StoreError } from '../../src/core/errors.ts';
import { exportLake } from '../../src/lake/export-lake.ts';
import { lakeColumns, lakeFileTarget, lakeSelect, partitionPath } from '../../src/lake/layout.ts';
import { openLake, timeCondition, type LakeScope } from '../../src/lake/lake-store.ts';
import { s3SecretSql } from '../../src/lake/s3.ts';
import { Store } from '../../src/store/store.ts';
import { readTrades } from '../../src/store/trade-reader.ts';
import { assertSameFiles, tree } from '../helpers/same-files.ts';
import { BIN } from '../helpers/paths.ts';
import { tempDir } from '../helpers/store.ts';
import { runProcess } from '../helpers/process.ts';

async function run(args: string[]) {
  const r = await runProcess(BIN, args, { ...process.env, CI: 'true' });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

async function ok(args: string[]): Promise<string> {
  const r = await run(args);
  assert.equal(r.code, 0, `orderflow ${args.join(' ')}\n${r.err}`);
  return r.out;
}

const dir = tempDir('orderflow-lake-');
const home = join(dir, 'home');
const lake = join(dir, 'lake');
// The simulated run: 2026-01-06 12:00 to 12:20 UTC, BTC on the three venues.
const HOUR = Date.UTC(2026, 0, 6, 12);
const BTC: LakeScope = { venues: ['binance', 'okx', 'bybit'], symbols: ['BTCUSDT', 'BTC-USDT-SWAP'] };

before(async () => {
  await ok(['sim', '--scenario', 'long-cascade', '--seed', '3', '--duration', '20m', '--out', join(dir, 'sim')]);
  await ok(['import', join(dir, 'sim'), '--home', home]);
  await ok(['export', '--home', home, '--out', lake, '--layout', 'lake']);
});

describe('orderflow export --layout lake', () => {
  it('writes <table>/venue=/symbol=/date=/hour=/data_0.parquet with the documented columns and Parquet types', async () => {
    const files = [...tree(lake).keys()].sort();
    assert.ok(files.length >= 12, files.join('\n'));
    for (const f of files) assert.match(f, /^(trades|liquidations|book|tickers)\/venue=(binance|okx|bybit)\/symbol=[A-Z-]+\/date=2026-01-06\/hour=12\/data_0\.parquet$/);
    assert.ok(files.includes(`${partitionPath('liquidations', 'okx', 'BTC-USDT-SWAP', HOUR + 5 * 60_000)}/data_0.parquet`));
    const mem = await Store.openMemory();
    try {
      for (const table of ['trades', 'liquidations', 'book', 'tickers'] as const) {
        const file = join(lake, files.find((f) => f.startsWith(`${table}/`))!);
        const schema = await mem.rows<{ name: string; duckdb_type: string }>(`SELECT name, duckdb_type FROM parquet_schema($1) WHERE duckdb_type IS NOT NULL`, [file]);
        const want = lakeColumns(table).map((c) => [c.name, c.file]);
        if (table === 'trades') assert.deepEqual(want.find(([n]) => n === 'trade_uuid'), ['trade_uuid', 'VARCHAR'], 'UUIDs as text (Spark reads no UUID type)');
        assert.deepEqual(schema.map((r) => [r.name, r.duckdb_type]), want, `${table} columns`);
        // date and hour are those of the row's own exchange time.
        const [bad] = await mem.rows<{ n: bigint }>(`SELECT count(*) AS n FROM read_parquet($1, hive_partitioning = false) WHERE "date" <> ts::DATE OR "hour" <> hour(ts)`, [file]);
        assert.equal(bad.n, 0n);
      }
    } finally {
      mem.close();
    }
  });

  it('refuses an unknown --layout', async () => {
    const r = await run(['export', '--home', home, '--out', join(dir, 'x'), '--layout', 'hourly']);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /--layout: "hourly" is not a layout; known: daily, lake/);
  });
});

// Every case only reads the store and the lake (each writes its own output folder): side by side.
describe('--lake gives what the store gives', { concurrency: true }, () => {
  it('every column of every event table, with the same values, types and tie order', async () => {
    const store = await Store.open(home, { readOnly: true });
    const lakeStore = await openLake(lake, BTC);
    try {
      for (const table of ['trades', 'liquidations', 'book', 'tickers'] as const) {
        const cols = lakeColumns(table).filter((c) => c.name !== 'date' && c.name !== 'hour').map((c) => c.name);
        const sql = `SELECT ${cols.join(', ')} FROM ${table} ORDER BY venue, symbol, ts, rowid`;
        const types = async (s: Store) => (await s.rows<{ column_name: string; column_type: string }>(`DESCRIBE ${sql}`)).map((r) => `${r.column_name} ${r.column_type}`);
        assert.deepEqual(await types(lakeStore), await types(store), `${table} types`);
        const want = await store.rows(sql);
        assert.ok(want.length > 100, `${table} holds rows`);
        assert.deepEqual(await lakeStore.rows(sql), want, `${table} rows`);
      }
      const [{ n }] = await lakeStore.rows<{ n: bigint }>(`SELECT count(*) AS n FROM trades WHERE trade_uuid IS NOT NULL`);
      assert.ok(n > 0n, 'Bybit trade ids (UUIDs) come back as UUIDs');
    } finally {
      lakeStore.close();
      store.close();
    }
  });

  it('orderflow analyze: the same summary and byte-identical outputs, whole and over a range', async () => {
    for (const range of [[], ['--from', '2026-01-06T12:05', '--to', '2026-01-06T12:15']]) {
      const tag = range.length ? 'range' : 'all';
      const [a, b] = await Promise.all([
        ok(['analyze', '--home', home, '--symbol', 'BTC', '--out', join(dir, `a-store-${tag}`), ...range]),
        ok(['analyze', '--lake', lake, '--symbol', 'BTC', '--out', join(dir, `a-lake-${tag}`), ...range]),
      ]);
      assert.match(a, /liquidations +1 +clusters/, 'the run holds liquidations (the comparison covers them)');
      assert.equal(b.replaceAll(`a-lake-${tag}`, 'OUT'), a.replaceAll(`a-store-${tag}`, 'OUT'));
      assertSameFiles(join(dir, `a-store-${tag}`), join(dir, `a-lake-${tag}`));
    }
  });

  it('orderflow backtest: the same run folder byte for byte, the lake also read by worker threads', async () => {
    const [a, b] = await Promise.all([
      ok(['backtest', '--home', home, '--symbol', 'BTC', '--out', join(dir, 'b-store'), '--workers', '1', '--null-seeds', '2', '--json']),
      ok(['backtest', '--lake', lake, '--symbol', 'BTC', '--out', join(dir, 'b-lake'), '--workers', '2', '--null-seeds', '2', '--json']),
    ]);
    assert.equal(b, a);
    assert.ok(JSON.parse(a).meta.events > 20_000, 'the run read the stored events');
    assertSameFiles(join(dir, 'b-store'), join(dir, 'b-lake'));
  });

  it('orderflow cvd: the same JSON, per venue too', async () => {
    const args = ['cvd', '--symbol', 'BTC', '--timeframe', '1m', '--per-venue', '--json', '--from', '2026-01-06T12:03'];
    const [a, b] = await Promise.all([ok([...args, '--home', home]), ok([...args, '--lake', lake])]);
    assert.ok(JSON.parse(a).bars.length >= 15, a.slice(0, 200));
    assert.equal(b, a);
  });

  it('--lake with --session is refused (a session lives in the store)', async () => {
    const r = await run(['backtest', '--lake', lake, '--session', 'x']);
    assert.equal(r.code, 2, r.err);
    assert.match(r.err, /drop --lake/);
  });
});

describe('partition pruning', () => {
  // A copy with files that cannot be read, in partitions outside the scope a test opens.
  const pruned = join(dir, 'pruned');
  const poison = (rel: string) => {
    mkdirSync(join(pruned, rel), { recursive: true });
    writeFileSync(join(pruned, rel, 'bad.parquet'), 'not parquet');
    return join(pruned, rel, 'bad.parquet');
  };
  let nextDay = '';
  before(() => {
    cpSync(lake, pruned, { recursive: true });
    poison('trades/venue=okx/symbol=BTC-USDT-SWAP/date=2026-01-06/hour=12');
    nextDay = poison('trades/venue=binance/symbol=BTCUSDT/date=2026-01-07/hour=0');
    poison('trades/venue=binance/symbol=BTCUSDT/date=2026-01-06/hour=11');
  });

  it('opens only the venues, symbols, days and hours of the query', async () => {
    const scope = { venues: ['binance', 'bybit'], symbols: ['BTCUSDT'], fromMs: HOUR + 60_000, toMs: HOUR + 3_600_000 } as const;
    const store = await openLake(pruned, scope);
    try {
      const got = await readTrades(store, { venues: ['binance', 'bybit'], symbols: ['BTCUSDT'], fromMs: scope.fromMs, toMs: scope.toMs });
      const home_ = await Store.open(home, { readOnly: true });
      try {
        const want = await readTrades(home_, { venues: ['binance', 'bybit'], symbols: ['BTCUSDT'], fromMs: scope.fromMs, toMs: scope.toMs });
        assert.ok(got.length > 1000);
        assert.deepEqual(got, want);
      } finally {
        home_.close();
      }
    } finally {
      store.close();
    }
  });

  it('a file that is not Parquet in the scope fails, naming the file', async () => {
    await assert.rejects(openLake(pruned, { venues: ['binance'], symbols: ['BTCUSDT'], fromMs: HOUR }), (e: StoreError) => {
      assert.equal(e.code, 'E_LAKE_FILE');
      assert.ok(e.message.includes(nextDay), e.message);
      return true;
    });
    const r = await run(['analyze', '--lake', pruned, '--symbol', 'BTC']);
    assert.equal(r.code, 1);
    assert.match(r.err, /E_LAKE_FILE: lake file .*bad\.parquet: not a readable Parquet file/);
  });

  it('keeps exactly the hours that meet [from, to)', async () => {
    const mem = await Store.openMemory();
    try {
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 0, max: 96 * 3_600_000 }), fc.integer({ min: 1, max: 30 * 3_600_000 }), fc.integer({ min: -48, max: 150 }), async (from, len, h) => {
          const base = Date.UTC(2026, 0, 1);
          const scope: LakeScope = { venues: ['binance'], symbols: ['X'], fromMs: base + from, toMs: base + from + len };
          const hourStart = base + h * 3_600_000;
          const d = new Date(hourStart);
          const [{ keep }] = await mem.rows<{ keep: boolean }>(
            `SELECT ${timeCondition(scope)} AS keep FROM (SELECT DATE '${d.toISOString().slice(0, 10)}' AS "date", ${d.getUTCHours()} AS "hour")`,
          );
          const meets = hourStart < scope.toMs! && hourStart + 3_600_000 > scope.fromMs!;
          assert.equal(keep, meets, `hour ${d.toISOString()} for [${new Date(scope.fromMs!).toISOString()}, ${new Date(scope.toMs!).toISOString()})`);
        }),
        { numRuns: 200 },
      );
    } finally {
      mem.close();
    }
  });
});

describe('symbols that are not folder-safe', () => {
  it('a symbol with / and : is one folder, percent-encoded as DuckDB writes it, and reads back', async () => {
    const h = join(dir, 'odd-home');
    const out = join(dir, 'odd-lake');
    const store = await Store.open(h);
    const symbol = 'BTC/USDT:USDT';
    try {
      await store.run(
        `INSERT INTO trades (venue, symbol, ts, local_ts, price, qty, side, trade_id, import_id)
         SELECT 'binance', $1, make_timestamp($2::BIGINT + i * 1000000), NULL, 100 + i, 1, 'buy', i, 1 FROM range(5) t(i)`,
        [symbol, BigInt(HOUR) * 1000n],
      );
      await exportLake(store, out, { tables: ['trades'] });
    } finally {
      store.close();
    }
    assert.deepEqual([...tree(out).keys()], [`${partitionPath('trades', 'binance', symbol, HOUR)}/data_0.parquet`]);
    assert.match(partitionPath('trades', 'binance', symbol, HOUR), /symbol=BTC%2FUSDT%3AUSDT\//);
    // A writer placing the file itself (the sink's way) gives the same bytes as the exporter.
    const placed = join(dir, 'odd-placed.parquet');
    const again = await Store.open(h, { readOnly: true });
    try {
      await again.run('SET threads = 1');
      await again.copyQuery(lakeSelect('trades', 'trades'), [], lakeFileTarget(placed));
    } finally {
      again.close();
    }
    assert.ok(readFileSync(placed).equals(tree(out).values().next().value!), 'lakeFileTarget writes what the partitioned export writes');
    const lakeStore = await openLake(out, { venues: ['binance'], symbols: [symbol] });
    try {
      const got = await readTrades(lakeStore, { venues: ['binance'], symbols: [symbol] });
      assert.deepEqual([...got.price], [100, 101, 102, 103, 104]);
    } finally {
      lakeStore.close();
    }
  });
});

describe('a lake that is not there', () => {
  it('a missing folder is E_LAKE_MISSING naming it', async () => {
    const where = join(dir, 'nowhere');
    await assert.rejects(openLake(where, BTC), (e: StoreError) => e.code === 'E_LAKE_MISSING' && e.message.includes(where));
    const r = await run(['backtest', '--lake', where, '--symbol', 'BTC']);
    assert.equal(r.code, 1);
    assert.match(r.err, /E_LAKE_MISSING: no lake at .*nowhere/);
  });

  it('a folder with no Parquet file of the markets is E_LAKE_EMPTY', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(join(empty, 'trades'), { recursive: true });
    await assert.rejects(openLake(empty, BTC), (e: StoreError) => e.code === 'E_LAKE_EMPTY' && e.message.includes(empty));
    await assert.rejects(openLake(lake, { venues: ['binance'], symbols: ['ETHUSDT'] }), (e: StoreError) => e.code === 'E_LAKE_EMPTY' && /ETHUSDT/.test(e.message));
  });

  it('s3:// without the httpfs extension says how to install it', async (t) => {
    const mem = await Store.openMemory();
    const [{ installed }] = await mem.rows<{ installed: boolean }>(`SELECT installed FROM duckdb_extensions() WHERE extension_name = 'httpfs'`);
    mem.close();
    if (installed) return t.skip('httpfs is installed here: the error path cannot be reached');
    await assert.rejects(openLake('s3://desk-lake/orderflow', BTC, {}), (e: StoreError) => e.code === 'E_LAKE_S3' && /INSTALL httpfs/.test(e.message) && /AWS_ACCESS_KEY_ID/.test(e.message));
  });
});

describe('S3 credentials from the AWS_* variables', () => {
  it('become a session secret, with path-style addressing for an S3-compatible endpoint', () => {
    assert.equal(s3SecretSql({}), undefined);
    assert.equal(
      s3SecretSql({ AWS_ACCESS_KEY_ID: 'AK', AWS_SECRET_ACCESS_KEY: "s'x", AWS_REGION: 'eu-west-1', AWS_ENDPOINT_URL: 'http://127.0.0.1:9000' }),
      "CREATE OR REPLACE SECRET orderflow_lake (TYPE s3, KEY_ID 'AK', SECRET 's''x', REGION 'eu-west-1', ENDPOINT '127.0.0.1:9000', USE_SSL false, URL_STYLE 'path')",
    );
    assert.match(s3SecretSql({ AWS_ACCESS_KEY_ID: 'AK', AWS_SECRET_ACCESS_KEY: 'S', AWS_SESSION_TOKEN: 'T', AWS_DEFAULT_REGION: 'us-east-1' })!, /SESSION_TOKEN 'T', REGION 'us-east-1'\)$/);
  });

  it('a key without its secret, or an endpoint that is not a URL, is an error', () => {
    assert.throws(() => s3SecretSql({ AWS_ACCESS_KEY_ID: 'AK' }), (e: StoreError) => e.code === 'E_LAKE_S3' && /AWS_SECRET_ACCESS_KEY/.test(e.message));
    for (const bad of ['127.0.0.1:9000', 'minio:9000', 'not a url']) {
      assert.throws(() => s3SecretSql({ AWS_ACCESS_KEY_ID: 'AK', AWS_SECRET_ACCESS_KEY: 'S', AWS_ENDPOINT_URL: bad }), (e: StoreError) => e.code === 'E_LAKE_S3' && e.message.includes(bad), bad);
    }
  });
});


