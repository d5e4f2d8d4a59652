/**
 * The archive layouts and the path planner, as pure functions.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { planDownload } from '../../../src/venues/download/plan.ts';
import { UsageError } from '../../../src/core/errors.ts';
import {
  archiveBase, BINANCE_KINDS, coinMSymbol, dailyFilesFor, dayText, parseChecksum, parseDay, planBinance, planBybit, splitRange,
} from '../../../src/venues/download/layout.ts';

const labels = (files: { label: string }[]) => files.map((f) => f.label);

describe('download layout: paths', () => {
  it('names Binance USD-M daily and monthly files as data.binance.vision does', () => {
    const [daily] = planBinance({ market: 'um', kind: 'aggTrades', symbol: 'AKTUSDT' }, '2024-11-01', '2024-11-01');
    assert.equal(daily.path, 'data/futures/um/daily/aggTrades/AKTUSDT/AKTUSDT-aggTrades-2024-11-01.zip');
    assert.equal(daily.name, 'AKTUSDT-aggTrades-2024-11-01.zip');
    assert.equal(daily.checksum, true);
    const [monthly] = planBinance({ market: 'um', kind: 'aggTrades', symbol: 'AKTUSDT' }, '2024-10-01', '2024-10-31');
    assert.equal(monthly.path, 'data/futures/um/monthly/aggTrades/AKTUSDT/AKTUSDT-aggTrades-2024-10.zip');
    assert.equal(monthly.period, 'monthly');
  });

  it('puts kline kinds in an interval folder and names them by interval', () => {
    const [k] = planBinance({ market: 'um', kind: 'klines', symbol: 'BTCUSDT', interval: '1m' }, '2024-11-02', '2024-11-02');
    assert.equal(k.path, 'data/futures/um/daily/klines/BTCUSDT/1m/BTCUSDT-1m-2024-11-02.zip');
    const [m] = planBinance({ market: 'um', kind: 'markPriceKlines', symbol: 'BTCUSDT', interval: '1h' }, '2024-02-01', '2024-02-29');
    assert.equal(m.path, 'data/futures/um/monthly/markPriceKlines/BTCUSDT/1h/BTCUSDT-1h-2024-02.zip');
  });

  it('puts liquidationSnapshot under COIN-M, daily only', () => {
    const files = planBinance({ market: 'cm', kind: 'liquidationSnapshot', symbol: 'BTCUSD_PERP' }, '2024-09-01', '2024-09-30');
    assert.equal(files.length, 30);
    assert.equal(files[0].path, 'data/futures/cm/daily/liquidationSnapshot/BTCUSD_PERP/BTCUSD_PERP-liquidationSnapshot-2024-09-01.zip');
  });

  it('names Bybit trading files without a separator and with no checksum', () => {
    const [f] = planBybit('AKTUSDT', '2024-11-01', '2024-11-01');
    assert.equal(f.path, 'trading/AKTUSDT/AKTUSDT2024-11-01.csv.gz');
    assert.equal(f.checksum, false);
  });

  it('maps USD-M symbols to the COIN-M perpetual', () => {
    assert.equal(coinMSymbol('AKTUSDT'), 'AKTUSD_PERP');
    assert.equal(coinMSymbol('BTCUSDC'), 'BTCUSD_PERP');
    assert.equal(coinMSymbol('BTCUSD_PERP'), 'BTCUSD_PERP');
    assert.equal(coinMSymbol('ETHUSD_241227'), 'ETHUSD_241227');
    assert.equal(coinMSymbol('USDT'), undefined);
  });
});

describe('download layout: monthly and daily selection', () => {
  it('uses monthly files for whole months and daily files for the rest', () => {
    const spans = splitRange('2024-10-30', '2024-12-02', { daily: true, monthly: true });
    assert.deepEqual(labels(spans), ['2024-10-30', '2024-10-31', '2024-11', '2024-12-01', '2024-12-02']);
  });

  it('uses daily files for a part of a month, and for kinds without monthly files', () => {
    assert.deepEqual(labels(splitRange('2024-11-01', '2024-11-14', { daily: true, monthly: true })).length, 14);
    assert.deepEqual(labels(splitRange('2024-11-01', '2024-11-30', { daily: true, monthly: false })).length, 30);
  });

  it('takes the whole month of monthly-only kinds (fundingRate)', () => {
    const spans = splitRange('2024-02-10', '2024-03-05', { daily: false, monthly: true });
    assert.deepEqual(spans, [
      { period: 'monthly', label: '2024-02', firstDay: '2024-02-01', lastDay: '2024-02-29' },
      { period: 'monthly', label: '2024-03', firstDay: '2024-03-01', lastDay: '2024-03-31' },
    ]);
  });

  it('falls back from a monthly file to the daily files of its month', () => {
    const [m] = planBinance({ market: 'um', kind: 'trades', symbol: 'BTCUSDT' }, '2024-02-01', '2024-02-29');
    const days = dailyFilesFor(m);
    assert.equal(days.length, 29);
    assert.equal(days[28].path, 'data/futures/um/daily/trades/BTCUSDT/BTCUSDT-trades-2024-02-29.zip');
    const [f] = planBinance({ market: 'um', kind: 'fundingRate', symbol: 'BTCUSDT' }, '2024-02-01', '2024-02-29');
    assert.deepEqual(dailyFilesFor(f), [], 'fundingRate has no daily files to fall back to');
  });

  it('every day of any range is covered exactly once (property)', () => {
    const day = fc.integer({ min: parseDay('2019-12-01')!, max: parseDay('2027-12-31')! });
    fc.assert(
      fc.property(day, fc.integer({ min: 0, max: 800 }), fc.constantFrom(...BINANCE_KINDS.filter((k) => k.daily)), (a, len, spec) => {
        const from = dayText(a);
        const to = dayText(a + len);
        const files = planBinance({ market: spec.markets[0], kind: spec.kind, symbol: 'BTCUSDT', interval: spec.interval ? '1m' : undefined }, from, to);
        const seen = new Map<number, number>();
        for (const f of files) {
          for (let d = parseDay(f.firstDay)!; d <= parseDay(f.lastDay)!; d++) seen.set(d, (seen.get(d) ?? 0) + 1);
          if (f.period === 'monthly') {
            // Only whole months inside the range are monthly.
            assert.ok(f.firstDay >= from && f.lastDay <= to, `${f.label} is not inside ${from}..${to}`);
            assert.ok(spec.monthly);
          }
        }
        for (let d = a; d <= a + len; d++) assert.equal(seen.get(d), 1, `day ${dayText(d)} of ${from}..${to} (${spec.kind})`);
        assert.equal(seen.size, len + 1, 'no day outside the range');
        assert.equal(new Set(files.map((f) => f.path)).size, files.length, 'no file twice');
      }),
      { numRuns: 300 },
    );
  });

  it('monthly-only kinds cover every day at least once, with whole months (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: parseDay('2020-01-01')!, max: parseDay('2026-12-31')! }), fc.integer({ min: 0, max: 400 }), (a, len) => {
        const spans = splitRange(dayText(a), dayText(a + len), { daily: false, monthly: true });
        for (let d = a; d <= a + len; d++) {
          assert.equal(spans.filter((s) => parseDay(s.firstDay)! <= d && d <= parseDay(s.lastDay)!).length, 1);
        }
        for (const s of spans) assert.equal(s.firstDay.slice(8), '01');
      }),
      { numRuns: 200 },
    );
  });

  it('a daily fallback covers exactly the days of its month (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2019, max: 2027 }), fc.integer({ min: 1, max: 12 }), (y, m) => {
        const first = `${y}-${String(m).padStart(2, '0')}-01`;
        const last = dayText(Date.UTC(y, m, 0) / 86_400_000);
        const [monthly] = planBinance({ market: 'um', kind: 'aggTrades', symbol: 'X' }, first, last);
        assert.equal(monthly.period, 'monthly');
        const days = dailyFilesFor(monthly);
        assert.equal(days.length, new Date(Date.UTC(y, m, 0)).getUTCDate());
        assert.deepEqual([days[0].label, days.at(-1)!.label], [first, last]);
      }),
    );
  });
});

describe('download layout: checksums, dates and base URLs', () => {
  const sha = 'a'.repeat(64);

  it('reads `<sha256>  <name>` and refuses a checksum of another file', () => {
    assert.equal(parseChecksum(`${sha}  X-aggTrades-2024-01-01.zip\n`, 'X-aggTrades-2024-01-01.zip'), sha);
    assert.equal(parseChecksum(sha.toUpperCase(), 'f.zip'), sha);
    assert.throws(() => parseChecksum(`${sha}  other.zip`, 'f.zip'), /names another file/);
    assert.throws(() => parseChecksum('<html>', 'f.zip'), /does not hold a sha256/);
  });

  it('parses real dates only', () => {
    assert.equal(parseDay('2024-02-30'), undefined);
    assert.equal(parseDay('2024-2-3'), undefined);
    assert.equal(dayText(parseDay('2024-02-29')!), '2024-02-29');
  });

  it('takes the base URL from the option, then the environment, then the public site', () => {
    assert.equal(archiveBase('binance', undefined, {}), 'https://data.binance.vision');
    assert.equal(archiveBase('bybit', undefined, {}), 'https://public.bybit.com');
    assert.equal(archiveBase('binance', undefined, { ORDERFLOW_BINANCE_ARCHIVE_URL: 'http://127.0.0.1:9/mirror/' }), 'http://127.0.0.1:9/mirror');
    assert.equal(archiveBase('binance', 'http://a:1', { ORDERFLOW_BINANCE_ARCHIVE_URL: 'http://b:2' }), 'http://a:1');
    assert.throws(() => archiveBase('bybit', 'ftp://x'), UsageError);
    assert.throws(() => archiveBase('bybit', undefined, { ORDERFLOW_BYBIT_ARCHIVE_URL: 'nope' }), /ORDERFLOW_BYBIT_ARCHIVE_URL: not a URL/);
  });
});

describe('download plan from options', () => {
  const base = { venue: 'binance', symbols: ['AKTUSDT'], kinds: [] as string[], from: '2024-11-01', to: '2024-11-15', importing: true };

  it('picks COIN-M for liquidationSnapshot and says so', () => {
    const plan = planDownload({ ...base, kinds: ['aggTrades', 'metrics', 'liquidationSnapshot'] });
    assert.equal(plan.files.length, 42);
    const liq = plan.files.filter((f) => f.kind === 'liquidationSnapshot');
    assert.equal(liq[0].path, 'data/futures/cm/daily/liquidationSnapshot/AKTUSD_PERP/AKTUSD_PERP-liquidationSnapshot-2024-11-01.zip');
    assert.ok(plan.notes.some((n) => /COIN-M futures only/.test(n) && /AKTUSD_PERP/.test(n)));
    assert.ok(plan.notes.some((n) => /last seen for 2024-10-14/.test(n)));
  });

  it('refuses what the archive or the importer cannot do, naming the option', () => {
    const bad: [Partial<typeof base> & { market?: string; interval?: string }, RegExp][] = [
      [{ kinds: ['aggTrade'] }, /--kinds: unknown binance archive kind "aggTrade"; known: aggTrades/],
      [{ from: '2024-11-15' }, /--from 2024-11-15 must be before --to 2024-11-15 \(--to is exclusive/],
      [{ to: '2024-11-01' }, /--from 2024-11-01 must be before --to 2024-11-01/],
      [{ venue: 'kraken' }, /--venue: unknown venue "kraken"/],
      [{ venue: 'okx' }, /OKX historical data is not supported/],
      [{ from: '2024-13-01' }, /--from: "2024-13-01" is not a date/],
      [{ kinds: ['liquidationSnapshot'], market: 'um' }, /published for COIN-M only, not USD-M/],
      [{ kinds: ['aggTrades'], market: 'cm' }, /cannot be imported yet .*--no-import/],
      [{ kinds: ['klines'], interval: '7m' }, /--interval: "7m"/],
      [{ symbols: ['BTCUSD_PERP'] }, /COIN-M symbol; pass --market cm/],
      [{ venue: 'bybit', market: 'um' }, /--market is for Binance/],
      [{ symbols: ['akt-usdt'] }, /not an exchange symbol/],
    ];
    for (const [over, re] of bad) assert.throws(() => planDownload({ ...base, ...over }), (e: Error) => e instanceof UsageError && re.test(e.message), JSON.stringify(over));
    // Download-only is fine for what cannot be imported.
    assert.equal(planDownload({ ...base, kinds: ['aggTrades'], market: 'cm', symbols: ['BTCUSD_PERP'], importing: false }).files.length, 14);
    // Mark / index / premium klines are imported with their format named (their zips look like klines).
    const mark = planDownload({ ...base, kinds: ['markPriceKlines'] }).files;
    assert.equal(mark.length, 14);
    assert.ok(mark.every((f) => f.format === 'binance-um-markPriceKlines'));
  });

  it('plans each file once', () => {
    const plan = planDownload({ ...base, symbols: ['AKTUSDT', 'AKTUSDT'], kinds: ['aggTrades', 'aggtrades'] });
    assert.equal(plan.files.length, 14);
    assert.equal(planDownload({ ...base, symbols: ['AKTUSDT', 'AKTUSD_PERP'], kinds: ['liquidationSnapshot'] }).files.length, 14);
  });

  it('defaults to aggTrades on Binance and trades on Bybit', () => {
    assert.ok(planDownload(base).files.every((f) => f.kind === 'aggTrades'));
    const bybit = planDownload({ ...base, venue: 'Bybit' });
    assert.equal(bybit.files[0].path, 'trading/AKTUSDT/AKTUSDT2024-11-01.csv.gz');
  });
});
