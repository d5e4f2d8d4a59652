/**
 * Bybit instruments for the tests, built by hand. Linear symbols need none (sizes are base
 * coin); the inverse ones in the tardis samples do. Bybit inverse contracts are worth 1 USD:
 * the trade archive row `1692748800.279,BTCUSD,Sell,641,26027.00,...,641,0.02462827064202559`
 * has size 641 and foreignNotional 641 / 26027 BTC.
 */
import type { Instrument } from '../../../src/core/instruments.ts';
import { InstrumentRegistry } from '../../../src/core/instruments.ts';

function inverse(symbol: string, kind: 'perpetual' | 'future'): Instrument {
  return {
    venue: 'bybit',
    symbol,
    base: symbol.slice(0, 3),
    quote: 'USD',
    kind,
    contractType: 'inverse',
    tickSize: 0.5,
    lotSize: 1,
    contractValue: 1,
    minNotional: 0,
    maxLeverage: 100,
    tiers: [],
    makerFee: 0.0002,
    takerFee: 0.00055,
  };
}

export function bybitTestInstruments(): InstrumentRegistry {
  return new InstrumentRegistry([inverse('BTCUSD', 'perpetual'), inverse('BTCUSDU23', 'future'), inverse('XRPUSD', 'perpetual')]);
}
