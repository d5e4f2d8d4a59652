import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { MarginTier } from '../../src/core/instruments.ts';
import {
  crossLiquidation,
  crossState,
  isLiquidated,
  isolatedLiquidation,
  isolatedLiquidationPriceWith,
  isolatedOpenInto,
  isolatedMarginBalance,
  maintenanceAt,
  maxLeverageAt,
  marginReport,
  openIsolated,
  tierAt,
  type MarginInstrument,
  type PositionSide,
} from '../../src/core/margin.ts';
import { loadBundledInstruments } from '../../src/venues/bundled-instruments.ts';

const registry = loadBundledInstruments();
const BINANCE_BTC = registry.get('binance', 'BTCUSDT')!;
const OKX_BTC = registry.get('okx', 'BTC-USDT-SWAP')!;
const BYBIT_BTC = registry.get('bybit', 'BTCUSDT')!;

function close(actual: number, expected: number, what: string, rel = 1e-9): void {
  assert.ok(Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected)), `${what}: ${actual} != ${expected}`);
}

/** Brackets given as [cap, max leverage, rate, amount], each floor at the previous cap. */
function brackets(rows: readonly (readonly [number, number, number, number])[]): MarginTier[] {
  let floor = 0;
  return rows.map(([cap, maxLeverage, maintMarginRate, maintAmount]) => {
    const t = { notionalFloor: floor, notionalCap: cap, maxLeverage, maintMarginRate, maintAmount };
    floor = cap;
    return t;
  });
}

function binance(symbol: string, tiers: MarginTier[]): MarginInstrument {
  return { venue: 'binance', symbol, contractType: 'linear', contractValue: 1, maxLeverage: 125, tiers, makerFee: 0.0002, takerFee: 0.0005 };
}

// Binance's FAQ "How to Calculate Liquidation Price of USDⓈ-M Futures Contracts"
// (https://www.binance.com/en/support/faq/b3c689c1f50a44cabb3a84e663b81d93) works its examples with
// the USDT-margined bracket tables it printed in 2021 (BTCUSDT bracket 4: 2.5%, 16,300; ETHUSDT
// bracket 6: 10%, 135,365; every amount follows cum[n] = cum[n-1] + floor[n] x (rate[n] - rate[n-1])).
// The same tables are in altamoon's test of the FAQ examples, and freqtrade's
// tests/exchange/test_binance.py test_liquidation_price_binance reproduces the four results.
const BTC_2021 = binance(
  'BTCUSDT',
  brackets([
    [50e3, 125, 0.004, 0],
    [250e3, 100, 0.005, 50],
    [1e6, 50, 0.01, 1_300],
    [5e6, 20, 0.025, 16_300],
    [20e6, 10, 0.05, 141_300],
    [50e6, 5, 0.1, 1_141_300],
    [100e6, 4, 0.125, 2_391_300],
    [200e6, 3, 0.15, 4_891_300],
    [300e6, 2, 0.25, 24_891_300],
    [500e6, 1, 0.5, 99_891_300],
  ]),
);
const ETH_2021 = binance(
  'ETHUSDT',
  brackets([
    [10e3, 100, 0.005, 0],
    [100e3, 75, 0.0065, 15],
    [500e3, 50, 0.01, 365],
    [1e6, 25, 0.02, 5_365],
    [2e6, 10, 0.05, 35_365],
    [5e6, 5, 0.1, 135_365],
    [10e6, 4, 0.125, 260_365],
    [20e6, 3, 0.15, 510_365],
    [Infinity, 2, 0.25, 2_510_365],
  ]),
);
/** The FAQ's account: wallet 1,535,443.01 USDT; long ETHUSDT and BTCUSDT legs with their marks. */
const WB = 1_535_443.01;
const ETH_LEG = { symbol: 'ETHUSDT', side: 'long' as const, qty: 3683.979, entry: 1456.84, mark: 1335.18 };
const BTC_LEG = { symbol: 'BTCUSDT', side: 'long' as const, qty: 109.488, entry: 32481.98, mark: 31967.27 };

describe('Binance USD-M: the FAQ worked examples', () => {
  it('isolated ETHUSDT 1,114.78 and BTCUSDT 18,778.73, with the bracket of the notional at the liquidation price', () => {
    // ETHUSDT's entry notional 5,366,967.96 is in bracket 7 (12.5%, max 4x); at the liquidation
    // price it is 4,106,844, bracket 6 (10%, 135,365): the FAQ's numbers.
    const eth = openIsolated({ instrument: ETH_2021, side: 'long', qty: ETH_LEG.qty, entry: ETH_LEG.entry, leverage: 4, margin: WB });
    assert.equal(tierAt(ETH_2021, ETH_LEG.qty, ETH_LEG.entry, ETH_LEG.entry).index, 6);
    assert.equal(eth.liquidationPrice.toFixed(2), '1114.78');
    assert.deepEqual([eth.liquidationTier.index, eth.liquidationTier.maintMarginRate, eth.liquidationTier.maintAmount], [5, 0.1, 135_365]);
    const btc = openIsolated({ instrument: BTC_2021, side: 'long', qty: BTC_LEG.qty, entry: BTC_LEG.entry, leverage: 20, margin: WB });
    assert.equal(btc.liquidationPrice.toFixed(2), '18778.73');
    assert.deepEqual([btc.liquidationTier.maintMarginRate, btc.liquidationTier.maintAmount], [0.025, 16_300]);
  });

  it('gives the same isolated numbers through the calculator with the bracket overridden', () => {
    const r = marginReport({ instrument: BINANCE_BTC, mode: 'isolated', side: 'long', qty: ETH_LEG.qty, entry: ETH_LEG.entry, leverage: 5, wallet: WB, override: { maintMarginRate: 0.1, maintAmount: 135_365 } });
    assert.equal(r.liquidationPrice.toFixed(2), '1114.78');
    assert.equal(r.liquidationTier.index, -1);
  });

  it('cross ETHUSDT 1,153.26 and BTCUSDT 26,316.89: the other leg adds its maintenance margin and unrealized PnL at its mark', () => {
    const eth = marginReport({ instrument: ETH_2021, mode: 'cross', side: 'long', qty: ETH_LEG.qty, entry: ETH_LEG.entry, leverage: 4, wallet: WB, others: [{ ...BTC_LEG, instrument: BTC_2021 }] });
    assert.equal(eth.liquidationPrice.toFixed(2), '1153.26');
    // TMM1 = 3,500,032.458 x 2.5% - 16,300 (the FAQ's "Maintenance Margin of BTCUSDT"), UPNL1 = -56,354.57.
    assert.equal(eth.othersMaintenance.toFixed(5), '71200.81144');
    assert.equal(eth.othersUnrealizedPnl.toFixed(2), '-56354.57');
    const btc = marginReport({ instrument: BTC_2021, mode: 'cross', side: 'long', qty: BTC_LEG.qty, entry: BTC_LEG.entry, leverage: 20, wallet: WB, others: [{ ...ETH_LEG, instrument: ETH_2021 }] });
    assert.equal(btc.liquidationPrice.toFixed(2), '26316.89');
    // ETHUSDT's bracket comes from its notional at the mark, 4,918,775.081 (bracket 6, not 7 as at entry).
    assert.equal(btc.othersMaintenance.toFixed(3), '356512.508');
    assert.equal(btc.othersUnrealizedPnl.toFixed(2), '-448192.89');
    // The same with the other legs' rates given instead of their tables.
    const given = marginReport({
      instrument: ETH_2021,
      mode: 'cross',
      side: 'long',
      qty: ETH_LEG.qty,
      entry: ETH_LEG.entry,
      leverage: 4,
      wallet: WB,
      others: [{ ...BTC_LEG, override: { maintMarginRate: 0.025, maintAmount: 16_300 } }],
    });
    assert.equal(given.liquidationPrice.toFixed(2), '1153.26');
  });
});

describe('Bybit linear USDT: the help-center worked examples', () => {
  it('isolated long 1 BTC at 20,000 with 50x and MMR 0.5%: 19,700 ("Liquidation Price (USDT Contract)", Example 1)', () => {
    const p = openIsolated({ instrument: BYBIT_BTC, side: 'long', qty: 1, entry: 20_000, leverage: 50 });
    assert.equal(p.liquidationPrice, 19_700);
    const r = marginReport({ instrument: BYBIT_BTC, mode: 'isolated', side: 'long', qty: 1, entry: 20_000, leverage: 50 });
    assert.deepEqual([r.initialMargin, r.maintenanceMargin, r.liquidationPrice], [400, 100, 19_700]);
  });

  it("isolated long 1 BTC at 10,000 with 50x: 9,850, short 1 BTC at 8,000 with 40x: 8,160, and the long's bankruptcy price 9,800", () => {
    // Earlier version of the page: LP = Entry x (1 - IMR + MMR) (long), Entry x (1 + IMR - MMR)
    // (short); "Bankruptcy Price (USDT Contract)": Entry x (1 - IMR) = 10,000 x (1 - 2%) = 9,800.
    const long = openIsolated({ instrument: BYBIT_BTC, side: 'long', qty: 1, entry: 10_000, leverage: 50 });
    assert.equal(long.liquidationPrice, 9_850);
    assert.equal(long.bankruptcyPrice, 9_800);
    assert.equal(openIsolated({ instrument: BYBIT_BTC, side: 'short', qty: 1, entry: 8_000, leverage: 40 }).liquidationPrice, 8_160);
  });

  it('adds extra margin one for one: LP = entry - (IM - MM) / size - extra / size', () => {
    const p = openIsolated({ instrument: BYBIT_BTC, side: 'short', qty: 1, entry: 20_000, leverage: 50, margin: 400 + 3_000 });
    assert.equal(p.liquidationPrice, 20_000 + (400 - 100) + 3_000);
  });

  it('cross: 2 BTC long at 10,000, available balance 2,000, IM 200, MM 100: sustainable loss 2,100, LP 8,950', () => {
    // Bybit "Liquidation Price (USDT Contract)", cross Example 1: "Total Sustainable Loss =
    // Available Balance + Initial Margin - Maintenance Margin = 2,000 + 200 - 100 = 2,100". The
    // position is in profit (mark 10,500), which the available balance does not count, so the wallet
    // balance is 2,000 + IM 200; the 2 BTC can lose 2,100 / 2 = 1,050 each: LP = 10,000 - 1,050.
    const r = marginReport({ instrument: BYBIT_BTC, mode: 'cross', side: 'long', qty: 2, entry: 10_000, leverage: 100, wallet: 2_200, mark: 10_500 });
    assert.deepEqual([r.initialMargin, r.maintenanceMargin, r.unrealizedPnl], [200, 100, 1_000]);
    assert.equal(r.liquidationPrice, 8_950);
  });

  it('keeps the maintenance margin on the entry value, whatever the mark', () => {
    const a = maintenanceAt(BYBIT_BTC, 2, 10_000, 8_000);
    const b = maintenanceAt(BYBIT_BTC, 2, 10_000, 12_000);
    assert.deepEqual([a.maintenanceMargin, b.maintenanceMargin, a.liquidationFee], [100, 100, 0]);
  });
});

describe('OKX USDT swap: hand-computed (no official worked example found)', () => {
  // OKX: liquidation when (margin + UPL) <= position value x (tier mmr + taker fee rate), position
  // value = contracts x ctVal x mark; the tier by size in contracts. BTC-USDT-SWAP: ctVal 0.01 BTC,
  // tier 1 up to 1,000 contracts (10 BTC, 0.4%, 100x), tier 2 up to 5,000 (50 BTC, 0.5%, 66.66x),
  // taker 0.05%.
  it('isolated long 100 contracts (1 BTC) at 60,000 with 10x: LP = (60,000 - 6,000) / (1 - 0.004 - 0.0005) = 54,244.10', () => {
    const r = marginReport({ instrument: OKX_BTC, mode: 'isolated', side: 'long', qty: 1, entry: 60_000, leverage: 10 });
    assert.equal(r.contracts, 100);
    assert.deepEqual([r.initialMargin, r.maintenanceMarginRate, r.maintenanceMargin, r.liquidationFee], [6_000, 0.004, 240, 30]);
    assert.equal(r.liquidationPrice.toFixed(2), '54244.10');
    assert.equal(r.bankruptcyPrice, 54_000);
  });

  it('isolated short 2,000 contracts (20 BTC, tier 2) at 60,000 with 20x: LP = (60,000 + 3,000) / 1.0055 = 62,655.40', () => {
    const r = marginReport({ instrument: OKX_BTC, mode: 'isolated', side: 'short', qty: 20, entry: 60_000, leverage: 20 });
    assert.deepEqual([r.tier.index, r.tier.unit, r.tier.basis, r.maintenanceMarginRate], [1, 'base', 20, 0.005]);
    assert.equal(r.liquidationPrice.toFixed(2), '62655.40');
    assert.throws(() => marginReport({ instrument: OKX_BTC, mode: 'isolated', side: 'short', qty: 20, entry: 60_000, leverage: 70 }), /leverage 70x is above the 66.66x maximum of okx BTC-USDT-SWAP tier 2/);
  });

  it('cross: wallet 10,000, long 1 BTC at 60,000 and another leg short 10 ETH-USDT-SWAP-like at 3,000 marked 3,100', () => {
    // Other leg (rate given: 1%): UPL = -10 x 100 = -1,000; requirement = 10 x 3,100 x (0.01 + 0.0005) = 325.5.
    // Own: 10,000 - 1,000 - 325.5 + (P - 60,000) = P x 0.0045  =>  P = 51,325.5 / 0.9955 = 51,557.51.
    const r = marginReport({
      instrument: OKX_BTC,
      mode: 'cross',
      side: 'long',
      qty: 1,
      entry: 60_000,
      leverage: 10,
      wallet: 10_000,
      others: [{ symbol: 'ETH-USDT-SWAP', side: 'short', qty: 10, entry: 3_000, mark: 3_100, override: { maintMarginRate: 0.01, maintAmount: 0 } }],
    });
    close(r.othersMaintenance, 325.5, 'others');
    assert.equal(r.liquidationPrice.toFixed(2), '51557.51');
    assert.equal(r.bankruptcyPrice, 51_000);
  });
});

describe('liquidation: when and what it pays', () => {
  it('liquidates an isolated long at and below its liquidation price, for its whole margin', () => {
    const p = openIsolated({ instrument: BINANCE_BTC, side: 'long', qty: 2, entry: 30_000, leverage: 10 });
    close(p.liquidationPrice, (6_000 + 50 - 60_000) / (2 * 0.005 - 2), 'LP');
    assert.equal(isLiquidated(p, p.liquidationPrice * (1 + 1e-9)), false);
    assert.equal(isLiquidated(p, p.liquidationPrice), true);
    assert.equal(isolatedLiquidation(p, 28_000), undefined);
    const out = isolatedLiquidation(p, p.liquidationPrice)!;
    assert.equal(out.closePrice, 27_000);
    assert.equal(out.realizedPnl, -6_000);
    close(out.insuranceFund, maintenanceAt(BINANCE_BTC, 2, 30_000, p.liquidationPrice).maintenanceMargin, 'left for the fund');
    // Gapped through the bankruptcy price: the trader still loses the margin; the fund pays the gap.
    const gap = isolatedLiquidation(p, 26_000)!;
    assert.deepEqual([gap.realizedPnl, gap.insuranceFund], [-6_000, -2_000]);
  });

  it('liquidates a short at and above its liquidation price', () => {
    const p = openIsolated({ instrument: OKX_BTC, side: 'short', qty: 1, entry: 60_000, leverage: 20 });
    assert.equal(isLiquidated(p, p.liquidationPrice * (1 - 1e-9)), false);
    assert.equal(isLiquidated(p, p.liquidationPrice), true);
  });

  it('gives a long with no liquidation price above 0 none (1x, no maintenance amount)', () => {
    const p = openIsolated({ instrument: OKX_BTC, side: 'long', qty: 1, entry: 60_000, leverage: 1 });
    assert.ok(Number.isNaN(p.liquidationPrice));
    assert.equal(isLiquidated(p, 1e-6), false);
    assert.ok(Number.isNaN(marginReport({ instrument: OKX_BTC, mode: 'isolated', side: 'long', qty: 1, entry: 60_000, leverage: 1 }).bankruptcyPrice));
  });

  it('liquidates a cross wallet when every leg at its mark brings the balance down to the summed requirement', () => {
    const legs = [
      { ...ETH_LEG, instrument: ETH_2021 },
      { ...BTC_LEG, instrument: BTC_2021 },
    ];
    const st = crossState(WB, legs, ETH_2021);
    assert.equal(st.liquidated, false);
    close(st.maintenance, 356_512.508122 + 71_200.811444, 'maintenance');
    const atLp = crossState(WB, [{ ...legs[0], mark: 1153.256464239104 }, legs[1]], ETH_2021);
    close(atLp.marginBalance, atLp.maintenance, 'balance = maintenance at the LP', 1e-9);
    const below = [{ ...legs[0], mark: 1150 }, legs[1]];
    assert.equal(crossState(WB, below, ETH_2021).liquidated, true);
    const out = crossLiquidation(WB, below, ETH_2021)!;
    assert.equal(out.realizedPnl, -WB);
    assert.ok(out.insuranceFund > 0);
    assert.equal(crossLiquidation(WB, legs, ETH_2021), undefined);
  });
});

describe('validation', () => {
  const base = { instrument: BINANCE_BTC, mode: 'isolated' as const, side: 'long' as const, qty: 1, entry: 30_000, leverage: 10 };
  it('names the field of a bad number', () => {
    for (const [field, value] of [['qty', NaN], ['qty', -1], ['qty', 0], ['entry', 0], ['entry', Infinity], ['mark', -5], ['wallet', 0]] as const) {
      assert.throws(() => marginReport({ ...base, [field]: value }), (e: Error) => e instanceof RangeError && e.message.includes(`${field} must be`), `${field} ${value}`);
    }
    assert.throws(() => marginReport({ ...base, leverage: 0.5 }), /leverage must be >= 1/);
    assert.throws(() => marginReport({ ...base, side: 'up' as PositionSide }), /side must be 'long' or 'short'/);
    assert.throws(() => marginReport({ ...base, override: { maintMarginRate: 1, maintAmount: 0 } }), /override.maintMarginRate must be in \[0, 1\)/);
    assert.throws(() => openIsolated({ ...base, margin: -1 }), /margin must be/);
  });

  it("refuses leverage above the entry tier's or the instrument's maximum", () => {
    assert.throws(() => marginReport({ ...base, qty: 2, leverage: 110 }), /leverage 110x is above the 100x maximum of binance BTCUSDT bracket 2 \(notional 50,000 to 600,000\)/);
    assert.throws(() => marginReport({ ...base, leverage: 150 }), /above the 125x maximum of binance BTCUSDT$/);
    assert.throws(() => openIsolated({ instrument: ETH_2021, side: 'long', qty: ETH_LEG.qty, entry: ETH_LEG.entry, leverage: 5 }), /5x is above the 4x maximum of binance ETHUSDT bracket 7/);
    // An override replaces the tiers, so only the instrument's maximum applies.
    assert.equal(marginReport({ ...base, qty: 2, leverage: 110, override: { maintMarginRate: 0.005, maintAmount: 50 } }).maxLeverage, 125);
  });

  it('refuses a position beyond the last tier, an inverse contract, missing tiers and misplaced legs', () => {
    assert.throws(() => marginReport({ ...base, instrument: BYBIT_BTC, qty: 1_000, leverage: 1 }), /beyond the last risk-limit tier of bybit BTCUSDT/);
    assert.throws(() => marginReport({ ...base, instrument: registry.get('bybit', 'BTCUSD')! }), /inverse contract/);
    assert.throws(() => marginReport({ ...base, instrument: registry.get('okx', 'ETH-USDT-SWAP')! }), /no maintenance tiers/);
    assert.throws(() => marginReport({ ...base, mode: 'cross' }), /wallet: the wallet balance is required in cross mode/);
    const leg = { ...BTC_LEG, symbol: 'ETHUSDT', instrument: ETH_2021 };
    assert.throws(() => marginReport({ ...base, others: [leg] }), /others: other positions share a cross wallet only/);
    assert.throws(() => marginReport({ ...base, mode: 'cross', wallet: 1e6, others: [leg, leg] }), /others\[1\].symbol: ETHUSDT twice/);
    assert.throws(() => marginReport({ ...base, mode: 'cross', wallet: 1e6, others: [{ ...leg, symbol: 'BTCUSDT' }] }), /others\[0\].symbol: BTCUSDT twice .* into this position/);
    assert.throws(() => marginReport({ ...base, mode: 'cross', wallet: 1e6, others: [{ ...leg, qty: -1 }] }), /others\[0\].qty must be/);
    assert.throws(() => marginReport({ ...base, mode: 'cross', wallet: 1e6, others: [{ ...leg, instrument: OKX_BTC }] }), /is on okx, not on binance/);
    assert.throws(() => marginReport({ ...base, mode: 'cross', wallet: 1e6, others: [{ ...leg, instrument: undefined }] }), /needs its instrument \(tiers\) or a maintenance rate/);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties, on every venue's bundled BTC perpetual.

const VENUE_INSTRUMENTS = [BINANCE_BTC, OKX_BTC, BYBIT_BTC] as const;

/** A position that can be opened: notional 10 .. 3M quote (inside the tiers), leverage in (1, the entry tier's max]. */
const position = fc
  .record({
    v: fc.integer({ min: 0, max: VENUE_INSTRUMENTS.length - 1 }),
    entry: fc.double({ min: 1, max: 100_000, noNaN: true }),
    notional: fc.double({ min: 10, max: 3_000_000, noNaN: true }),
    levShare: fc.double({ min: 0.001, max: 1, noNaN: true }),
    side: fc.constantFrom<PositionSide>('long', 'short'),
  })
  .map(({ v, entry, notional, levShare, side }) => {
    const instrument = VENUE_INSTRUMENTS[v];
    // OKX tiers count base units (up to 5,400 BTC bundled): keep the size inside them.
    const last = instrument.tiers[instrument.tiers.length - 1];
    const qty = last.unit === 'base' ? Math.min(notional / entry, 0.999 * last.notionalCap) : notional / entry;
    const max = Math.min(instrument.maxLeverage, tierAt(instrument, qty, entry, entry).maxLeverage);
    return { instrument, entry, qty, side, leverage: 1 + (max - 1) * levShare, max };
  });

describe('margin properties', () => {
  it('long LP < entry < short LP for any leverage > 1 (isolated, margin = initial margin)', () => {
    fc.assert(
      fc.property(position, (p) => {
        const long = openIsolated({ ...p, side: 'long' });
        const short = openIsolated({ ...p, side: 'short' });
        return long.liquidationPrice < p.entry && p.entry < short.liquidationPrice && long.liquidationPrice > long.bankruptcyPrice && short.liquidationPrice < short.bankruptcyPrice;
      }),
    );
  });

  it('at the liquidation price the margin balance equals the maintenance requirement (1e-9 relative)', () => {
    fc.assert(
      fc.property(position, (p) => {
        const pos = openIsolated(p);
        const req = maintenanceAt(p.instrument, p.qty, p.entry, pos.liquidationPrice).requirement;
        const bal = isolatedMarginBalance(pos, pos.liquidationPrice);
        return Math.abs(bal - req) <= 1e-9 * Math.max(req, 1e-9 * p.qty * p.entry);
      }),
    );
  });

  it('is liquidated exactly when the margin balance is at or below the requirement', () => {
    fc.assert(
      fc.property(position, fc.double({ min: 0.5, max: 1.5, noNaN: true }), (p, f) => {
        const pos = openIsolated(p);
        const mark = p.entry * f;
        const bal = isolatedMarginBalance(pos, mark);
        const req = maintenanceAt(p.instrument, p.qty, p.entry, mark).requirement;
        if (Math.abs(bal - req) <= 1e-9 * p.qty * p.entry) return true; // on the boundary
        return isLiquidated(pos, mark) === bal <= req;
      }),
    );
  });

  it('moves the isolated LP towards the entry as leverage rises', () => {
    fc.assert(
      fc.property(position, fc.double({ min: 0, max: 1, noNaN: true }), (p, t) => {
        const higher = p.leverage + (p.max - p.leverage) * t;
        const a = openIsolated(p).liquidationPrice;
        const b = openIsolated({ ...p, leverage: higher }).liquidationPrice;
        const tol = 1e-9 * p.entry;
        return p.side === 'long' ? b >= a - tol : b <= a + tol;
      }),
    );
  });

  it('moves the cross LP away from the entry as the wallet grows', () => {
    fc.assert(
      fc.property(position, fc.double({ min: 0, max: 1e6, noNaN: true }), fc.double({ min: 0, max: 1e6, noNaN: true }), (p, w1, w2) => {
        const [lo, hi] = w1 <= w2 ? [w1, w2] : [w2, w1];
        const lp = (wallet: number) => marginReport({ ...p, mode: 'cross', wallet }).liquidationPrice;
        const a = lp(lo);
        const b = lp(hi);
        if (p.side === 'long') return Number.isNaN(b) || b <= a + 1e-9 * p.entry;
        return b >= a - 1e-9 * p.entry;
      }),
    );
  });

  it('gives a cross position the isolated LP when its wallet is its margin and it is alone', () => {
    fc.assert(
      fc.property(position, (p) => {
        const iso = openIsolated(p);
        const cross = marginReport({ ...p, mode: 'cross', wallet: iso.margin });
        return Math.abs(cross.liquidationPrice - iso.liquidationPrice) <= 1e-9 * p.entry;
      }),
    );
  });
});

describe('isolatedLiquidationPriceWith (the projection path without records)', () => {
  const stand = (venue: 'binance' | 'okx' | 'bybit', takerFee: number, maxLeverage: number): MarginInstrument => ({ venue, symbol: 'X', contractType: 'linear', contractValue: 1, maxLeverage, tiers: [], makerFee: 0, takerFee });
  const args = fc.record({
    venue: fc.constantFrom('binance' as const, 'okx' as const, 'bybit' as const),
    takerFee: fc.double({ min: 0, max: 0.001, noNaN: true }),
    maxLeverage: fc.constantFrom(0, 20, 125),
    side: fc.constantFrom(1 as const, -1 as const),
    qty: fc.double({ min: 1e-6, max: 1e4, noNaN: true }),
    entry: fc.double({ min: 1e-4, max: 1e6, noNaN: true }),
    leverage: fc.double({ min: 0.5, max: 200, noNaN: true }),
    mmr: fc.double({ min: -0.01, max: 0.2, noNaN: true }),
    amount: fc.double({ min: -1, max: 100, noNaN: true }),
  });

  it("gives openIsolated's liquidation price with that override bit for bit, and its errors", () => {
    fc.assert(
      fc.property(args, (a) => {
        const inst = stand(a.venue, a.takerFee, a.maxLeverage);
        let want: number | Error;
        try {
          want = openIsolated({ instrument: inst, side: a.side > 0 ? 'long' : 'short', qty: a.qty, entry: a.entry, leverage: a.leverage, override: { maintMarginRate: a.mmr, maintAmount: a.amount } }).liquidationPrice;
        } catch (e) {
          want = e as Error;
        }
        let got: number | Error;
        try {
          got = isolatedLiquidationPriceWith(inst, a.side, a.qty, a.entry, a.leverage, a.mmr, a.amount);
        } catch (e) {
          got = e as Error;
        }
        if (want instanceof Error) assert.equal(got instanceof Error ? got.message : got, want.message);
        else assert.ok(Object.is(got, want), `${String(got)} vs ${want}`);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('isolatedOpenInto and maxLeverageAt (the simulator\'s holder opens without records)', () => {
  const args = fc.record({
    inst: fc.constantFrom(BINANCE_BTC, OKX_BTC, BYBIT_BTC),
    side: fc.constantFrom(1 as const, -1 as const),
    // Up to positions beyond the last tier (refused) and leverage beyond the caps.
    qty: fc.oneof(fc.double({ min: 1e-6, max: 2000, noNaN: true }), fc.constantFrom(0, -1, NaN, Infinity)),
    entry: fc.oneof(fc.double({ min: 1, max: 300_000, noNaN: true }), fc.constantFrom(0, NaN)),
    leverage: fc.oneof(fc.double({ min: 0.5, max: 200, noNaN: true }), fc.integer({ min: 1, max: 150 }), fc.constantFrom(NaN, Infinity)),
  });

  it("writes openIsolated's margin, liquidation and bankruptcy prices bit for bit, and throws its errors", () => {
    const out = new Float64Array(3);
    fc.assert(
      fc.property(args, (a) => {
        let want: number[] | Error;
        try {
          const p = openIsolated({ instrument: a.inst, side: a.side > 0 ? 'long' : 'short', qty: a.qty, entry: a.entry, leverage: a.leverage });
          want = [p.margin, p.liquidationPrice, p.bankruptcyPrice];
        } catch (e) {
          want = e as Error;
        }
        let got: number[] | Error;
        try {
          isolatedOpenInto(a.inst, a.side, a.qty, a.entry, a.leverage, out);
          got = [...out];
        } catch (e) {
          got = e as Error;
        }
        if (want instanceof Error) assert.equal(got instanceof Error ? got.message : got, want.message);
        else {
          assert.ok(Array.isArray(got), `threw ${String(got)}`);
          for (let i = 0; i < 3; i++) assert.ok(Object.is(got[i], want[i]), `${i}: ${got[i]} vs ${want[i]}`);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("gives the leverage cap of tierAt's tier and the instrument's maximum", () => {
    fc.assert(
      fc.property(fc.constantFrom(BINANCE_BTC, OKX_BTC, BYBIT_BTC), fc.double({ min: 1e-6, max: 2000, noNaN: true }), fc.double({ min: 1, max: 300_000, noNaN: true }), (inst, qty, price) => {
        const t = tierAt(inst, qty, price, price);
        assert.equal(maxLeverageAt(inst, qty, price), Math.min(inst.maxLeverage, t.maxLeverage > 0 ? t.maxLeverage : inst.maxLeverage));
      }),
    );
  });
});
