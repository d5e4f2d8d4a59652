/**
 * `orderflow download` as a user runs it (bin/orderflow), against the loopback archive server.
 * The server lives in this process, so the CLI is spawned asynchronously.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { Store } from '../../../src/store/store.ts';
import { planBinance, planBybit } from '../../../src/venues/download/layout.ts';
import { startMockArchiveServer, type MockArchiveServer } from '../../../src/venues/download/mock-archive-server.ts';
import { tableCounts, tempDir, writeZip } from '../../helpers/store.ts';
import { BIN, ROOT } from '../../helpers/paths.ts';

const AGG = readFileSync(join(ROOT, 'test/fixtures/binance/archive/BTCUSDT-aggTrades-2024-08-08.csv'), 'utf8');
const AGG_ROWS = AGG.trim().split('\n').length - 1;

function run(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(BIN, args, { env: { ...process.env, CI: 'true', ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

async function server(): Promise<MockArchiveServer> {
  const s = await startMockArchiveServer({ root: join(tempDir(), 'archive') });
  after(() => s.close());
  return s;
}

/** BTCUSDT aggTrades for 2024-08-08 (the fixture's day) under that day's archive path. */
function putAgg(s: MockArchiveServer): void {
  const [f] = planBinance({ market: 'um', kind: 'aggTrades', symbol: 'BTCUSDT' }, '2024-08-08', '2024-08-08');
  const tmp = join(tempDir(), f.name);
  writeZip(tmp, { [f.name.replace('.zip', '.csv')]: AGG });
  s.put(f.path, readFileSync(tmp));
}

// Each case has its own archive server and folders, and mostly waits on the CLI: side by side.
describe('orderflow download', { concurrency: true }, () => {
  it('downloads, verifies and imports; prints JSON per file; a second run fetches nothing', async () => {
    const s = await server();
    putAgg(s);
    const home = join(tempDir(), 'home');
    const args = ['download', '--venue', 'binance', '--symbol', 'btcusdt', '--kinds', 'aggTrades,liquidationSnapshot', '--from', '2024-08-07', '--to', '2024-08-09', '--home', home, '--base-url', s.url];
    const first = await run([...args, '--json']);
    assert.equal(first.code, 0, first.err);
    const lines = first.out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, any>);
    assert.equal(lines.length, 4);
    const got = lines.find((l) => l.status === 'downloaded')!;
    assert.equal(got.name, 'BTCUSDT-aggTrades-2024-08-08.zip');
    assert.equal(got.verified, 'sha256');
    assert.deepEqual([got.import.status, got.import.rows, got.import.format], ['imported', AGG_ROWS, 'binance-um-aggTrades']);
    assert.ok(existsSync(join(home, 'downloads/binance/data/futures/um/daily/aggTrades/BTCUSDT/BTCUSDT-aggTrades-2024-08-08.zip')));
    const missing = lines.filter((l) => l.status === 'missing').map((l) => l.name).sort();
    assert.deepEqual(missing, ['BTCUSDT-aggTrades-2024-08-07.zip', 'BTCUSD_PERP-liquidationSnapshot-2024-08-07.zip', 'BTCUSD_PERP-liquidationSnapshot-2024-08-08.zip']);
    assert.match(first.err, /note: liquidationSnapshot is published for COIN-M futures only .*BTCUSD_PERP/);

    const second = await run(args);
    assert.equal(second.code, 0, second.err);
    assert.match(second.out, /4 files: 0 downloaded \(0 B in [\d.]+s\), 1 already here, 0 already in the store, 3 not published, 0 failed; 0 rows imported/);
    assert.match(second.err, /have +BTCUSDT-aggTrades-2024-08-08\.zip: already downloaded, sha256 ok; already imported/);
    assert.match(second.err, /missing +BTCUSDT-aggTrades-2024-08-07\.zip: BTCUSDT-aggTrades-2024-08-07\.zip\.CHECKSUM: not published \(HTTP 404\)/);

    const store = await Store.open(home);
    try {
      assert.equal((await tableCounts(store)).trades, AGG_ROWS);
    } finally {
      store.close();
    }
  });

  it('reads the base URL from ORDERFLOW_BYBIT_ARCHIVE_URL; --no-import keeps files in --dir and opens no store', async () => {
    const s = await server();
    const [f] = planBybit('BTCUSDT', '2026-08-09', '2026-08-09');
    s.put(f.path, gzipSync(readFileSync(join(ROOT, 'test/fixtures/bybit/BTCUSDT2026-08-09.csv'))));
    const dir = tempDir();
    const home = join(dir, 'home');
    const r = await run(['download', '--venue', 'bybit', '--symbol', 'BTCUSDT', '--from', '2026-08-09', '--to', '2026-08-10', '--no-import', '--dir', join(dir, 'files'), '--home', home], {
      ORDERFLOW_BYBIT_ARCHIVE_URL: `${s.url}/`,
    });
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /ok +BTCUSDT2026-08-09\.csv\.gz: .* gzip ok \(no checksum published\)/);
    assert.match(r.out, /1 files: 1 downloaded/);
    assert.ok(existsSync(join(dir, 'files/trading/BTCUSDT/BTCUSDT2026-08-09.csv.gz')));
    assert.ok(!existsSync(home), 'no store with --no-import');
  });

  it('exits 1 on a checksum mismatch, and when nothing at all could be fetched', async () => {
    const s = await server();
    putAgg(s);
    s.faults.wrongChecksum = true;
    const home = join(tempDir(), 'home');
    const base = ['download', '--venue', 'binance', '--symbol', 'BTCUSDT', '--home', home, '--base-url', s.url, '--retries', '0'];
    const [bad, none] = await Promise.all([
      run([...base, '--from', '2024-08-08', '--to', '2024-08-09']),
      run([...base, '--from', '2024-08-01', '--to', '2024-08-03', '--no-import']),
    ]);
    assert.equal(bad.code, 1);
    assert.match(bad.err, /FAILED +BTCUSDT-aggTrades-2024-08-08\.zip: E_CHECKSUM: BTCUSDT-aggTrades-2024-08-08\.zip: sha256 [0-9a-f]+ does not match/);
    assert.equal(none.code, 1);
    assert.match(none.err, /nothing could be fetched from http:\/\/127\.0\.0\.1:\d+: check the symbol, kinds and dates/);
  });

  it('refuses bad options with exit 2 and a message naming the option', async () => {
    const common = ['download', '--symbol', 'AKTUSDT', '--no-import', '--base-url', 'http://127.0.0.1:9'];
    const cases: [string[], RegExp][] = [
      [['--venue', 'binance', '--kinds', 'aggTrades,liquidations', '--from', '2024-11-01', '--to', '2024-11-14'], /--kinds: unknown binance archive kind "liquidations"; known: aggTrades, trades/],
      [['--venue', 'binance', '--from', '2024-11-14', '--to', '2024-11-01'], /--from 2024-11-14 must be before --to 2024-11-01 \(--to is exclusive/],
      [['--venue', 'kraken', '--from', '2024-11-01', '--to', '2024-11-14'], /--venue: unknown venue "kraken"; choose one of binance, bybit/],
    ];
    const results = await Promise.all(cases.map(([args]) => run([...common, ...args])));
    results.forEach((r, i) => {
      assert.equal(r.code, 2, `${cases[i][0].join(' ')}: ${r.err}`);
      assert.match(r.err, cases[i][1]);
      assert.equal(r.out, '');
    });
  });

  it('has help with examples', async () => {
    const h = await run(['download', '--help']);
    assert.equal(h.code, 0);
    assert.match(h.out, /Usage: orderflow download/);
    assert.match(h.out, /Examples:\n {2}\$ orderflow download --venue binance --symbol AKTUSDT/);
  });
});
