/**
 * OKX instruments for the tests, built by hand (the bundled snapshot is separate work). Only
 * `contractType` and `contractValue` matter to the parser; the rest is filler.
 *
 * Verified contract values:
 *   - BTC-USDT-SWAP: linear, ctVal 0.01 BTC (OKX public/instruments rows quoted in several
 *     repositories, e.g. `"instId": "BTC-USDT-SWAP" ... "ctVal": "0.01", "ctValCcy": "BTC"`).
 *   - BTC-USD-SWAP / BTC-USD futures: inverse, ctVal 100 USD; other coin-margined contracts
 *     (ETH-USD-SWAP...) 10 USD (same source). So UNI-USD-SWAP is 10 USD and BTC-USD-220527 100 USD.
 *   - WNCG-USDT-SWAP ctVal 1 and FIL-USDT-220325 ctVal 0.1: from the samples' own `oi` / `oiCcy`
 *     (644195 / 644195 and 236870 / 23687).
 *   - BTC-USD-220624 inverse 100 USD and BTC-USDT-211231 linear 0.01 BTC: the bundled snapshot's
 *     captured OKX instrument rows (src/venues/instruments-snapshot/README.md), matching the
 *     BTC-USD / BTC-USDT values above.
 * Assumed (shape tests only; no numeric oracle depends on them): the rest.
 */
import type { Instrument } from '../../../src/core/instruments.ts';
import { InstrumentRegistry } from '../../../src/core/instruments.ts';
import { OkxMockInstruments } from '../../../src/venues/okx/mock-instruments.ts';

function okx(symbol: string, contractType: 'linear' | 'inverse', contractValue: number, tickSize: number): Instrument {
  const [base, quote, tail] = symbol.split('-');
  return {
    venue: 'okx',
    symbol,
    base,
    quote,
    kind: tail === 'SWAP' ? 'perpetual' : 'future',
    contractType,
    tickSize,
    lotSize: 1,
    contractValue,
    minNotional: 0,
    maxLeverage: 100,
    tiers: [],
    makerFee: 0.0002,
    takerFee: 0.0005,
  };
}

/** Verified values (see above). */
export const BTC_USDT_SWAP = okx('BTC-USDT-SWAP', 'linear', 0.01, 0.1);
export const BTC_USD_SWAP = okx('BTC-USD-SWAP', 'inverse', 100, 0.1);
export const UNI_USD_SWAP = okx('UNI-USD-SWAP', 'inverse', 10, 0.001);
export const BTC_USD_220527 = okx('BTC-USD-220527', 'inverse', 100, 0.1);
export const WNCG_USDT_SWAP = okx('WNCG-USDT-SWAP', 'linear', 1, 0.0001);
export const FIL_USDT_220325 = okx('FIL-USDT-220325', 'linear', 0.1, 0.001);
export const BTC_USD_220624 = okx('BTC-USD-220624', 'inverse', 100, 0.1);
export const BTC_USDT_211231 = okx('BTC-USDT-211231', 'linear', 0.01, 0.1);

/** Assumed values, for the tardis shape samples only. */
const ASSUMED = [
  okx('REN-USDT-SWAP', 'linear', 10, 0.00001),
  okx('SOS-USDT-SWAP', 'linear', 1000000, 0.000000001),
  okx('ADA-USDT-211224', 'linear', 100, 0.00001),
  okx('LTC-USDT-220624', 'linear', 1, 0.01),
  okx('FIL-USD-220325', 'inverse', 10, 0.001),
  okx('XRP-USD-230929', 'inverse', 10, 0.00001),
];

export function okxTestInstruments(): InstrumentRegistry {
  return new InstrumentRegistry([
    BTC_USDT_SWAP, BTC_USD_SWAP, UNI_USD_SWAP, BTC_USD_220527, WNCG_USDT_SWAP, FIL_USDT_220325, BTC_USD_220624, BTC_USDT_211231, ...ASSUMED,
  ]);
}

/**
 * What the loopback OKX lists (its own data, not the client's registry): the bundled snapshot's
 * OKX rows plus BTC-USD-SWAP (inverse, ctVal 100 USD, verified above), which the snapshot lacks.
 */
export function okxVenueListings(): OkxMockInstruments {
  const m = OkxMockInstruments.fromSnapshot();
  m.listSwap({ instId: 'BTC-USD-SWAP', ctVal: '100', tickSz: '0.1', ctType: 'inverse' });
  return m;
}
