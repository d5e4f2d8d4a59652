/**
 * What a new user meets in the first hour: times without a zone, symbols spelled every way,
 * typos. Through `bin/orderflow` as they run it.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import fc from 'fast-check';
import { closestSymbols, editDistance, okxKind } from '../../src/core/symbols.ts';
import { defaultConfig, loadConfig } from '../../src/engine/config.ts';
import { tempDir } from '../helpers/store.ts';
import { parseTime } from '../../src/cli/options.ts';
import { BIN, ROOT, SAMPLES } from '../helpers/paths.ts';
import { runProcess } from '../helpers/process.ts';


interface Bar {
  open_time_ms: number;
  delta: number;
}

/** Async: the cases of a suite run side by side (each only reads, or has its own folder). */
async function run(args: string[], env: Record<string, string> = {}) {
  const r = await runProcess(BIN, args, { ...process.env, ...env, CI: 'true' });
  return { code: r.code, out: r.stdout, err: r.stderr };
}

// The Binance and OKX samples, imported once for the two suites below (both only read them).
// Made now: tempDir's cleanup belongs to the file, not to the hook.
const home = join(tempDir(), 'home');
let imported: Promise<void> | undefined;
const importSamples = () =>
  (imported ??= run(['import', join(SAMPLES, 'binance'), join(SAMPLES, 'okx'), '--home', home]).then((r) => assert.equal(r.code, 0, r.err)));

describe('times without a zone are UTC', { concurrency: 3 }, () => {
  before(importSamples);

  it('cvd --from/--to select the same bars in Tokyo, New York and UTC', async () => {
    const from = Date.UTC(2024, 7, 8, 23, 54, 30);
    const to = Date.UTC(2024, 7, 8, 23, 54, 40);
    const zones = ['UTC', 'Asia/Tokyo', 'America/New_York', 'Pacific/Chatham'];
    const runs = await Promise.all(zones.map((TZ) => run(['cvd', '--symbol', 'BTCUSDT', '--venues', 'binance', '--timeframe', '1s', '--from', '2024-08-08T23:54:30', '--to', '2024-08-08 23:54:40', '--json', '--home', home], { TZ })));
    const outs = runs.map((r, i) => {
      assert.equal(r.code, 0, `${zones[i]}: ${r.err}`);
      return r.out;
    });
    for (const o of outs.slice(1)) assert.equal(o, outs[0]);
    const bars = (JSON.parse(outs[0]) as { bars: Bar[] }).bars;
    assert.ok(bars.length >= 5, `trades every second of the sample: ${bars.length} bars`);
    assert.equal(bars[0].open_time_ms, from);
    assert.ok(bars.every((b) => b.open_time_ms >= from && b.open_time_ms < to));
  });

  it('a zone, when given, is honoured', async () => {
    const a = await run(['cvd', '--symbol', 'BTCUSDT', '--venues', 'binance', '--timeframe', '1s', '--from', '2024-08-09T01:54:30+02:00', '--to', '2024-08-08T23:54:40Z', '--json', '--home', home], { TZ: 'Asia/Tokyo' });
    const b = await run(['cvd', '--symbol', 'BTCUSDT', '--venues', 'binance', '--timeframe', '1s', '--from', String(Date.UTC(2024, 7, 8, 23, 54, 30)), '--to', '2024-08-08T23:54:40', '--json', '--home', home]);
    assert.equal(a.code, 0, a.err);
    assert.equal(a.out, b.out);
  });

  it('parseTime reads any ISO time without a zone as UTC, whatever the machine zone', async () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1990, 0, 1), max: Date.UTC(2100, 0, 1) }), (ms) => {
        const iso = new Date(ms).toISOString();
        assert.equal(parseTime(iso.slice(0, -1), '--from'), ms);
        assert.equal(parseTime(iso.slice(0, 19).replace('T', ' '), '--from'), Math.floor(ms / 1000) * 1000);
        assert.equal(parseTime(`${iso.slice(0, -1)}-03:30`, '--from'), ms + 3.5 * 3_600_000);
      }),
    );
  });

  it('refuses what is not a time, or a date that does not exist, naming the option', async () => {
    for (const bad of ['2024-02-30', 'Aug 8 2024', '2024-08-08T24:00', '08/08/2024', '2024-8-8', '']) {
      assert.throws(() => parseTime(bad, '--to'), /--to: cannot read/, bad);
    }
  });
});

describe('--symbol resolution', { concurrency: 3 }, () => {
  before(importSamples);
  const cvd = (...a: string[]) => run(['cvd', '--timeframe', '1h', '--json', '--home', home, ...a]);

  it('OKX spot is never merged into the perpetuals: an error naming the swap, or read alone with --venues okx', async () => {
    const merged = await cvd('--symbol', 'BTC-USDT');
    assert.equal(merged.code, 2);
    assert.match(merged.err, /BTC-USDT is OKX spot/);
    assert.match(merged.err, /--symbol BTC-USDT-SWAP/);
    assert.match(merged.err, /--venues okx/);
    const alone = await cvd('--symbol', 'BTC-USDT', '--venues', 'okx', '--per-venue');
    assert.equal(alone.code, 0, alone.err);
    const json = JSON.parse(alone.out) as { bars: Bar[]; venues: Record<string, Bar[]> };
    assert.deepEqual(Object.keys(json.venues), ['okx']);
    assert.equal(json.bars.length, 1);
    // The spot trades are all of it: nothing of the Binance perpetual came in.
    assert.equal(json.bars[0].open_time_ms, Date.UTC(2022, 4, 13, 16));
  });

  it('an OKX-only instrument is read on OKX alone, and refused on venues that do not list it', async () => {
    const r = await run(['cvd', '--symbol', 'UNI-USD-SWAP', '--timeframe', '1h', '--home', home]);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /cvd of okx UNI-USD-SWAP:/);
    assert.doesNotMatch(r.out, /binance|bybit/);
    const wrong = await cvd('--symbol', 'UNI-USD-SWAP', '--venues', 'binance,bybit');
    assert.equal(wrong.code, 2);
    assert.match(wrong.err, /UNI-USD-SWAP is an OKX inverse \(coin-margined\) perpetual swap, listed on OKX only/);
    const future = await run(['footprint', '--symbol', 'btc-usd-220527', '--timeframe', '1m', '--tick', '0.1', '--json', '--home', home]);
    assert.equal(future.code, 0, future.err);
    assert.ok((JSON.parse(future.out) as { candles: unknown[] }).candles.length > 0);
  });

  it('a typo is an error suggesting the closest symbols, for every command reading a market', async () => {
    const commands = [['cvd'], ['sizes'], ['footprint', '--tick', '1'], ['divergence'], ['book', '--venue', 'binance']];
    const runs = await Promise.all(commands.map((cmd) => run([...cmd, '--symbol', 'BTCUSTD', '--home', home])));
    for (const [i, cmd] of commands.entries()) {
      const r = runs[i];
      assert.equal(r.code, 2, `${cmd[0]}: ${r.out}${r.err}`);
      assert.match(r.err, /--symbol BTCUSTD: no such market/, cmd[0]);
      assert.match(r.err, /did you mean [^?]*\bBTCUSDT\b/, cmd[0]);
    }
  });

  it('info and export keep an OKX-only id to itself, and suggest names on a miss', async () => {
    const spot = await run(['info', '--symbol', 'BTC-USDT', '--json', '--home', home]);
    assert.equal(spot.code, 0, spot.err);
    const sets = (JSON.parse(spot.out) as { datasets: { venue: string; symbol: string }[] }).datasets;
    assert.ok(sets.length > 0);
    assert.deepEqual([...new Set(sets.map((d) => `${d.venue} ${d.symbol}`))], ['okx BTC-USDT'], 'not the Binance perpetual BTCUSDT');
    assert.match((await run(['info', '--symbol', 'BTCUSTD', '--home', home])).out, /nothing stored for BTCUSTD .*; did you mean BTCUSDT\b/);
    assert.match((await run(['export', '--out', join(tempDir(), 'pq'), '--symbol', 'BTCUSTD', '--home', home])).out, /nothing matched: no rows exported; did you mean --symbol BTCUSDT\b/);
  });

  it('a market only the store knows (not in the bundled instruments) resolves, with no suggestion', async () => {
    const r = await run(['cvd', '--symbol', 'SUSHI', '--venues', 'binance', '--json', '--home', home]);
    assert.equal(r.code, 0, r.err);
    assert.ok((JSON.parse(r.out) as { bars: Bar[] }).bars.length > 0);
  });

  it('analyze on a market with nothing stored says so, and writes nothing', async () => {
    const out = join(tempDir(), 'analysis');
    // Three read-only runs: at once.
    const [later, ...empty] = await Promise.all([
      run(['analyze', '--symbol', 'BTCUSDT', '--venues', 'binance', '--home', home, '--out', out, '--from', '2030-01-01']),
      ...[[], ['--from', '2030-01-01']].map((extra) => run(['analyze', '--symbol', 'ETH', '--home', home, '--out', out, ...extra])),
    ]);
    for (const r of empty) {
      assert.equal(r.code, 0, r.err);
      assert.match(r.out, /no trades and no liquidations stored for binance ETHUSDT, okx ETH-USDT-SWAP, bybit ETHUSDT.*: nothing to analyze/);
      assert.doesNotMatch(r.err, /tick/);
    }
    assert.match(later.out, /stored for binance BTCUSDT in that time range: nothing to analyze/);
    assert.ok(!existsSync(out));
  });

  it('edit distance counts a swapped pair as one edit, and suggestions are nearest first', async () => {
    assert.equal(editDistance('BTCUSTD', 'BTCUSDT'), 1);
    assert.equal(editDistance('', 'ABC'), 3);
    fc.assert(fc.property(fc.string({ maxLength: 12 }), fc.string({ maxLength: 12 }), (a, b) => {
      const d = editDistance(a, b);
      assert.equal(d, editDistance(b, a));
      assert.ok(d <= Math.max(a.length, b.length));
      assert.equal(d === 0, a === b);
    }));
    assert.deepEqual(closestSymbols('ETHUSTD', ['BTCUSDT', 'ETHUSDT', 'ETH', 'SOLUSDT']), ['ETHUSDT']);
    assert.deepEqual(closestSymbols('XYZ', ['BTCUSDT']), []);
  });

  it('tells OKX instrument kinds apart by their ids', async () => {
    assert.equal(okxKind('BTC-USDT'), 'spot');
    assert.equal(okxKind('BTC-USDT-SWAP'), 'swap');
    assert.equal(okxKind('BTC-USD-220527'), 'future');
    assert.equal(okxKind('BTC-USD-220527-30000-C'), 'option');
    assert.equal(okxKind('BTCUSDT'), undefined);
  });
});

describe('download without DNS', () => {
  it('stops at the first file whose host does not resolve, naming the host, instead of retrying every file', async () => {
    const dir = tempDir();
    const started = Date.now();
    // .invalid never resolves (RFC 6761); 20 days x 5 attempts each would take minutes of backoff.
    const r = (await run(['download', '--venue', 'binance', '--symbol', 'BTCUSDT', '--from', '2024-08-01', '--to', '2024-08-21', '--concurrency', '1', '--retries', '4',
      '--base-url', 'http://archive.invalid', '--no-import', '--dir', join(dir, 'files'), '--home', join(dir, 'home')]));
    assert.equal(r.code, 1, r.out + r.err);
    assert.match(r.err, /stopped early: cannot resolve archive\.invalid \((ENOTFOUND|EAI_AGAIN)\): .*check the network/);
    assert.match(r.err, /\(19 more files not tried\)/);
    assert.doesNotMatch(r.err, /retry/i);
    assert.match(r.out, /^1 files: .* 1 failed/m);
    // One lookup, however slow the resolver is to give up; not 20 files x 5 attempts with backoff.
    assert.ok(Date.now() - started < 60_000, `took ${Date.now() - started} ms`);
  });
});

describe('footprint --compat freqtrade on freqtrade\'s own files', () => {
  const FT = join(ROOT, 'test/fixtures/freqtrade');
  it("reads its test CSV and its data folder's feather and json.gz; a missing --input is one clear line", async () => {
    const dir = tempDir();
    const inputs = [['orderflow/public_trades_list.csv', 1000], ['trades/XRP_ETH-trades.feather', 12_477], ['trades/XRP_ETH-trades.json.gz', 12_477]] as const;
    // Five independent runs (each its own output file): at once.
    const [missing, none, ...read] = await Promise.all([
      run(['footprint', '--compat', 'freqtrade', '--input', join(dir, 'BTC_USDT-trades.feather'), '--out', join(dir, 'out.json')]),
      run(['footprint', '--compat', 'freqtrade', '--out', join(dir, 'out.json')]),
      ...inputs.map(([input], i) => run(['footprint', '--compat', 'freqtrade', '--input', join(FT, input), '--timeframe', '5m', '--scale', '0.05', '--out', join(dir, `out-${i}.json`)])),
    ]);
    for (const [i, [input, trades]] of inputs.entries()) {
      assert.equal(read[i].code, 0, `${input}: ${read[i].err}`);
      assert.match(read[i].err, new RegExp(`^${trades} trades -> \\d+ candles written`));
    }
    assert.equal(missing.code, 2);
    assert.equal(missing.err.trim(), `orderflow: --input ${join(dir, 'BTC_USDT-trades.feather')}: no such file`);
    assert.equal(none.code, 2);
    assert.match(none.err, /--compat freqtrade needs --input <trades file>/);
  });
});

describe('the README examples run in a checkout', { concurrency: 2 }, () => {
  it('every examples/ file the README names ships, and they run as the README says', async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const named = [...new Set([...readme.matchAll(/examples\/[\w.-]+/g)].map((m) => m[0]))];
    assert.deepEqual(named.filter((f) => f !== 'examples/README.md').sort(), ['examples/positions.json', 'examples/strategy.yaml', 'examples/trades.csv']);
    for (const f of named) assert.ok(existsSync(join(ROOT, f)), f);

    const margin = (await run(['margin', '--venue', 'binance', '--symbol', 'ETHUSDT', '--side', 'long', '--entry', '1456.84', '--qty', '3683.979', '--leverage', '5',
      '--mode', 'cross', '--wallet', '1535443.01', '--mmr', '0.1', '--maint-amount', '135365', '--portfolio', join(ROOT, 'examples/positions.json'), '--json']));
    assert.equal(margin.code, 0, margin.err);
    assert.equal((JSON.parse(margin.out) as { liquidationPrice: number }).liquidationPrice.toFixed(2), '1153.26', "Binance's cross example");

    const out = join(tempDir(), 'result.json');
    const fp = (await run(['footprint', '--compat', 'freqtrade', '--input', join(ROOT, 'examples/trades.csv'), '--timeframe', '1m', '--scale', '0.5',
      '--imbalance-ratio', '3', '--imbalance-volume', '1', '--stacked-range', '3', '--out', out]));
    assert.equal(fp.code, 0, fp.err);
    assert.match(fp.err, /^1500 trades -> 5 candles written/);
    const candles = (JSON.parse(readFileSync(out, 'utf8')) as { candles: { total_trades: number }[] }).candles;
    assert.equal(candles.reduce((s, c) => s + c.total_trades, 0), 1500);

    const cfg = loadConfig(join(ROOT, 'examples/strategy.yaml'));
    const def = defaultConfig();
    assert.deepEqual([cfg.risk.leverage, cfg.execution.venue, cfg.nullModel.seeds, cfg.signals.divergence.timeframes], [2, 'binance', 50, [3_600_000]]);
    assert.deepEqual(cfg.costs, def.costs, 'keys not written keep their defaults');
  });

  it("the demo's next: line is a command that works from where it was run", async () => {
    const home = join(tempDir(), 'demo');
    // execFile rejects on a non-zero exit, with the output in the error.
    const demo = await promisify(execFile)(BIN, ['demo', '--samples', '--home', home], { encoding: 'utf8', cwd: ROOT, env: { ...process.env, CI: 'true' } });
    const next = /^next: (.*)$/m.exec(demo.stdout)?.[1];
    assert.ok(next, demo.stdout);
    const first = next.split('   |   ')[0];
    assert.equal(first, `bin/orderflow info --home ${home}`);
    const [cmd, ...args] = first.split(' ');
    const info = await promisify(execFile)(cmd, args, { encoding: 'utf8', cwd: ROOT });
    assert.match(info.stdout, /files imported/);
  });
});
