/**
 * Binance USD-M futures metadata -> Instrument.
 *   GET /fapi/v1/exchangeInfo     symbols[]: contractType, baseAsset, quoteAsset, filters
 *   GET /fapi/v1/leverageBracket  [{symbol, brackets[]}] (or one such object when ?symbol= is sent;
 *     USER_DATA: the calling account's brackets, `notionalCoef` present when they were adjusted;
 *     developers.binance.com .../usds-margined-futures/account/rest-api/Notional-and-Leverage-Brackets)
 * USD-M quantities are base units, so contractValue is 1 and lotSize is LOT_SIZE.stepSize.
 */
import { z } from 'zod';
import { ParseError } from '../../core/errors.ts';
import type { Instrument, MarginTier } from '../../core/instruments.ts';
import { assertContiguous, decimal, joinPath, parseWith } from '../metadata.ts';

/**
 * Default (VIP 0 / "Regular") USD-M fees: maker 0.0200%, taker 0.0500%, before the 10% BNB
 * discount. Source: Binance "Fee Schedule of Binance Futures" (binance.com/en/support/faq/360033544231)
 * and its USD-M table (Regular: maker 0.0200%, taker 0.0500%). Fees are not in these endpoints.
 */
export const BINANCE_USDM_FEES = { maker: 0.0002, taker: 0.0005 } as const;

const filter = z.object({ filterType: z.string() }).passthrough();

export const exchangeInfoSchema = z.object({
  symbols: z.array(
    z.object({
      symbol: z.string().min(1),
      status: z.string(),
      contractType: z.string(),
      baseAsset: z.string().min(1),
      quoteAsset: z.string().min(1),
      filters: z.array(filter),
    }),
  ),
});

const bracket = z.object({
  bracket: z.number().int().positive(),
  initialLeverage: decimal('positive'),
  notionalCap: decimal('positive'),
  notionalFloor: decimal('nonNegative'),
  maintMarginRatio: decimal('nonNegative'),
  cum: decimal('nonNegative'),
});
const symbolBrackets = z.object({ symbol: z.string().min(1), brackets: z.array(bracket).min(1) });
export const leverageBracketSchema = z.union([z.array(symbolBrackets), symbolBrackets]);

const priceFilter = z.object({ tickSize: decimal('positive') });
const lotSize = z.object({ stepSize: decimal('positive') });
const minNotional = z.object({ notional: decimal('positive') });

/** PERPETUAL is a perpetual; the quarterly/monthly delivery contracts are futures. */
function kindOf(contractType: string): Instrument['kind'] | undefined {
  if (contractType === 'PERPETUAL') return 'perpetual';
  if (/^(CURRENT|NEXT)_(QUARTER|MONTH)$/.test(contractType)) return 'future';
  return undefined;
}

/** leverageBracket -> tiers per symbol. `prefix` is prepended to error paths. */
export function parseBinanceLeverageBrackets(json: unknown, prefix = ''): Map<string, MarginTier[]> {
  const parsed = parseWith(leverageBracketSchema, json, 'Binance leverageBracket', prefix);
  const list = Array.isArray(parsed) ? parsed : [parsed];
  const out = new Map<string, MarginTier[]>();
  list.forEach((s, i) => {
    const tiers = [...s.brackets]
      .sort((a, b) => a.bracket - b.bracket)
      .map((b) => ({
        notionalFloor: b.notionalFloor,
        notionalCap: b.notionalCap,
        maxLeverage: b.initialLeverage,
        maintMarginRate: b.maintMarginRatio,
        maintAmount: b.cum,
      }));
    assertContiguous(tiers, `Binance leverageBracket ${s.symbol}`, joinPath(prefix, `${Array.isArray(parsed) ? `[${i}].` : ''}brackets`));
    out.set(s.symbol, tiers);
  });
  return out;
}

/**
 * exchangeInfo (+ tiers from leverageBracket) -> instruments. Symbols with an empty contractType
 * (status SETTLING: delisting, seen in real exchangeInfo) are not tradable contracts and are
 * skipped. Without brackets, tiers are empty and maxLeverage is NaN.
 */
export function parseBinanceExchangeInfo(json: unknown, tiers: ReadonlyMap<string, MarginTier[]> = new Map(), prefix = ''): Instrument[] {
  const info = parseWith(exchangeInfoSchema, json, 'Binance exchangeInfo', prefix);
  const out: Instrument[] = [];
  info.symbols.forEach((s, i) => {
    const kind = kindOf(s.contractType);
    const at = joinPath(prefix, `symbols[${i}]`);
    if (kind === undefined) {
      if (s.contractType === '') return;
      throw new ParseError('E_MESSAGE', 'Binance exchangeInfo: unknown contractType', `${at}.contractType`, s.contractType);
    }
    const f = (type: string) => {
      const k = s.filters.findIndex((x) => x.filterType === type);
      if (k < 0) throw new ParseError('E_FIELD', `Binance exchangeInfo: ${s.symbol} has no ${type} filter`, `${at}.filters`);
      return { value: s.filters[k], path: `${at}.filters[${k}].` };
    };
    const pf = f('PRICE_FILTER');
    const ls = f('LOT_SIZE');
    const mn = f('MIN_NOTIONAL');
    const t = tiers.get(s.symbol) ?? [];
    out.push({
      venue: 'binance',
      symbol: s.symbol,
      base: s.baseAsset,
      quote: s.quoteAsset,
      kind,
      contractType: 'linear',
      tickSize: parseWith(priceFilter, pf.value, 'Binance PRICE_FILTER', pf.path).tickSize,
      lotSize: parseWith(lotSize, ls.value, 'Binance LOT_SIZE', ls.path).stepSize,
      contractValue: 1,
      minNotional: parseWith(minNotional, mn.value, 'Binance MIN_NOTIONAL', mn.path).notional,
      maxLeverage: t.length > 0 ? Math.max(...t.map((x) => x.maxLeverage)) : NaN,
      tiers: t,
      makerFee: BINANCE_USDM_FEES.maker,
      takerFee: BINANCE_USDM_FEES.taker,
    });
  });
  return out;
}

/** Both endpoints at once. */
export function parseBinanceInstruments(exchangeInfo: unknown, leverageBracket?: unknown): Instrument[] {
  return parseBinanceExchangeInfo(exchangeInfo, leverageBracket === undefined ? new Map() : parseBinanceLeverageBrackets(leverageBracket));
}

/** Shape checks for auto-detection (no validation of values). */
export function looksLikeBinanceExchangeInfo(json: unknown): boolean {
  const s = (json as { symbols?: unknown })?.symbols;
  return Array.isArray(s) && (s.length === 0 || (typeof s[0] === 'object' && s[0] !== null && 'filters' in s[0] && 'contractType' in s[0]));
}

export function looksLikeBinanceLeverageBracket(json: unknown): boolean {
  const first = Array.isArray(json) ? json[0] : json;
  return typeof first === 'object' && first !== null && 'brackets' in first && 'symbol' in first;
}
