import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { ParseError, UsageError } from '../../src/core/errors.ts';
import { runFreqtradeFootprint } from '../../src/venues/freqtrade/footprint-file.ts';
import { readFreqtradeTradesCsv } from '../../src/venues/freqtrade/trades-input.ts';
import { writeCandlesJson } from '../../src/venues/freqtrade/candles-json.ts';
import {
  type FreqtradeCandle,
  type FreqtradeFootprintOptions,
  type FreqtradeTrades,
  freqtradeFootprint,
  freqtradeFootprintColumns,
  pairwiseSum,
  roundHalfEven,
} from '../../src/features/footprint-freqtrade.ts';

const FIX = join(import.meta.dirname, '../fixtures/freqtrade/orderflow');
const dir = mkdtempSync(join(tmpdir(), 'ft-footprint-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let fileNo = 0;
function tmpFile(text: string): string {
  const p = join(dir, `t${fileNo++}.csv`);
  writeFileSync(p, text);
  return p;
}

type Row = [ts: number, price: number, amount: number, side: 'buy' | 'sell'];
function columns(rows: readonly Row[]): FreqtradeTrades {
  return {
    length: rows.length,
    ts: Float64Array.from(rows, (r) => r[0]),
    price: Float64Array.from(rows, (r) => r[1]),
    amount: Float64Array.from(rows, (r) => r[2]),
    side: Int8Array.from(rows, (r) => (r[3] === 'buy' ? 1 : -1)),
  };
}

const T0 = 1_700_000_040_000; // a minute boundary
const OPTS: FreqtradeFootprintOptions = { timeframeMs: 60_000, scale: 0.5, imbalanceRatio: 3, imbalanceVolume: 0, stackedRange: 3 };

/** freqtrade's own CSV (`,timestamp,id,type,side,price,amount,cost,date`, padded) -> our input. */
function fromFreqtradeCsv(text: string): string {
  const rows = text.trim().split('\n').slice(1).map((l) => l.split(',').map((f) => f.trim()));
  return ['timestamp_ms,price,amount,side', ...rows.map((r) => `${r[1]},${r[5]},${r[6]},${r[4]}`)].join('\n') + '\n';
}

async function run(input: string, timeframe: string, scale: number, extra: Partial<{ imbalanceRatio: number; imbalanceVolume: number; stackedRange: number }> = {}) {
  const out = join(dir, `out${fileNo++}.json`);
  const counts = await runFreqtradeFootprint({ input, timeframe, scale, imbalanceRatio: 3, imbalanceVolume: 0, stackedRange: 3, ...extra, out });
  return { counts, candles: (JSON.parse(readFileSync(out, 'utf8')) as { candles: FreqtradeCandle[] }).candles };
}

describe('roundHalfEven and pairwiseSum (numpy rint and pairwise summation)', () => {
  it('rounds exact halves to the even neighbour, everything else to nearest', () => {
    assert.deepEqual([0.5, 1.5, 2.5, 3.5, -1.5, -2.5, 2.4999999999999996, 2.5000000000000004].map(roundHalfEven), [0, 2, 2, 4, -2, -2, 2, 3]);
    assert.ok(Object.is(roundHalfEven(-0.5), -0));
  });

  it('groups sums the way numpy does (visible in the last bits)', () => {
    // 16 values: eight accumulators r0..r7 (r0 = a0 + a8, ...), combined as a tree.
    const a = Float64Array.from([1, ...Array(15).fill(1e-16)]);
    const r0 = 1 + 1e-16, r = 1e-16 + 1e-16;
    assert.equal(pairwiseSum(a, 0, 16), ((r0 + r) + (r + r)) + ((r + r) + (r + r)));
    let seq = 0;
    for (const v of a) seq += v;
    assert.equal(seq, 1); // each 1e-16 lost against 1
    assert.ok(pairwiseSum(a, 0, 16) > 1);
  });
});

describe('freqtradeFootprint: hand-computed candles', () => {
  const rows: Row[] = [
    [T0 + 1000, 100.25, 2, 'buy'], // 200.5 -> 200 (even): level 100.0
    [T0 + 2000, 100.75, 1, 'sell'], // 201.5 -> 202 (even): level 101.0
    [T0 + 3000, 100.0, 4, 'sell'], // level 100.0
    [T0 + 4000, 101.2, 0.5, 'buy'], // 202.4 -> 202: level 101.0
    [T0 + 61_000, 50, 1, 'sell'], // second candle: sells only
    [T0 + 5000, 99.0, 1.5, 'buy'], // late trade of the first candle: level 99.0, buys only
    [T0 + 62_000, 50, 2, 'sell'],
    [T0 + 180_500, 10, 1, 'buy'], // fourth candle; the third has no trades
  ];
  const candles = freqtradeFootprint(columns(rows), { ...OPTS, stackedRange: 1 });

  it('emits only candles with trades, ascending, each trade in the candle of its own time', () => {
    assert.deepEqual(candles.map((c) => [c.open_time_ms, c.total_trades]), [[T0, 5], [T0 + 60_000, 2], [T0 + 180_000, 1]]);
  });

  it('candle fields: OHLCV from the trades in feed order, bid = sell volume, ask = buy volume, delta = ask - bid', () => {
    const { levels, ...c } = candles[0];
    assert.deepEqual(c, {
      open_time_ms: T0, open: 100.25, high: 101.2, low: 99, close: 99, volume: 9,
      delta: -1, bid: 5, ask: 4, total_trades: 5,
      // running delta 2, 1, -3, -2.5, -1
      min_delta: -3, max_delta: 2,
      stacked_imbalances_bid: null,
      stacked_imbalances_ask: 99,
    });
    assert.equal(levels.length, 3);
  });

  it('levels: ascending, index = rint(price/scale), bid/ask are trade counts; a buys-only level has zero bid', () => {
    assert.deepEqual(candles[0].levels, [
      // price, index, bid_amount, ask_amount, bid, ask, delta, total_volume, total_trades, bid_imb, ask_imb
      [99, 198, 0, 1.5, 0, 1, 1.5, 1.5, 1, false, true], // next ask count 1 / bid count 0 = inf > 3
      [100, 200, 4, 2, 1, 1, -2, 6, 2, false, false],
      [101, 202, 1, 0.5, 1, 1, -0.5, 1.5, 2, false, false], // top level: compared with NaN
    ]);
  });

  it('min/max delta run from the first trade, not from 0: a sells-only candle has max_delta < 0', () => {
    const c = candles[1];
    assert.deepEqual([c.delta, c.min_delta, c.max_delta, c.bid, c.ask], [-3, -3, -1, 3, 0]);
    assert.deepEqual(c.levels, [[50, 100, 3, 0, 2, 0, -3, 3, 2, false, false]]);
    assert.equal(c.stacked_imbalances_bid, null);
  });
});

/** Trades making levels 100, 101, ... with the given sell and buy counts (amount 1 each). */
function ladder(sells: number[], buys: number[], amount = 1): FreqtradeTrades {
  const rows: Row[] = [];
  sells.forEach((s, i) => {
    for (let k = 0; k < s; k++) rows.push([T0 + rows.length, 100 + i, amount, 'sell']);
    for (let k = 0; k < buys[i]; k++) rows.push([T0 + rows.length, 100 + i, amount, 'buy']);
  });
  return columns(rows);
}
const scale1 = { ...OPTS, scale: 1 };
const flags = (c: FreqtradeCandle) => c.levels.map((l) => `${l[9] ? 'B' : '.'}${l[10] ? 'A' : '.'}`).join(' ');

describe('freqtradeFootprint: imbalances (diagonal, by trade count)', () => {
  it('bid[i] / ask[i+1] and ask[i+1] / bid[i] strictly above the ratio', () => {
    // level 0: 4 sells vs 1 buy above (4 > 3); level 1: 3 sells vs 1 buy above (3 is not > 3)
    const [c] = freqtradeFootprint(ladder([4, 3, 0], [0, 1, 1]), scale1);
    assert.equal(flags(c), 'B. .. ..');
  });

  it('any count against zero is infinite; zero against zero never', () => {
    const [c] = freqtradeFootprint(ladder([1, 1, 0, 0, 1], [0, 0, 1, 1, 0]), scale1);
    // 0: 1 sell / 0 buys above = inf -> B; 1: 1/1; 2: 1 buy above / 0 sells = inf -> A; 3: 0/0
    assert.equal(flags(c), 'B. .. .A .. ..');
  });

  it('counts, not volumes: one huge sell against one tiny buy above is balanced', () => {
    const t = columns([[T0, 100, 500, 'sell'], [T0 + 1, 101, 0.001, 'buy']]);
    assert.equal(flags(freqtradeFootprint(t, scale1)[0]), '.. ..');
  });

  it('the diagonal neighbour is the next level WITH trades, however far above', () => {
    const t = columns([[T0, 100, 1, 'sell'], [T0 + 1, 100, 1, 'sell'], [T0 + 2, 100, 1, 'sell'], [T0 + 3, 100, 1, 'sell'], [T0 + 4, 140, 1, 'buy']]);
    assert.equal(flags(freqtradeFootprint(t, scale1)[0]), 'B. ..');
  });

  it('a level whose own total volume is below imbalance_volume has none; equal is enough', () => {
    const t = ladder([4, 0], [0, 1], 0.5); // level 0 total volume 2
    assert.equal(flags(freqtradeFootprint(t, { ...scale1, imbalanceVolume: 2 })[0]), 'B. ..');
    assert.equal(flags(freqtradeFootprint(t, { ...scale1, imbalanceVolume: 2.0001 })[0]), '.. ..');
  });
});

describe('freqtradeFootprint: stacked imbalances', () => {
  const opts = { ...scale1, imbalanceRatio: 1 };
  it('bid: the level where the FIRST run reaches the range (not where it starts)', () => {
    const [c] = freqtradeFootprint(ladder([2, 2, 2, 0, 2, 2, 2, 2], [1, 1, 1, 1, 1, 1, 1, 1]), opts);
    assert.equal(flags(c), 'B. B. B. .A B. B. B. ..');
    assert.equal(c.stacked_imbalances_bid, 102);
    assert.equal(c.stacked_imbalances_ask, null); // a run of 1
  });

  it('ask: the LAST level of the last run at least the range long', () => {
    const [c] = freqtradeFootprint(ladder([1, 1, 1, 1, 1, 1, 1, 1, 1], [0, 5, 5, 5, 1, 5, 5, 5, 5]), opts);
    assert.equal(flags(c), '.A .A .A .. .A .A .A .A ..');
    assert.equal(c.stacked_imbalances_ask, 107);
    assert.equal(c.stacked_imbalances_bid, null);
  });

  it('a run one short of the range is no stack; range 1 takes single imbalances', () => {
    const t = ladder([2, 2, 0], [1, 1, 1]);
    assert.equal(freqtradeFootprint(t, { ...opts, stackedRange: 3 })[0].stacked_imbalances_bid, null);
    assert.equal(freqtradeFootprint(t, { ...opts, stackedRange: 2 })[0].stacked_imbalances_bid, 101);
    assert.equal(freqtradeFootprint(t, { ...opts, stackedRange: 1 })[0].stacked_imbalances_bid, 100);
  });
});

describe("freqtrade's own test data and assertions (tests/data/test_converter_orderflow.py @ ed7eb01d1)", () => {
  // All 1000 trades of public_trades_list.csv fall in the 09:20 5m candle, so that candle's
  // levels are what trades_to_volumeprofile_with_total_delta_bid_ask returns for the whole list.
  const big = tmpFile(fromFreqtradeCsv(readFileSync(join(FIX, 'public_trades_list.csv'), 'utf8')));

  it('test_public_trades_binned_big_sample_list, scale 0.05', async () => {
    const { counts, candles } = await run(big, '5m', 0.05);
    assert.deepEqual(counts, { candles: 1, trades: 1000 });
    const lv = candles[0].levels;
    assert.equal(lv.length, 23);
    for (let i = 1; i < lv.length; i++) assert.ok(lv[i][0] > lv[i - 1][0]);
    assert.equal(lv[0][0] + 0.05, lv[1][0]);
    const [first, last] = [lv[0], lv[lv.length - 1]];
    assert.equal(first[4], 32); // bid
    assert.equal(first[2], 197.512); // bid_amount
    assert.equal(first[3], 88.98); // ask_amount
    assert.equal(first[5], 26); // ask
    assert.ok(Math.abs(first[6] - -108.532) < 1e-9 * 108.532); // pytest.approx
    assert.equal(last[4], 3);
    assert.equal(last[2], 50.659);
    assert.equal(last[3], 108.21);
    assert.equal(last[5], 44);
    assert.equal(last[6], 57.551); // asserted with ==: the Kahan level sum gives it exactly
  });

  it('test_public_trades_binned_big_sample_list, scale 1', async () => {
    const { candles } = await run(big, '5m', 1);
    const lv = candles[0].levels;
    assert.equal(lv.length, 2);
    assert.equal(lv[1][0], 1667.0);
    assert.equal(lv[0][2], 710.98);
    assert.equal(lv[0][4], 111);
    assert.ok(Math.abs(lv[0][6] - 52.7199999) < 1e-6 * 52.72);
  });

  it('test_public_trades_put_volume_profile_into_ohlcv_candles: second level delta 0.14', async () => {
    const simple = tmpFile(fromFreqtradeCsv(readFileSync(join(FIX, 'public_trades_list_simple_example.csv'), 'utf8')));
    const { candles } = await run(simple, '5m', 0.5);
    assert.equal(candles[0].levels[1][6], 0.14);
    // test_public_trades_testdata_sanity: 5 sells, 2 buys
    assert.deepEqual([candles[0].total_trades, candles[0].levels[0][4] + candles[0].levels[1][4]], [7, 5]);
  });
});

describe('agrees with the numpy reference (test/fixtures/freqtrade/orderflow/reference.py)', () => {
  for (const [name, timeframe, scale, imbalanceRatio, imbalanceVolume, stackedRange] of [
    ['synthetic-2500.5m-s0.05-r3-v0.5-k3', '5m', 0.05, 3, 0.5, 3],
    ['synthetic-2500.1m-s0.0001-r2-v0-k2', '1m', 0.0001, 2, 0, 2],
  ] as const) {
    it(`${name}: every number identical (pairwise sums over 1000+ trades, sparse levels, late trades)`, async () => {
      const { candles } = await run(join(FIX, 'synthetic-2500.csv'), timeframe, scale, { imbalanceRatio, imbalanceVolume, stackedRange });
      const ref = JSON.parse(readFileSync(join(FIX, `${name}.reference.json`), 'utf8')) as { candles: unknown };
      assert.deepStrictEqual(candles, ref.candles);
    });
  }
});

// ---- properties ----

const tradesArb = fc
  .array(
    fc.tuple(fc.integer({ min: 0, max: 5 * 60_000 - 1 }), fc.integer({ min: 3990, max: 4010 }), fc.integer({ min: 1, max: 100_000 }), fc.boolean()),
    { minLength: 1, maxLength: 300 },
  )
  .map((xs) => xs.map(([dt, p, q, buy]): Row => [T0 + dt, p / 40, q / 1000, buy ? 'buy' : 'sell']));
const optsArb = fc.record({
  timeframeMs: fc.constantFrom(60_000, 120_000, 300_000),
  scale: fc.constantFrom(0.025, 0.05, 0.1, 0.5, 1),
  imbalanceRatio: fc.constantFrom(0, 1, 2, 3),
  imbalanceVolume: fc.constantFrom(0, 0.5, 5),
  stackedRange: fc.integer({ min: 1, max: 4 }),
});
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b));

describe('freqtradeFootprint: properties', () => {
  it('levels add up to the candle; delta = ask - bid; levels ascending on the index grid', () => {
    fc.assert(
      fc.property(tradesArb, optsArb, (rows, opts) => {
        for (const c of freqtradeFootprint(columns(rows), opts)) {
          let vol = 0, bid = 0, ask = 0, n = 0;
          c.levels.forEach((l, i) => {
            assert.equal(l[1], roundHalfEven(l[1]));
            assert.equal(l[0], l[1] * opts.scale);
            if (i > 0) assert.ok(l[1] > c.levels[i - 1][1]);
            assert.ok(close(l[6], l[3] - l[2]) && close(l[7], l[2] + l[3]));
            assert.equal(l[8], l[4] + l[5]);
            assert.ok(l[8] > 0);
            vol += l[7]; bid += l[2]; ask += l[3]; n += l[8];
          });
          assert.ok(close(vol, c.volume) && close(bid, c.bid) && close(ask, c.ask));
          assert.equal(c.delta, c.ask - c.bid);
          assert.equal(n, c.total_trades);
          assert.ok(c.min_delta <= c.max_delta && c.low <= Math.min(c.open, c.close) && c.high >= Math.max(c.open, c.close));
          assert.ok(c.min_delta >= -c.bid - 1e-9 && c.max_delta <= c.ask + 1e-9);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('writes from the level columns exactly the JSON of the materialized candles (disordered feeds too)', async () => {
    await fc.assert(
      fc.asyncProperty(tradesArb, optsArb, fc.boolean(), async (rows, opts, shuffle) => {
        const feed = shuffle ? [...rows].reverse() : rows;
        const out = join(dir, `cols${fileNo++}.json`);
        await writeCandlesJson(out, freqtradeFootprintColumns(columns(feed), opts));
        assert.equal(readFileSync(out, 'utf8'), `${JSON.stringify({ candles: freqtradeFootprint(columns(feed), opts) })}\n`);
      }),
      { numRuns: 60 },
    );
  });

  it('independent of how candles interleave in the feed and of other candles (within-candle order kept)', () => {
    fc.assert(
      fc.property(tradesArb, optsArb, (rows, opts) => {
        const full = freqtradeFootprint(columns(rows), opts);
        const candleOf = (r: Row) => Math.floor(r[0] / opts.timeframeMs);
        const grouped = rows.map((r, i) => [r, i] as const).sort((a, b) => candleOf(a[0]) - candleOf(b[0]) || a[1] - b[1]).map((x) => x[0]);
        assert.deepStrictEqual(freqtradeFootprint(columns(grouped), opts), full);
        const perCandle = full.map((c) => freqtradeFootprint(columns(rows.filter((r) => candleOf(r) * opts.timeframeMs === c.open_time_ms)), opts)[0]);
        assert.deepStrictEqual(perCandle, full);
      }),
      { numRuns: 100 },
    );
  });
});

// ---- the CSV reader ----

const HEADER = 'timestamp_ms,price,amount,side\n';
async function readErr(text: string): Promise<ParseError> {
  const p = tmpFile(text);
  const err = await readFreqtradeTradesCsv(p).then(
    () => assert.fail('expected a ParseError'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ParseError, String(err));
  return err;
}

describe('readFreqtradeTradesCsv: bad input names file:line, field and value', () => {
  it('malformed number', async () => {
    const e = await readErr(`${HEADER}1700000040000,100.5,1,buy\n1700000041000,10O.5,1,sell\n`);
    assert.equal(e.code, 'E_NUMBER');
    assert.equal(e.field, 'price');
    assert.equal(e.value, '10O.5');
    assert.match(e.message, /\.csv:3: /);
  });

  it('zero or negative amount, Infinity, hex', async () => {
    for (const bad of ['0', '-1', 'Infinity', '0x10', '']) {
      const e = await readErr(`${HEADER}1700000040000,100.5,${bad},buy\n`);
      assert.deepEqual([e.code, e.field, e.value], ['E_NUMBER', 'amount', bad]);
    }
  });

  it('wrong column count', async () => {
    const e = await readErr(`${HEADER}1700000040000,100.5,1,buy,extra\n`);
    assert.equal(e.code, 'E_COLUMNS');
    assert.match(e.message, /:2: expected 4 columns .* got 5/);
    assert.equal((await readErr(`${HEADER}1700000040000,100.5,1,buy\n\n1700000040000,100.5,1,buy\n`)).code, 'E_COLUMNS');
  });

  it('unknown side (case matters, as in the header we document)', async () => {
    for (const side of ['Buy', 'b', 'bid', 'sell ']) {
      const e = await readErr(`${HEADER}1700000040000,100.5,1,${side}\n`);
      assert.deepEqual([e.code, e.field, e.value], ['E_SIDE', 'side', side]);
    }
  });

  it('header of another format, or none', async () => {
    const binance = await readErr('id,price,qty,quote_qty,time,is_buyer_maker\n1,100,1,100,1700000040000,true\n');
    assert.deepEqual([binance.code, binance.field], ['E_HEADER', 'header']);
    assert.match(binance.message, /:1: /);
    assert.equal((await readErr('1700000040000,100.5,1,buy\n')).code, 'E_HEADER');
    assert.equal((await readErr(',timestamp,id,type,side,price,amount,cost,date\n')).code, 'E_HEADER');
  });

  it('empty file', async () => {
    const e = await readErr('');
    assert.equal(e.code, 'E_HEADER');
    assert.match(e.message, /:1: empty file/);
  });

  it('timestamps that are not milliseconds', async () => {
    for (const ts of ['1700000040', '1700000040000000']) {
      const e = await readErr(`${HEADER}${ts},100.5,1,buy\n`);
      assert.deepEqual([e.code, e.field], ['E_TIME_UNIT', 'timestamp_ms']);
    }
  });

  it('accepts CRLF, a BOM, no final newline, exponents and fractional ms; a header alone is no trades', async () => {
    const t = await readFreqtradeTradesCsv(tmpFile(`\ufeff${HEADER.replace('\n', '\r\n')}1700000040000.5,1e2,0.25,buy\r\n1700000040001,100.5,2.5E-1,sell`));
    assert.deepEqual([t.length, [...t.ts], [...t.price], [...t.amount], [...t.side]], [2, [1700000040000.5, 1700000040001], [100, 100.5], [0.25, 0.25], [1, -1]]);
    assert.equal((await readFreqtradeTradesCsv(tmpFile(HEADER))).length, 0);
  });

  it('the same columns whatever the read size (lines straddling reads)', async () => {
    const p = join(FIX, 'synthetic-2500.csv');
    const whole = await readFreqtradeTradesCsv(p);
    for (const chunk of [7, 64, 1000]) assert.deepStrictEqual(await readFreqtradeTradesCsv(p, chunk), whole);
  });

  it('every number as Number() reads it, whether the one-pass scanner or the general parser takes the row', async () => {
    // Plain decimals of up to 15 digits take the scanner; longer ones, exponents, fractional ms
    // and odd spacing of the side take the general parser; both must give the same values.
    const decimal = fc.oneof(
      fc.tuple(fc.stringMatching(/^[1-9][0-9]{0,9}$/), fc.stringMatching(/^[0-9]{0,8}$/)).map(([a, b]) => (b ? `${a}.${b}` : a)),
      fc.tuple(fc.stringMatching(/^[0-9]{1,3}$/), fc.stringMatching(/^[0-9]*[1-9]$/)).map(([a, b]) => `${a}.${b}`),
      fc.stringMatching(/^[1-9][0-9]{15,19}\.[0-9]{1,4}$/),
      fc.tuple(fc.integer({ min: 1, max: 999 }), fc.integer({ min: -3, max: 3 })).map(([m, e]) => `${m}e${e}`),
    ).filter((t) => Number(t) > 0);
    const row = fc.record({
      ts: fc.oneof(fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 }).map(String), fc.constant('1700000040000.5'), fc.constant('01700000040000')),
      price: decimal,
      amount: decimal,
      side: fc.constantFrom('buy', 'sell'),
      eol: fc.constantFrom('\n', '\r\n'),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(row, { minLength: 1, maxLength: 30 }), fc.boolean(), async (rows, finalNewline) => {
        let text = HEADER + rows.map((r) => `${r.ts},${r.price},${r.amount},${r.side}${r.eol}`).join('');
        if (!finalNewline) text = text.replace(/\r?\n$/, '');
        const p = tmpFile(text);
        for (const chunk of [16, 1 << 22]) {
          const t = await readFreqtradeTradesCsv(p, chunk);
          assert.deepEqual(
            [[...t.ts], [...t.price], [...t.amount], [...t.side]],
            [rows.map((r) => Number(r.ts)), rows.map((r) => Number(r.price)), rows.map((r) => Number(r.amount)), rows.map((r) => (r.side === 'buy' ? 1 : -1))],
          );
        }
      }),
      { numRuns: 150 },
    );
  });

  it('fuzz: edited files either read or fail with ParseError', async () => {
    const good = `${HEADER}1700000040000,100.5,1,buy\n1700000041000,100.25,0.5,sell\n1700000042000,99,3,buy\n`;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(), fc.constantFrom('del', 'ins', 'rep'), fc.constantFrom(...',.-+e\n\r 019abuyselx\u00e9\u0000'.split(''))), { minLength: 1, maxLength: 4 }),
        async (edits) => {
          let s = good;
          for (const [at, kind, ch] of edits) {
            const i = at % (s.length + 1);
            s = kind === 'del' ? s.slice(0, i) + s.slice(i + 1) : kind === 'ins' ? s.slice(0, i) + ch + s.slice(i) : s.slice(0, i) + ch + s.slice(i + 1);
          }
          try {
            await readFreqtradeTradesCsv(tmpFile(s));
          } catch (e) {
            if (!(e instanceof ParseError)) throw e;
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('runFreqtradeFootprint', () => {
  it('writes {"candles":[...]} with null for NaN stacked imbalances and reports counts', async () => {
    const p = tmpFile(`${HEADER}1700000040000,100.5,1,buy\n1700000100000,100.5,2,sell\n`);
    const out = join(dir, 'run.json');
    const counts = await runFreqtradeFootprint({ input: p, timeframe: '1m', scale: 0.5, imbalanceRatio: 3, imbalanceVolume: 1, stackedRange: 3, out });
    assert.deepEqual(counts, { candles: 2, trades: 2 });
    const text = readFileSync(out, 'utf8');
    assert.match(text, /^\{"candles":\[\{"open_time_ms":1700000040000,/);
    assert.match(text, /"stacked_imbalances_bid":null,"stacked_imbalances_ask":null,"levels":\[\[100\.5,201,0,1,0,1,1,1,1,false,false\]\]/);
  });

  it('refuses timeframes freqtrade cannot floor to and bad parameters with UsageError', async () => {
    const p = tmpFile(HEADER);
    const base = { input: p, timeframe: '1m', scale: 1, imbalanceRatio: 3, imbalanceVolume: 0, stackedRange: 3, out: join(dir, 'x.json') };
    for (const bad of [{ timeframe: '1w' }, { timeframe: '1M' }, { timeframe: 'abc' }, { scale: 0 }, { scale: NaN }, { imbalanceVolume: -1 }, { stackedRange: 0 }, { stackedRange: 1.5 }]) {
      await assert.rejects(runFreqtradeFootprint({ ...base, ...bad }), UsageError, JSON.stringify(bad));
    }
    for (const tf of ['1m', '5m', '15m', '1h', '4h', '1d']) assert.deepEqual(await runFreqtradeFootprint({ ...base, timeframe: tf }), { candles: 0, trades: 0 });
  });
});
