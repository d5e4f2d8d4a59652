/**
 * Importing the published `.zip` archives: the entry is loaded by DuckDB in segments
 * while the byte scanner validates it, and hostile zips (bombs, lying sizes, path-traversal
 * names, truncation) fail fast with what they are, leaving no rows and no file behind.
 */
import assert from 'node:assert/strict';
import { spawnSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { gzipSync } from 'node:zlib';
import { FileError, ParseError } from '../../src/core/errors.ts';
import { removeStaleTmp } from '../../src/store/tmp-files.ts';
import { importInto, openTempStore, tableCounts, tempDir, writeZip } from '../helpers/store.ts';

const FIXTURES = new URL('../fixtures/binance/archive/', import.meta.url).pathname;
/** Real captured BTCUSDT trades in the USD-M aggTrades archive layout (see the fixture README). */
const AGG = readFileSync(join(FIXTURES, 'BTCUSDT-aggTrades-2024-08-08.csv'), 'utf8');
const [HEADER, ...ROWS] = AGG.trimEnd().split('\n');
const ENTRY = 'BTCUSDT-aggTrades-2024-08-08.csv';

/**
 * n rows made from the real ones: their prices, sizes and sides in turn, with ids and times
 * moving forward, so a file spans many inflate chunks (and DuckDB is mid-read when one is bad).
 */
function manyRows(n: number): string[] {
  const out: string[] = [];
  const first = ROWS[0].split(',');
  let id = Number(first[0]);
  let t = Number(first[5]);
  for (let i = 0; i < n; i++) {
    const c = ROWS[i % ROWS.length].split(',');
    c[0] = String(id++);
    c[5] = String((t += 3));
    out.push(c.join(','));
  }
  return out;
}

/** The zip's bytes with the entry's declared uncompressed size replaced (local and central). */
function declaring(zip: Buffer, size: number): Buffer {
  const out = Buffer.from(zip);
  out.writeUInt32LE(size, 22); // local header of the only entry, at offset 0
  const central = out.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
  out.writeUInt32LE(size, central + 24);
  return out;
}

function zipBytes(dir: string, entries: Record<string, string | Buffer>): Buffer {
  const path = join(dir, 'scratch.zip');
  writeZip(path, entries);
  return readFileSync(path);
}

async function refused(p: Promise<unknown>): Promise<FileError | ParseError> {
  let err: unknown;
  await assert.rejects(p, (e: unknown) => ((err = e), true));
  assert.ok(err instanceof FileError || err instanceof ParseError, `unexpected error ${String(err)}`);
  return err;
}

/** Nothing was stored and nothing is left in the store's tmp folder. */
async function leftNothing(store: Awaited<ReturnType<typeof openTempStore>>): Promise<void> {
  const counts = await tableCounts(store);
  assert.equal(counts.trades, 0);
  assert.equal(counts.imports, 0);
  let tmp: string[] = [];
  try {
    tmp = readdirSync(join(store.home, 'tmp'));
  } catch {
    // never created
  }
  assert.deepEqual(tmp, [], 'tmp folder is empty');
}

describe('zip import in segments', () => {
  // 4 MB CSV segments (csv route) or 50,000-row Parquet segments (parquet route, the default),
  // so a test file of a few MB spans several.
  process.env.ORDERFLOW_ZIP_SEGMENT_MB = '4';
  process.env.ORDERFLOW_PARQUET_SEGMENT_ROWS = '50000';

  for (const route of ['parquet', 'csv']) {
    it(`loads a zip of several segments through DuckDB exactly as the plain CSV, leaving no file behind (${route} route)`, () => withRoute(route, async () => {
      const dir = tempDir();
      const text = [HEADER, ...manyRows(150_000)].join('\n') + '\n'; // ~10 MB: three segments
      const zip = join(dir, 'BTCUSDT-aggTrades-2024-08-08.zip');
      writeZip(zip, { [ENTRY]: text });
      const csv = join(dir, ENTRY);
      writeFileSync(csv, text);
      const viaZip = await openTempStore();
      const viaCsv = await openTempStore();
      const progress: number[] = [];
      const z = await importInto(viaZip, zip, { onProgress: (p) => progress.push(p.bytes / p.totalBytes) });
      const c = await importInto(viaCsv, csv);
      assert.equal(z.method, 'bulk');
      assert.equal(z.rows, 150_000);
      assert.ok(progress.length > 1 && progress.at(-1)! > 0.9 && progress.at(-1)! <= 1, `progress ${progress.slice(-3)}`);
      const all = 'SELECT venue, symbol, ts, price, qty, side, trade_id FROM trades ORDER BY trade_id';
      assert.deepEqual(await viaZip.rows(all), await viaCsv.rows(all));
      assert.equal(c.rows, z.rows);
      assert.deepEqual(readdirSync(join(viaZip.home, 'tmp')), []);
    }));

    it(`names a bad row in a later segment by zip!entry:line, after DuckDB loaded the first, and writes nothing (${route} route)`, () => withRoute(route, async () => {
      const store = await openTempStore();
      const dir = tempDir();
      const rows = manyRows(150_000);
      rows[140_000] = rows[140_000].replace(/,(true|false)$/, ',perhaps');
      const zip = join(dir, 'BTCUSDT-aggTrades-2024-08-08.zip');
      writeZip(zip, { [ENTRY]: [HEADER, ...rows].join('\n') });
      const e = await refused(importInto(store, zip));
      assert.equal(e.code, 'E_SIDE');
      assert.equal((e as ParseError).where, `${zip}!${ENTRY}:140002`);
      await leftNothing(store);
    }));
  }

  it('hashes a zip new to the store as part of its load (beside the digest query): the ledger holds the whole file\'s sha256, and the same bytes under another path add nothing', async () => {
    const dir = tempDir();
    const text = [HEADER, ...manyRows(150_000)].join('\n') + '\n';
    const zip = join(dir, 'BTCUSDT-aggTrades-2024-08-08.zip');
    writeZip(zip, { [ENTRY]: text });
    const store = await openTempStore();
    const r = await importInto(store, zip);
    assert.equal(r.method, 'bulk');
    const [{ sha256 }] = await store.rows<{ sha256: string }>('SELECT sha256 FROM imports');
    assert.equal(sha256, createHash('sha256').update(readFileSync(zip)).digest('hex'));
    // A path never imported is hashed as part of the load too: the ledger is checked before commit.
    mkdirSync(join(dir, 'again'));
    const copy = join(dir, 'again', 'BTCUSDT-aggTrades-2024-08-08.zip');
    copyFileSync(zip, copy);
    const again = await importInto(store, copy);
    assert.equal(again.status, 'already-imported');
    assert.equal(again.importId, r.importId);
    const counts = await tableCounts(store);
    assert.equal(counts.trades, 150_000);
    assert.equal(counts.imports, 1);
    assert.deepEqual(readdirSync(join(store.home, 'tmp')), []);
  });

  it('stores a file the scanner gives up on after DuckDB loaded some Parquet segments exactly once, on the streaming path, leaving no segment', async () => {
    // A row in the third segment ends in CRLF: the line parsers accept it, the scanner does not,
    // so the segments already inserted must be rolled back with the rest of the bulk attempt.
    const dir = tempDir();
    const rows = manyRows(150_000);
    rows[120_000] += '\r';
    const text = [HEADER, ...rows].join('\n') + '\n';
    const zip = join(dir, 'BTCUSDT-aggTrades-2024-08-08.zip');
    writeZip(zip, { [ENTRY]: text });
    for (const file of [writeFileAt(join(dir, ENTRY), text), zip]) {
      const store = await openTempStore();
      const r = await importInto(store, file);
      assert.equal(r.method, 'stream', file);
      assert.equal(r.rows, 150_000);
      const [{ n, ids }] = await store.rows<{ n: bigint; ids: bigint }>('SELECT count(*) AS n, count(DISTINCT trade_id) AS ids FROM trades');
      assert.equal(Number(n), 150_000);
      assert.equal(Number(ids), 150_000);
      assert.deepEqual(readdirSync(join(store.home, 'tmp')), []);
    }
  });

  it('imports a zip the scanner gives up on (CRLF line ends) with the same rows as its plain CSV', async () => {
    const dir = tempDir();
    const text = [HEADER, ...manyRows(5_000)].join('\r\n');
    const zip = join(dir, 'BTCUSDT-aggTrades-2024-08-08.zip');
    writeZip(zip, { [ENTRY]: text });
    const store = await openTempStore();
    const r = await importInto(store, zip);
    assert.equal(r.rows, 5_000);
    const [{ n, ids }] = await store.rows<{ n: bigint; ids: bigint }>('SELECT count(*) AS n, count(DISTINCT trade_id) AS ids FROM trades');
    assert.equal(Number(n), 5_000);
    assert.equal(Number(ids), 5_000);
  });

  it('reads a zip of several files on the streaming path, every entry, and a CSV inside a folder entry', async () => {
    const dir = tempDir();
    const two = join(dir, 'BTCUSDT-aggTrades-2024-08.zip');
    const rows = manyRows(250);
    const [a, b] = [rows.slice(0, 100), rows.slice(100)];
    writeZip(two, { 'BTCUSDT-aggTrades-2024-08-08.csv': [HEADER, ...a].join('\n'), 'BTCUSDT-aggTrades-2024-08-09.csv': [HEADER, ...b].join('\n') });
    const store = await openTempStore();
    const r = await importInto(store, two);
    assert.equal(r.method, 'stream');
    assert.equal(r.rows, 250);
    const nested = join(dir, 'BTCUSDT-aggTrades-2024-08-10.zip');
    writeZip(nested, { 'data/': '', [`data/${ENTRY}`]: AGG });
    const r2 = await importInto(await openTempStore(), nested);
    assert.equal(r2.rows, ROWS.length);
  });

  it('refuses a zip whose entry inflates to the declared size with another CRC-32, writing nothing', async () => {
    const store = await openTempStore();
    const dir = tempDir();
    const text = [HEADER, ...manyRows(20_000)].join('\n') + '\n';
    const bytes = zipBytes(dir, { [ENTRY]: text });
    const central = bytes.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    const wrong = (bytes.readUInt32LE(central + 16) ^ 1) >>> 0; // as if one bit of the data had flipped
    bytes.writeUInt32LE(wrong, 14);
    bytes.writeUInt32LE(wrong, central + 16);
    const zip = join(dir, 'BTCUSDT-aggTrades-2024-08-08.zip');
    writeFileSync(zip, bytes);
    const e = await refused(importInto(store, zip));
    assert.equal(e.code, 'E_TRUNCATED');
    assert.match(e.message, /CRC-32/);
    await leftNothing(store);
  });

  it('reads a stored (uncompressed) entry as its plain CSV, and refuses one whose bytes do not match its CRC-32', async () => {
    const dir = tempDir();
    const rows = manyRows(20_000);
    const text = [HEADER, ...rows].join('\n') + '\n';
    const zip = join(dir, 'BTCUSDT-aggTrades-2024-08-08.zip');
    writeZip(zip, { [ENTRY]: text }, { stored: true });
    const r = await importInto(await openTempStore(), zip);
    assert.equal(r.rows, 20_000);
    const bytes = readFileSync(zip);
    // The first digit of the first row's quantity, 1 <-> 2: still a valid row, only the CRC-32 can tell.
    const at = bytes.indexOf(Buffer.from(text)) + HEADER.length + 1 + rows[0].split(',', 2).join(',').length + 1;
    assert.ok(bytes[at] >= 0x30 && bytes[at] <= 0x39, 'a digit');
    bytes[at] = bytes[at] === 0x31 ? 0x32 : 0x31;
    writeFileSync(zip, bytes);
    const store = await openTempStore();
    const e = await refused(importInto(store, zip));
    assert.equal(e.code, 'E_TRUNCATED');
    assert.match(e.message, /CRC-32/);
    await leftNothing(store);
  });

  it('refuses a zip whose entry ends short of its declared size as truncated, writing nothing', async () => {
    const store = await openTempStore();
    const dir = tempDir();
    const text = [HEADER, ...manyRows(20_000)].join('\n') + '\n';
    const zip = join(dir, 'BTCUSDT-aggTrades-2024-08-08.zip');
    writeFileSync(zip, declaring(zipBytes(dir, { [ENTRY]: text }), text.length + 1000));
    const e = await refused(importInto(store, zip));
    assert.equal(e.code, 'E_TRUNCATED');
    assert.match(e.message, /declares/);
    await leftNothing(store);
  });
});

describe('hostile archives', () => {
  it('refuses a zip of zeros by its compression ratio before inflating a byte, on both paths', async () => {
    const dir = tempDir();
    const zip = join(dir, 'BTCUSDT-aggTrades-2024-08-08.zip');
    writeZip(zip, { [ENTRY]: Buffer.alloc(48 << 20, 0x30) }); // 48 MB of '0' deflate to ~50 KB
    for (const over of [{}, { skipBadRows: true }]) {
      const store = await openTempStore();
      let progressed = 0;
      const e = await refused(importInto(store, zip, { ...over, onProgress: (p) => (progressed = Math.max(progressed, p.bytes)) }));
      assert.equal(e.code, 'E_ZIP_BOMB', JSON.stringify(over));
      assert.match(e.message, /declares 50331648 bytes/);
      assert.equal(progressed, 0, 'nothing was inflated');
      await leftNothing(store);
    }
  });

  it('stops at the line cap when a line grows past it after good rows, naming zip!entry:line', async () => {
    const store = await openTempStore();
    const dir = tempDir();
    const zip = join(dir, 'BTCUSDT-aggTrades-2024-08-08.zip');
    // 24 MB of random digits with no newline: compresses ~2:1, so only the line cap stops it.
    const digits = Buffer.alloc(24 << 20);
    let x = 12345;
    for (let i = 0; i < digits.length; i++) digits[i] = 48 + ((x = (x * 1103515245 + 12345) >>> 0) >>> 16) % 10;
    writeZip(zip, { [ENTRY]: Buffer.concat([Buffer.from([HEADER, ...ROWS.slice(0, 10)].join('\n') + '\n'), digits]) });
    let seen = 0;
    const e = await refused(importInto(store, zip, { onProgress: (p) => (seen = Math.max(seen, p.bytes / p.totalBytes)) }));
    assert.equal(e.code, 'E_LINE_TOO_LONG');
    assert.equal((e as ParseError).where, `${zip}!${ENTRY}:12`);
    assert.ok(seen < 0.05, `stopped after ${(seen * 100).toFixed(1)}% of the archive`);
    await leftNothing(store);
  });

  it('stops a plain or gzip trade archive at the line cap too, naming file:line', async () => {
    const dir = tempDir();
    const digits = Buffer.alloc(4 << 20, 0x35);
    const text = Buffer.concat([Buffer.from([HEADER, ...ROWS.slice(0, 3)].join('\n') + '\n'), digits, Buffer.from('\n')]);
    const csv = join(dir, ENTRY);
    writeFileSync(csv, text);
    const gz = join(dir, `BTCUSDT-aggTrades-2024-08-09.csv.gz`);
    writeFileSync(gz, gzipSync(text));
    for (const [path, where] of [[csv, `${csv}:5`], [gz, `${gz}!BTCUSDT-aggTrades-2024-08-09.csv:5`]]) {
      const store = await openTempStore();
      const e = await refused(importInto(store, path));
      assert.equal(e.code, 'E_LINE_TOO_LONG', path);
      assert.equal((e as ParseError).where, where);
      await leftNothing(store);
    }
  });

  it('refuses an entry that inflates past its declared size as a zip bomb, on the bulk and the streaming path', async () => {
    const dir = tempDir();
    const text = [HEADER, ...manyRows(20_000)].join('\n') + '\n';
    const zip = join(dir, 'BTCUSDT-aggTrades-2024-08-08.zip');
    writeFileSync(zip, declaring(zipBytes(dir, { [ENTRY]: text }), 100_000));
    for (const over of [{}, { skipBadRows: true }]) {
      const store = await openTempStore();
      const e = await refused(importInto(store, zip, over));
      assert.equal(e.code, 'E_ZIP_BOMB', JSON.stringify(over));
      assert.match(e.message, /100000 bytes/);
      await leftNothing(store);
    }
  });

  it('says a ../ or absolute entry name is a path-traversal or absolute name, not a corrupt archive', async () => {
    const dir = tempDir();
    const cases = [
      ['../BTCUSDT-aggTrades-2024-08-08.csv', /path-traversal entry name/],
      ['data/../../BTCUSDT-aggTrades-2024-08-08.csv', /path-traversal entry name/],
      ['/tmp/BTCUSDT-aggTrades-2024-08-08.csv', /absolute entry name/],
    ] as const;
    for (const [name, what] of cases) {
      const store = await openTempStore();
      const zip = join(dir, 'BTCUSDT-aggTrades-2024-08-08.zip');
      writeZip(zip, { [name]: AGG });
      const e = await refused(importInto(store, zip));
      assert.equal(e.code, 'E_ZIP_ENTRY_NAME', name);
      assert.match(e.message, what);
      assert.ok(e.message.includes(JSON.stringify(name)), e.message);
      await leftNothing(store);
    }
  });
});

describe('hostile zips, fuzzed', () => {
  it('any entry name with a .. component or a leading / is refused as such, naming it', async () => {
    const dir = tempDir();
    const store = await openTempStore();
    const segment = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/).filter((x) => x !== '..' && x !== '.');
    const hostile = fc.oneof(
      fc.tuple(fc.array(segment, { maxLength: 3 }), fc.array(segment, { maxLength: 3 })).map(([a, b]) => [...a, '..', ...b, ENTRY].join('/')),
      fc.array(segment, { maxLength: 3 }).map((a) => `/${[...a, ENTRY].join('/')}`),
    );
    await fc.assert(
      fc.asyncProperty(hostile, async (name) => {
        const zip = join(dir, 'BTCUSDT-aggTrades-2024-08-08.zip');
        writeZip(zip, { [name]: AGG });
        const e = await refused(importInto(store, zip));
        assert.equal(e.code, 'E_ZIP_ENTRY_NAME');
        assert.ok(e.message.includes(JSON.stringify(name)), e.message);
      }),
      { numRuns: 25 },
    );
    await leftNothing(store);
  });

  it('a zip cut anywhere or with any byte changed fails as a FileError or ParseError, or imports the same rows', async () => {
    const dir = tempDir();
    const text = [HEADER, ...manyRows(3_000)].join('\n') + '\n';
    const good = zipBytes(dir, { [ENTRY]: text });
    const reference = await openTempStore();
    const zip = join(dir, 'BTCUSDT-aggTrades-2024-08-08.zip');
    writeFileSync(zip, good);
    await importInto(reference, zip);
    const all = 'SELECT ts, price, qty, side, trade_id FROM trades ORDER BY trade_id';
    const want = await reference.rows(all);
    const damage = fc.oneof(
      fc.nat(good.length - 1).map((cut) => good.subarray(0, cut)),
      fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 1, max: 255 })).map(([at, x]) => {
        const b = Buffer.from(good);
        b[at] ^= x;
        return b;
      }),
    );
    await fc.assert(
      fc.asyncProperty(damage, async (bytes) => {
        const store = await openTempStore();
        const path = join(dir, 'BTCUSDT-aggTrades-2024-08-09.zip');
        writeFileSync(path, bytes);
        try {
          await importInto(store, path);
        } catch (e) {
          assert.ok(e instanceof FileError || e instanceof ParseError, `unexpected ${String(e)}`);
          await leftNothing(store);
          return;
        }
        // A change the archive does not protect (a name, a comment, a version field) changes nothing stored.
        assert.deepEqual(await store.rows(all), want);
      }),
      { numRuns: 40 },
    );
  });
});

describe('stale files in <home>/tmp', () => {
  it('an import removes what a killed import left, and keeps the files of live processes', async () => {
    const store = await openTempStore();
    const tmp = join(store.home, 'tmp');
    mkdirSync(tmp, { recursive: true });
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const deadPid = Number(dead.stdout);
    const live = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      const stale = `${deadPid}-1733000000000-BTCUSDT-aggTrades-2024-08-08.csv`; // an old-style extract
      const staleFifo = `${deadPid}-1733000000000-7-zip-entry.fifo`;
      const busy = `${live.pid}-1733000000000-3-zip-entry.fifo`;
      const mine = `${process.pid}-1733000000000-9-zip-entry.fifo`;
      const other = 'notes.txt';
      for (const f of [stale, staleFifo, busy, mine, other]) writeFileSync(join(tmp, f), 'x');
      const zip = join(tempDir(), 'BTCUSDT-aggTrades-2024-08-08.zip');
      writeZip(zip, { [ENTRY]: AGG });
      assert.equal((await importInto(store, zip)).method, 'bulk');
      assert.deepEqual(readdirSync(tmp).sort(), [busy, mine, other].sort());
      assert.deepEqual(removeStaleTmp(tmp), [], 'nothing else is stale');
    } finally {
      live.kill();
    }
  });
});

/** Run `fn` with the bulk load's route set (bulk-load.ts ORDERFLOW_BULK_ROUTE), then restore it. */
async function withRoute(route: string, fn: () => Promise<void>): Promise<void> {
  const prior = process.env.ORDERFLOW_BULK_ROUTE;
  process.env.ORDERFLOW_BULK_ROUTE = route;
  try {
    await fn();
  } finally {
    if (prior === undefined) delete process.env.ORDERFLOW_BULK_ROUTE;
    else process.env.ORDERFLOW_BULK_ROUTE = prior;
  }
}

function writeFileAt(path: string, text: string): string {
  writeFileSync(path, text);
  return path;
}
