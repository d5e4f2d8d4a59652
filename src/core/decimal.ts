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
