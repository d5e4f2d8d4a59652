import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Venue } from '../../src/core/events.ts';
import { baseAssetOf, InstrumentRegistry, perpSymbol, toBaseQty, type Instrument } from '../../src/core/instruments.ts';

function inst(venue: Venue, symbol: string, over: Partial<Instrument> = {}): Instrument {
  return {
    venue, symbol, base: baseAssetOf(symbol), quote: 'USDT', kind: 'perpetual', contractType: 'linear',
    tickSize: 0.0001, lotSize: 1, contractValue: 1, minNotional: 5, maxLeverage: 20, tiers: [], makerFee: 0.0002, takerFee: 0.0005,
    ...over,
  };
}

const reg = new InstrumentRegistry([
  inst('binance', 'AKTUSDT'),
  inst('bybit', 'AKTUSDT'),
  inst('okx', 'AKT-USDT-SWAP'),
  inst('okx', 'AKT-USD-SWAP', { base: 'AKT', quote: 'USD', contractType: 'inverse', contractValue: 10 }),
  inst('okx', 'AKT-USDT', { kind: 'spot' }),
  inst('binance', 'BTCUSDT'),
]);

describe('symbol spelling', () => {
  it('baseAssetOf reads every venue spelling and a bare asset', () => {
    assert.equal(baseAssetOf('AKTUSDT'), 'AKT');
    assert.equal(baseAssetOf('AKT-USDT-SWAP'), 'AKT');
    assert.equal(baseAssetOf('akt'), 'AKT');
    assert.equal(baseAssetOf('BTC-USD-220527'), 'BTC');
    assert.equal(baseAssetOf('BTCUSD'), 'BTC');
    assert.equal(baseAssetOf('USDT'), 'USDT');
  });

  it('perpSymbol writes the linear USDT perpetual of each venue', () => {
    assert.equal(perpSymbol('binance', 'akt'), 'AKTUSDT');
    assert.equal(perpSymbol('bybit', 'AKT'), 'AKTUSDT');
    assert.equal(perpSymbol('okx', 'AKT'), 'AKT-USDT-SWAP');
  });

  it('AKTUSDT <-> AKT-USDT-SWAP <-> AKTUSDT round-trips through the base asset', () => {
    assert.equal(perpSymbol('okx', baseAssetOf('AKTUSDT')), 'AKT-USDT-SWAP');
    assert.equal(perpSymbol('bybit', baseAssetOf('AKT-USDT-SWAP')), 'AKTUSDT');
    assert.equal(perpSymbol('binance', baseAssetOf(perpSymbol('bybit', 'AKT'))), 'AKTUSDT');
  });
});

describe('InstrumentRegistry.resolve', () => {
  const ids = (list: Instrument[]) => list.map((i) => `${i.venue}:${i.symbol}`).sort();

  it('a base asset resolves to the linear perpetual on each venue (not spot, not inverse)', () => {
    assert.deepEqual(ids(reg.resolve('AKT')), ['binance:AKTUSDT', 'bybit:AKTUSDT', 'okx:AKT-USDT-SWAP']);
    assert.deepEqual(ids(reg.resolve(' akt ')), ids(reg.resolve('AKT')));
  });

  it('a venue-native symbol resolves to itself on every venue that lists it', () => {
    assert.deepEqual(ids(reg.resolve('AKTUSDT')), ['binance:AKTUSDT', 'bybit:AKTUSDT']);
    assert.deepEqual(ids(reg.resolve('akt-usdt-swap')), ['okx:AKT-USDT-SWAP']);
    assert.deepEqual(ids(reg.resolve('AKT-USD-SWAP')), ['okx:AKT-USD-SWAP']);
  });

  it('can be limited to venues, and finds nothing for an unknown asset', () => {
    assert.deepEqual(ids(reg.resolve('AKT', ['okx'])), ['okx:AKT-USDT-SWAP']);
    assert.deepEqual(reg.resolve('NOPE'), []);
  });

  it('get, add and all', () => {
    assert.equal(reg.get('okx', 'AKT-USDT-SWAP')?.symbol, 'AKT-USDT-SWAP');
    assert.equal(reg.get('okx', 'AKTUSDT'), undefined);
    const r = new InstrumentRegistry();
    r.add(inst('bybit', 'AKTUSDT'));
    r.add(inst('bybit', 'AKTUSDT', { tickSize: 0.001 }));
    assert.equal(r.all().length, 1);
    assert.equal(r.get('bybit', 'AKTUSDT')?.tickSize, 0.001);
  });
});

describe('toBaseQty', () => {
  it('linear: contracts x contract value; inverse: contracts x USD value / price', () => {
    assert.equal(toBaseQty({ contractType: 'linear', contractValue: 0.01 }, 5, 60000), 0.05);
    assert.equal(toBaseQty({ contractType: 'inverse', contractValue: 100 }, 3, 30000), 0.01);
    assert.equal(toBaseQty({ contractType: 'linear', contractValue: 1 }, 2.5, 1), 2.5);
  });
});

describe('venueSymbol and symbolsMatching', () => {
  it('maps any spelling to the venue-native symbol', async () => {
    const { venueSymbol } = await import('../../src/core/instruments.ts');
    assert.equal(venueSymbol(reg, 'okx', 'AKT'), 'AKT-USDT-SWAP');
    assert.equal(venueSymbol(reg, 'okx', 'aktusdt'), 'AKT-USDT-SWAP');
    assert.equal(venueSymbol(reg, 'binance', 'AKT-USDT-SWAP'), 'AKTUSDT');
    assert.equal(venueSymbol(reg, 'bybit', 'AKTUSDT'), 'AKTUSDT');
    assert.equal(venueSymbol(reg, 'okx', 'AKT-USD-SWAP'), 'AKT-USD-SWAP', 'a symbol the venue knows is kept, inverse included');
    assert.equal(venueSymbol(reg, 'bybit', 'SOL'), 'SOLUSDT', 'unknown asset: the venue perp spelling');
    assert.equal(venueSymbol(reg, 'binance', 'XYZUSDC'), 'XYZUSDC', 'unknown full symbol: kept');
  });

  it('lists every symbol an input names across venues', async () => {
    const { symbolsMatching } = await import('../../src/core/instruments.ts');
    assert.deepEqual(symbolsMatching(reg, 'akt', ['binance', 'okx', 'bybit']), ['AKT', 'AKT-USDT-SWAP', 'AKTUSDT']);
  });
});
