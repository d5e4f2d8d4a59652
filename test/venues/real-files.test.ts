/**
 * Every real file the repository carries whole (test/helpers/real-data.ts: the team's data folder,
 * copied into test/fixtures/<venue>/) goes through `orderflow import`'s code path into a fresh
 * store: the format chosen and the rows per table are pinned. A copy stored as `.gz` is imported
 * as such, as a user's gzipped download would be.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ParseError } from '../../src/core/errors.ts';
import type { Store } from '../../src/store/store.ts';
import { REAL_FILES, realFile } from '../helpers/real-data.ts';
import { importInto, openTempStore, tableCounts } from '../helpers/store.ts';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

type Counts = Partial<Record<'trade' | 'liq' | 'bookmsg' | 'ticker' | 'kline', number>>;

/** File -> format id and rows per table (book: distinct messages). */
const EXPECTED: Record<string, [format: string, counts: Counts]> = {
  'binance-spot-aggTrades-BTCUSDT-2026-01-01-head5000.csv': ['binance-spot-aggTrades', { trade: 5000 }],
  'binance-um-depth-snap-BTCUSDT.csv': ['binance-um-tDepth', { bookmsg: 1 }],
  'binance-um-depth-update-BTCUSDT.csv': ['binance-um-tDepth', { bookmsg: 1 }],
  'binance-um-ws-aggTrade-2021-07-22.jsonl': ['binance-ws-capture', { trade: 91 }],
  'binance-um-ws-bookTicker-2021-07-22.jsonl': ['binance-ws-capture', { ticker: 613 }],
  'binance-um-ws-depthUpdate-100ms-2021-07-22.jsonl': ['binance-ws-capture', { bookmsg: 764 }],
  'binance-um-ws-kline_1m-2021-07-22.jsonl': ['binance-ws-capture', { kline: 8 }],
  'bybit-linear-ob500-XRPUSDT-2024-12-01.data.zip': ['bybit-ob-archive', { bookmsg: 50 }],
  'bybit-v5-linear-ws-kline1-2026-08-09.jsonl': ['bybit-ws-capture', { kline: 8 }],
  'bybit-v5-linear-ws-orderbook200-2026-08-09.jsonl': ['bybit-ws-capture', { bookmsg: 1598 }],
  'bybit-v5-linear-ws-publicTrade-2026-08-09.jsonl': ['bybit-ws-capture', { trade: 327 }],
  'bybit-v5-linear-ws-tickers-2026-08-09.jsonl': ['bybit-ws-capture', { ticker: 740 }],
  'freqtrade-binance-XRPUSDT-8h-funding_rate.json': ['freqtrade-funding-rate', { ticker: 91 }],
  'hftbacktest-binance-um-BTCUSDT-allstreams-20240808-head.txt': ['binance-ws-capture', { trade: 973, bookmsg: 514, ticker: 4760 }],
  'hftbacktest-binance-um-BTCUSDT-trade-20240808.txt': ['binance-ws-capture', { trade: 10000 }],
  'okx-v5-ws-books-2022-05-13.jsonl': ['okx-ws-capture', { bookmsg: 290 }],
  'okx-v5-ws-tickers-2022-05-13.jsonl': ['okx-ws-capture', { ticker: 28 }],
  'okx-v5-ws-trades-2022-05-13.jsonl': ['okx-ws-capture', { trade: 74 }],
  'tardis-binance-futures_book_snapshot_25_BTCUSDT.csv': ['tardis-book_snapshot_25', { bookmsg: 10 }],
  'tardis-binance-futures_book_snapshot_5_BTCUSDT.csv': ['tardis-book_snapshot_5', { bookmsg: 10 }],
  'tardisnode-binance-futures-ws-samples.jsonl': ['binance-ws-capture', { trade: 3, liq: 1, bookmsg: 2, ticker: 4 }],
  // BTCUSDU23 (l. 9-10) and XRPUSD (l. 13) are inverse: their sizes convert through the bundled instruments.
  'tardisnode-bybit-v5-ws-samples.jsonl': ['bybit-ws-capture', { trade: 4, liq: 4, bookmsg: 5, ticker: 5 }],
  'tardisnode-okex-futures-v5-ws-samples.jsonl': ['okx-ws-capture', { trade: 1, liq: 4, bookmsg: 2, ticker: 5 }],
};

/**
 * Files that import only with --skip-bad-rows: the lines skipped and why.
 *   - okex-swap: the two 2021 funding-rate frames (l. 2, 8) have no `ts`, and a plain JSONL
 *     capture has no receive time to stand in.
 */
const NEED_SKIP: Record<string, [format: string, counts: Counts, skipped: Record<string, number>, firstError: [code: string, field: string]]> = {
  'tardisnode-okex-swap-v5-ws-samples.jsonl': ['okx-ws-capture', { trade: 1, bookmsg: 1, ticker: 5 }, { E_FIELD: 2 }, ['E_FIELD', 'data[0].ts']],
};

async function counts(store: Store, importId: number): Promise<Counts> {
  const rows = await store.rows<{ t: keyof Counts; n: number }>(
    `SELECT 'trade' AS t, count(*)::INT AS n FROM trades WHERE import_id = $1
     UNION ALL SELECT 'liq', count(*)::INT FROM liquidations WHERE import_id = $1
     UNION ALL SELECT 'bookmsg', count(DISTINCT msg)::INT FROM book WHERE import_id = $1
     UNION ALL SELECT 'ticker', count(*)::INT FROM tickers WHERE import_id = $1
     UNION ALL SELECT 'kline', count(*)::INT FROM klines WHERE import_id = $1`,
    [importId],
  );
  return Object.fromEntries(rows.filter((r) => r.n > 0).map((r) => [r.t, r.n]));
}

describe('every real data file imports', () => {
  it('has an expectation for every real file, and every whole copy in test/fixtures/*/full/ is one of them', () => {
    assert.deepEqual(REAL_FILES, Object.keys({ ...EXPECTED, ...NEED_SKIP }).sort());
    const venues = readdirSync(FIXTURES).filter((v) => existsSync(`${FIXTURES}${v}/full`));
    const full = venues.flatMap((v) => readdirSync(`${FIXTURES}${v}/full`).map((f) => `${FIXTURES}${v}/full/${f}`));
    assert.deepEqual(full.sort(), REAL_FILES.map(realFile).filter((p) => p.includes('/full/')).sort());
  });

  for (const [file, [format, want]] of Object.entries(EXPECTED)) {
    it(`${file}: ${format}, ${JSON.stringify(want)}`, async () => {
      const store = await openTempStore();
      const r = await importInto(store, realFile(file));
      assert.equal(r.format, format);
      assert.equal(r.skipped, 0);
      assert.deepEqual(await counts(store, r.importId), want);
    });
  }

  for (const [file, [format, want, skipped, [code, field]]] of Object.entries(NEED_SKIP)) {
    it(`${file}: refused as a whole (${code} ${field}), imported with --skip-bad-rows`, async () => {
      const store = await openTempStore();
      await assert.rejects(importInto(store, realFile(file)), (e: unknown) => e instanceof ParseError && e.code === code && e.field === field);
      const r = await importInto(store, realFile(file), { skipBadRows: true });
      assert.equal(r.format, format);
      assert.deepEqual(r.skippedByCode, skipped);
      assert.deepEqual(await counts(store, r.importId), want);
    });
  }

  it('imports all of them into one store, and a second pass adds 0 rows', async () => {
    const store = await openTempStore();
    const files = Object.keys({ ...EXPECTED, ...NEED_SKIP }).sort();
    for (const f of files) assert.equal((await importInto(store, realFile(f), { skipBadRows: f in NEED_SKIP })).status, 'imported', f);
    const before = await tableCounts(store);
    for (const f of files) assert.equal((await importInto(store, realFile(f), { skipBadRows: f in NEED_SKIP })).status, 'already-imported', f);
    assert.deepEqual(await tableCounts(store), before);
    assert.equal(before.imports, files.length);
  });

  it('stores capture klines with their closed flag (4 closed and 4 open per capture)', async () => {
    const store = await openTempStore();
    for (const f of ['binance-um-ws-kline_1m-2021-07-22.jsonl', 'bybit-v5-linear-ws-kline1-2026-08-09.jsonl']) await importInto(store, realFile(f));
    const rows = await store.rows<{ venue: string; closed: boolean; n: number }>('SELECT venue, closed, count(*)::INT AS n FROM klines GROUP BY ALL ORDER BY ALL');
    assert.deepEqual(rows.map((r) => [r.venue, r.closed, r.n]), [['binance', false, 4], ['binance', true, 4], ['bybit', false, 4], ['bybit', true, 4]]);
  });
});
