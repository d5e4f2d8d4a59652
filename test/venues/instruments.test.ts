import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ParseError } from '../../src/core/errors.ts';
import type { Venue } from '../../src/core/events.ts';
import { toBaseQty, type Instrument } from '../../src/core/instruments.ts';
import { parseBinanceInstruments } from '../../src/venues/binance/instruments.ts';
import { parseBybitInstruments } from '../../src/venues/bybit/instruments.ts';
import { detectMetadata, loadInstrumentFiles } from '../../src/venues/instruments.ts';
import { bundledInstruments, loadBundledInstruments } from '../../src/venues/bundled-instruments.ts';
import { parseOkxInstruments } from '../../src/venues/okx/instruments.ts';

const SNAP = join(dirname(fileURLToPath(import.meta.url)), '../../src/venues/instruments-snapshot');
const snapshot = (venue: string) => JSON.parse(readFileSync(join(SNAP, `${venue}.json`), 'utf8'));
const registry = loadBundledInstruments();

/** Every symbol the fixtures in test/fixtures name, plus AKT everywhere. */
const NEEDED: Record<Venue, string[]> = {
  binance: ['BTCUSDT', 'ETHUSDT', 'SUSHIUSDT', 'AKROUSDT', 'CTKUSDT', 'KEEPUSDT', 'AKTUSDT'],
  bybit: ['BTCUSDT', 'ETHUSDT', 'SOLUSDT', 'DOGEUSDT', 'XRPUSDT', 'PIPPINUSDT', 'LTCUSDT', 'BTCUSD', 'BTCUSDU23', 'XRPUSD', 'AKTUSDT'],
  okx: [
    'BTC-USDT-SWAP', 'ETH-USDT-SWAP', 'UNI-USD-SWAP', 'BTC-USD-220527', 'REN-USDT-SWAP', 'WNCG-USDT-SWAP', 'SOS-USDT-SWAP', 'BTC-USDT',
    'ETH-USD-211224', 'ADA-USDT-211224', 'FIL-USD-220325', 'FIL-USDT-220325', 'XRP-USD-211231', 'LTC-USDT-220624', 'BTC-USD-220624',
    'BTC-USDT-211231', 'XRP-USD-230929', 'AKT-USDT-SWAP',
  ],
  'binance-spot': [],
};

function parseError(fn: () => unknown): ParseError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof ParseError, `expected ParseError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected a ParseError');
}

describe('bundled instrument snapshot', () => {
  it('has every symbol the fixtures need', () => {
    for (const [venue, symbols] of Object.entries(NEEDED) as [Venue, string[]][]) {
      for (const s of symbols) assert.ok(registry.get(venue, s), `${venue}:${s} missing`);
    }
  });

  it('has sane fields', () => {
    for (const i of registry.all()) {
      const at = `${i.venue}:${i.symbol}`;
      assert.ok(i.tickSize > 0 && i.lotSize > 0 && i.contractValue > 0, at);
      assert.ok(Number.isNaN(i.minNotional) || i.minNotional > 0, at);
      assert.ok(Number.isNaN(i.maxLeverage) || i.maxLeverage >= 1, at);
      assert.ok(i.makerFee >= 0 && i.takerFee > i.makerFee && i.takerFee < 0.01, at);
      assert.ok(i.base.length > 0 && i.quote.length > 0, at);
      assert.ok(i.contractType === 'linear' || i.quote === 'USD', at);
      for (const t of i.tiers) {
        assert.ok(t.maintMarginRate >= 0 && t.maintMarginRate < 1 && t.maxLeverage >= 1 && t.maintAmount >= 0, at);
      }
    }
  });

  it('tiers ascend and touch, and leverage falls as they grow', () => {
    for (const i of registry.all()) {
      i.tiers.forEach((t, n) => {
        const at = `${i.venue}:${i.symbol} tier ${n + 1}`;
        assert.equal(t.notionalFloor, n === 0 ? 0 : i.tiers[n - 1].notionalCap, at);
        assert.ok(t.notionalCap > t.notionalFloor, at);
        if (n > 0) {
          assert.ok(t.maintMarginRate >= i.tiers[n - 1].maintMarginRate, at);
          assert.ok(t.maxLeverage <= i.tiers[n - 1].maxLeverage, at);
        }
      });
    }
  });

  it("Binance cum is continuous: cum[n] = cum[n-1] + floor[n] x (mmr[n] - mmr[n-1])", () => {
    for (const i of registry.all().filter((x) => x.venue === 'binance')) {
      assert.ok(i.tiers.length > 0, i.symbol);
      i.tiers.forEach((t, n) => {
        const expected = n === 0 ? 0 : i.tiers[n - 1].maintAmount + t.notionalFloor * (t.maintMarginRate - i.tiers[n - 1].maintMarginRate);
        assert.ok(Math.abs(t.maintAmount - expected) <= 1e-6 * Math.max(1, expected), `${i.symbol} tier ${n + 1}: ${t.maintAmount} vs ${expected}`);
      });
      assert.equal(i.maxLeverage, i.tiers[0].maxLeverage);
    }
  });

  it('derives Bybit deductions the same way where mmDeduction is missing', () => {
    const t = registry.get('bybit', 'BTCUSDT')!.tiers;
    const want = [0, 2_000_000 * (0.01 - 0.005), 10_000 + 4_000_000 * (0.015 - 0.01)];
    t.forEach((x, n) => assert.ok(Math.abs(x.maintAmount - want[n]) < 1e-6, `tier ${n + 1}`));
  });

  it('stores OKX linear tiers in base units and converts contracts with ctVal', () => {
    const btc = registry.get('okx', 'BTC-USDT-SWAP')!;
    assert.equal(btc.contractValue, 0.01);
    assert.deepEqual(btc.tiers[0], { notionalFloor: 0, notionalCap: 10, maxLeverage: 100, maintMarginRate: 0.004, maintAmount: 0, unit: 'base' });
    assert.equal(btc.tiers.length, 29);
    const uni = registry.get('okx', 'UNI-USD-SWAP')!;
    assert.deepEqual([uni.contractType, uni.contractValue, uni.base, uni.quote], ['inverse', 10, 'UNI', 'USD']);
    assert.equal(toBaseQty(uni, 3, 5), 6);
    assert.equal(toBaseQty(registry.get('okx', 'SOS-USDT-SWAP')!, 2, 1e-6), 2_000_000);
  });

  it('maps kinds: swaps are perpetuals, dated contracts futures, OKX BTC-USDT spot', () => {
    assert.equal(registry.get('okx', 'BTC-USD-220527')!.kind, 'future');
    assert.equal(registry.get('okx', 'BTC-USDT')!.kind, 'spot');
    assert.equal(registry.get('bybit', 'BTCUSD')!.contractType, 'inverse');
    assert.equal(registry.get('bybit', 'BTCUSD')!.minNotional, 1);
  });

  it('parses Bybit inverse rows: InversePerpetual and InverseFutures, 1 USD per contract', () => {
    const fut = registry.get('bybit', 'BTCUSDU23')!;
    const perp = registry.get('bybit', 'XRPUSD')!;
    const pick = (i: Instrument) => [i.kind, i.contractType, i.base, i.quote, i.contractValue, i.tickSize, i.lotSize, i.minNotional, i.maxLeverage];
    assert.deepEqual(pick(fut), ['future', 'inverse', 'BTC', 'USD', 1, 0.5, 1, 1, 100]);
    assert.deepEqual(pick(perp), ['perpetual', 'inverse', 'XRP', 'USD', 1, 0.0001, 1, 1, 50]);
    // The venue's own arithmetic: the BTCUSDU23 tickers frame of 2023-04-05 (tardis-node) has
    // openInterest 4547176 contracts, openInterestValue 156.67 BTC, markPrice 29023.60.
    assert.equal(Math.round(toBaseQty(fut, 4_547_176, 29_023.6) * 100) / 100, 156.67);
    // and BTCUSD's: 449736676 contracts, 15747.08 BTC at 28560.00.
    assert.equal(Math.round(toBaseQty(registry.get('bybit', 'BTCUSD')!, 449_736_676, 28_560) * 100) / 100, 15_747.08);
    // Inverse symbols are never what a bare base asset resolves to.
    assert.ok(registry.resolve('XRP').every((i) => i.contractType === 'linear'));
    assert.deepEqual(registry.resolve('XRPUSD').map((i) => i.symbol), ['XRPUSD']);
  });

  it('resolves AKT to the AKT perpetual of each venue', () => {
    const got = registry.resolve('akt').map((i) => `${i.venue}:${i.symbol}`).sort();
    assert.deepEqual(got, ['binance:AKTUSDT', 'bybit:AKTUSDT', 'okx:AKT-USDT-SWAP']);
  });

  it('records provenance: every response names a source, estimates are flagged, README lists every symbol', () => {
    const readme = readFileSync(join(SNAP, 'README.md'), 'utf8');
    for (const venue of ['binance', 'okx', 'bybit']) {
      for (const r of snapshot(venue).responses) {
        assert.ok(r.source.length > 10 && r.capturedAt.length > 0);
        assert.equal(r.estimate, r.source.startsWith('estimate:'), r.source);
      }
    }
    for (const i of bundledInstruments()) assert.ok(readme.includes(i.symbol), `README.md does not mention ${i.symbol}`);
  });
});

describe('metadata parsers: errors name the JSON path', () => {
  const info = snapshot('binance').responses[0].body;
  const brackets = snapshot('binance').responses[4].body;

  it('Binance: a bad tickSize', () => {
    const bad = structuredClone(info);
    bad.symbols[1].filters[0].tickSize = '0.0x1';
    const e = parseError(() => parseBinanceInstruments(bad, brackets));
    assert.deepEqual([e.code, e.field, e.value], ['E_NUMBER', 'symbols[1].filters[0].tickSize', '"0.0x1"']);
  });

  it('Binance: a missing field and a missing filter', () => {
    const bad = structuredClone(info);
    delete bad.symbols[0].baseAsset;
    assert.deepEqual(
      (({ code, field }) => [code, field])(parseError(() => parseBinanceInstruments(bad))),
      ['E_FIELD', 'symbols[0].baseAsset'],
    );
    const nofilter = structuredClone(info);
    nofilter.symbols[2].filters = nofilter.symbols[2].filters.filter((f: { filterType: string }) => f.filterType !== 'MIN_NOTIONAL');
    assert.equal(parseError(() => parseBinanceInstruments(nofilter)).field, 'symbols[2].filters');
  });

  it('Binance: brackets that do not touch', () => {
    const bad = structuredClone(brackets);
    bad[0].brackets[1].notionalFloor = 1;
    const e = parseError(() => parseBinanceInstruments(info, bad));
    assert.equal(e.field, '[0].brackets');
  });

  it('OKX and Bybit', () => {
    const okx = structuredClone(snapshot('okx').responses[0].body);
    okx.data[2].ctVal = '';
    assert.equal(parseError(() => parseOkxInstruments(okx)).field, 'data[2].ctVal');
    okx.data[2].ctType = 'quanto';
    assert.deepEqual(
      (({ code, field }) => [code, field])(parseError(() => parseOkxInstruments(okx))),
      ['E_MESSAGE', 'data[2].ctType'],
    );
    const by = structuredClone(snapshot('bybit').responses[0].body);
    by.result.list[3].leverageFilter.maxLeverage = '-5';
    const e = parseError(() => parseBybitInstruments(by));
    assert.deepEqual([e.code, e.field], ['E_NUMBER', 'result.list[3].leverageFilter.maxLeverage']);
  });

  it('keeps the snapshot location in the path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'of-inst-'));
    try {
      const snap = snapshot('bybit');
      snap.responses[4].body.result.list[1].riskLimitValue = 'lots';
      const p = join(dir, 'snap.json');
      writeFileSync(p, JSON.stringify(snap));
      const e = parseError(() => loadInstrumentFiles([p]));
      assert.deepEqual([e.code, e.field, e.where], ['E_NUMBER', 'responses[4].body.result.list[1].riskLimitValue', p]);
    } finally {
      rmSync(dir, { recursive: true });
    }
  });
});

describe('user metadata files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'of-meta-'));
  after(() => rmSync(dir, { recursive: true }));
  const file = (name: string, body: unknown) => {
    const p = join(dir, name);
    writeFileSync(p, typeof body === 'string' ? body : JSON.stringify(body));
    return p;
  };

  it('detects each endpoint from its shape and combines instruments with tiers across files', () => {
    const bin = snapshot('binance').responses;
    const okx = snapshot('okx').responses;
    const by = snapshot('bybit').responses;
    const paths = [
      file('exchangeInfo.json', bin[0].body),
      file('leverageBracket.json', bin[4].body),
      file('okx-swap.json', okx[0].body),
      file('okx-tiers.json', okx[okx.length - 1].body),
      file('bybit-linear.json', by[0].body),
      file('bybit-risk.json', by[4].body),
    ];
    assert.deepEqual(
      paths.map((p) => detectMetadata(JSON.parse(readFileSync(p, 'utf8')))),
      [
        'GET /fapi/v1/exchangeInfo', 'GET /fapi/v1/leverageBracket', 'GET /api/v5/public/instruments',
        'GET /api/v5/public/position-tiers', 'GET /v5/market/instruments-info', 'GET /v5/market/risk-limit',
      ],
    );
    const reg = loadInstrumentFiles(paths);
    const want = (v: Venue, s: string): Instrument => {
      const i = reg.get(v, s);
      assert.ok(i, `${v}:${s}`);
      return i;
    };
    assert.deepEqual(want('binance', 'BTCUSDT').tiers, registry.get('binance', 'BTCUSDT')!.tiers);
    assert.equal(want('okx', 'BTC-USDT-SWAP').tiers.length, 29);
    assert.equal(want('bybit', 'BTCUSDT').tiers.length, 3);
    assert.equal(reg.all().length, 4 + 3 + 5);
  });

  it('explains files it cannot read', () => {
    const e1 = parseError(() => loadInstrumentFiles([file('broken.json', '{"symbols": [')]));
    assert.equal(e1.code, 'E_JSON');
    const e2 = parseError(() => loadInstrumentFiles([file('other.json', { hello: 'world' })]));
    assert.equal(e2.code, 'E_MESSAGE');
    assert.match(e2.message, /exchangeInfo.*instruments-info/);
    const dup = snapshot('binance').responses[0].body;
    const e3 = parseError(() => loadInstrumentFiles([file('a.json', dup), file('b.json', dup)]));
    assert.match(e3.message, /defined twice/);
  });
});
