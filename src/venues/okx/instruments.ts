/**
 * OKX metadata -> Instrument.
 *   GET /api/v5/public/instruments?instType=SWAP|FUTURES|SPOT   {code, msg, data[]}
 *   GET /api/v5/public/position-tiers?instType=SWAP&tdMode=cross&instFamily=BTC-USDT   {code, msg, data[]}
 * Swaps and futures trade in contracts: one contract is ctVal of ctValCcy (BTC for linear
 * BTC-USDT-SWAP, USD for inverse BTC-USD-SWAP). Spot trades in base units.
 */
import { z } from 'zod';
import { ParseError } from '../../core/errors.ts';
import type { Instrument, MarginTier } from '../../core/instruments.ts';
import { assertContiguous, decimal, joinPath, optionalDecimal, parseWith } from '../metadata.ts';

/**
 * Default (regular user, Lv1) fees. Source: okx.com/fees: spot Lv1 maker 0.080%, taker 0.100%;
 * futures and perpetual Lv1 maker 0.020%, taker 0.050% (also ccxt's static OKX swap markets:
 * maker 0.0002, taker 0.0005). Fees are not in these endpoints.
 */
export const OKX_FEES = {
  derivatives: { maker: 0.0002, taker: 0.0005 },
  spot: { maker: 0.0008, taker: 0.001 },
} as const;

const envelope = <T extends z.ZodType>(row: T) => z.object({ code: z.literal('0'), data: z.array(row) });

const instrumentRow = z.object({
  instType: z.enum(['SWAP', 'FUTURES', 'SPOT']),
  instId: z.string().min(1),
  uly: z.string(),
  baseCcy: z.string(),
  quoteCcy: z.string(),
  settleCcy: z.string(),
  ctVal: optionalDecimal('positive'),
  ctValCcy: z.string(),
  ctType: z.enum(['linear', 'inverse', '']),
  tickSz: decimal('positive'),
  lotSz: decimal('positive'),
  minSz: decimal('positive'),
  lever: optionalDecimal('positive'),
});
export const instrumentsSchema = envelope(instrumentRow);

const tierRow = z.object({
  instFamily: z.string().optional(),
  uly: z.string(),
  tier: decimal('positive'),
  minSz: decimal('nonNegative'),
  maxSz: decimal('positive'),
  mmr: decimal('nonNegative'),
  imr: decimal('positive'),
  maxLever: decimal('positive'),
});
export const positionTiersSchema = envelope(tierRow);

/** One position-tier row, in contracts. */
export type OkxTierRow = z.output<typeof tierRow>;
/** Raw position tiers per instrument family (`BTC-USDT`), in contracts. */
export type OkxTierTable = ReadonlyMap<string, readonly OkxTierRow[]>;

/** position-tiers -> rows grouped by instrument family. */
export function parseOkxPositionTiers(json: unknown, prefix = ''): Map<string, z.output<typeof tierRow>[]> {
  const parsed = parseWith(positionTiersSchema, json, 'OKX position-tiers', prefix);
  const out = new Map<string, z.output<typeof tierRow>[]>();
  for (const row of parsed.data) {
    const family = row.instFamily || row.uly;
    const list = out.get(family) ?? [];
    list.push(row);
    out.set(family, list);
  }
  return out;
}

/**
 * OKX tiers count position size in contracts (minSz..maxSz; minSz of tier n is maxSz of tier n-1
 * plus one contract). We store each tier from the previous cap to maxSz x ctVal: USD notional for
 * inverse contracts (unit 'quote'), base quantity for linear ones (unit 'base'). OKX's maintenance
 * margin is position value x mmr of the tier the whole position sits in: no deduction amount.
 */
function tiersFor(rows: readonly z.output<typeof tierRow>[], ctVal: number, inverse: boolean, where: string): MarginTier[] {
  const sorted = [...rows].sort((a, b) => a.tier - b.tier);
  const tiers: MarginTier[] = [];
  let floor = 0;
  for (const r of sorted) {
    const cap = r.maxSz * ctVal;
    tiers.push({ notionalFloor: floor, notionalCap: cap, maxLeverage: r.maxLever, maintMarginRate: r.mmr, maintAmount: 0, unit: inverse ? 'quote' : 'base' });
    floor = cap;
  }
  assertContiguous(tiers, 'OKX position-tiers', where);
  return tiers;
}

/**
 * instruments (+ position tiers for SWAP, keyed by family) -> Instrument[].
 * Base and quote of swaps and futures come from the underlying (`uly` BTC-USDT, BTC-USD).
 */
export function parseOkxInstruments(json: unknown, swapTiers: OkxTierTable = new Map(), prefix = ''): Instrument[] {
  const parsed = parseWith(instrumentsSchema, json, 'OKX instruments', prefix);
  return parsed.data.map((r, i): Instrument => {
    const at = joinPath(prefix, `data[${i}]`);
    if (r.instType === 'SPOT') {
      return {
        venue: 'okx', symbol: r.instId, base: need(r.baseCcy, `${at}.baseCcy`), quote: need(r.quoteCcy, `${at}.quoteCcy`),
        kind: 'spot', contractType: 'linear', tickSize: r.tickSz, lotSize: r.lotSz, contractValue: 1,
        minNotional: NaN, maxLeverage: r.lever, tiers: [], makerFee: OKX_FEES.spot.maker, takerFee: OKX_FEES.spot.taker,
      };
    }
    const [base, quote] = need(r.uly, `${at}.uly`).split('-');
    if (!base || !quote) throw new ParseError('E_MESSAGE', 'OKX instruments: uly must be BASE-QUOTE', `${at}.uly`, r.uly);
    if (r.ctType === '') throw new ParseError('E_FIELD', 'OKX instruments: ctType missing on a contract', `${at}.ctType`, '');
    if (Number.isNaN(r.ctVal)) throw new ParseError('E_FIELD', 'OKX instruments: ctVal missing on a contract', `${at}.ctVal`, '');
    const inverse = r.ctType === 'inverse';
    const family = swapTiers.get(r.uly);
    const tiers = r.instType === 'SWAP' && family ? tiersFor(family, r.ctVal, inverse, `${at} tiers`) : [];
    return {
      venue: 'okx', symbol: r.instId, base, quote,
      kind: r.instType === 'SWAP' ? 'perpetual' : 'future',
      contractType: r.ctType,
      tickSize: r.tickSz,
      lotSize: r.lotSz,
      contractValue: r.ctVal,
      // OKX publishes a minimum size in contracts (minSz), not a minimum notional.
      minNotional: NaN,
      maxLeverage: r.lever,
      tiers,
      makerFee: OKX_FEES.derivatives.maker,
      takerFee: OKX_FEES.derivatives.taker,
    };
  });
}

function need(v: string, path: string): string {
  if (v === '') throw new ParseError('E_FIELD', 'OKX instruments: empty field', path, '');
  return v;
}

export function looksLikeOkxInstruments(json: unknown): boolean {
  const d = (json as { data?: unknown })?.data;
  return Array.isArray(d) && d.length > 0 && typeof d[0] === 'object' && d[0] !== null && 'instId' in d[0] && 'tickSz' in d[0];
}

export function looksLikeOkxPositionTiers(json: unknown): boolean {
  const d = (json as { data?: unknown })?.data;
  return Array.isArray(d) && d.length > 0 && typeof d[0] === 'object' && d[0] !== null && 'mmr' in d[0] && 'maxLever' in d[0];
}
