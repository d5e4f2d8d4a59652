/**
 * Bybit v5 metadata -> Instrument.
 *   GET /v5/market/instruments-info?category=linear|inverse   {retCode, result: {category, list[]}}
 *   GET /v5/market/risk-limit?category=linear|inverse          {retCode, result: {category, list[]}}
 * Linear contracts trade in base units (contractValue 1 base); inverse contracts count USD
 * (one contract = 1 USD: contractValue 1 quote).
 */
import { z } from 'zod';
import { ParseError } from '../../core/errors.ts';
import type { Instrument, MarginTier } from '../../core/instruments.ts';
import { decimal, joinPath, optionalDecimal, parseWith } from '../metadata.ts';

/**
 * Default (non-VIP) derivatives fees: taker 0.055%, maker 0.02% (Bybit's fee examples for USDT
 * perpetual and inverse contracts: "Taker fee = ... x 0.055%", "Maker fee = ... x 0.02%"; the
 * older 0.06% / 0.01% still appear in ccxt's static markets). Fees are not in these endpoints.
 */
export const BYBIT_DERIVATIVE_FEES = { maker: 0.0002, taker: 0.00055 } as const;

const CONTRACT_TYPES = {
  LinearPerpetual: { kind: 'perpetual', contractType: 'linear' },
  InversePerpetual: { kind: 'perpetual', contractType: 'inverse' },
  LinearFutures: { kind: 'future', contractType: 'linear' },
  InverseFutures: { kind: 'future', contractType: 'inverse' },
} as const;

const instrumentRow = z.object({
  symbol: z.string().min(1),
  contractType: z.enum(['LinearPerpetual', 'InversePerpetual', 'LinearFutures', 'InverseFutures']),
  baseCoin: z.string().min(1),
  quoteCoin: z.string().min(1),
  priceFilter: z.object({ tickSize: decimal('positive') }),
  lotSizeFilter: z.object({
    qtyStep: decimal('positive'),
    minOrderQty: decimal('positive'),
    // "" on inverse contracts (ccxt's static Bybit markets: BTCUSD, LTCUSD).
    minNotionalValue: optionalDecimal('positive').optional(),
  }),
  leverageFilter: z.object({ maxLeverage: decimal('positive') }),
});
export const instrumentsInfoSchema = z.object({
  retCode: z.literal(0),
  result: z.object({ category: z.enum(['linear', 'inverse']), list: z.array(instrumentRow) }),
});

const riskRow = z.object({
  symbol: z.string().min(1),
  riskLimitValue: decimal('positive'),
  maintenanceMargin: decimal('nonNegative'),
  initialMargin: decimal('positive'),
  maxLeverage: decimal('positive'),
  // "" on the lowest tier and on some whole tables (see tiersFrom).
  mmDeduction: optionalDecimal('nonNegative').optional(),
});
export const riskLimitSchema = z.object({
  retCode: z.literal(0),
  result: z.object({ category: z.enum(['linear', 'inverse']), list: z.array(riskRow) }),
});

/**
 * risk-limit -> tiers per symbol. Each tier runs from the previous riskLimitValue to its own.
 * maintAmount is mmDeduction; where Bybit leaves it empty it is the amount that keeps maintenance
 * margin continuous at each boundary, d[n] = d[n-1] + cap[n-1] x (mmr[n] - mmr[n-1]) (0 on the
 * lowest tier), the same rule as Binance's cum.
 */
export function parseBybitRiskLimits(json: unknown, prefix = ''): Map<string, MarginTier[]> {
  const parsed = parseWith(riskLimitSchema, json, 'Bybit risk-limit', prefix);
  const by = new Map<string, z.output<typeof riskRow>[]>();
  for (const r of parsed.result.list) {
    const list = by.get(r.symbol) ?? [];
    list.push(r);
    by.set(r.symbol, list);
  }
  const out = new Map<string, MarginTier[]>();
  for (const [symbol, rows] of by) {
    rows.sort((a, b) => a.riskLimitValue - b.riskLimitValue);
    const tiers: MarginTier[] = [];
    rows.forEach((r, i) => {
      const prev = tiers[i - 1];
      if (prev && r.riskLimitValue === prev.notionalCap) {
        throw new ParseError('E_MESSAGE', `Bybit risk-limit: two tiers of ${symbol} end at the same riskLimitValue`, joinPath(prefix, 'result.list'), String(r.riskLimitValue));
      }
      const derived = prev ? prev.maintAmount + prev.notionalCap * (r.maintenanceMargin - prev.maintMarginRate) : 0;
      const given = r.mmDeduction;
      tiers.push({
        notionalFloor: prev ? prev.notionalCap : 0,
        notionalCap: r.riskLimitValue,
        maxLeverage: r.maxLeverage,
        maintMarginRate: r.maintenanceMargin,
        maintAmount: given === undefined || Number.isNaN(given) ? derived : given,
      });
    });
    out.set(symbol, tiers);
  }
  return out;
}

/** instruments-info (+ tiers from risk-limit) -> instruments. */
export function parseBybitInstrumentsInfo(json: unknown, tiers: ReadonlyMap<string, MarginTier[]> = new Map(), prefix = ''): Instrument[] {
  const parsed = parseWith(instrumentsInfoSchema, json, 'Bybit instruments-info', prefix);
  return parsed.result.list.map((r): Instrument => {
    const t = CONTRACT_TYPES[r.contractType];
    const inverse = t.contractType === 'inverse';
    return {
      venue: 'bybit',
      symbol: r.symbol,
      base: r.baseCoin,
      quote: r.quoteCoin,
      kind: t.kind,
      contractType: t.contractType,
      tickSize: r.priceFilter.tickSize,
      lotSize: r.lotSizeFilter.qtyStep,
      contractValue: 1,
      // Inverse contracts have no minNotionalValue; their minimum is minOrderQty contracts of 1 USD.
      minNotional: inverse ? r.lotSizeFilter.minOrderQty : (r.lotSizeFilter.minNotionalValue ?? NaN),
      maxLeverage: r.leverageFilter.maxLeverage,
      tiers: tiers.get(r.symbol) ?? [],
      makerFee: BYBIT_DERIVATIVE_FEES.maker,
      takerFee: BYBIT_DERIVATIVE_FEES.taker,
    };
  });
}

export function parseBybitInstruments(instrumentsInfo: unknown, riskLimit?: unknown): Instrument[] {
  return parseBybitInstrumentsInfo(instrumentsInfo, riskLimit === undefined ? new Map() : parseBybitRiskLimits(riskLimit));
}

function list(json: unknown): unknown[] | undefined {
  const l = (json as { result?: { list?: unknown } })?.result?.list;
  return Array.isArray(l) ? l : undefined;
}

export function looksLikeBybitInstrumentsInfo(json: unknown): boolean {
  const l = list(json);
  return !!l && l.length > 0 && typeof l[0] === 'object' && l[0] !== null && 'priceFilter' in l[0];
}

export function looksLikeBybitRiskLimit(json: unknown): boolean {
  const l = list(json);
  return !!l && l.length > 0 && typeof l[0] === 'object' && l[0] !== null && 'riskLimitValue' in l[0];
}
