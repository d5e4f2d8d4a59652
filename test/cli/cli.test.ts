/**
 * The CLI as a user runs it: `bin/orderflow <command>` in a checkout, no build step.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../helpers/store.ts';
import { BIN, ROOT, SAMPLES } from '../helpers/paths.ts';
import { runEach, runProcess } from '../helpers/process.ts';

async function run(args: string[], env: Record<string, string> = {}) {
  const r = await runProcess(BIN, args, { ...process.env, ...env, CI: 'true' });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

// Each case has its own home and only runs the CLI: their processes, which mostly start up,
// run side by side on two cores rather than one after another.
describe('orderflow CLI', { concurrency: 3 }, () => {
  it('prints help with examples for every command', async () => {
    const commands = ['demo', 'import', 'info', 'export', 'formats', 'cvd', 'footprint', 'sizes', 'sessions', 'liquidations', 'divergence', 'venues', 'levels', 'book', 'absorption', 'analyze', 'margin', 'backtest'];
    // Nineteen processes that only start and print: run side by side, not one after another.
    const [top, ...helps] = await runEach(BIN, [['--help'], ...commands.map((cmd) => [cmd, '--help'])], { ...process.env, CI: 'true' });
    assert.equal(top.code, 0);
    for (const [i, cmd] of commands.entries()) {
      assert.match(top.stdout, new RegExp(`\\b${cmd}\\b`));
      assert.equal(helps[i].code, 0, `${cmd} --help`);
      assert.match(helps[i].stdout, /Usage: orderflow/);
    }
    assert.match(helps[commands.indexOf('import')].stdout, /Examples:/);
  });

  it('imports files and folders, then says a re-import adds nothing', async () => {
    const home = join(tempDir(), 'home');
    const files = [join(SAMPLES, 'okx'), join(SAMPLES, 'binance-spot/BTCUSDT-aggTrades-2026-01-01.csv.gz')];
    const first = await run(['import', ...files, '--home', home]);
    assert.equal(first.code, 0, first.err);
    assert.match(first.out, /4 imported, 0 already imported, 0 failed; \d+ rows added/);
    assert.match(first.out, /binance-spot-aggTrades/);
    const again = await run(['import', ...files], { ORDERFLOW_HOME: home });
    assert.equal(again.code, 0, again.err);
    assert.match(again.out, /0 imported, 4 already imported, 0 failed; 0 rows added/);
    assert.match(again.err, /already imported/);
  });

  it('info --json lists datasets with epoch-ms times, and gaps', async () => {
    const home = join(tempDir(), 'home');
    assert.equal((await run(['import', join(SAMPLES, 'binance-spot'), '--home', home])).code, 0);
    const info = await run(['info', '--json', '--home', home, '--min-gap', '1']);
    assert.equal(info.code, 0, info.err);
    const json = JSON.parse(info.out) as { datasets: Record<string, unknown>[]; gaps: Record<string, unknown>[] };
    assert.deepEqual(json.datasets, [
      { venue: 'binance-spot', symbol: 'BTCUSDT', type: 'trade', count: 5000, first_ts: 1767225600039, last_ts: 1767226339347 },
    ]);
    assert.ok(json.gaps.length > 0, 'a 1 s threshold must find quiet seconds in 12 minutes of trades');
    for (const g of json.gaps) {
      assert.equal(g.kind, 'time');
      assert.ok((g.to_ts as number) - (g.from_ts as number) > 1000);
    }
    const human = await run(['info', '--home', home]);
    assert.match(human.out, /binance-spot\s+BTCUSDT\s+trade\s+5000/);
  });

  it('exports Parquet partitioned venue=/symbol=/date=', async () => {
    const dir = tempDir();
    const home = join(dir, 'home');
    assert.equal((await run(['import', join(SAMPLES, 'binance-spot'), '--home', home])).code, 0);
    const out = join(dir, 'pq');
    const r = await run(['export', '--out', out, '--home', home, '--tables', 'trades']);
    assert.equal(r.code, 0, r.err);
    const part = join(out, 'trades/venue=binance-spot/symbol=BTCUSDT/date=2026-01-01');
    assert.deepEqual(readdirSync(part), ['data_0.parquet']);
    // A base asset names its market on every venue; another asset matches nothing.
    const byAsset = await run(['export', '--out', join(dir, 'btc'), '--home', home, '--symbol', 'btc']);
    assert.equal(byAsset.code, 0, byAsset.err);
    assert.ok(existsSync(join(dir, 'btc/trades/venue=binance-spot/symbol=BTCUSDT')));
    assert.match((await run(['export', '--out', join(dir, 'eth'), '--home', home, '--symbol', 'ETH'])).out, /nothing matched/);
    assert.match((await run(['info', '--home', home, '--symbol', 'ETH'])).out, /nothing stored for ETH \(ETH, ETH-USDT-SWAP, ETHUSDT\)/);
  });

  it('fails clearly: bad rows name file:line and field, exit 1, store untouched', async () => {
    const dir = tempDir();
    const home = join(dir, 'home');
    const bad = join(dir, 'BTCUSDT-aggTrades-2024-08-08.csv');
    writeFileSync(bad, 'agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker\n1,61800.3,0.006,1,1,1723161256322,false\n2,61800.3,0.2,2,2,1723161256344,maybe\n');
    const r = await run(['import', bad, '--home', home]);
    assert.equal(r.code, 1);
    assert.match(r.err, /BTCUSDT-aggTrades-2024-08-08\.csv:3: .*is_buyer_maker.*maybe/);
    assert.match(r.out, /0 imported, 0 already imported, 1 failed/);
    const skip = await run(['import', bad, '--home', home, '--skip-bad-rows']);
    assert.equal(skip.code, 0, skip.err);
    assert.match(skip.err, /1 rows .* 1 bad rows skipped: E_SIDE x1/);
  });

  it('refuses unknown options, missing stores and bad times with a clear message', async () => {
    const dir = tempDir();
    const missing = await run(['info', '--home', join(dir, 'nothing')]);
    assert.equal(missing.code, 2);
    assert.match(missing.err, /no store at .*nothing/);
    assert.equal(existsSync(join(dir, 'nothing')), false, 'a read-only command must not create a store');
    assert.notEqual((await run(['import'])).code, 0);
    assert.notEqual((await run(['frobnicate'])).code, 0);
    const home = join(dir, 'home');
    assert.equal((await run(['import', join(SAMPLES, 'okx/okx-v5-ws-trades-2022-05-13.jsonl'), '--home', home])).code, 0);
    const badTime = await run(['export', '--out', join(dir, 'x'), '--home', home, '--from', 'yesterday-ish']);
    assert.equal(badTime.code, 2);
    assert.match(badTime.err, /--from: cannot read "yesterday-ish"/);
  });

  it('footprint --compat freqtrade writes what freqtrade would (reference output of the fixture)', async () => {
    const dir = tempDir();
    const fx = join(ROOT, 'test/fixtures/freqtrade/orderflow');
    const out = join(dir, 'result.json');
    const r = (await run(['footprint', '--compat', 'freqtrade', '--input', join(fx, 'synthetic-2500.csv'), '--timeframe', '5m', '--scale', '0.05',
      '--imbalance-ratio', '3', '--imbalance-volume', '0.5', '--stacked-range', '3', '--out', out]));
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /2500 trades -> \d+ candles written/);
    const got = JSON.parse(readFileSync(out, 'utf8'));
    const want = JSON.parse(readFileSync(join(fx, 'synthetic-2500.5m-s0.05-r3-v0.5-k3.reference.json'), 'utf8'));
    assert.deepEqual(got, want);
    const bad = await run(['footprint', '--compat', 'freqtrade', '--input', join(fx, 'synthetic-2500.csv')]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /needs --out <json>/);
  });

  it('cvd and native footprint read the store; spot is merged only when named', async () => {
    const home = join(tempDir(), 'home');
    assert.equal((await run(['import', join(SAMPLES, 'binance'), join(SAMPLES, 'binance-spot'), '--home', home])).code, 0);
    const cvd = await run(['cvd', '--symbol', 'BTC', '--timeframe', '1m', '--json', '--home', home]);
    assert.equal(cvd.code, 0, cvd.err);
    const bars = (JSON.parse(cvd.out) as { bars: { open_time_ms: number; delta: number; cvd: number }[] }).bars;
    assert.ok(bars.length > 0);
    assert.ok(bars.every((b) => b.open_time_ms < Date.UTC(2025, 0, 1)), 'the 2026 spot trades are not in the default (perpetual) venues');
    assert.ok(Math.abs(bars[bars.length - 1].cvd - bars.reduce((s, b) => s + b.delta, 0)) < 1e-9);
    const spot = JSON.parse((await run(['cvd', '--symbol', 'BTC', '--venues', 'binance-spot', '--timeframe', '1h', '--json', '--home', home])).out) as { bars: unknown[] };
    assert.equal(spot.bars.length, 1);
    const fp = await run(['footprint', '--symbol', 'BTCUSDT', '--venues', 'binance', '--timeframe', '1m', '--json', '--home', home]);
    assert.equal(fp.code, 0, fp.err);
    const candles = (JSON.parse(fp.out) as { candles: { volume: number; delta: number }[] }).candles;
    assert.ok(candles.length > 0);
  });

  it('venues and divergence read the store; impossible parameters exit 2 naming them', async () => {
    const home = join(tempDir(), 'home');
    assert.equal((await run(['import', join(SAMPLES, 'binance/hftbacktest-binance-um-BTCUSDT-allstreams-20240808-head.txt.gz'), '--home', home])).code, 0);
    const v = await run(['venues', '--symbol', 'BTC', '--timeframe', '10s', '--bucket', '1s', '--json', '--home', home]);
    assert.equal(v.code, 0, v.err);
    const windows = (JSON.parse(v.out) as { windows: { ts: number; window_start: number; venues: { venue: string; trades: number }[] }[] }).windows;
    assert.ok(windows.length >= 3);
    assert.equal(windows.reduce((s, w) => s + w.venues.reduce((t, x) => t + x.trades, 0), 0), 973, 'every stored trade is in exactly one window');
    for (const w of windows) assert.equal(w.ts - w.window_start, 10_000);
    const d = await run(['divergence', '--symbol', 'BTC', '--timeframes', '1s', '--window', '5', '--lookback', '10', '--json', '--home', home]);
    assert.equal(d.code, 0, d.err);
    assert.ok(Array.isArray((JSON.parse(d.out) as { events: unknown[] }).events));
    const bad = await run(['divergence', '--symbol', 'BTC', '--window', '0', '--home', home]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /window/);
  });

  it('analyze runs every operator in one pass and writes JSON and Parquet outputs', async () => {
    const dir = tempDir();
    const home = join(dir, 'home');
    assert.equal((await run(['import', join(SAMPLES, 'binance/hftbacktest-binance-um-BTCUSDT-allstreams-20240808-head.txt.gz'), '--home', home])).code, 0);
    const out = join(dir, 'analysis');
    const r = await run(['analyze', '--symbol', 'BTC', '--out', out, '--home', home]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /analysis of .*: 973 trades/);
    for (const f of ['cvd_15m.json', 'cvd_1h.json', 'cvd_1d.json', 'footprint.json', 'sizes_1h.json', 'sessions.json', 'divergence.json', 'venues_5m.json', 'cvd_1h.parquet']) {
      assert.ok(existsSync(join(out, f)), f);
    }
    const cvd = JSON.parse(readFileSync(join(out, 'cvd_1d.json'), 'utf8')) as { buy_volume: number; sell_volume: number }[];
    assert.equal(cvd.length, 1);
    assert.ok(Math.abs(cvd[0].buy_volume - 34.481) < 1e-9 && Math.abs(cvd[0].sell_volume - 41.983) < 1e-9, 'same buy/sell totals as the demo');
    // The Binance capture has a book: book and bait runs on it.
    const walls = JSON.parse(readFileSync(join(out, 'book_walls.json'), 'utf8')) as { venue: string; outcome: string }[];
    assert.ok(walls.length > 0 && walls.every((w) => w.venue === 'binance'));
    assert.match(r.out, /book binance/);
    assert.match(r.out, /predicted +0 +no open interest stored/);
  });

  it('analyze adds predicted levels and their check where open interest is stored', async () => {
    const home = join(tempDir(), 'home');
    for (const f of ['bybit-v5-linear-ws-tickers-2026-08-09.jsonl.gz', 'bybit-v5-linear-ws-publicTrade-2026-08-09.jsonl']) {
      assert.equal((await run(['import', join(SAMPLES, 'bybit', f), '--home', home])).code, 0);
    }
    const out = join(tempDir(), 'analysis');
    const r = await run(['analyze', '--symbol', 'BTC', '--venues', 'bybit', '--out', out, '--home', home]);
    assert.equal(r.code, 0, r.err);
    const levels = JSON.parse(readFileSync(join(out, 'predicted_levels.json'), 'utf8')) as { side: string; price: number }[];
    assert.ok(levels.some((l) => l.side === 'long') && levels.some((l) => l.side === 'short'));
    assert.ok(levels.every((l) => (l.side === 'long' ? l.price < 65_114 : l.price > 65_114)));
    const [check] = JSON.parse(readFileSync(join(out, 'predicted_check.json'), 'utf8')) as { liquidations: number }[];
    assert.equal(check.liquidations, 0, 'no liquidations stored in these files');
    assert.match(r.out, /predicted +\d+ +longs/);
  });

  it('info says which venues sample their liquidation feeds', async () => {
    const home = join(tempDir(), 'home');
    assert.equal((await run(['import', join(ROOT, 'test/fixtures/bybit/tardisnode-bybit-v5-ws-samples.jsonl'), '--home', home])).code, 0);
    const r = await run(['info', '--home', home]);
    assert.match(r.out, /liquidations are sampled by the venues:\n  bybit: allLiquidation/);
    const j = JSON.parse((await run(['info', '--json', '--home', home])).out) as { liquidationSampling: Record<string, string>; interruptedRecordings: number };
    assert.match(j.liquidationSampling.bybit, /500 ms/);
    assert.equal(j.interruptedRecordings, 0);
  });

  it('levels projects liquidation prices from real Bybit open interest', async () => {
    const home = join(tempDir(), 'home');
    for (const f of ['bybit-v5-linear-ws-tickers-2026-08-09.jsonl.gz', 'bybit-v5-linear-ws-publicTrade-2026-08-09.jsonl']) {
      assert.equal((await run(['import', join(SAMPLES, 'bybit', f), '--home', home])).code, 0);
    }
    const r = await run(['levels', '--symbol', 'BTC', '--venues', 'bybit', '--json', '--home', home]);
    assert.equal(r.code, 0, r.err);
    type Level = { price: number; distance: number; distance_bps: number };
    const snap = JSON.parse(r.out) as { longs: Level[]; shorts: Level[]; long_notional: number; last_price: number };
    assert.ok(snap.longs.length > 0 && snap.shorts.length > 0);
    // BTC traded near 65,114 in the capture: longs liquidate below it, shorts above.
    assert.ok(snap.longs.every((l) => l.price < 65_114) && snap.shorts.every((l) => l.price > 65_114));
    assert.equal(snap.last_price, 65_114.3, 'the last trade of the capture');
    for (const l of [...snap.longs, ...snap.shorts]) {
      assert.ok(Math.abs(l.distance - (l.price - 65_114.3)) < 1e-6 && Math.abs(l.distance_bps - 1e4 * (l.price / 65_114.3 - 1)) < 1e-6);
    }
    const text = (await run(['levels', '--symbol', 'BTC', '--venues', 'bybit', '--home', home])).out;
    assert.match(text, /last price 65114\.3 /);
    assert.match(text, /^longs +64761\.2 +-353\.1 +-54\.2 /m, 'price and distance on the 0.1 tick, bps');
    const heat = JSON.parse((await run(['levels', '--symbol', 'BTC', '--venues', 'bybit', '--heatmap', '--timeframe', '1m', '--json', '--home', home])).out) as { kind: string; bucket_starts: number[]; long: number[][]; bin_prices: number[] };
    assert.equal(heat.kind, 'predicted');
    assert.equal(heat.long.length, heat.bucket_starts.length);
    // The last row is the snapshot at the last event: the same levels as the plain snapshot.
    const lastRow = heat.long[heat.long.length - 1];
    assert.deepEqual(lastRow.map((v, k) => [heat.bin_prices[k], v]).filter(([, v]) => v > 0).map(([p]) => p.toFixed(6)), snap.longs.map((l) => l.price.toFixed(6)));
    assert.match((await run(['levels', '--symbol', 'BTC', '--venues', 'bybit', '--heatmap', '--home', home])).out, /^PREDICTED liquidation heatmap/m);
    const none = await run(['levels', '--symbol', 'BTC', '--venues', 'binance', '--home', home]);
    assert.match(none.out, /no open interest stored/);
  });

  it('book finds walls in the real Bybit book and says what became of them', async () => {
    const home = join(tempDir(), 'home');
    for (const f of ['bybit-v5-linear-ws-orderbook200-2026-08-09.jsonl.gz', 'bybit-v5-linear-ws-publicTrade-2026-08-09.jsonl']) {
      assert.equal((await run(['import', join(SAMPLES, 'bybit', f), '--home', home])).code, 0);
    }
    const r = await run(['book', '--symbol', 'BTCUSDT', '--venue', 'bybit', '--json', '--home', home]);
    assert.equal(r.code, 0, r.err);
    type Walls = { walls: { outcome: string; peak: number; typicalSize: number; notional: number; depthShare: number }[]; imbalance: { imbalance: number | null }[] };
    const { walls, imbalance } = JSON.parse(r.out) as Walls;
    assert.ok(walls.length > 0);
    for (const w of walls) {
      assert.ok(['bait', 'pulled', 'consumed', 'resting'].includes(w.outcome));
      assert.ok(w.peak >= 5 * w.typicalSize * 0.999, 'a wall is at least 5x the typical level');
      assert.ok(w.notional >= 25_000 && w.depthShare >= 0.2, 'and real size: no dust');
    }
    assert.equal(imbalance.length, 414, 'one imbalance sample per book message');
    // The size floors are options: without them the dust comes back.
    const dust = JSON.parse((await run(['book', '--symbol', 'BTCUSDT', '--venue', 'bybit', '--min-notional', '0', '--min-depth-share', '0', '--bait-distance', '50', '--approach', '5s', '--json', '--home', home])).out) as Walls;
    assert.ok(dust.walls.length > 5 * walls.length, `${dust.walls.length} walls without the floors, ${walls.length} with`);
    const table = await run(['book', '--symbol', 'BTCUSDT', '--venue', 'bybit', '--home', home]);
    assert.match(table.out, new RegExp(`${walls.length} walls \\(bait 0, pulled 0, consumed 0, resting ${walls.length}\\)`));
    assert.equal((await run(['book', '--symbol', 'BTC', '--venue', 'ftx', '--home', home])).code, 2);
    const bad = await run(['book', '--symbol', 'BTCUSDT', '--venue', 'bybit', '--min-depth-share', '2', '--home', home]);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /minDepthShare/);
  });

  it('absorption reads clusters then flow; a missing --zones-at is a usage error', async () => {
    const home = join(tempDir(), 'home');
    assert.equal((await run(['import', join(SAMPLES, 'okx'), '--home', home])).code, 0);
    const r = await run(['absorption', '--symbol', 'BTC', '--zones-at', '2022-05-13T16:27:00Z', '--json', '--home', home]);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(JSON.parse(r.out), { zones: [], events: [] }, 'no liquidations stored: no zones, no events');
    assert.notEqual((await run(['absorption', '--symbol', 'BTC', '--home', home])).code, 0);
  });

  it('runs the offline demo on the bundled samples', async () => {
    const home = join(tempDir(), 'home');
    const r = await run(['demo', '--samples', '--home', home]);
    assert.equal(r.code, 0, r.err + r.out);
    assert.doesNotMatch(r.out, /FAILED/);
    assert.match(r.out, /aggressive flow per market/);
    assert.match(r.out, /binance\s+BTCUSDT\s+trade\s+973/);
    assert.match(r.out, /footprint of binance BTCUSDT, 10s candles/);
    // 3x isolated long of 0.1 BTC at 61,832.3: LP = (2,061.08 - 6,183.23) / (0.1 x 0.004 - 0.1) = 41,387.1
    assert.match(r.out, /3x\s+2061\.1\s+0\.40%\s+41387\.1/);
  });
});
