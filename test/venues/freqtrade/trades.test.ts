/** freqtrade's own trades files (feather, json, json.gz, its CSV) and the LZ4 frames under feather. */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { makeVector, Table, tableFromArrays, tableToIPC, Utf8, vectorFromArray } from 'apache-arrow';
import fc from 'fast-check';
import { runFreqtradeFootprint } from '../../../src/venues/freqtrade/footprint-file.ts';
import { readTradesInput } from '../../../src/venues/freqtrade/trades-input.ts';
import { FileError, ParseError, UsageError } from '../../../src/core/errors.ts';
import { Lz4Error, lz4FrameDecompress } from '../../../src/core/lz4.ts';
import { readFreqtradeCsv, readFreqtradeJson, type TradeRows } from '../../../src/venues/freqtrade/trades.ts';
import { readFreqtradeFeather } from '../../../src/venues/freqtrade/trades-feather.ts';
import { readFreqtradeParquet } from '../../../src/venues/freqtrade/trades-parquet.ts';
import { tempDir } from '../../helpers/store.ts';

const FIX = fileURLToPath(new URL('../../fixtures/freqtrade/', import.meta.url));
const FEATHER = join(FIX, 'trades/XRP_ETH-trades.feather');
const JSONGZ = join(FIX, 'trades/XRP_ETH-trades.json.gz');
const CSV = join(FIX, 'orderflow/public_trades_list.csv');
const dir = tempDir();
let n = 0;
function file(name: string, content: string | Buffer): string {
  const p = join(dir, `${n++}-${name}`);
  writeFileSync(p, content);
  return p;
}

/** The rows of the JSON fixture, parsed here independently of the reader. */
const ROWS = JSON.parse(gunzipSync(readFileSync(JSONGZ)).toString('utf8')) as [number, string, null, string, number, number, number][];

function assertRows(t: TradeRows, rows: typeof ROWS): void {
  assert.equal(t.length, rows.length);
  for (let i = 0; i < rows.length; i++) {
    const [ts, , , side, price, amount] = rows[i];
    if (t.ts[i] !== ts || t.price[i] !== price || t.amount[i] !== amount || t.side[i] !== (side === 'buy' ? 1 : -1)) {
      assert.fail(`trade ${i + 1}: got ${[t.ts[i], t.price[i], t.amount[i], t.side[i]]}, want ${rows[i]}`);
    }
  }
}

async function rejects(p: Promise<unknown> | (() => unknown), check: (e: Error) => void): Promise<void> {
  await assert.rejects(typeof p === 'function' ? (async () => p())() : p, (e: Error) => {
    check(e);
    return true;
  });
}

describe("freqtrade's data-directory trades files", () => {
  it('reads the LZ4-compressed feather freqtrade writes, trade for trade as its JSON twin', () => {
    assert.equal(ROWS.length, 12_477);
    assertRows(readFreqtradeFeather(FEATHER), ROWS);
  });

  it('reads .json.gz, plain .json and the pre-2020 list of ccxt objects alike', async () => {
    assertRows(await readFreqtradeJson(JSONGZ), ROWS);
    const plain = gunzipSync(readFileSync(JSONGZ));
    assertRows(await readFreqtradeJson(file('XRP_ETH-trades.json', plain)), ROWS);
    const objects = ROWS.map(([timestamp, id, type, side, price, amount, cost]) => ({ info: { a: Number(id), p: String(price) }, timestamp, id, type, side, price, amount, cost, fee: null }));
    assertRows(await readFreqtradeJson(file('old-trades.json', `[\n${objects.map((o) => JSON.stringify(o)).join(',\n')}\n]`)), ROWS);
  });

  it('reads the Parquet layout (--data-format-trades parquet) in file order', async () => {
    const csv = file('rows.csv', `timestamp,id,type,side,price,amount,cost\n${ROWS.map((r) => [r[0], r[1], '', r[3], r[4], r[5], r[6]].join(',')).join('\n')}\n`);
    const pq = join(dir, `${n++}-XRP_ETH-trades.parquet`);
    const instance = await DuckDBInstance.create(':memory:');
    const conn = await instance.connect();
    await conn.run(`COPY (SELECT * FROM read_csv('${csv}', header = true, columns = {'timestamp': 'BIGINT', 'id': 'VARCHAR', 'type': 'VARCHAR', 'side': 'VARCHAR', 'price': 'DOUBLE', 'amount': 'DOUBLE', 'cost': 'DOUBLE'})) TO '${pq}' (FORMAT parquet)`);
    conn.closeSync();
    instance.closeSync();
    assertRows(await readTradesInput(pq), ROWS);
    await rejects(readFreqtradeParquet(file('x.parquet', 'PAR1 not really')), (e) => assert.ok(e instanceof FileError && /not a readable Parquet file/.test(e.message), e.message));
  });

  it("reads freqtrade's test CSV (index column, padded fields) as the same trades as our CSV of it", async () => {
    const text = readFileSync(CSV, 'utf8');
    const ours = ['timestamp_ms,price,amount,side', ...text.trim().split('\n').slice(1).map((l) => {
      const f = l.split(',');
      return `${f[1]},${f[5]},${f[6]},${f[4]}`;
    })].join('\n');
    const direct = await readTradesInput(CSV);
    assert.deepStrictEqual(direct, await readTradesInput(file('ours.csv', ours)));
    assert.equal(direct.length, 1000);
    const simple = await readFreqtradeCsv(join(FIX, 'orderflow/public_trades_list_simple_example.csv'));
    assert.deepEqual([...simple.side], [1, -1, -1, -1, 1, -1, -1]); // 'sell ', '  sell', 'buy ' trimmed
    assert.equal(simple.price[0], 23438);
  });

  it('--input reads every layout to the same footprint; freqtrade\'s own numbers on its CSV', async () => {
    const outs: string[] = [];
    for (const input of [FEATHER, JSONGZ]) {
      const out = join(dir, `fp-${n++}.json`);
      const r = await runFreqtradeFootprint({ input, out, timeframe: '5m', scale: 0.00001, imbalanceRatio: 3, imbalanceVolume: 0, stackedRange: 3 });
      assert.deepEqual(r, { trades: 12_477, candles: 706 });
      outs.push(readFileSync(out, 'utf8'));
    }
    assert.equal(outs[0], outs[1]);
    // test_public_trades_binned_big_sample_list (scale 0.05): the lowest level.
    const out = join(dir, `fp-${n++}.json`);
    await runFreqtradeFootprint({ input: CSV, out, timeframe: '5m', scale: 0.05, imbalanceRatio: 3, imbalanceVolume: 0, stackedRange: 3 });
    const lv = (JSON.parse(readFileSync(out, 'utf8')) as { candles: { levels: number[][] }[] }).candles[0].levels;
    assert.deepEqual([lv.length, lv[0][4], lv[0][2], lv[0][3]], [23, 32, 197.512, 88.98]);
  });

  it('a missing, folder or unsupported --input is a usage error naming it', async () => {
    await rejects(readTradesInput(join(dir, 'absent-trades.feather')), (e) => {
      assert.ok(e instanceof UsageError);
      assert.match(e.message, /^--input .*absent-trades\.feather: no such file$/);
    });
    await rejects(readTradesInput(dir), (e) => assert.match(e.message, /is a folder: give one trades file/));
    await rejects(readTradesInput(file('BTC_USDT-trades.h5', 'x')), (e) => assert.match(e.message, /HDF5 trades files are not read; convert them with `freqtrade convert-trade-data --format-from hdf5 --format-to feather`/));
    await rejects(readTradesInput(file('t.csv', 'a,b,c\n1,2,3\n')), (e) => {
      assert.ok(e instanceof ParseError && e.code === 'E_HEADER');
      assert.match(e.message, /t\.csv:1: .*timestamp_ms,price,amount,side.*freqtrade's trade columns/);
    });
  });

  it('bad trades name the place, field and value', async () => {
    const bad: [string, string, RegExp][] = [
      ['a.json', '[[1570752011620,"1",null,"hold",1.0,2.0,2.0]]', /a\.json: trade 1: expected buy or sell .*field side, value "hold"/],
      ['b.json', '[[1570752011620,"1",null,"buy",1.0,2.0,2.0],[1570752011621,"2",null,"sell",-1,2.0,2.0]]', /b\.json: trade 2: must be a number > 0 \(field price, value "-1"\)/],
      ['c.json', '[[1570752011620,"1",null,"buy",1.0,2.0,2.0],[15707520', /c\.json: trade 2: the file ends inside the list/],
      ['d.json', '{"a":1}', /d\.json: trade 1: expected a JSON list of trades/],
      ['e.json', '[[1,"1",null,"buy",1.0,2.0,2.0]]', /e\.json: trade 1: expected epoch milliseconds .*field timestamp, value "1"/],
      ['f.json', '[[1570752011620,"1",null,"buy",1.0]]', /f\.json: trade 1: expected a row of timestamp, id, type, side, price, amount, cost, got 5 values/],
      ['g.json', '[1570752011620]', /g\.json: trade 1: expected a trade row/],
      ['h.json', '', /h\.json:1: empty file/],
      ['i.csv', ',timestamp,id,type,side,price,amount,cost,date\n0,1675329600138,1,,buy,1666.8,26.062,1,x\n1,1675329600214,2,,sell,abc,0.152,1,x\n', /i\.csv:3: must be a number > 0 \(field price, value "abc"\)/],
      ['j.csv', ',timestamp,id,type,side,price,amount,cost,date\n0,1675329600138,1,,buy,1666.8\n', /j\.csv:2: expected 9 columns as in the header, got 6/],
    ];
    for (const [name, text, re] of bad) await rejects(readTradesInput(file(name, text)), (e) => assert.match(e.message, re, name));
    await rejects(readTradesInput(file('x.feather', 'not arrow at all')), (e) => {
      assert.ok(e instanceof FileError && e.code === 'E_FORMAT');
      assert.match(e.message, /x\.feather: not a readable Feather \(Arrow IPC\) file/);
    });
  });

  it('JSON rows in any spacing and spelling read as JSON.parse reads them (fast path = slow path)', async () => {
    const row = fc.record({
      ts: fc.integer({ min: Date.UTC(2010, 0, 1), max: Date.UTC(2099, 0, 1) }),
      id: fc.oneof(fc.string({ maxLength: 8 }), fc.integer()),
      type: fc.constantFrom(null, 'limit', 'market'),
      side: fc.constantFrom('buy', 'sell'),
      price: fc.double({ min: 1e-8, max: 1e7, noNaN: true }),
      amount: fc.double({ min: 1e-8, max: 1e7, noNaN: true }),
      space: fc.constantFrom('', ' ', '\n  '),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 30 }), async (rows) => {
        const text = `[${rows.map((r) => `[${[r.ts, JSON.stringify(r.id), JSON.stringify(r.type), JSON.stringify(r.side), r.price, r.amount, 1].join(`,${r.space}`)}${r.space}]`).join(',\n')}]`;
        const t = await readFreqtradeJson(file('prop.json', text));
        assert.deepEqual([...t.ts], rows.map((r) => r.ts));
        assert.deepEqual([...t.price], rows.map((r) => r.price));
        assert.deepEqual([...t.amount], rows.map((r) => r.amount));
        assert.deepEqual([...t.side], rows.map((r) => (r.side === 'buy' ? 1 : -1)));
      }),
      { numRuns: 100 },
    );
  });

  it('a feather of another shape (dictionary sides, nulls) goes through the checked path', () => {
    const rows = ROWS.slice(0, 50);
    const table = tableFromArrays({
      timestamp: BigInt64Array.from(rows.map((r) => BigInt(r[0]))),
      side: rows.map((r) => r[3]), // dictionary-encoded by apache-arrow
      price: Float64Array.from(rows.map((r) => r[4])),
      amount: Float64Array.from(rows.map((r) => r[5])),
    });
    assertRows(readFreqtradeFeather(file('dict.feather', Buffer.from(tableToIPC(table, 'file')))), rows);
    const bad = tableFromArrays({ timestamp: BigInt64Array.from([1570752011620n, 1570752011621n]), side: ['buy', 'hold'], price: Float64Array.from([1, 2]), amount: Float64Array.from([1, 2]) });
    assert.throws(() => readFreqtradeFeather(file('bad.feather', Buffer.from(tableToIPC(bad, 'file')))), /bad\.feather: row 2: expected buy or sell .*value "hold"/);
    // Plain utf8 sides, as pandas writes them: the fast path, which must still name the field.
    const badPrice = new Table({ timestamp: makeVector(BigInt64Array.from([1570752011620n])), side: vectorFromArray(['buy'], new Utf8()), price: makeVector(Float64Array.from([-1])), amount: makeVector(Float64Array.from([1])) });
    assert.throws(() => readFreqtradeFeather(file('neg.feather', Buffer.from(tableToIPC(badPrice, 'file')))), /neg\.feather: row 1: must be a number > 0 \(field price, value "-1"\)/);
    const padded = new Table({ timestamp: makeVector(BigInt64Array.from([1570752011620n, 1570752011621n])), side: vectorFromArray(['buy', ' sell'], new Utf8()), price: makeVector(Float64Array.from([1, 2])), amount: makeVector(Float64Array.from([3, 4])) });
    assert.deepEqual([...readFreqtradeFeather(file('pad.feather', Buffer.from(tableToIPC(padded, 'file')))).side], [1, -1]);
  });

  it('any truncation or byte flip of a JSON trades file is an error or the trades before it, never a crash', async () => {
    const text = JSON.stringify(ROWS.slice(0, 40));
    await fc.assert(
      fc.asyncProperty(fc.nat(text.length - 1), fc.nat(255), async (at, byte) => {
        const mangled = Buffer.from(text);
        mangled[at] = byte;
        for (const content of [mangled, Buffer.from(text.slice(0, at))]) {
          try {
            const t = await readFreqtradeJson(file('fuzz.json', content));
            assert.ok(t.length <= 40);
          } catch (e) {
            assert.ok(e instanceof ParseError, `${(e as Error).name}: ${(e as Error).message}`);
          }
        }
      }),
      { numRuns: 60 },
    );
  });
});

describe('LZ4 frames', () => {
  const want = readFileSync(CSV);
  it('decodes the reference tool\'s frames: linked blocks with content size, independent blocks with block checksums', () => {
    for (const f of ['public_trades_list.csv.BD.lz4', 'public_trades_list.csv.B4X.lz4']) {
      assert.ok(Buffer.from(lz4FrameDecompress(readFileSync(join(FIX, 'trades', f)))).equals(want), f);
    }
  });

  it('a truncated or corrupted frame throws Lz4Error, never reads out of bounds', () => {
    const frame = readFileSync(join(FIX, 'trades/public_trades_list.csv.BD.lz4'));
    fc.assert(
      fc.property(fc.nat(frame.length - 1), fc.nat(255), fc.boolean(), (at, byte, cut) => {
        const bad = Buffer.from(cut ? frame.subarray(0, at) : frame);
        if (!cut) bad[at] = byte;
        try {
          const out = lz4FrameDecompress(bad);
          // A flipped literal byte decodes to other bytes; that is what checksums (skipped) would catch.
          assert.ok(out.length <= want.length * 2);
        } catch (e) {
          assert.ok(e instanceof Lz4Error, `${(e as Error).name}: ${(e as Error).message}`);
        }
      }),
      { numRuns: 300 },
    );
    assert.throws(() => lz4FrameDecompress(Buffer.from('not lz4')), Lz4Error);
  });
});
