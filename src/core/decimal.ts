/**
 * Decimal numbers as the venues and files write them: the one grammar every parser accepts, and
 * the one byte-level fast path that hot readers try first. Error reporting (field, file:line) is
 * the callers' (parse-util.ts `num`, the venues' JSON and metadata readers).
 */

/** Exact powers of ten: m / POW10[k] is the correctly rounded value of a decimal of <= 15 digits. */
export const POW10: readonly number[] = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

/** A plain decimal (`61800.30`, `-0.5`, `.5`, `1e-8`): no whitespace, hex, `Infinity` or `NaN`. */
export const DECIMAL_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** The value of a decimal text; NaN when it is not one (`+` alone accepts " 1", "0x10", "Infinity"). */
export function decimalValue(text: string): number {
  const v = +text;
  return Number.isFinite(v) && DECIMAL_TEXT.test(text) ? v : NaN;
}

/** What a decimal field may hold. */
export type DecimalKind = 'any' | 'positive' | 'nonNegative';

/** Why `n` is not a valid decimal of this kind, or undefined when it is. */
export function decimalKindError(n: number, kind: DecimalKind): string | undefined {
  if (!Number.isFinite(n)) return 'not a finite number';
  if (kind === 'positive' && !(n > 0)) return 'must be > 0';
  if (kind === 'nonNegative' && n < 0) return 'must be >= 0';
  return undefined;
}

/**
 * An unsigned plain decimal of at most 15 significant digits in bytes b[s, e), read without a
 * string: m / 10^k is then the correctly rounded value (both exact), the same number as
 * `decimalValue`. NaN when the text needs the general parser (a sign, an exponent, more digits,
 * anything else) or has no digit.
 */
export function plainDecimalAt(b: Uint8Array, s: number, e: number): number {
  let m = 0;
  let digits = 0;
  let frac = -1;
  for (let i = s; i < e; i++) {
    const c = b[i];
    if (c >= 0x30 && c <= 0x39) {
      m = m * 10 + (c - 0x30);
      if (++digits > 15) return NaN;
      if (frac >= 0) frac++;
    } else if (c === 0x2e && frac < 0) frac = 0;
    else return NaN;
  }
  if (digits === 0) return NaN;
  return frac > 0 ? m / POW10[frac] : m;
}

// ---------------------------------------------------------------------------------------------
// Exact decimal arithmetic on the doubles of venue decimals (contract sizes x contract values)
//
// A venue writes a size and a contract value as decimal texts; the product it means is a decimal
// too (`0.07` x `0.1` = `0.007`), but one float multiply rounds twice (each operand's double,
// then the product): 0.07 x 0.1 = 0.007000000000000001, 0.41 / 100 = 0.0040999999999999995.
// Below, each operand's decimal is recovered from its double, the product or quotient is formed
// exactly in integers, and rounded once: the result is the double nearest the exact decimal,
// i.e. `Number(exact decimal text)`.
//
// Why the decimal can be recovered: a decimal of at most 15 significant digits m / 10^k
// (m < 10^15) parses to the double x nearest it, and
//   (1) fl(x * 10^k) is within m x 2^-52 < 0.23 of m, so Math.round gives m back, and
//       m / 10^k (both exact, k <= 22) rounds correctly to x again: the test below passes at k;
//   (2) the first k that passes gives a decimal m' / 10^k' (m' < 10^15) whose double is x, and
//       no two decimals of at most 15 significant digits share a double (doubles keep 15
//       digits: DBL_DIG), so it is the venue's decimal, trailing zeros aside. No digit the venue
//       gave is lost.
// A double with no such decimal (more than 15 significant digits) keeps the plain float maths.

/** 10^0 .. 10^22: every power of ten a double holds exactly. */
const EXACT_POW10: readonly number[] = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
const MAX_DIGITS_MANTISSA = 1e15;

/** The integer m of the last successful `decimalPlaces` (x = m / 10^k): a scratch slot, no allocation. */
let lastMantissa = 0;

/**
 * Decimal places k of the decimal of at most 15 significant digits whose double is x (0.41 -> 2,
 * 700 -> 0), or -1 when x is no such double; the digits, as an integer, are left in lastMantissa.
 */
export function decimalPlaces(x: number): number {
  const a = Math.abs(x);
  for (let k = 0; k < EXACT_POW10.length; k++) {
    const s = a * EXACT_POW10[k];
    if (!(s < MAX_DIGITS_MANTISSA)) return -1;
    const m = Math.round(s);
    if (m / EXACT_POW10[k] === a) {
      lastMantissa = x < 0 ? -m : m;
      return k;
    }
  }
  return -1;
}

// The second operand is a contract value: the same one row after row, so its places are kept.
let factor = NaN;
let factorK = -1;
let factorMantissa = 0;
function factorPlaces(b: number): number {
  if (b !== factor) {
    factorK = decimalPlaces(b);
    factorMantissa = lastMantissa;
    factor = b;
  }
  return factorK;
}

/** The double nearest p / q (q > 0), ties to even: one rounding of the exact rational. */
export function nearestRatio(p: bigint, q: bigint): number {
  if (q <= 0n) throw new RangeError('nearestRatio: q must be > 0');
  if (p === 0n) return 0;
  const negative = p < 0n;
  const n = negative ? -p : p;
  // Scale so the integer quotient has 55 or 56 bits: 53 kept, the rest and the remainder round.
  const shift = 55 - (n.toString(2).length - q.toString(2).length);
  const num = shift >= 0 ? n << BigInt(shift) : n;
  const den = shift >= 0 ? q : q << BigInt(-shift);
  const quo = num / den;
  const sticky = num % den !== 0n;
  const extra = quo.toString(2).length - 53;
  const low = quo & ((1n << BigInt(extra)) - 1n);
  const half = 1n << BigInt(extra - 1);
  let kept = quo >> BigInt(extra);
  if (low > half || (low === half && (sticky || (kept & 1n) === 1n))) kept += 1n;
  // kept <= 2^53 is exact; times a power of two is exact for any size a venue quantity has.
  const v = Number(kept) * 2 ** (extra - shift);
  return negative ? -v : v;
}

/** 10^k as a BigInt, for the exact fallbacks past 2^53. */
const bigPow10 = (k: number) => 10n ** BigInt(k);

/**
 * a x b rounded once: the double nearest the exact product of the decimals a and b were parsed
 * from (0.07 x 0.1 = 0.007). The plain float product when either has no <= 15-digit decimal.
 */
export function decimalProduct(a: number, b: number): number {
  const kb = factorPlaces(b);
  const mb = factorMantissa;
  const ka = kb < 0 ? -1 : decimalPlaces(a);
  if (ka < 0) return a * b;
  const ma = lastMantissa;
  const k = ka + kb;
  const m = ma * mb;
  // |m| <= 2^53 - 1 means the float product of the integers was exact (a larger exact product
  // rounds to >= 2^53); m and 10^k exact, so one correctly rounded division.
  if (Math.abs(m) <= Number.MAX_SAFE_INTEGER && k < EXACT_POW10.length) return m / EXACT_POW10[k];
  return nearestRatio(BigInt(ma) * BigInt(mb), bigPow10(k));
}

/**
 * a / b rounded once: the double nearest the exact quotient of the decimals a and b were parsed
 * from (0.41 / 100 = 0.0041, 0.0007 / 0.0001 = 7, 2550 / 5.1 = 500). The plain float quotient
 * when either has no <= 15-digit decimal.
 */
export function decimalQuotient(a: number, b: number): number {
  const kb = factorPlaces(b);
  const mb = factorMantissa;
  const ka = kb < 0 ? -1 : decimalPlaces(a);
  if (ka < 0 || mb === 0) return a / b;
  return ratioOfDecimals(lastMantissa, kb, mb, ka);
}

/**
 * a x b / c rounded once (an inverse contract: contracts x USD value / price). The plain float
 * expression when any of them has no <= 15-digit decimal.
 */
export function decimalProductQuotient(a: number, b: number, c: number): number {
  const kc = decimalPlaces(c);
  const mc = lastMantissa;
  const kb = kc < 0 ? -1 : factorPlaces(b);
  const mb = factorMantissa;
  const ka = kb < 0 ? -1 : decimalPlaces(a);
  if (ka < 0 || mc === 0) return (a * b) / c;
  const ma = lastMantissa;
  const m = ma * mb;
  if (Math.abs(m) <= Number.MAX_SAFE_INTEGER) return ratioOfDecimals(m, kc, mc, ka + kb);
  const num = BigInt(ma) * BigInt(mb) * bigPow10(kc);
  const den = BigInt(mc) * bigPow10(ka + kb);
  return den < 0n ? nearestRatio(-num, -den) : nearestRatio(num, den);
}

/**
 * (mn x 10^kd) / (md x 10^kn) for integers mn, md (md != 0): when both sides are integers a
 * double holds exactly, one IEEE division is the correctly rounded quotient; otherwise in BigInt.
 */
function ratioOfDecimals(mn: number, kd: number, md: number, kn: number): number {
  if (kd < EXACT_POW10.length && kn < EXACT_POW10.length) {
    const num = mn * EXACT_POW10[kd];
    const den = md * EXACT_POW10[kn];
    // |x| <= 2^53 - 1 means the float product was exact (a larger exact product rounds to >= 2^53).
    if (Math.abs(num) <= Number.MAX_SAFE_INTEGER && Math.abs(den) <= Number.MAX_SAFE_INTEGER) return num / den;
  }
  const num = BigInt(mn) * bigPow10(kd);
  const den = BigInt(md) * bigPow10(kn);
  return den < 0n ? nearestRatio(-num, -den) : nearestRatio(num, den);
}
