/**
 * How the Parquet route cuts the scanner's columns into segments for DuckDB: the first segment is
 * one row group, so DuckDB starts inserting while the scan is at its start; the next ones are
 * whole segments; every row reaches DuckDB once, in order, and no segment file is left behind.
 */
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ParquetSegments } from '../../src/store/parquet-segments.ts';
import { openTempStore, tempDir } from '../helpers/store.ts';

/** DuckDB's row group, the unit segments are cut in (parquet-segments.ts). */
const GROUP = 122_880;

describe('Parquet segments', () => {
  it('hands DuckDB a first segment of one row group, then segments of four, every row once and in order, leaving no file', async () => {
    delete process.env.ORDERFLOW_PARQUET_SEGMENT_ROWS; // the default: four row groups
    const store = await openTempStore();
    const tmp = join(tempDir(), 'tmp');
    const segments = new ParquetSegments(tmp, 'binance', 'BTCUSDT');
    const seen: { rows: number; first: number; last: number; ordered: boolean }[] = [];
    // DuckDB reads each segment as it is handed over (the file is removed once the insert ends).
    const insert = async (_sql: string, params: readonly string[]) => {
      const [r] = await store.rows<{ rows: bigint; first: number; last: number; ordered: boolean }>(
        `SELECT count(*) AS rows, first(id ORDER BY file_row_number) AS first, last(id ORDER BY file_row_number) AS last,
                bool_and(id = first_id + file_row_number) AS ordered
         FROM (SELECT *, first(id) OVER (ORDER BY file_row_number) AS first_id FROM read_parquet($1, file_row_number = true))`,
        [params[2]],
      );
      seen.push({ rows: Number(r.rows), first: Number(r.first), last: Number(r.last), ordered: r.ordered });
    };
    let id = 1_000;
    // What the scanner does: fill the columns, hand on a full row group, load what is complete.
    const scan = async (rows: number) => {
      for (let i = 0; i < rows; i++) {
        const k = segments.n++;
        segments.us[k] = 1_723_075_200_000_000 + id;
        segments.price[k] = 60_000 + (id % 100) / 10;
        segments.qty[k] = 0.001 * (1 + (id % 7));
        segments.sell[k] = id & 1;
        segments.id[k] = id++;
        if (segments.n === GROUP) {
          segments.full();
          await segments.loadReady(insert);
        }
      }
    };
    await scan(10 * GROUP + 1_000);
    assert.equal(await segments.finish(insert), undefined);
    assert.deepEqual(
      seen.map((s) => s.rows),
      [GROUP, 4 * GROUP, 4 * GROUP, GROUP + 1_000],
    );
    let next = 1_000;
    for (const s of seen) {
      assert.equal(s.first, next, 'segments follow each other');
      assert.ok(s.ordered, 'rows in scan order');
      next = s.last + 1;
    }
    assert.equal(next, id);
    assert.deepEqual(readdirSync(tmp), []);
  });

  it('stores the extreme ids and times the scanner accepts exactly (INT64 in the segment, BIGINT in the table)', async () => {
    const store = await openTempStore();
    const segments = new ParquetSegments(join(tempDir(), 'tmp'), 'binance', 'BTCUSDT');
    // 15-digit ids (the scanner's longest) and µs times up to the last before 2100 (its bound).
    const ids = [1, 123_456_789_012_345, 999_999_999_999_998, 999_999_999_999_999];
    const us = [Date.UTC(2009, 0, 1) * 1000, 1_723_075_200_123_457, Date.UTC(2099, 11, 31) * 1000 + 999, Date.UTC(2100, 0, 1) * 1000 - 1];
    for (let k = 0; k < ids.length; k++) {
      segments.us[k] = us[k];
      segments.price[k] = 1;
      segments.qty[k] = 1;
      segments.sell[k] = k & 1;
      segments.id[k] = ids[k];
    }
    segments.n = ids.length;
    const insert = (sql: string, params: readonly string[]) => store.run(sql, [...params, 7]);
    assert.equal(await segments.finish(insert), undefined);
    const rows = await store.rows<{ id: bigint; us: bigint }>('SELECT trade_id AS id, epoch_us(ts) AS us FROM trades WHERE import_id = 7 ORDER BY trade_id');
    assert.deepEqual(
      rows.map((r) => [r.id, r.us]),
      ids.map((id, k) => [BigInt(id), BigInt(us[k])]),
    );
  });
});
