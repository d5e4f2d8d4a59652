/**
 * Instruments: what we must know about a contract to normalize and risk it.
 * Venue metadata parsers (src/venues/<venue>/instruments.ts) fill these from the venues' real
 * JSON (Binance exchangeInfo + leverageBracket, OKX public/instruments, Bybit instruments-info);
 * a bundled snapshot (src/venues/instruments-snapshot/) makes everything work offline.
 */
import { decimalProduct, decimalProductQuotient, decimalQuotient } from './decimal.ts';
import type { Venue } from './events.ts';

/** One maintenance-margin bracket / risk-limit tier. */
export interface MarginTier {
  /** Position notional (quote) from which this tier applies (inclusive). */
  readonly notionalFloor: number;
  /** Up to which it applies (exclusive); Infinity for the last tier. */
  readonly notionalCap: number;
  readonly maxLeverage: number;
  /** Maintenance margin rate, e.g. 0.004. */
  readonly maintMarginRate: number;
  /** Binance `cum` / "maintenance amount": subtracted from notional x rate. */
  readonly maintAmount: number;
  /**
   * What notionalFloor/notionalCap count: quote notional (absent or 'quote': Binance, Bybit, OKX
   * inverse) or position size in base units ('base': OKX USDT-margined tiers are contracts,
   * stored x ctVal).
   */
  readonly unit?: 'quote' | 'base';
}

export interface Instrument {
  readonly venue: Venue;
  /** Venue-native symbol. */
  readonly symbol: string;
  readonly base: string;
  readonly quote: string;
  readonly kind: 'perpetual' | 'future' | 'spot';
  /** linear: contract value in base units; inverse: contract value in quote (USD) units. */
  readonly contractType: 'linear' | 'inverse';
  readonly tickSize: number;
  /** Minimum quantity step, in the venue's order unit (contracts where contractValue != 1). */
  readonly lotSize: number;
  /** One contract = contractValue base units (linear) or quote units (inverse); 1 when the venue trades base units. */
  readonly contractValue: number;
  readonly minNotional: number;
  readonly maxLeverage: number;
  readonly tiers: readonly MarginTier[];
  readonly makerFee: number;
  readonly takerFee: number;
}

/**
 * Quantity in venue units (contracts or base) -> base units. Linear: the exact decimal product
 * contracts x contract value, rounded once (core/decimal.ts `decimalProduct`: OKX 7 x 0.0001 is
 * 0.0007, not 0.0007000000000000001). Inverse needs the price: contracts x USD value / price,
 * the exact rational rounded once (`decimalProductQuotient`: 255 x 10 / 5.1 is 500, where float
 * maths gives 499.99999999999994).
 */
export function toBaseQty(inst: Pick<Instrument, 'contractType' | 'contractValue'>, qty: number, price: number): number {
  if (inst.contractType === 'inverse') return decimalProductQuotient(qty, inst.contractValue, price);
  return scale(qty, inst.contractValue);
}

/**
 * Base units -> venue units (contracts or base): the inverse of `toBaseQty`, so that a size
 * written from it parses back to the same double. Linear: the exact decimal quotient (0.0007 /
 * 0.0001 = 7). Inverse: contracts are a venue decimal and qty x price / contract value lands
 * within a few ulps of it, so it is rounded to the 15 significant digits a venue decimal has.
 */
export function fromBaseQty(inst: Pick<Instrument, 'contractType' | 'contractValue'>, qty: number, price: number): number {
  if (inst.contractType === 'inverse') return Number(((qty * price) / inst.contractValue).toPrecision(15));
  return unscale(qty, inst.contractValue);
}

/** qty x factor as the exact decimal product rounded once; a factor of 1 (Binance, Bybit linear) costs nothing. */
export function scale(qty: number, factor: number): number {
  return factor === 1 ? qty : decimalProduct(qty, factor);
}

/** qty / factor as the exact decimal quotient rounded once: the inverse of `scale`. */
export function unscale(qty: number, factor: number): number {
  return factor === 1 ? qty : decimalQuotient(qty, factor);
}

export class InstrumentRegistry {
  private readonly byKey = new Map<string, Instrument>();

  constructor(instruments: Iterable<Instrument> = []) {
    for (const i of instruments) this.add(i);
  }

  add(inst: Instrument): void {
    this.byKey.set(`${inst.venue}:${inst.symbol}`, inst);
  }

  get(venue: Venue, symbol: string): Instrument | undefined {
    return this.byKey.get(`${venue}:${symbol}`);
  }

  all(): Instrument[] {
    return [...this.byKey.values()];
  }

  /**
   * Resolve what a user typed: a venue-native symbol (`AKTUSDT`, `AKT-USDT-SWAP`) or a base
   * asset (`AKT`), to the perpetuals it names on each venue.
   */
  resolve(input: string, venues?: readonly Venue[]): Instrument[] {
    const wanted = input.trim().toUpperCase();
    const out: Instrument[] = [];
    for (const inst of this.byKey.values()) {
      if (venues && !venues.includes(inst.venue)) continue;
      if (inst.symbol.toUpperCase() === wanted) out.push(inst);
    }
    if (out.length > 0) return out;
    const base = baseAssetOf(wanted);
    for (const inst of this.byKey.values()) {
      if (venues && !venues.includes(inst.venue)) continue;
      if (inst.kind === 'perpetual' && inst.base.toUpperCase() === base && inst.contractType === 'linear') out.push(inst);
    }
    return out;
  }
}

const QUOTES = ['USDT', 'USDC', 'USD', 'BUSD'] as const;

/**
 * Base asset named by a symbol in any venue's spelling, or the input itself if it is a bare
 * asset: `AKTUSDT` -> `AKT`, `AKT-USDT-SWAP` -> `AKT`, `AKT` -> `AKT`.
 */
export function baseAssetOf(symbol: string): string {
  const s = symbol.toUpperCase();
  if (s.includes('-')) return s.split('-')[0];
  for (const q of QUOTES) if (s.length > q.length && s.endsWith(q)) return s.slice(0, -q.length);
  return s;
}

/** The linear USDT perpetual's venue-native symbol for a base asset. */
export function perpSymbol(venue: Venue, base: string): string {
  const b = base.toUpperCase();
  return venue === 'okx' ? `${b}-USDT-SWAP` : `${b}USDT`;
}

/**
 * The venue-native symbol a user means on one venue, from any spelling: a symbol the venue knows
 * is kept; otherwise the linear USDT perpetual of its base asset (`AKT` or `AKTUSDT` on OKX ->
 * `AKT-USDT-SWAP`); an unknown full symbol is kept as typed (upper-cased).
 */
export function venueSymbol(registry: InstrumentRegistry, venue: Venue, input: string): string {
  const up = input.trim().toUpperCase();
  if (registry.get(venue, up)) return up;
  const perps = registry.resolve(up, [venue]);
  if (perps.length === 1) return perps[0].symbol;
  return baseAssetOf(up) === up ? perpSymbol(venue, up) : up;
}

/**
 * Every venue-native symbol an input may name across venues (for filters such as `export --symbol AKT`).
 * An OKX id other than a USDT swap (`BTC-USDT` spot, `UNI-USD-SWAP`, `BTC-USD-220527`) names
 * itself only: never the perpetuals of its base asset.
 */
export function symbolsMatching(registry: InstrumentRegistry, input: string, venues: readonly Venue[]): string[] {
  const up = input.trim().toUpperCase();
  if (up.includes('-') && !up.endsWith('-USDT-SWAP')) return [up];
  const out = new Set<string>([up]);
  for (const v of venues) out.add(venueSymbol(registry, v, input));
  for (const i of registry.resolve(input, venues)) out.add(i.symbol);
  return [...out].sort();
}
