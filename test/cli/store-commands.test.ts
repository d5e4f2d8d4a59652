/** The functions behind `orderflow cvd` and `orderflow footprint` (native), on a store with the real sample. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { UsageError } from '../../src/core/errors.ts';
import { registerCvd } from '../../src/cli/cvd.ts';
import { runNativeFootprint, type NativeFootprintOpts } from '../../src/cli/footprint-native.ts';
import { Store } from '../../src/store/store.ts';
import { importInto, tempDir } from '../helpers/store.ts';

const SAMPLE = fileURLToPath(new URL('../../samples/binance-spot/BTCUSDT-aggTrades-2026-01-01.csv.gz', import.meta.url));
const home = join(tempDir(), 'home');
/** The store with the sample, made once (awaited by every helper below). */
const ready = (async () => {
  const store = await Store.open(home);
  try {
    await importInto(store, SAMPLE);
  } finally {
    store.close();
  }
})();

async function captured(run: () => Promise<unknown>): Promise<string> {
  await ready;
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.join(' '));
  try {
    await run();
  } finally {
    console.log = log;
  }
  return lines.join('\n');
}

async function cvd(...args: string[]): Promise<string> {
  const program = new Command('orderflow').exitOverride();
  registerCvd(program);
  return captured(() => program.parseAsync(['cvd', '--home', home, ...args], { from: 'user' }));
}

const FP: NativeFootprintOpts = { home, symbol: 'BTCUSDT', venues: 'binance-spot', timeframe: '1m', levelTicks: 10, imbalanceRatio: 3, imbalanceVolume: 0, stackedRange: 3, valueArea: 0.7 };

describe('orderflow cvd', () => {
  it('--json prints bars with the documented fields, cvd running from the first bar', async () => {
    const out = JSON.parse(await cvd('--symbol', 'BTC', '--venues', 'binance-spot', '--timeframe', '1m', '--json')) as { bars: Record<string, number>[] };
    assert.equal(out.bars.length, 13); // 00:00 to 00:12
    assert.deepEqual(Object.keys(out.bars[0]), ['open_time_ms', 'buy_volume', 'sell_volume', 'delta', 'cvd', 'complete']);
    assert.equal(out.bars[0].open_time_ms, Date.UTC(2026, 0, 1));
    let sum = 0;
    for (const b of out.bars) assert.ok(Math.abs((sum += b.delta) - b.cvd) < 1e-9);
  });

  it('--from/--to, --per-venue and the table', async () => {
    const out = JSON.parse(await cvd('--symbol', 'BTCUSDT', '--venues', 'binance,binance-spot', '--timeframe', '5m', '--from', '2026-01-01T00:05:00Z', '--to', '2026-01-01T00:10:00Z', '--per-venue', '--json')) as { bars: unknown[]; venues: Record<string, unknown[]> };
    assert.equal(out.bars.length, 1);
    assert.deepEqual(Object.keys(out.venues), ['binance-spot']);
    assert.deepEqual(out.venues['binance-spot'], out.bars);
    const text = await cvd('--symbol', 'BTCUSDT', '--venues', 'binance-spot', '--timeframe', '15m');
    assert.match(text, /cvd of binance-spot BTCUSDT: 1 bars of 15m, reset none/);
    assert.match(text, /^2026-01-01 00:00\* /m);
    assert.match(await cvd('--symbol', 'ETH', '--timeframe', '1h'), /no trades stored for binance ETHUSDT/);
  });

  it('marks the bars the data cut off: the first and last without --from/--to, none inside them', async () => {
    type Bar = { open_time_ms: number; complete: boolean };
    const bars = async (...a: string[]) => (JSON.parse(await cvd('--symbol', 'BTC', '--venues', 'binance-spot', '--timeframe', '1m', '--json', ...a)) as { bars: Bar[] }).bars;
    // The sample's trades run 00:00:00.039 to 00:12:19.347: the 00:00 bar may have missed 39 ms,
    // the 00:12 bar ends at 00:13 after the last trade read.
    const all = await bars();
    assert.deepEqual(all.map((b) => b.complete), [false, ...Array(11).fill(true), false]);
    assert.deepEqual((await bars('--from', '2026-01-01T00:00Z', '--to', '2026-01-01T00:05Z')).map((b) => b.complete), [true, true, true, true, true]);
    // A --from inside a bar cuts it: 00:00:30 leaves half of the first bar out.
    assert.deepEqual((await bars('--from', '2026-01-01T00:00:30Z', '--to', '2026-01-01T00:02:30Z')).map((b) => b.complete), [false, true, false]);
    const text = await cvd('--symbol', 'BTC', '--venues', 'binance-spot', '--timeframe', '1m');
    assert.match(text, /^2026-01-01 00:12\* /m);
    assert.match(text, /^2026-01-01 00:11 /m);
    assert.match(text, /^\* incomplete: /m);
  });

  it('bad options are UsageErrors naming the option', async () => {
    await assert.rejects(cvd('--symbol', 'BTC', '--timeframe', '1x'), (e: unknown) => e instanceof UsageError && /--timeframe/.test(e.message));
    await assert.rejects(cvd('--symbol', 'BTC', '--reset', 'week'), (e: unknown) => e instanceof UsageError && /--reset/.test(e.message));
    await assert.rejects(cvd('--symbol', 'BTC', '--venues', 'ftx'), (e: unknown) => e instanceof UsageError && /--venues/.test(e.message));
    await assert.rejects(cvd('--symbol', 'BTC', '--from', '2026-02-01', '--to', '2026-01-01'), UsageError);
  });
});

describe('orderflow footprint (native)', () => {
  it('needs --tick when the instrument is unknown', async () => {
    await ready;
    await assert.rejects(runNativeFootprint(FP), (e: unknown) => e instanceof UsageError && /binance-spot BTCUSDT/.test(e.message) && /--tick/.test(e.message));
  });

  it('--json prints candles whose levels add up to the candle', async () => {
    const out = JSON.parse(await captured(() => runNativeFootprint({ ...FP, tick: 0.01, json: true }))) as { level_fields: string[]; candles: Record<string, unknown>[] };
    assert.equal(out.candles.length, 13);
    assert.equal(out.level_fields[3], 'ask_volume');
    let trades = 0;
    for (const c of out.candles) {
      const levels = c.levels as number[][];
      const vol = levels.reduce((s, l) => s + l[5], 0);
      assert.ok(Math.abs(vol - (c.volume as number)) < 1e-9);
      assert.equal(c.level_size, 0.1);
      for (const l of levels) assert.equal(l[1], Math.round(Math.round((l[0] as number) / 0.01) / 10));
      trades += c.trades as number;
    }
    assert.equal(trades, 5000);
  });

  it('prints one table line per candle, and rejects bad numbers', async () => {
    const text = await captured(() => runNativeFootprint({ ...FP, tick: 0.01 }));
    assert.match(text, /footprint of binance-spot BTCUSDT: 13 candles of 1m, level 0.1 \(10 x tick 0.01\)/);
    assert.equal(text.split('\n').filter((l) => l.startsWith('2026-01-01')).length, 13);
    await assert.rejects(runNativeFootprint({ ...FP, tick: 0.01, levelTicks: 0 }), (e: unknown) => e instanceof UsageError && /--level-ticks/.test(e.message));
    await assert.rejects(runNativeFootprint({ ...FP, tick: 0.01, valueArea: 70 }), (e: unknown) => e instanceof UsageError && /--value-area/.test(e.message));
  });

  it('--ladder prints every candle as bid x ask per level from the top, and stacks as price ranges', async () => {
    // Thin spot minutes: without the notional minimum and with runs of 2, so that a stack forms.
    const text = await captured(() => runNativeFootprint({ ...FP, tick: 0.01, stackedRange: 2, ladder: true, imbalanceNotional: 0 }));
    const lines = text.split('\n');
    const headers = lines.filter((l) => /^2026-01-01 00:\d\d:00 UTC 1m {2}O [\d,]+\.\d\d {2}H /.test(l));
    assert.equal(headers.length, 13);
    const levels = lines.filter((l) => /^[| ] {1,}[\d,]+\.\d\d /.test(l));
    assert.ok(levels.length > 13);
    for (const l of levels) assert.match(l, /^[| ] +\d{2},\d{3}\.\d0 +[\d.]+[* ] x +[\d.]+\*? ?( POC| VAH| VAL| POC VAH| POC VAL| VAH VAL| POC VAH VAL)?$/);
    const stacks = lines.filter((l) => /stack/.test(l) && !/^no /.test(l));
    assert.ok(stacks.length > 0);
    for (const l of stacks) {
      const m = /^(ask|bid) stack ([\d,]+\.\d\d)(?:-([\d,]+\.\d\d))? \((\d+) levels\)$/.exec(l);
      assert.ok(m, l);
      const [low, high] = [m[2], m[3] ?? m[2]].map((x) => Number(x.replace(/,/g, '')));
      assert.ok(Math.abs((high - low) / 0.1 + 1 - Number(m[4])) < 1e-9, l);
    }
    // The table names the same ranges, not counts.
    const table = await captured(() => runNativeFootprint({ ...FP, tick: 0.01, stackedRange: 2, imbalanceNotional: 0 }));
    for (const l of stacks) assert.ok(table.includes(l), l);
  });

  it('--ladder --json: the same levels and stacks, as numbers', async () => {
    const out = JSON.parse(await captured(() => runNativeFootprint({ ...FP, tick: 0.01, stackedRange: 2, ladder: true, json: true, imbalanceNotional: 0 }))) as { candles: { volume: number; levels: { price: number; bid: number; ask: number }[]; stacks: { side: string; low: number; high: number; levels: number }[] }[] };
    assert.equal(out.candles.length, 13);
    let stacks = 0;
    for (const c of out.candles) {
      assert.ok(Math.abs(c.levels.reduce((s, l) => s + l.bid + l.ask, 0) - c.volume) < 1e-6);
      for (let i = 1; i < c.levels.length; i++) assert.ok(Math.abs(c.levels[i - 1].price - c.levels[i].price - 0.1) < 1e-9, 'one row per level, highest first');
      for (const st of c.stacks) assert.ok(st.low <= st.high && ['ask', 'bid'].includes(st.side));
      stacks += c.stacks.length;
    }
    assert.ok(stacks > 0);
  });

  it('rejects a negative notional minimum or empty-level volume, naming the option', async () => {
    await assert.rejects(runNativeFootprint({ ...FP, tick: 0.01, imbalanceNotional: -1 }), (e: unknown) => e instanceof UsageError && /--imbalance-notional/.test(e.message));
    await assert.rejects(runNativeFootprint({ ...FP, tick: 0.01, emptyOpposite: -1 }), (e: unknown) => e instanceof UsageError && /--empty-opposite/.test(e.message));
  });
});
