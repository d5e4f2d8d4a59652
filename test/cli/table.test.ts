/** How the analytics commands print: src/cli/table.ts, and every command's default output on the bundled samples. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { barTime, fitTable, stepText, timeframeText, wrap } from '../../src/cli/table.ts';
import { parseTimeframe } from '../../src/features/timeframe.ts';
import { runEach, runProcess } from '../helpers/process.ts';
import { tempDir } from '../helpers/store.ts';

describe('table formatting', () => {
  it('timeframes print as 15m, 1h, 1d, never as milliseconds', () => {
    assert.deepEqual([900_000, 3_600_000, 86_400_000, 30_000, 5_400_000, 14_400_000, 1500].map(timeframeText), ['15m', '1h', '1d', '30s', '90m', '4h', '1500ms']);
    fc.assert(fc.property(fc.integer({ min: 1, max: 500 }), fc.constantFrom('s', 'm', 'h', 'd'), (n, u) => parseTimeframe(timeframeText(parseTimeframe(`${n}${u}`))) === parseTimeframe(`${n}${u}`)));
  });

  it('prices and sizes on the tick and lot', () => {
    assert.equal(stepText(61_799.87264, 0.1), '61799.9');
    assert.equal(stepText(0.2595619863, 0.001), '0.260');
    assert.equal(stepText(2.5e-7, 1e-8), '0.00000025');
    assert.equal(stepText(-0.00004, 0.001), '0.000', 'no negative zero');
    assert.equal(stepText(1234.5, 5), '1235');
    assert.equal(stepText(87_816, NaN), '87816', 'unknown instrument: as stored');
    assert.equal(stepText(NaN, 0.1), '-');
  });

  it('bar times as short as the timeframe allows', () => {
    const t = Date.UTC(2024, 7, 8, 23, 54);
    assert.equal(barTime(t, 60_000), '2024-08-08 23:54');
    assert.equal(barTime(Date.UTC(2024, 7, 8), 86_400_000), '2024-08-08');
    assert.equal(barTime(t + 500, 1000), '2024-08-08 23:54:00.500');
  });

  it('a table too wide drops the columns named, in order, until it fits, and says so', () => {
    const headers = ['time', 'a', 'b', 'c'];
    const rows = [['2024-08-08 23:54', 'x'.repeat(50), 'y'.repeat(50), 'z'.repeat(50)]];
    const fit = fitTable(headers, rows, { drop: ['b', 'a'] });
    assert.ok(fit.split('\n').every((l) => l.length <= 120), fit);
    assert.match(fit, /^time +a +c$/m);
    assert.match(fit, /\(1 columns not shown: b; --wide shows all\)/);
    const wide = fitTable(headers, rows, { drop: ['b', 'a'], wide: true });
    assert.match(wide, /^time +a +b +c$/m);
    assert.equal(fitTable(['t'], [['1']], { drop: [] }), 't\n-\n1');
  });

  it('wraps text at spaces within the width', () => {
    fc.assert(
      fc.property(fc.array(fc.string({ minLength: 1, maxLength: 30 }).filter((w) => !/\s/.test(w)), { maxLength: 40 }), (words) => {
        const text = words.join(' ');
        const out = wrap(text, 40);
        assert.ok(out.split('\n').every((l) => l.length <= 40));
        assert.equal(out.split('\n').join(' '), text);
      }),
    );
  });
});

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin/orderflow');

const home = join(tempDir(), 'home');
const run = (args: string[]) => runProcess(BIN, [...args, '--home', home], { ...process.env, CI: 'true' });
let demo: Promise<void> | undefined;
/** The bundled samples imported once into `home`. */
const withDemo = () => (demo ??= run(['demo', '--samples']).then((r) => assert.equal(r.code, 0, r.stderr)));

describe('every analytics command fits 120 columns on the bundled samples', () => {
  it('default output lines are at most 120 characters; --wide shows what was left out', async () => {
    await withDemo();
    const commands = [
      ['cvd', '--symbol', 'BTC'],
      ['cvd', '--symbol', 'BTCUSDT', '--venues', 'binance-spot', '--timeframe', '1m', '--per-venue'],
      ['footprint', '--symbol', 'BTC'],
      ['footprint', '--symbol', 'BTCUSDT', '--venues', 'binance-spot', '--tick', '0.01'],
      ['sizes', '--symbol', 'BTC', '--timeframe', '1m'],
      ['sizes', '--symbol', 'BTCUSDT', '--venues', 'binance-spot', '--timeframe', '1m'],
      ['sessions', '--symbol', 'BTCUSDT', '--venues', 'binance-spot'],
      ['sessions', '--symbol', 'BTC', '--sessions', 'Late=20:00-24:00'],
      ['liquidations', '--symbol', 'BTC'],
      ['liquidations', '--symbol', 'BTC', '--heatmap'],
      ['levels', '--symbol', 'BTC'],
      ['levels', '--symbol', 'BTC', '--venues', 'bybit', '--heatmap', '--timeframe', '1m'],
      ['levels', '--symbol', 'BTC', '--heatmap', '--timeframe', '1d'],
      ['book', '--symbol', 'BTCUSDT', '--venue', 'bybit'],
      ['absorption', '--symbol', 'BTC', '--zones-at', '2024-08-08T23:55Z'],
      ['divergence', '--symbol', 'BTC'],
      ['venues', '--symbol', 'BTC'],
      ['analyze', '--symbol', 'BTC', '--out', join(tempDir(), 'analysis')],
      ['analyze', '--symbol', 'BTCUSDT', '--venues', 'binance-spot', '--out', join(tempDir(), 'analysis')],
    ];
    // Every command only reads the store: they run side by side (runEach), checked in order.
    const results = await runEach(BIN, commands.map((c) => [...c, '--home', home]), { ...process.env, CI: 'true' });
    for (const [i, c] of commands.entries()) {
      const r = results[i];
      assert.equal(r.code, 0, `${c.join(' ')}: ${r.stderr}`);
      assert.ok(r.stdout.trim().length > 0, c.join(' '));
      const long = r.stdout.split('\n').filter((l) => l.length > 120);
      assert.deepEqual(long, [], `${c.join(' ')} prints lines over 120 columns`);
    }
    const wide = (await run(['sizes', '--symbol', 'BTCUSDT', '--venues', 'binance-spot', '--timeframe', '1m', '--wide'])).stdout;
    assert.match(wide, /medium>= +large>= +whale>= +adaptive/);
    assert.doesNotMatch(wide, /--wide shows all/);
  });
});

describe('"complete" in every bar-based JSON output', () => {
  it('sizes, footprint, venues and analyze mark the bars the data cut off', async () => {
    await withDemo();
    // The spot sample runs 00:00:00.039 to 00:12:19.347 on 2026-01-01.
    const spot = ['--symbol', 'BTCUSDT', '--venues', 'binance-spot'];
    const out = join(tempDir(), 'analysis');
    // Each command only reads the store: side by side.
    const [sizes, sizesFromTo, footprint, venues, analyze] = await Promise.all([
      run(['sizes', ...spot, '--timeframe', '5m', '--json']),
      run(['sizes', ...spot, '--timeframe', '5m', '--from', '2026-01-01T00:00Z', '--to', '2026-01-01T00:15Z', '--json']),
      run(['footprint', ...spot, '--tick', '0.01', '--timeframe', '5m', '--json']),
      run(['venues', ...spot, '--timeframe', '5m', '--json']),
      run(['analyze', ...spot, '--out', out]),
    ]);
    const json = (r: { stdout: string }) => JSON.parse(r.stdout) as Record<string, { complete: boolean }[]>;
    const flags = (rows: { complete: boolean }[]) => rows.map((r) => r.complete);
    assert.deepEqual(flags(json(sizes).bars), [false, true, false]);
    assert.deepEqual(flags(json(sizesFromTo).bars), [true, true, true]);
    assert.deepEqual(flags(json(footprint).candles), [false, true, false]);
    assert.deepEqual(flags(json(venues).windows), [false, true, false]);
    assert.equal(analyze.code, 0, analyze.stderr);
    const file = (name: string) => JSON.parse(readFileSync(join(out, `${name}.json`), 'utf8')) as { complete: boolean }[];
    assert.deepEqual(flags(file('cvd_15m')), [false]);
    assert.deepEqual(flags(file('sizes_1h')), [false]);
    assert.deepEqual(flags(file('venues_5m')), [false, true, false]);
    assert.deepEqual(flags(file('sessions')), [false]);
  });
});
