/**
 * The downloader against the loopback archive server: whole flow into a store, resume, Range
 * ignored, checksum refused, 404s, retries, skipping, Bybit's gzip check.
 * Archives are built from the real-format fixture rows (test/fixtures/binance, test/fixtures/bybit).
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { planDownload } from '../../../src/venues/download/plan.ts';
import { storeHooks } from '../../../src/venues/download/store-hooks.ts';
import { InstrumentRegistry, type Instrument } from '../../../src/core/instruments.ts';
import { Store } from '../../../src/store/store.ts';
import { downloadFiles, type DownloadEvent, type DownloadOptions, type FileResult } from '../../../src/venues/download/downloader.ts';
import { planBinance, planBybit, type PlannedFile } from '../../../src/venues/download/layout.ts';
import { startMockArchiveServer, type MockArchiveServer } from '../../../src/venues/download/mock-archive-server.ts';
import { loadBundledInstruments } from '../../../src/venues/bundled-instruments.ts';
import { tableCounts, tempDir, writeZip } from '../../helpers/store.ts';

const FIXTURES = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const DAY = 86_400_000;

function fixtureLines(rel: string): string[] {
  return readFileSync(join(FIXTURES, rel), 'utf8').split('\n').filter((l) => l.trim() !== '');
}

/** The 41 real-format aggTrades rows of 2024-08-08, moved to `day` (times and ids shifted). */
function aggTradesRows(day: string): string[] {
  const shift = (Date.parse(`${day}T00:00:00Z`) - Date.parse('2024-08-08T00:00:00Z')) / DAY;
  return fixtureLines('binance/archive/BTCUSDT-aggTrades-2024-08-08.csv')
    .slice(1)
    .map((l) => {
      const c = l.split(',');
      const id = (n: string) => String(Number(n) + shift * 1_000_000);
      return [id(c[0]), c[1], c[2], id(c[3]), id(c[4]), String(Number(c[5]) + shift * DAY), c[6]].join(',');
    });
}

const AGG_HEADER = fixtureLines('binance/archive/BTCUSDT-aggTrades-2024-08-08.csv')[0];

/** The quoted real metrics row, as BTCUSDT on `day`, every 5 minutes for `n` rows. */
function metricsCsv(day: string, n: number): string {
  const [header, row] = fixtureLines('binance/archive/quoted/ACEUSDT-metrics-2025-01-21.csv');
  const c = row.split(',');
  const rows = Array.from({ length: n }, (_, i) => {
    const t = new Date(Date.parse(`${day}T00:05:00Z`) + i * 300_000).toISOString().slice(0, 19).replace('T', ' ');
    return [t, 'BTCUSDT', ...c.slice(2)].join(',');
  });
  return [header, ...rows].join('\n') + '\n';
}

function zipOf(entryName: string, csv: string): Buffer {
  const tmp = join(tempDir(), entryName.replace(/\.csv$/, '.zip'));
  writeZip(tmp, { [entryName]: csv });
  return readFileSync(tmp);
}

/** Put an archive file at its planned path (Binance: zip + .CHECKSUM). */
function putFile(server: MockArchiveServer, file: PlannedFile, csv: string): Buffer {
  const body = file.venue === 'binance' ? zipOf(file.name.replace(/\.zip$/, '.csv'), csv) : gzipSync(csv);
  server.put(file.path, body);
  return body;
}

const binanceAgg = (from: string, to: string) => planBinance({ market: 'um', kind: 'aggTrades', symbol: 'BTCUSDT' }, from, to);

function putAggDay(server: MockArchiveServer, day: string): { file: PlannedFile; body: Buffer; rows: number } {
  const [file] = binanceAgg(day, day);
  const rows = aggTradesRows(day);
  return { file, body: putFile(server, file, [AGG_HEADER, ...rows].join('\n') + '\n'), rows: rows.length };
}

const BTCUSD_PERP: Instrument = {
  venue: 'binance', symbol: 'BTCUSD_PERP', base: 'BTC', quote: 'USD', kind: 'perpetual', contractType: 'inverse', tickSize: 0.1, lotSize: 1,
  contractValue: 100, minNotional: 0, maxLeverage: 125, tiers: [], makerFee: 0.0002, takerFee: 0.0005,
};

interface Harness {
  readonly server: MockArchiveServer;
  readonly store: Store;
  readonly dl: string;
  run(files: readonly PlannedFile[], over?: Partial<DownloadOptions>): Promise<{ results: FileResult[]; bytes: number; events: DownloadEvent[]; fetched: number }>;
}

async function harness(): Promise<Harness> {
  const dir = tempDir('orderflow-download-');
  const server = await startMockArchiveServer({ root: join(dir, 'archive') });
  after(() => server.close());
  const store = await Store.open(join(dir, 'home'));
  after(() => store.close());
  const instruments = new InstrumentRegistry([...loadBundledInstruments().all(), BTCUSD_PERP]);
  const dl = join(dir, 'downloads');
  return {
    server, store, dl,
    async run(files, over = {}) {
      const events: DownloadEvent[] = [];
      const s = await downloadFiles(files, {
        baseUrl: server.url, dir: dl, concurrency: 3, retry: { retries: 3, retryBaseMs: 5, timeoutMs: 5_000 },
        hooks: storeHooks(store, instruments), onEvent: (e) => events.push(e), ...over,
      });
      const order = new Map(files.map((f, i) => [f.name, i]));
      const results = [...s.results].sort((a, b) => (order.get(a.name) ?? 1e9) - (order.get(b.name) ?? 1e9) || a.name.localeCompare(b.name));
      return { results, bytes: s.bytes, events, fetched: s.fetched };
    },
  };
}

const byName = (results: FileResult[], name: string) => results.find((r) => r.name === name)!;
const zipGets = (server: MockArchiveServer) => server.log.filter((r) => r.method === 'GET' && r.path.endsWith('.zip'));

describe('downloader: whole flow', () => {
  it('downloads monthly and daily files, verifies, imports; row counts match the files; 404 days reported', async () => {
    const h = await harness();
    // July as one monthly file (three days of rows), August daily files for 08-05..08-10 only.
    const [july] = binanceAgg('2024-07-01', '2024-07-31');
    const julyRows = [...aggTradesRows('2024-07-01'), ...aggTradesRows('2024-07-15'), ...aggTradesRows('2024-07-31')];
    putFile(h.server, july, [AGG_HEADER, ...julyRows].join('\n') + '\n');
    let aggRows = julyRows.length;
    for (const d of ['05', '06', '07', '08', '09', '10']) aggRows += putAggDay(h.server, `2024-08-${d}`).rows;
    const metricsFiles = planBinance({ market: 'um', kind: 'metrics', symbol: 'BTCUSDT' }, '2024-08-09', '2024-08-10');
    for (const f of metricsFiles) putFile(h.server, f, metricsCsv(f.label, 12));

    const plan = planDownload({ venue: 'binance', symbols: ['BTCUSDT'], kinds: ['aggTrades', 'metrics'], from: '2024-07-01', to: '2024-08-11', importing: true });
    const { results, bytes, fetched } = await h.run(plan.files);

    const aggFiles = plan.files.filter((f) => f.kind === 'aggTrades');
    assert.deepEqual(aggFiles.map((f) => f.label).slice(0, 2), ['2024-07', '2024-08-01'], 'July monthly, August daily');
    const downloaded = results.filter((r) => r.status === 'downloaded');
    assert.equal(downloaded.length, 1 + 6 + 2);
    assert.equal(fetched, 9);
    for (const r of downloaded) {
      assert.equal(r.verified, 'sha256');
      assert.equal(r.import?.status, 'imported', `${r.name}: ${JSON.stringify(r.import)}`);
      assert.ok(existsSync(r.path) && existsSync(`${r.path}.CHECKSUM`) && !existsSync(`${r.path}.part`));
      assert.equal(readFileSync(r.path).length, r.size);
    }
    const checksumBytes = results.filter((r) => r.sha256).length * (64 + 2 + 'BTCUSDT-aggTrades-2024-08-05.zip'.length + 1);
    assert.ok(Math.abs(bytes - downloaded.reduce((s, r) => s + r.size!, 0) - checksumBytes) < 20, 'bytes = files + their .CHECKSUMs');
    // The kept path mirrors the archive.
    assert.ok(byName(results, 'BTCUSDT-aggTrades-2024-07.zip').path.endsWith(join('data', 'futures', 'um', 'monthly', 'aggTrades', 'BTCUSDT', 'BTCUSDT-aggTrades-2024-07.zip')));

    const counts = await tableCounts(h.store);
    assert.equal(counts.trades, aggRows, 'every aggTrades row of every file is in the store');
    assert.equal(counts.tickers, 2 * 12, 'every metrics row');
    assert.equal(counts.imports, 9);
    const rowsImported = downloaded.reduce((s, r) => s + (r.import?.status === 'imported' ? r.import.rows : 0), 0);
    assert.equal(rowsImported, aggRows + 24);

    // Days the archive does not have: reported per file, not fatal.
    const missing = results.filter((r) => r.status === 'missing');
    assert.equal(missing.length, 4 + 39);
    const m = byName(results, 'BTCUSDT-aggTrades-2024-08-01.zip');
    assert.equal(m.error?.code, 'E_NOT_FOUND');
    assert.match(m.error!.message, /BTCUSDT-aggTrades-2024-08-01\.zip\.CHECKSUM: not published \(HTTP 404\)/);
    assert.equal(results.filter((r) => r.status === 'failed').length, 0);
  });

  it('a second run downloads nothing: files here are verified locally, with no request at all', async () => {
    const h = await harness();
    for (const d of ['01', '02', '03']) putAggDay(h.server, `2024-08-${d}`);
    const files = binanceAgg('2024-08-01', '2024-08-03');
    const first = await h.run(files);
    assert.equal(first.results.filter((r) => r.status === 'downloaded').length, 3);
    const requests = h.server.log.length;
    const second = await h.run(files);
    assert.equal(second.bytes, 0);
    assert.equal(h.server.log.length, requests, 'no request: the kept .CHECKSUM verifies the kept file');
    for (const r of second.results) {
      assert.equal(r.status, 'present');
      assert.equal(r.import?.status, 'already-imported');
    }
    assert.equal((await tableCounts(h.store)).trades, 3 * 41);
  });

  it('skips files the store already imported, without downloading them again', async () => {
    const h = await harness();
    putAggDay(h.server, '2024-08-01');
    const files = binanceAgg('2024-08-01', '2024-08-01');
    await h.run(files);
    const gets = zipGets(h.server).length;
    // Another download folder: nothing local, but the ledger has the sha256 the archive publishes.
    const again = await h.run(files, { dir: join(h.dl, 'elsewhere') });
    assert.equal(again.results[0].status, 'already-imported');
    assert.equal(zipGets(h.server).length, gets, 'the zip was not fetched again');
    assert.equal(again.fetched, 1);
  });

  it('falls back to daily files when a monthly file is not published', async () => {
    const h = await harness();
    putAggDay(h.server, '2024-06-03');
    putAggDay(h.server, '2024-06-04');
    const files = binanceAgg('2024-06-01', '2024-06-30');
    assert.equal(files.length, 1);
    const { results } = await h.run(files);
    const monthly = byName(results, 'BTCUSDT-aggTrades-2024-06.zip');
    assert.equal(monthly.status, 'missing');
    assert.match(monthly.note!, /fetching the 30 daily files of 2024-06 instead/);
    assert.equal(results.length, 31);
    assert.deepEqual(results.filter((r) => r.status === 'downloaded').map((r) => r.date).sort(), ['2024-06-03', '2024-06-04']);
    assert.equal((await tableCounts(h.store)).trades, 82);
  });

  it('imports COIN-M liquidationSnapshot files (contracts converted with the instrument)', async () => {
    const h = await harness();
    const plan = planDownload({ venue: 'binance', symbols: ['BTCUSDT'], kinds: ['liquidationSnapshot'], from: '2024-10-14', to: '2024-10-15', importing: true });
    assert.equal(plan.files[0].path, 'data/futures/cm/daily/liquidationSnapshot/BTCUSD_PERP/BTCUSD_PERP-liquidationSnapshot-2024-10-14.zip');
    putFile(h.server, plan.files[0], readFileSync(join(FIXTURES, 'binance/archive/quoted/BTCUSD_PERP-liquidationSnapshot-2024-10-14.csv'), 'utf8'));
    const { results } = await h.run(plan.files);
    assert.equal(results[0].import?.status, 'imported', JSON.stringify(results[0].import));
    assert.equal((await tableCounts(h.store)).liquidations, 1);
  });
});

describe('downloader: resume and faults', () => {
  it('resumes a cut download on the next run with Range; the file ends byte-identical', async () => {
    const h = await harness();
    const { file, body } = putAggDay(h.server, '2024-08-08');
    h.server.faults.cutAfterBytes = 300;
    const first = await h.run([file], { retry: { retries: 0, retryBaseMs: 5, timeoutMs: 5_000 } });
    assert.equal(first.results[0].status, 'failed');
    assert.equal(first.results[0].error?.code, 'E_NETWORK');
    const part = join(h.dl, ...file.path.split('/')) + '.part';
    const kept = statSync(part).size;
    assert.equal(kept, 300, 'every byte received before the cut is kept');
    assert.ok(!existsSync(join(h.dl, ...file.path.split('/'))), 'an incomplete file is never the file');
    assert.equal((await tableCounts(h.store)).imports, 0);

    h.server.faults.cutAfterBytes = undefined;
    const second = await h.run([file]);
    const r = second.results[0];
    assert.equal(r.status, 'downloaded');
    assert.equal(r.resumedFrom, kept);
    const last = zipGets(h.server).at(-1)!;
    assert.equal(last.range, `bytes=${kept}-`);
    assert.equal(last.status, 206);
    assert.equal(last.bytes, body.length - kept);
    assert.deepEqual(readFileSync(r.path), body);
    assert.equal(r.import?.status, 'imported');
    assert.equal((await tableCounts(h.store)).trades, 41);
  });

  it('resumes within the run when the connection drops and retries remain', async () => {
    const h = await harness();
    const { file, body } = putAggDay(h.server, '2024-08-08');
    Object.assign(h.server.faults, { cutAfterBytes: 250, cutTimes: 1 });
    const { results } = await h.run([file]);
    assert.equal(results[0].status, 'downloaded');
    assert.equal(results[0].attempts, 2);
    const gets = zipGets(h.server);
    assert.deepEqual(gets.map((g) => [g.range, g.status, g.cut]), [[undefined, 200, true], ['bytes=250-', 206, false]]);
    assert.deepEqual(readFileSync(results[0].path), body);
  });

  it('restarts from 0 when the server ignores Range (200), and still verifies', async () => {
    const h = await harness();
    const { file, body } = putAggDay(h.server, '2024-08-08');
    Object.assign(h.server.faults, { cutAfterBytes: 400, cutTimes: 1 });
    await h.run([file], { retry: { retries: 0, retryBaseMs: 5, timeoutMs: 5_000 } });
    h.server.faults.ignoreRange = true;
    const { results } = await h.run([file]);
    const r = results[0];
    assert.equal(r.status, 'downloaded');
    assert.equal(r.rangeIgnored, true);
    const last = zipGets(h.server).at(-1)!;
    assert.match(last.range!, /^bytes=\d+-$/);
    assert.equal(last.status, 200);
    assert.deepEqual(readFileSync(r.path), body);
    assert.equal(r.bytes > body.length - 1, true, 'the whole body came again');
  });

  it('refetches from 0 when a resumed part does not verify (bytes from another version)', async () => {
    const h = await harness();
    const { file, body } = putAggDay(h.server, '2024-08-08');
    const path = join(h.dl, ...file.path.split('/'));
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(path, '..'), { recursive: true });
    writeFileSync(`${path}.part`, Buffer.alloc(100, 0x41)); // 100 wrong bytes
    const { results } = await h.run([file]);
    assert.equal(results[0].status, 'downloaded');
    assert.deepEqual(readFileSync(path), body);
    assert.deepEqual(zipGets(h.server).map((g) => g.range), ['bytes=100-', undefined]);
  });

  it('refuses a file whose sha256 does not match its .CHECKSUM: named, not kept, nothing imported', async () => {
    const h = await harness();
    putAggDay(h.server, '2024-08-07');
    const { file } = putAggDay(h.server, '2024-08-08');
    h.server.faults.wrongChecksum = '2024-08-08';
    const { results, fetched } = await h.run(binanceAgg('2024-08-07', '2024-08-08'));
    const bad = byName(results, file.name);
    assert.equal(bad.status, 'failed');
    assert.equal(bad.error?.code, 'E_CHECKSUM');
    assert.match(bad.error!.message, /BTCUSDT-aggTrades-2024-08-08\.zip: sha256 [0-9a-f]{64} does not match BTCUSDT-aggTrades-2024-08-08\.zip\.CHECKSUM/);
    assert.equal(bad.import, undefined);
    const path = join(h.dl, ...file.path.split('/'));
    for (const p of [path, `${path}.part`, `${path}.CHECKSUM`]) assert.ok(!existsSync(p), `${p} must not be kept`);
    assert.equal(fetched, 1, 'the good day still came');
    const counts = await tableCounts(h.store);
    assert.equal(counts.imports, 1);
    assert.equal(counts.trades, 41, 'only the good day');
  });

  it('retries 500s with backoff and then succeeds', async () => {
    const h = await harness();
    const { file } = putAggDay(h.server, '2024-08-08');
    h.server.faults.failFirst = 3;
    const { results, events } = await h.run([file]);
    assert.equal(results[0].status, 'downloaded');
    assert.deepEqual(h.server.log.map((r) => r.status), [500, 500, 500, 200, 200]);
    assert.equal(events.filter((e) => e.type === 'retry').length, 3);
  });

  it('gives up after the retries and reports the HTTP status', async () => {
    const h = await harness();
    const { file } = putAggDay(h.server, '2024-08-08');
    h.server.faults.failFirst = 100;
    const { results, fetched } = await h.run([file], { retry: { retries: 2, retryBaseMs: 1, timeoutMs: 5_000 } });
    assert.equal(results[0].status, 'failed');
    assert.equal(results[0].error?.code, 'E_HTTP');
    assert.match(results[0].error!.message, /HTTP 500/);
    assert.equal(h.server.log.length, 3);
    assert.equal(fetched, 0);
  });
});

describe('downloader: Bybit trading archive', () => {
  const bybitCsv = (day: string) => {
    const [header, ...rows] = fixtureLines('bybit/BTCUSDT2026-08-09.csv');
    const shift = (Date.parse(`${day}T00:00:00Z`) - Date.parse('2026-08-09T00:00:00Z')) / 1000;
    return { csv: [header, ...rows.map((r) => { const c = r.split(','); c[0] = (Number(c[0]) + shift).toFixed(3).replace(/\.?0+$/, ''); return c.join(','); })].join('\n') + '\n', rows: rows.length };
  };

  it('downloads .csv.gz files, checks them by decompressing, imports, and skips by ledger name+size', async () => {
    const h = await harness();
    const files = planBybit('BTCUSDT', '2026-08-09', '2026-08-11');
    let rows = 0;
    for (const f of files.slice(0, 2)) {
      const b = bybitCsv(f.label);
      rows += b.rows;
      putFile(h.server, f, b.csv);
    }
    const { results } = await h.run(files);
    assert.deepEqual(results.map((r) => r.status), ['downloaded', 'downloaded', 'missing']);
    assert.equal(results[0].verified, 'gzip');
    assert.equal(results[0].path.endsWith(join('trading', 'BTCUSDT', 'BTCUSDT2026-08-09.csv.gz')), true);
    assert.equal((await tableCounts(h.store)).trades, rows);
    assert.equal(results[0].import?.status, 'imported');

    const again = await h.run(files, { dir: join(h.dl, 'other') });
    assert.deepEqual(again.results.map((r) => r.status), ['already-imported', 'already-imported', 'missing']);
    assert.ok(h.server.log.some((r) => r.method === 'HEAD'));
  });

  it('refuses a truncated .gz (no checksum to compare with) and imports nothing', async () => {
    const h = await harness();
    const [f] = planBybit('BTCUSDT', '2026-08-09', '2026-08-09');
    const gz = gzipSync(bybitCsv('2026-08-09').csv);
    h.server.put(f.path, gz.subarray(0, gz.length - 20));
    const { results } = await h.run([f]);
    assert.equal(results[0].status, 'failed');
    assert.equal(results[0].error?.code, 'E_TRUNCATED');
    assert.match(results[0].error!.message, /BTCUSDT2026-08-09\.csv\.gz: the download is not a complete gzip file/);
    assert.equal((await tableCounts(h.store)).imports, 0);
    assert.ok(!existsSync(join(h.dl, 'trading', 'BTCUSDT', 'BTCUSDT2026-08-09.csv.gz.part')));
  });
});
