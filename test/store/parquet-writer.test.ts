/**
 * The minimal Parquet writer behind the bulk load's Parquet route: DuckDB's own read_parquet must
 * read back exactly what was written, bit for bit, whatever the values and row-group splits.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ParquetWriter, type ParquetColumn } from '../../src/store/parquet-writer.ts';
import type { Store } from '../../src/store/store.ts';
import { openTempStore, tempDir } from '../helpers/store.ts';

const COLUMNS: readonly ParquetColumn[] = [
  { name: 'i', type: 'INT64' },
  { name: 'd', type: 'DOUBLE' },
  { name: 'b', type: 'BOOLEAN' },
];

/** Integers the writer takes: |v| <= 2^53, with the word and sign boundaries drawn often. */
const int64 = fc.oneof(
  fc.constantFrom(0, 1, -1, 2 ** 31 - 1, -(2 ** 31), 2 ** 31, 2 ** 32 - 1, 2 ** 32, -(2 ** 32), -(2 ** 32) - 1, 2 ** 53, -(2 ** 53), 2 ** 53 - 1),
  fc.integer({ min: -(2 ** 31), max: 2 ** 31 }),
  fc.maxSafeInteger(),
  fc.maxSafeInteger().map((x) => -x),
);
/** Any double, NaN, infinities, -0, subnormals and the largest included. */
const double = fc.oneof(fc.double(), fc.constantFrom(-0, Number.MIN_VALUE, -Number.MAX_VALUE, Number.MAX_VALUE, Infinity, -Infinity, NaN, 0.1));
const row = fc.tuple(int64, double, fc.boolean());

interface Back {
  i: bigint;
  d: number;
  b: boolean;
}

describe('Parquet writer', () => {
  /** Write rows in row groups of the given sizes; read them back in file order. */
  async function roundTrip(store: Store, rows: readonly (readonly [number, number, boolean])[], groups: readonly number[]): Promise<Back[]> {
    const file = join(tempDir(), 'x.parquet');
    const w = new ParquetWriter(file, COLUMNS);
    let at = 0;
    for (const n of groups) {
      const part = rows.slice(at, at + n);
      at += n;
      w.writeRowGroup([Float64Array.from(part, (r) => r[0]), Float64Array.from(part, (r) => r[1]), Uint8Array.from(part, (r) => (r[2] ? 1 : 0))], n);
    }
    w.close();
    return store.rows<Back>(`SELECT i, d, b FROM read_parquet('${file}') ORDER BY file_row_number`);
  }

  it('DuckDB reads back every value exactly, over any row-group split', async () => {
    const store = await openTempStore();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(row, { minLength: 1, maxLength: 40 }), { minLength: 1, maxLength: 4 }),
        async (groups) => {
          const rows = groups.flat();
          const back = await roundTrip(store, rows, groups.map((g) => g.length));
          assert.equal(back.length, rows.length);
          for (let k = 0; k < rows.length; k++) {
            const [i, d, b] = rows[k];
            assert.equal(back[k].i, BigInt(i), `row ${k} INT64`);
            assert.ok(Object.is(back[k].d, d), `row ${k} DOUBLE: wrote ${d}, read ${back[k].d}`);
            assert.equal(back[k].b, b, `row ${k} BOOLEAN`);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it('writes big row groups whose booleans end mid-byte, read back in order', async () => {
    const store = await openTempStore();
    const n = 100_003; // not a multiple of 8: the packed booleans end mid-byte
    const rows = Array.from({ length: n }, (_, k) => [k * 7919 - 2 ** 40, k / 3, k % 3 === 0] as const);
    const back = await roundTrip(store, rows, [n - 5, 5]);
    assert.equal(back.length, n);
    assert.equal(back[n - 1].i, BigInt((n - 1) * 7919 - 2 ** 40));
    assert.equal(back[12345].d, 12345 / 3);
    assert.equal(back.filter((r) => r.b).length, Math.ceil(n / 3));
  });

  it('a file cut short or with a broken footer is refused by DuckDB, never read as other values', async () => {
    const store = await openTempStore();
    const file = join(tempDir(), 'x.parquet');
    const w = new ParquetWriter(file, COLUMNS);
    w.writeRowGroup([new Float64Array([1, 2]), new Float64Array([0.5, 1.5]), new Uint8Array([1, 0])], 2);
    w.close();
    const bytes = readFileSync(file);
    writeFileSync(file, bytes.subarray(0, bytes.length - 3));
    await assert.rejects(store.rows(`SELECT * FROM read_parquet('${file}')`));
  });

  it('refuses columns that do not match the declaration', () => {
    const w = new ParquetWriter(join(tempDir(), 'x.parquet'), COLUMNS);
    assert.throws(() => w.writeRowGroup([new Float64Array(1), new Float64Array(1)], 1), /2 columns given, 3 declared/);
    assert.throws(() => w.writeRowGroup([new Float64Array(1), new Float64Array(1), new Uint8Array(1)], 2), /holds 1 values, 2 rows/);
    assert.throws(() => w.writeRowGroup([new Uint8Array(1), new Float64Array(1), new Uint8Array(1)], 1), /INT64 needs a Float64Array/);
    w.abandon();
  });
});
