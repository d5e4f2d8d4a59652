import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { constants, gunzipSync, gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { FileError, ParseError } from '../../src/core/errors.ts';
import { exportParquet } from '../../src/store/parquet.ts';
import { Store } from '../../src/store/store.ts';
import { importInto, openTempStore, tableCounts, tempDir, writeZip } from '../helpers/store.ts';

const FIXTURES = new URL('../fixtures/binance/archive/', import.meta.url).pathname;
/** Real captured BTCUSDT trades in the USD-M aggTrades archive layout (see the fixture README). */
const AGG = readFileSync(join(FIXTURES, 'BTCUSDT-aggTrades-2024-08-08.csv'), 'utf8');
const AGG_LINES = AGG.trimEnd().split('\n');
const HEADER = AGG_LINES[0];
const ROWS = AGG_LINES.slice(1);

function write(dir: string, name: string, text: string | Buffer): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

async function rejects(p: Promise<unknown>, check: (e: FileError | ParseError) => void): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof FileError || e instanceof ParseError, `unexpected error ${String(e)}`);
    check(e);
    return true;
  });
}

describe('importer: atomic and idempotent', () => {
  it('imports a published-style zip with its .CHECKSUM, and a second import adds nothing', async () => {
    const store = await openTempStore();
    const dir = tempDir();
    const zip = join(dir, 'BTCUSDT-aggTrades-2024-08-08.zip');
    writeZip(zip, { 'BTCUSDT-aggTrades-2024-08-08.csv': AGG });
    const sha = createHash('sha256').update(readFileSync(zip)).digest('hex');
    write(dir, 'BTCUSDT-aggTrades-2024-08-08.zip.CHECKSUM', `${sha}  BTCUSDT-aggTrades-2024-08-08.zip\n`);

    const first = await importInto(store, zip);
    assert.equal(first.status, 'imported');
    assert.equal(first.format, 'binance-um-aggTrades');
    assert.equal(first.rows, ROWS.length);
    assert.equal(first.checksumVerified, true);
    const [t] = await store.rows<{ symbol: string; venue: string; side: string; ms: number; local: unknown }>(
      `SELECT symbol, venue::VARCHAR AS venue, side::VARCHAR AS side, epoch_ms(ts)::DOUBLE AS ms, local_ts AS local FROM trades ORDER BY ts, trade_id LIMIT 1`,
    );
    const c = ROWS[0].split(',');
    assert.deepEqual(t, { symbol: 'BTCUSDT', venue: 'binance', side: c[6] === 'true' ? 'sell' : 'buy', ms: Number(c[5]), local: null });

    const second = await importInto(store, zip);
    assert.equal(second.status, 'already-imported');
    assert.equal(second.importId, first.importId);
    assert.equal((await tableCounts(store)).trades, ROWS.length);
  });

  it('knows the same bytes under another name: a copy of an imported CSV adds nothing', async () => {
    const store = await openTempStore();
    const dir = tempDir();
    const a = write(dir, 'BTCUSDT-aggTrades-2024-08-08.csv', AGG);
    const first = await importInto(store, a);
    assert.equal(first.method, 'bulk');
    assert.equal((await importInto(store, a)).status, 'already-imported');
    const copy = write(dir, 'copy-BTCUSDT-aggTrades-2024-08-08.csv', AGG);
    const again = await importInto(store, copy);
    assert.equal(again.status, 'already-imported');
    assert.equal(again.importId, first.importId);
    assert.equal((await tableCounts(store)).trades, ROWS.length);
    assert.equal((await tableCounts(store)).imports, 1);
    const [{ sha }] = await store.rows<{ sha: string }>('SELECT sha256 AS sha FROM imports');
    assert.equal(sha, createHash('sha256').update(AGG).digest('hex'), 'the hash taken on the way is the file\'s sha256');
  });

  it('refuses a zip whose .CHECKSUM does not match, writing nothing', async () => {
    const store = await openTempStore();
    const dir = tempDir();
    const zip = join(dir, 'BTCUSDT-aggTrades-2024-08-08.zip');
    writeZip(zip, { 'BTCUSDT-aggTrades-2024-08-08.csv': AGG });
    write(dir, 'BTCUSDT-aggTrades-2024-08-08.zip.CHECKSUM', `${'0'.repeat(64)}  BTCUSDT-aggTrades-2024-08-08.zip\n`);
    await rejects(importInto(store, zip), (e) => assert.equal(e.code, 'E_CHECKSUM'));
    assert.deepEqual(Object.values(await tableCounts(store)), [0, 0, 0, 0, 0, 0, 0]);
  });

  it('imports a raw capture cut short by a crash up to its last complete line, with a warning; a corrupt one is still refused', async () => {
    const frames = readFileSync(new URL('../fixtures/bybit/publicTrade-2026-08-09-head20.jsonl', import.meta.url), 'utf8').trimEnd().split('\n');
    const text = frames.map((f, i) => `${1786310819000000000n + BigInt(i)} ${f}\n`).join('');
    const full = gzipSync(Buffer.from(text));
    const dir = tempDir();
    // Cut inside the compressed data: the last line decompressed is incomplete.
    const cut = write(dir, 'bybit-2026-08-09T00-00-00-000Z.jsonl.gz', full.subarray(0, Math.floor(full.length * 0.7)));
    const store = await openTempStore();
    const r = await importInto(store, cut);
    assert.match(r.warning ?? '', /capture cut short \(no gzip trailer.*imported its (\d+) complete lines/);
    const lines = Number(/imported its (\d+)/.exec(r.warning!)![1]);
    assert.ok(lines > 0 && lines < frames.length, `${lines} of ${frames.length} lines`);
    const whole = await openTempStore();
    const all = await importInto(whole, write(dir, 'whole.jsonl.gz', full));
    assert.equal(all.warning, undefined);
    assert.ok(r.rows > 0 && r.rows < all.rows, `${r.rows} of ${all.rows} trades`);
    const [{ n }] = await store.rows<{ n: bigint }>('SELECT count(*) AS n FROM trades');
    assert.equal(Number(n), r.rows);
    // Bytes flipped in the middle: corrupt, not cut short.
    const bad = Buffer.from(full);
    for (let i = 40; i < 60; i++) bad[i] ^= 0xff;
    const third = await openTempStore();
    await rejects(importInto(third, write(dir, 'bybit-bad.jsonl.gz', bad)), (e) => assert.equal(e.code, 'E_TRUNCATED'));
    assert.equal(Number((await third.rows<{ n: bigint }>('SELECT count(*) AS n FROM trades'))[0].n), 0);
    for (const s of [store, whole, third]) s.close();
  });

  it('a raw capture cut at any byte: the trades of its complete lines, or a clear E_TRUNCATED when none is complete', async () => {
    const frames = readFileSync(new URL('../fixtures/bybit/publicTrade-2026-08-09-head20.jsonl', import.meta.url), 'utf8').trimEnd().split('\n');
    const full = gzipSync(Buffer.from(frames.map((f, i) => `${1786310819000000000n + BigInt(i)} ${f}\n`).join('')));
    const dir = tempDir();
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: full.length - 1 }), async (cut) => {
        const bytes = full.subarray(0, cut);
        let text = '';
        try {
          text = gunzipSync(bytes, { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
        } catch {
          // Cut inside the gzip header: nothing decompresses.
        }
        const complete = text.split('\n').slice(0, -1);
        const trades = complete.reduce((n, l) => n + (JSON.parse(l.slice(l.indexOf(' ') + 1)).data as { BT: boolean }[]).filter((t) => !t.BT).length, 0);
        const store = await openTempStore();
        try {
          const path = write(dir, `bybit-cut-${cut}.jsonl.gz`, bytes);
          if (complete.length === 0) {
            await rejects(importInto(store, path), (e) => assert.equal(e.code, 'E_TRUNCATED'));
            return;
          }
          const r = await importInto(store, path);
          assert.equal(r.rows, trades);
          assert.match(r.warning ?? '', new RegExp(`imported its ${complete.length} complete lines`));
        } finally {
          store.close();
        }
      }),
      { numRuns: 12 },
    );
  });

  it('refuses truncated gzip and zip files, writing nothing', async () => {
    const store = await openTempStore();
    const dir = tempDir();
    const gz = gzipSync(Buffer.from(AGG));
    const gzPath = write(dir, 'BTCUSDT-aggTrades-2024-08-08.csv.gz', gz.subarray(0, Math.floor(gz.length * 0.6)));
    await rejects(importInto(store, gzPath), (e) => {
      assert.equal(e.code, 'E_TRUNCATED');
      assert.match(e.message, /BTCUSDT-aggTrades-2024-08-08\.csv\.gz/);
    });
    const zip = join(dir, 'full.zip');
    writeZip(zip, { 'BTCUSDT-aggTrades-2024-08-08.csv': AGG });
    const zipBytes = readFileSync(zip);
    const cut = write(dir, 'BTCUSDT-aggTrades-2024-08-08.zip', zipBytes.subarray(0, zipBytes.length - 30));
    await rejects(importInto(store, cut), (e) => assert.equal(e.code, 'E_TRUNCATED'));
    // A zip whose central directory is intact but whose data is corrupt.
    const corrupt = Buffer.from(zipBytes);
    corrupt.fill(0x55, 60, 200);
    await rejects(importInto(store, write(dir, 'BTCUSDT-aggTrades-2024-08-09.zip', corrupt)), (e) => assert.equal(e.code, 'E_TRUNCATED'));
    assert.equal((await tableCounts(store)).trades, 0);
    assert.equal((await tableCounts(store)).imports, 0);
  });

  it('fails the whole file on one bad row, naming file:line, field and value', async () => {
    const store = await openTempStore();
    const dir = tempDir();
    const bad = [...ROWS];
    bad[20] = bad[20].replace(/,(\d+\.\d+),/, ',61800.3x,');
    const path = write(dir, 'BTCUSDT-aggTrades-2024-08-08.csv', [HEADER, ...bad].join('\n'));
    await rejects(importInto(store, path), (e) => {
      assert.ok(e instanceof ParseError);
      assert.equal(e.code, 'E_NUMBER');
      assert.equal(e.field, 'price');
      assert.equal(e.value, '61800.3x');
      assert.equal(e.where, `${path}:22`);
      assert.match(e.message, /BTCUSDT-aggTrades-2024-08-08\.csv:22: .*price.*61800\.3x/);
    });
    assert.equal((await tableCounts(store)).trades, 0);

    const skipped = await importInto(store, path, { skipBadRows: true });
    assert.equal(skipped.rows, ROWS.length - 1);
    assert.equal(skipped.skipped, 1);
    assert.deepEqual(skipped.skippedByCode, { E_NUMBER: 1 });
    assert.match(skipped.skippedSamples[0], /:22: /);
  });

  it('refuses timestamps that go backwards and repeated trade ids, but not many trades in one ms', async () => {
    const store = await openTempStore();
    const dir = tempDir();
    const swapped = [...ROWS];
    [swapped[10], swapped[11]] = [swapped[11], swapped[10]];
    const times = ROWS.map((r) => r.split(',')[5]);
    const backwards = times[10] !== times[11];
    await rejects(importInto(store, write(dir, 'BTCUSDT-aggTrades-2024-08-08.csv', [HEADER, ...swapped].join('\n'))), (e) => {
      assert.equal(e.code, backwards ? 'E_TIME_BACKWARDS' : 'E_DUPLICATE_ID');
    });
    const dup = [...ROWS.slice(0, 15), ROWS[14], ...ROWS.slice(15)];
    await rejects(importInto(store, write(dir, 'BTCUSDT-aggTrades-2024-08-09.csv', [HEADER, ...dup].join('\n'))), (e) => {
      assert.equal(e.code, 'E_DUPLICATE_ID');
      assert.equal((e as ParseError).where?.endsWith(':17'), true);
    });
    // Ten trades sharing one millisecond, ids increasing: normal for a busy market.
    const sameMs = ROWS.slice(0, 10).map((r, i) => {
      const c = r.split(',');
      c[0] = String(9000 + i);
      c[5] = times[0];
      return c.join(',');
    });
    const ok = await importInto(store, write(dir, 'BTCUSDT-aggTrades-2024-08-10.csv', [HEADER, ...sameMs].join('\n')));
    assert.equal(ok.rows, 10);
  });

  it('refuses an empty file, a header-only file and a header from another format', async () => {
    const store = await openTempStore();
    const dir = tempDir();
    await rejects(importInto(store, write(dir, 'BTCUSDT-aggTrades-2024-08-08.csv', '')), (e) => assert.equal(e.code, 'E_EMPTY'));
    await rejects(importInto(store, write(dir, 'BTCUSDT-aggTrades-2024-08-09.csv', `${HEADER}\n`)), (e) => assert.equal(e.code, 'E_EMPTY'));
    const trades = readFileSync(join(FIXTURES, 'BTCUSDT-trades-2024-08-08.csv'), 'utf8');
    const path = write(dir, 'BTCUSDT-aggTrades-2024-08-10.csv', trades);
    await rejects(importInto(store, path, { format: 'binance-um-aggTrades' }), (e) => {
      assert.equal(e.code, 'E_FORMAT');
      assert.match(e.message, /header of format binance-um-trades/);
    });
    await rejects(importInto(store, write(dir, 'notes.csv', 'hello,world\n1,2\n')), (e) => assert.equal(e.code, 'E_FORMAT'));
    assert.equal((await tableCounts(store)).imports, 0);
  });

  it('keeps every good row and no bad one under --skip-bad-rows, and all-or-nothing without it', async () => {
    const dir = tempDir();
    const store = await openTempStore();
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.boolean(), { minLength: ROWS.length, maxLength: ROWS.length }), fc.boolean(), async (badMask, skip) => {
        const rows = ROWS.map((r, i) => (badMask[i] ? r.replace(',', ',x') : r));
        const good = badMask.filter((b) => !b).length;
        const path = write(dir, `BTCUSDT-aggTrades-2024-09-${String(++n).padStart(2, '0')}.csv`, [HEADER, ...rows].join('\n'));
        const before = (await tableCounts(store)).trades;
        try {
          const r = await importInto(store, path, { skipBadRows: skip });
          assert.equal(r.rows, good);
          assert.equal(r.skipped, skip ? ROWS.length - good : 0);
          assert.ok(skip || good === ROWS.length);
        } catch (e) {
          assert.ok(e instanceof ParseError || e instanceof FileError);
          assert.ok(!skip || good === 0);
        }
        const after = (await tableCounts(store)).trades;
        assert.ok(after - before === 0 || after - before === good);
      }),
      { numRuns: 12 },
    );
  });
});

describe('Parquet export and re-import', () => {
  it('round-trips every table through venue=/symbol=/date= partitions', async () => {
    const store = await openTempStore();
    const samples = new URL('../../samples/', import.meta.url).pathname;
    await importInto(store, join(samples, 'binance/hftbacktest-binance-um-BTCUSDT-allstreams-20240808-head.txt.gz'));
    await importInto(store, join(samples, 'bybit/bybit-v5-linear-ws-tickers-2026-08-09.jsonl.gz'));
    const out = join(tempDir(), 'parquet');
    const results = await exportParquet(store, out);
    assert.deepEqual(results.map((r) => r.table).sort(), ['book', 'tickers', 'trades']);
    const tradesDir = join(out, 'trades/venue=binance/symbol=BTCUSDT/date=2024-08-08/data_0.parquet');

    const copy = await Store.open(join(tempDir(), 'copy'));
    try {
      for (const r of results) {
        const { readdirSync } = await import('node:fs');
        const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)]));
        for (const f of walk(r.dir)) await importInto(copy, f);
      }
      const q = (t: string, cols: string) => `SELECT ${cols} FROM ${t} ORDER BY ALL`;
      for (const [t, cols] of [['trades', 'venue, symbol, ts, local_ts, price, qty, side, trade_id, trade_uuid'], ['book', 'venue, symbol, ts, msg, is_snapshot, side, price, qty, seq'], ['tickers', '* EXCLUDE (import_id)']] as const) {
        assert.deepEqual(await copy.rows(q(t, cols)), await store.rows(q(t, cols)), `${t} differs after the round trip`);
      }
      assert.equal((await importInto(copy, tradesDir)).status, 'already-imported');
    } finally {
      copy.close();
    }
  });
});

// Both routes DuckDB can be fed by (bulk-load.ts ORDERFLOW_BULK_ROUTE): the scanner's columns in
// Parquet segments (the default), and DuckDB's read_csv of the same bytes.
for (const route of ['parquet', 'csv'] as const) {
  describe(`bulk load of trade archives (${route} route)`, () => {
    const prior = process.env.ORDERFLOW_BULK_ROUTE;
    before(() => {
      process.env.ORDERFLOW_BULK_ROUTE = route;
    });
    after(() => {
      if (prior === undefined) delete process.env.ORDERFLOW_BULK_ROUTE;
      else process.env.ORDERFLOW_BULK_ROUTE = prior;
    });

    it('stores exactly what the streaming path stores (plain CSV and zip loaded by DuckDB, vs appenders)', async () => {
      const dir = tempDir();
      const bulk = await openTempStore();
      const stream = await openTempStore();
      const spotGz = new URL('../../samples/binance-spot/BTCUSDT-aggTrades-2026-01-01.csv.gz', import.meta.url).pathname;
      const { gunzipSync } = await import('node:zlib');
      const spotText = gunzipSync(readFileSync(spotGz)).toString('utf8');
      const cases: [string, string][] = [
        ['BTCUSDT-aggTrades-2024-08-08.csv', AGG],
        ['BTCUSDT-trades-2024-08-08.csv', readFileSync(join(FIXTURES, 'BTCUSDT-trades-2024-08-08.csv'), 'utf8')],
        ['BTCUSDT-aggTrades-2026-01-01.csv', spotText],
      ];
      let total = 0;
      for (const [name, text] of cases) {
        const plain = write(dir, name, text);
        const viaBulk = await importInto(bulk, plain);
        total += viaBulk.rows;
        // A published-style zip is loaded by DuckDB in segments too; it adds nothing new (same rows).
        const zipped = join(dir, `z-${name}.zip`);
        writeZip(zipped, { [name]: text });
        const viaZip = await importInto(await openTempStore(), zipped);
        assert.equal(viaZip.method, 'bulk', `zip ${name}`);
        assert.equal(viaZip.rows, viaBulk.rows);
        const gz = await openTempStore();
        const viaGz = await importInto(gz, write(dir, `${name}.gz`, gzipSync(text)));
        assert.equal(viaGz.method, 'bulk', `gzip ${name}`);
        const all = 'SELECT venue, symbol, ts, price, qty, side, trade_id FROM trades ORDER BY ALL';
        assert.deepEqual(await gz.rows(all), await bulk.rows(`${all.replace('ORDER BY ALL', '')} WHERE import_id = ${viaBulk.importId} ORDER BY ALL`));
        const zip = join(dir, `${name}.zip`);
        writeZip(zip, { [name]: text });
        // --skip-bad-rows always takes the streaming path (it must see every row to skip one).
        const viaStream = await importInto(stream, zip, { skipBadRows: true });
        assert.equal(viaBulk.method, 'bulk', name);
        assert.equal(viaStream.method, 'stream', name);
        assert.equal(viaBulk.rows, viaStream.rows);
        assert.equal(viaBulk.format, viaStream.format);
        assert.equal(viaBulk.firstTs, viaStream.firstTs);
        assert.equal(viaBulk.lastTs, viaStream.lastTs);
      }
      const all = 'SELECT venue, symbol, ts, local_ts, price, qty, side, trade_id, trade_uuid FROM trades ORDER BY ALL';
      const a = await bulk.rows(all);
      assert.equal(a.length, total);
      assert.deepEqual(a, await stream.rows(all));
    });

    it('still names file:line for a bad row, and writes nothing', async () => {
      const store = await openTempStore();
      const dir = tempDir();
      const bad = [...ROWS];
      bad[5] = bad[5].replace(/,(true|false)$/, ',perhaps');
      const path = write(dir, 'BTCUSDT-aggTrades-2024-08-08.csv', [HEADER, ...bad].join('\n'));
      await rejects(importInto(store, path), (e) => {
        assert.equal(e.code, 'E_SIDE');
        assert.equal((e as ParseError).where, `${path}:7`);
      });
      // Inside a zip, the error names the zip and its entry, never the segment file DuckDB read it from.
      const zip = join(dir, 'BTCUSDT-aggTrades-2024-08-08.zip');
      writeZip(zip, { 'BTCUSDT-aggTrades-2024-08-08.csv': [HEADER, ...bad].join('\n') });
      await rejects(importInto(store, zip), (e) => assert.equal((e as ParseError).where, `${zip}!BTCUSDT-aggTrades-2024-08-08.csv:7`));
      assert.equal((await tableCounts(store)).trades, 0);
      const { readdirSync } = await import('node:fs');
      assert.deepEqual(readdirSync(join(store.home, 'tmp')), [], 'the segment files are removed');
    });

    it('refuses what DuckDB read_csv would load but our rules refuse, naming file:line and field, plain and zip', async () => {
      // DuckDB's casts are lenient: a BIGINT column reads "5266583943.6" as 5266583944 (rounded),
      // "+5", " 5", "5e0" and "5_1" as numbers; DOUBLE reads "nan"; BOOLEAN reads "t" and "1"; a
      // blank line is skipped; zero prices, negative sizes, implausible times and ids or times out
      // of order are values it has no rule against. Each must fail as the line parsers say, with
      // nothing written: the bulk load may never be trusted on DuckDB's word alone.
      const store = await openTempStore();
      const dir = tempDir();
      const K = 8; // rows[K] is on line K + 2 (after the header)
      const col = (r: string, i: number) => r.split(',')[i];
      const set = (r: string, i: number, v: string) => r.split(',').map((c, j) => (j === i ? v : c)).join(',');
      const cases: [string, (rows: string[]) => void, string, string | undefined, number][] = [
        ['fractional id', (rs) => (rs[K] = set(rs[K], 0, `${col(rs[K], 0)}.6`)), 'E_NUMBER', 'agg_trade_id', K + 2],
        ['signed id', (rs) => (rs[K] = set(rs[K], 0, `+${col(rs[K], 0)}`)), 'E_NUMBER', 'agg_trade_id', K + 2],
        ['padded id', (rs) => (rs[K] = set(rs[K], 0, ` ${col(rs[K], 0)}`)), 'E_NUMBER', 'agg_trade_id', K + 2],
        ['id with an exponent', (rs) => (rs[K] = set(rs[K], 0, `${col(rs[K], 0)}e0`)), 'E_NUMBER', 'agg_trade_id', K + 2],
        ['id with a digit separator', (rs) => (rs[K] = set(rs[K], 0, col(rs[K], 0).replace(/^(\d)/, '$1_'))), 'E_NUMBER', 'agg_trade_id', K + 2],
        ['fractional first_trade_id', (rs) => (rs[K] = set(rs[K], 3, `${col(rs[K], 3)}.4`)), 'E_NUMBER', 'first_trade_id', K + 2],
        ['zero price', (rs) => (rs[K] = set(rs[K], 1, '0')), 'E_NUMBER', 'price', K + 2],
        ['nan price', (rs) => (rs[K] = set(rs[K], 1, 'nan')), 'E_NUMBER', 'price', K + 2],
        ['negative quantity', (rs) => (rs[K] = set(rs[K], 2, `-${col(rs[K], 2)}`)), 'E_NUMBER', 'quantity', K + 2],
        ['time in 2001', (rs) => (rs[K] = set(rs[K], 5, '1000000000000')), 'E_TIME_UNIT', 'transact_time', K + 2],
        ['side spelled t', (rs) => (rs[K] = set(rs[K], 6, 't')), 'E_SIDE', 'is_buyer_maker', K + 2],
        ['side spelled 1', (rs) => (rs[K] = set(rs[K], 6, '1')), 'E_SIDE', 'is_buyer_maker', K + 2],
        ['repeated id', (rs) => (rs[K] = set(rs[K], 0, col(rs[K - 1], 0))), 'E_DUPLICATE_ID', 'id', K + 2],
        ['time going back', (rs) => (rs[K] = set(rs[K], 5, String(Number(col(rs[K - 1], 5)) - 1000))), 'E_TIME_BACKWARDS', 'timestamp', K + 2],
        ['blank line', (rs) => rs.splice(K, 0, ''), 'E_COLUMNS', undefined, K + 2],
      ];
      const name = 'BTCUSDT-aggTrades-2024-08-08.csv';
      for (const [what, mutate, code, field, line] of cases) {
        const rows = [...ROWS];
        mutate(rows);
        const text = [HEADER, ...rows].join('\n');
        const path = write(dir, name, text);
        // The premise: DuckDB, with the bulk load's own options, reads every row without complaint.
        const [{ n }] = await store.rows<{ n: bigint }>(
          `SELECT count(*) AS n FROM read_csv($1, header = true, delim = ',', quote = '', escape = '', auto_detect = false, strict_mode = true,
             columns = {'agg_trade_id': 'BIGINT', 'price': 'DOUBLE', 'quantity': 'DOUBLE', 'first_trade_id': 'BIGINT', 'last_trade_id': 'BIGINT', 'transact_time': 'BIGINT', 'is_buyer_maker': 'BOOLEAN'})`,
          [path],
        );
        assert.equal(Number(n), ROWS.length, `${what}: DuckDB alone loads it`);
        const check = (where: string) => (e: FileError | ParseError) => {
          assert.ok(e instanceof ParseError, what);
          assert.equal(e.code, code, what);
          assert.equal(e.field, field, what);
          assert.equal(e.where, where, what);
        };
        await rejects(importInto(store, path), check(`${path}:${line}`));
        const zip = join(dir, `${what.replace(/ /g, '-')}.zip`);
        writeZip(zip, { [name]: text });
        await rejects(importInto(store, zip), check(`${zip}!${name}:${line}`));
      }
      assert.deepEqual(await tableCounts(store), { trades: 0, liquidations: 0, book: 0, tickers: 0, klines: 0, depth_bands: 0, imports: 0 });
    });

    it('falls back to the streaming path when DuckDB loaded something else than our parse saw', async () => {
      // Times in seconds: our parsers read the unit from the magnitude; the bulk SQL knows only ms
      // and µs, so its rows disagree with the digest and the file is redone on the streaming path.
      const store = await openTempStore();
      const dir = tempDir();
      const rows = ROWS.map((r) => {
        const c = r.split(',');
        c[5] = String(Math.floor(Number(c[5]) / 1000));
        return c.join(',');
      });
      const r = await importInto(store, write(dir, 'BTCUSDT-aggTrades-2024-08-08.csv', [HEADER, ...rows].join('\n')));
      assert.equal(r.method, 'stream');
      assert.equal(r.rows, ROWS.length);
      const [{ lo }] = await store.rows<{ lo: number }>('SELECT epoch_ms(min(ts))::DOUBLE AS lo FROM trades');
      assert.equal(lo, Math.floor(Number(ROWS[0].split(',')[5]) / 1000) * 1000);
      assert.equal((await tableCounts(store)).imports, 1);
    });

    it('keeps the load only when its digest matches our parse', async () => {
      const { TradeDigest, digestMatches } = await import('../../src/store/bulk-load.ts');
      const d = new TradeDigest();
      d.trade('binance', 'BTCUSDT', 1723161256322, NaN, 61800.3, 0.006, 'buy', '5');
      d.trade('binance', 'BTCUSDT', 1723161256344.5, NaN, 61800.4, 0.2, 'sell', '6');
      const row = { n: 2n, sells: 1n, min_us: 1723161256322000n, max_us: 1723161256344500n, min_id: 5n, max_id: 6n, sum_price: 123600.7, sum_qty: 0.206 };
      assert.equal(digestMatches(d.fields, row), true);
      assert.equal(digestMatches(d.fields, { ...row, sells: 0n }), false);
      assert.equal(digestMatches(d.fields, { ...row, max_us: 1723161256344000n }), false);
      assert.equal(digestMatches(d.fields, { ...row, sum_qty: 0.2061 }), false);
      assert.equal(digestMatches(d.fields, { ...row, max_id: 7n }), false);
    });

    it('reads the digest of what DuckDB stored for one import only: count, sells, time and id range, sums', async () => {
      const { DIGEST_SQL } = await import('../../src/store/bulk-load.ts');
      const store = await openTempStore();
      await store.run('BEGIN TRANSACTION');
      try {
        await store.run(`INSERT INTO trades VALUES
          ('binance', 'BTCUSDT', make_timestamp(1723161256322000), NULL, 61800.5, 0.25, 'buy', 5, NULL, 901),
          ('binance', 'BTCUSDT', make_timestamp(1723161256344500), NULL, 61800.25, 0.5, 'sell', 6, NULL, 901),
          ('binance', 'BTCUSDT', make_timestamp(1723161256350000), NULL, 61800.75, 0.125, 'sell', 7, NULL, 901),
          ('binance', 'BTCUSDT', make_timestamp(1723161256360000), NULL, 1.5, 9.0, 'sell', 99, NULL, 902)`);
        const [db] = await store.rows<Record<string, unknown>>(DIGEST_SQL, [901]);
        assert.deepEqual({ ...db }, { n: 3n, sells: 2n, min_us: 1723161256322000n, max_us: 1723161256350000n, min_id: 5n, max_id: 7n, sum_price: 185401.5, sum_qty: 0.875 });
      } finally {
        await store.run('ROLLBACK');
      }
    });
  });
}
