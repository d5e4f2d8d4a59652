/** The functions behind `orderflow sizes`, `orderflow sessions` and `orderflow liquidations`, on temp stores. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { UsageError } from '../../src/core/errors.ts';
import { registerLiquidations } from '../../src/cli/liquidations.ts';
import { registerSessions } from '../../src/cli/sessions.ts';
import { registerSizes } from '../../src/cli/sizes.ts';
import { Store } from '../../src/store/store.ts';
import { realFile } from '../helpers/real-data.ts';
import { importInto, tempDir } from '../helpers/store.ts';

const SAMPLE = fileURLToPath(new URL('../../samples/binance-spot/BTCUSDT-aggTrades-2026-01-01.csv.gz', import.meta.url));
const D = Date.UTC(2026, 0, 1);

/**
 * A store under a fresh home (its folder made now: tempDir's cleanup belongs to the file, not to
 * the test that first uses it), filled by `fill` and closed on first use.
 */
function lazyHome(fill: (store: Store) => Promise<void>): () => Promise<string> {
  const home = join(tempDir(), 'home');
  let made: Promise<string> | undefined;
  return () =>
    (made ??= (async () => {
      const store = await Store.open(home);
      try {
        await fill(store);
      } finally {
        store.close();
      }
      return home;
    })());
}

const spotHome = lazyHome((s) => importInto(s, SAMPLE).then(() => undefined));
const liqHome = lazyHome(async (s) => {
  await importInto(s, realFile('tardisnode-okex-futures-v5-ws-samples.jsonl'));
  await importInto(s, realFile('tardisnode-bybit-v5-ws-samples.jsonl'));
});
/** Hand-made liquidations and trades of binance BTCUSDT (prices in 10 bps bins: 100 and 99.99 share one). */
const synthHome = lazyHome(async (s) => {
  const liqs: [number, number, number, 'buy' | 'sell'][] = [
    [D, 100, 1, 'sell'],
    [D + 500, 120, 1, 'buy'],
    [D + 2000, 100, 2, 'sell'],
  ];
  for (const [ts, price, qty, side] of liqs) {
    await s.run("INSERT INTO liquidations (venue, symbol, ts, price, qty, side, liq_id, import_id) VALUES ('binance', 'BTCUSDT', make_timestamp($1::BIGINT), $2, $3, $4, '', 1)", [BigInt(ts * 1000), price, qty, side]);
  }
  const trades: [number, number][] = [
    [D - 1000, 100], // before any liquidation: ignored
    [D + 1000, 100], // touches the long bin before its last liquidation: not a revisit
    [D + 2000, 100], // same ts as the last liquidation: not strictly after
    [D + 3000, 150],
    [D + 4000, 99.99], // revisits the long cluster
  ];
  for (const [ts, price] of trades) {
    await s.run("INSERT INTO trades (venue, symbol, ts, price, qty, side, import_id) VALUES ('binance', 'BTCUSDT', make_timestamp($1::BIGINT), $2, 1, 'buy', 1)", [BigInt(ts * 1000), price]);
  }
});

/** Run one command through commander; stdout lines joined (stderr swallowed). */
async function run(register: (p: Command) => void, home: string, args: string[]): Promise<string> {
  const program = new Command('orderflow').exitOverride();
  register(program);
  const lines: string[] = [];
  const { log, error } = console;
  console.log = (...a: unknown[]) => void lines.push(a.join(' '));
  console.error = () => {};
  try {
    await program.parseAsync([args[0], '--home', home, ...args.slice(1)], { from: 'user' });
  } finally {
    console.log = log;
    console.error = error;
  }
  return lines.join('\n');
}

const sizes = async (...a: string[]) => run(registerSizes, await spotHome(), ['sizes', ...a]);
const sessions = async (...a: string[]) => run(registerSessions, await spotHome(), ['sessions', ...a]);
const liquidations = async (...a: string[]) => run(registerLiquidations, await liqHome(), ['liquidations', ...a]);
const synth = async (...a: string[]) => run(registerLiquidations, await synthHome(), ['liquidations', ...a]);

async function sql<T>(home: string, query: string): Promise<T[]> {
  const store = await Store.open(home, { readOnly: true });
  try {
    return await store.rows<T>(query);
  } finally {
    store.close();
  }
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b));
const rejectsNaming = (p: Promise<unknown>, option: string) => assert.rejects(p, (e: unknown) => e instanceof UsageError && e.message.includes(option));
const BUCKETS = ['small', 'medium', 'large', 'whale'] as const;

describe('orderflow sizes', () => {
  it('--json: per-bar bucket flow whose buckets add up to the bar and the bars to the stored notional', async () => {
    const out = JSON.parse(await sizes('--symbol', 'BTCUSDT', '--venues', 'binance-spot', '--timeframe', '1m', '--json')) as { bars: Record<string, any>[] };
    assert.deepEqual(Object.keys(out), ['bars']);
    assert.equal(out.bars.length, 13);
    assert.equal(out.bars[0].open_time_ms, D);
    for (const k of ['buy_notional', 'sell_notional', 'delta_notional', 'weighted_delta_notional', 'medium_min', 'large_min', 'whale_min', 'adaptive', 'big_prints', ...BUCKETS]) assert.ok(k in out.bars[0], k);
    let total = 0;
    let trades = 0;
    for (const b of out.bars) {
      const sum = BUCKETS.reduce((s, k) => s + b[k].buy_notional + b[k].sell_notional, 0);
      assert.ok(close(sum, b.buy_notional + b.sell_notional));
      assert.ok(close(BUCKETS.reduce((s, k) => s + b[k].delta_notional, 0), b.delta_notional));
      assert.equal(b.big_prints.length, b.whale.prints);
      total += sum;
      trades += b.trades;
    }
    const [{ n, notional }] = await sql<{ n: bigint; notional: number }>(await spotHome(), "SELECT count(*) AS n, sum(price * qty) AS notional FROM trades WHERE venue = 'binance-spot' AND symbol = 'BTCUSDT'");
    assert.equal(trades, Number(n));
    assert.ok(close(total, notional), `${total} vs ${notional}`);
  });

  it('--fixed thresholds (no whale: null in JSON), --big-min, the table', async () => {
    const out = JSON.parse(await sizes('--symbol', 'BTC', '--venues', 'binance-spot', '--timeframe', '15m', '--fixed', '100,1000,inf', '--big-min', 'large', '--json')) as { bars: Record<string, any>[] };
    assert.equal(out.bars.length, 1);
    const b = out.bars[0];
    assert.deepEqual([b.medium_min, b.large_min, b.whale_min, b.adaptive], [100, 1000, null, false]);
    assert.equal(b.whale.prints, 0);
    assert.equal(b.big_prints.length, b.large.prints);
    for (const p of b.big_prints) assert.ok(p.notional >= 1000);
    const text = await sizes('--symbol', 'BTCUSDT', '--venues', 'binance-spot', '--timeframe', '5m');
    assert.match(text, /size flow of binance-spot BTCUSDT: 3 bars of 5m/);
    assert.match(text, /adaptive thresholds/);
    assert.equal(text.split('\n').filter((l) => l.startsWith('2026-01-01')).length, 3);
    assert.match(await sizes('--symbol', 'BTCUSDT', '--venues', 'binance-spot', '--from', '2025-01-01', '--to', '2025-01-02'), /no trades stored .* in that time range/);
  });

  it('bad options are UsageErrors naming the option', async () => {
    await rejectsNaming(sizes('--symbol', 'BTC', '--fixed', '1,2'), '--fixed');
    await rejectsNaming(sizes('--symbol', 'BTC', '--fixed', '3,2,1'), '--fixed');
    await rejectsNaming(sizes('--symbol', 'BTC', '--window-hours', '0.5'), '--window-hours');
    await rejectsNaming(sizes('--symbol', 'BTC', '--window-hours', '6', '--fixed', '1,2,3'), '--window-hours');
    await rejectsNaming(sizes('--symbol', 'BTC', '--big-min', 'huge'), '--big-min');
    await rejectsNaming(sizes('--symbol', 'BTC', '--timeframe', '15'), '--timeframe');
    await rejectsNaming(sizes('--symbol', 'BTC', '--venues', 'ftx'), '--venues');
  });
});

describe('orderflow sessions', () => {
  it('--json: one row per session occurrence, volumes equal to DuckDB sums over the same trades', async () => {
    const out = JSON.parse(await sessions('--symbol', 'BTCUSDT', '--venues', 'binance-spot', '--sessions', 'early=00:00-00:05,late=00:05-23:00', '--json')) as { sessions: Record<string, any>[] };
    assert.deepEqual(Object.keys(out), ['sessions']);
    assert.deepEqual(out.sessions.map((s) => [s.date, s.session]), [['2026-01-01', 'early'], ['2026-01-01', 'late']]);
    const sums = await sql<{ late: boolean; vol: number; buy: number; sell: number; notional: number; n: bigint; hi: number; lo: number }>(
      await spotHome(),
      `SELECT ts >= TIMESTAMP '2026-01-01 00:05:00' AS late, sum(qty) AS vol, sum(qty) FILTER (side = 'buy') AS buy, sum(qty) FILTER (side = 'sell') AS sell,
        sum(price * qty) AS notional, count(*) AS n, max(price) AS hi, min(price) AS lo
       FROM trades WHERE venue = 'binance-spot' AND symbol = 'BTCUSDT' GROUP BY ALL ORDER BY late`,
    );
    assert.equal(sums.length, 2);
    for (const [i, s] of out.sessions.entries()) {
      const want = sums[i];
      assert.ok(close(s.volume, want.vol) && close(s.buy_volume, want.buy) && close(s.sell_volume, want.sell), `${s.volume} ${s.buy_volume} ${s.sell_volume} vs ${want.vol} ${want.buy} ${want.sell}`);
      assert.ok(close(s.notional, want.notional));
      assert.ok(close(s.delta_volume, want.buy - want.sell));
      assert.equal(s.trades, Number(want.n));
      assert.deepEqual([s.high, s.low], [want.hi, want.lo]);
      assert.ok(s.print_p50 <= s.print_p90 && s.print_p90 <= s.print_p99);
      for (const k of ['open', 'close', 'impact_bps_per_m', 'print_p50']) assert.ok(k in s, k);
    }
  });

  it('default sessions and the table', async () => {
    const out = JSON.parse(await sessions('--symbol', 'BTC', '--venues', 'binance-spot', '--json')) as { sessions: Record<string, any>[] };
    assert.deepEqual(out.sessions.map((s) => s.session), ['Asia']);
    const text = await sessions('--symbol', 'BTCUSDT', '--venues', 'binance-spot', '--sessions', 'asia=00:00-08:00,europe=08:00-13:30,us=13:30-21:00');
    assert.match(text, /sessions of binance-spot BTCUSDT: 1 session occurrences\nwindows: asia=00:00-08:00,europe=08:00-13:30,us=13:30-21:00; /);
    assert.match(text, /^2026-01-01 +asia\* +87648\.21 /m, "cut off: the sample ends at 00:12, inside the 00:00-08:00 window");
  });

  it('bad options are UsageErrors naming the option', async () => {
    await rejectsNaming(sessions('--symbol', 'BTC', '--sessions', 'asia=08:00-08:00'), '--sessions');
    await rejectsNaming(sessions('--symbol', 'BTC', '--sessions', 'a=00:00-09:00@Nowhere/City'), '--sessions');
    await rejectsNaming(sessions('--symbol', 'BTC', '--from', 'yesterday'), '--from');
  });
});

/** Trades on both sides of the 2024 daylight-saving changes of New York and London. */
const dstHome = lazyHome(async (s) => {
  const at = ['2024-01-15T15:00Z', '2024-03-10T15:00Z', '2024-03-31T07:30Z', '2024-07-15T14:00Z'];
  for (const t of at) {
    await s.run("INSERT INTO trades (venue, symbol, ts, price, qty, side, import_id) VALUES ('binance', 'BTCUSDT', make_timestamp($1::BIGINT), 100, 1, 'buy', 1)", [BigInt(Date.parse(t) * 1000)]);
  }
});

describe('orderflow sessions in market time', () => {
  it('--json: US opens 14:30 UTC in January and 13:30 UTC in July, Europe moves with London, overlaps count twice', async () => {
    const out = JSON.parse(await run(registerSessions, await dstHome(), ['sessions', '--symbol', 'BTCUSDT', '--venues', 'binance', '--json'])) as { sessions: Record<string, any>[] };
    const iso = (ms: number) => new Date(ms).toISOString().slice(0, 16);
    assert.deepEqual(
      out.sessions.map((r) => [r.session, r.date, iso(r.start_ms), iso(r.end_ms)]),
      [
        ['Europe', '2024-01-15', '2024-01-15T08:00', '2024-01-15T16:30'],
        ['US', '2024-01-15', '2024-01-15T14:30', '2024-01-15T21:00'],
        ['Europe', '2024-03-10', '2024-03-10T08:00', '2024-03-10T16:30'], // London still on GMT
        ['US', '2024-03-10', '2024-03-10T13:30', '2024-03-10T20:00'], // New York's first EDT day
        ['Asia', '2024-03-31', '2024-03-31T00:00', '2024-03-31T09:00'],
        ['Europe', '2024-03-31', '2024-03-31T07:00', '2024-03-31T15:30'], // London's first BST day
        ['Europe', '2024-07-15', '2024-07-15T07:00', '2024-07-15T15:30'],
        ['US', '2024-07-15', '2024-07-15T13:30', '2024-07-15T20:00'],
      ],
    );
    // The data read runs from the first trade (01-15 15:00) to the last (07-15 14:00): sessions
    // that open before the first or close after the last are cut off; the ones between are whole.
    assert.deepEqual(out.sessions.map((r) => r.complete), [false, false, true, true, true, true, false, false]);
  });
});

describe('orderflow liquidations', () => {
  it('clusters of real OKX liquidations (--json), with the side liquidated and NaN as null', async () => {
    const out = JSON.parse(await liquidations('--symbol', 'XRP-USD-230929', '--venues', 'okx', '--median-multiple', '0', '--bin-multiple', '0', '--cluster-multiple', '0', '--json')) as Record<string, any>;
    assert.equal(out.ts, 1680173247614); // the last event
    assert.deepEqual(out.bins, { bps: 10 });
    assert.equal(out.half_life_ms, 4 * 3_600_000);
    assert.equal(out.clusters.length, 1);
    const c = out.clusters[0];
    assert.deepEqual([c.side, c.count, Math.round(c.notional), c.venues, c.revisited, c.last_touch_ts], ['short', 2, 780, ['okx'], false, null]);
    assert.ok(c.low <= 0.55205 * 1.0005 && c.high >= 0.55205 / 1.0005);
    assert.deepEqual(out.longs, []);
    assert.equal(out.shorts.length, 1);
    // Before the first liquidation: an empty snapshot.
    const early = JSON.parse(await liquidations('--symbol', 'XRP-USD-230929', '--venues', 'okx', '--at', '2023-01-01', '--json')) as Record<string, any>;
    assert.deepEqual([early.ts, early.clusters], [null, []]);
  });

  it('--bin-ticks uses the registry tick, or needs --tick for an unknown instrument', async () => {
    const out = JSON.parse(await liquidations('--symbol', 'XRPUSD', '--venues', 'bybit', '--bin-ticks', '10', '--median-multiple', '0', '--bin-multiple', '0', '--cluster-multiple', '0', '--json')) as Record<string, any>;
    assert.deepEqual(out.bins, { tick: 0.0001, bin_ticks: 10 });
    assert.deepEqual(out.clusters.map((c: any) => [c.side, c.low, c.high, Math.round(c.notional)]), [['short', 0.515, 0.515, 6949]]);
    await assert.rejects(liquidations('--symbol', 'GALAUSDT', '--venues', 'bybit', '--bin-ticks', '10'), (e: unknown) => e instanceof UsageError && /bybit GALAUSDT/.test(e.message) && /--tick/.test(e.message));
    const gala = JSON.parse(await liquidations('--symbol', 'GALAUSDT', '--venues', 'bybit', '--bin-ticks', '10', '--tick', '0.00001', '--median-multiple', '0', '--bin-multiple', '0', '--cluster-multiple', '0', '--json')) as Record<string, any>;
    assert.deepEqual(gala.clusters.map((c: any) => [c.side, c.low, c.count]), [['long', 0.038, 1]]);
  });

  it('the table reminds that feeds are sampled; --heatmap as JSON and as a table', async () => {
    const text = await liquidations('--symbol', 'XRPUSD', '--venues', 'bybit');
    assert.match(text, /liquidation clusters of bybit XRPUSD at 2023-04-05 05:52:24\.093: 0 long, 0 short/);
    assert.match(text, /sampled[^]*lower bounds[^]*docs\/NORMALIZATION\.md/);
    assert.match(text, /no clusters/);
    const listed = await liquidations('--symbol', 'XRP-USD-230929', '--venues', 'okx', '--median-multiple', '0', '--bin-multiple', '0', '--cluster-multiple', '0');
    // Zone edges on the instrument's tick (0.00001), the table within 120 columns.
    assert.match(listed, /^short +0\.55228 +0\.55228 +0\.55228 +780\.\d\d .* 2 +okx +2023-03-30 10:47:27\.614 +no$/m);
    assert.ok(listed.split('\n').every((l) => l.length <= 120), listed);
    const wide = await liquidations('--symbol', 'XRP-USD-230929', '--venues', 'okx', '--median-multiple', '0', '--bin-multiple', '0', '--cluster-multiple', '0', '--wide');
    assert.match(wide, /^short +0\.55228 +0\.55228 +0\.55228 +780\.\d\d .* 2 +okx +2023-03-30 10:47:27\.614 +2023-03-30 10:47:27\.614 +no$/m);
    const heat = JSON.parse(await liquidations('--symbol', 'XRP-USD-230929', '--venues', 'okx', '--heatmap', '--timeframe', '1h', '--json')) as Record<string, any>;
    assert.deepEqual(heat.bucket_starts, [Date.UTC(2023, 2, 30, 10)]);
    assert.equal(heat.bin_prices.length, 1);
    assert.deepEqual(heat.long, [[0]]);
    assert.equal(Math.round(heat.short[0][0]), 780);
    const table = await liquidations('--symbol', 'XRP-USD-230929', '--venues', 'okx', '--heatmap');
    assert.match(table, /^REALIZED liquidation heatmap of okx XRP-USD-230929: 1 buckets of 1h x 1 price bins \(10 bps bins\)$/m);
    assert.match(table, /predicted levels from open interest: orderflow levels --heatmap/);
    assert.match(table, /^1 non-empty cells/m);
    assert.match(table, /^2023-03-30 10:00:00\.000 +short +0\.55\d* +780\.\d\d$/m);
    assert.match(await liquidations('--symbol', 'ETH', '--venues', 'okx'), /no liquidations stored for okx ETH-USDT-SWAP/);
  });

  it('revisited: trades merged by time, a touch must come strictly after the last liquidation', async () => {
    const all = JSON.parse(await synth('--symbol', 'BTCUSDT', '--venues', 'binance', '--median-multiple', '0', '--bin-multiple', '0', '--cluster-multiple', '0', '--json')) as Record<string, any>;
    assert.equal(all.ts, D + 4000); // the last event is a trade
    assert.deepEqual(
      all.clusters.map((c: any) => [c.side, c.count, c.notional, c.first_ts, c.last_ts, c.revisited, c.last_touch_ts]),
      [
        ['long', 2, 300, D, D + 2000, true, D + 4000],
        ['short', 1, 120, D + 500, D + 500, false, null],
      ],
    );
    const before = JSON.parse(await synth('--symbol', 'BTCUSDT', '--venues', 'binance', '--median-multiple', '0', '--bin-multiple', '0', '--cluster-multiple', '0', '--at', String(D + 3500), '--json')) as Record<string, any>;
    assert.equal(before.ts, D + 3500);
    assert.deepEqual(before.clusters.map((c: any) => [c.side, c.revisited]), [['long', false], ['short', false]]);
    // Intensity decays by the half-life: 1h after the last liquidation with --half-life 1h.
    const later = JSON.parse(await synth('--symbol', 'BTC', '--venues', 'binance', '--median-multiple', '0', '--bin-multiple', '0', '--cluster-multiple', '0', '--half-life', '1h', '--at', String(D + 2000 + 3_600_000), '--json')) as Record<string, any>;
    assert.ok(close(later.clusters[0].intensity, (100 * 2 ** (-2000 / 3_600_000) + 200) / 2));
    const text = await synth('--symbol', 'BTCUSDT', '--venues', 'binance', '--median-multiple', '0', '--bin-multiple', '0', '--cluster-multiple', '0');
    assert.match(text, /^long .* yes 2026-01-01 00:00:04\.000$/m);
  });

  it('bad options are UsageErrors naming the option', async () => {
    await rejectsNaming(synth('--symbol', 'BTC', '--bps', '0'), '--bps');
    await rejectsNaming(synth('--symbol', 'BTC', '--bps', '5', '--bin-ticks', '10'), '--bps');
    await rejectsNaming(synth('--symbol', 'BTC', '--bin-ticks', '1.5'), '--bin-ticks');
    await rejectsNaming(synth('--symbol', 'BTC', '--tick', '0.1'), '--tick');
    await rejectsNaming(synth('--symbol', 'BTC', '--half-life', '4x'), '--half-life');
    await rejectsNaming(synth('--symbol', 'BTC', '--median-multiple', '-1'), '--median-multiple');
    await rejectsNaming(synth('--symbol', 'BTC', '--window-bins', '2.5'), '--window-bins');
    await rejectsNaming(synth('--symbol', 'BTC', '--cluster-multiple', 'x'), '--cluster-multiple');
    await rejectsNaming(synth('--symbol', 'BTC', '--heatmap', '--bin-multiple', '1'), '--bin-multiple');
    await rejectsNaming(synth('--symbol', 'BTC', '--at', 'noon'), '--at');
    await rejectsNaming(synth('--symbol', 'BTC', '--heatmap', '--at', '2026-01-01'), '--at');
    await rejectsNaming(synth('--symbol', 'BTC', '--timeframe', '1h'), '--timeframe');
    await rejectsNaming(synth('--symbol', 'BTC', '--heatmap', '--top', '0'), '--top');
    await rejectsNaming(synth('--symbol', 'BTC', '--heatmap', '--timeframe', '1y'), '--timeframe');
    await rejectsNaming(synth('--symbol', 'BTC', '--heatmap', '--bps', '0.0001', '--from', '2020-01-01', '--to', '2027-01-01'), '--heatmap');
  });
});
