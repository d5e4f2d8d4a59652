/**
 * Oracles for exact decimal arithmetic, written independently of src/core/decimal.ts: the exact
 * result is formed as decimal TEXT in BigInt, and JavaScript's own string -> number conversion
 * (correctly rounded) gives the double nearest it. A test compares our doubles with these.
 */

/** Digits and places of a plain decimal text: "0.41" -> { m: 41n, k: 2 }. */
export function decimalParts(text: string): { m: bigint; k: number } {
  const neg = text.startsWith('-');
  const t = neg ? text.slice(1) : text;
  const dot = t.indexOf('.');
  const digits = dot < 0 ? t : t.slice(0, dot) + t.slice(dot + 1);
  const m = BigInt(digits);
  return { m: neg ? -m : m, k: dot < 0 ? 0 : t.length - dot - 1 };
}

/** m / 10^k as plain decimal text. */
export function partsText(m: bigint, k: number): string {
  const neg = m < 0n;
  let s = (neg ? -m : m).toString();
  if (k > 0) {
    s = s.padStart(k + 1, '0');
    s = `${s.slice(0, -k)}.${s.slice(-k)}`;
  }
  return neg ? `-${s}` : s;
}

/** The exact product of two decimal texts, as text: "7" x "0.0001" -> "0.0007". */
export function exactProductText(a: string, b: string): string {
  const x = decimalParts(a);
  const y = decimalParts(b);
  return partsText(x.m * y.m, x.k + y.k);
}

/**
 * The double nearest num / den (den > 0): 60 significant digits of the quotient, plus a final 1
 * when digits remain (so a value just above a halfway point is never read as the tie), parsed by
 * Number, which rounds correctly.
 */
export function nearestOfRatio(num: bigint, den: bigint): number {
  const neg = num < 0n;
  const n = neg ? -num : num;
  const p = 60 + Math.max(0, den.toString().length - n.toString().length);
  const scaled = n * 10n ** BigInt(p);
  const q = scaled / den;
  const sticky = scaled % den !== 0n;
  const v = Number(sticky ? `${q}1e-${p + 1}` : `${q}e-${p}`);
  return neg ? -v : v;
}

/** Nearest double to a x b / c for decimal texts (an inverse contract size in base units). */
export function exactProductQuotient(a: string, b: string, c: string): number {
  const x = decimalParts(a);
  const y = decimalParts(b);
  const z = decimalParts(c);
  // (mx my / 10^(kx+ky)) / (mz / 10^kz)
  return nearestOfRatio(x.m * y.m * 10n ** BigInt(z.k), z.m * 10n ** BigInt(x.k + y.k));
}

/** A plain decimal text of at most `places` decimals and `digits` significant digits (no trailing dot). */
export function decimalTextOf(units: number, places: number): string {
  return partsText(BigInt(units), places);
}
