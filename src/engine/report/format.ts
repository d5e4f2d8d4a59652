/**
 * Text formatting and escaping for report.html. Every string that reaches the HTML goes through
 * {@link escapeHtml}; every number through one of the formatters, which show undefined values
 * (null, NaN) as an en dash and Infinity as ∞, never as "NaN" or "null".
 */

/** Shown for an undefined value. */
export const DASH = '\u2013';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;', '\u2028': '&#8232;', '\u2029': '&#8233;' };

/**
 * Escape text for HTML element content and (double- or single-quoted) attribute values. U+2028
 * and U+2029 become character references too, so the file holds none raw.
 */
export function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"'\u2028\u2029]/g, (c) => HTML_ESCAPES[c]);
}

/**
 * JSON text that is safe inside a `<script>` element: `<`, `>`, `&`, U+2028 and U+2029 become
 * \u escapes (still valid JSON, same value after JSON.parse), so no string can close the element
 * or open a comment. ±Infinity become the strings "Infinity" / "-Infinity", NaN becomes null.
 */
export function scriptSafeJson(value: unknown): string {
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'number') {
      if (Number.isNaN(v)) return null;
      if (v === Infinity) return 'Infinity';
      if (v === -Infinity) return '-Infinity';
    }
    return v;
  });
  return (text ?? 'null').replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A value that is not a finite number, shown as text; null when it is finite. */
function special(x: number | null | undefined): string | null {
  if (x === null || x === undefined || Number.isNaN(x)) return DASH;
  if (x === Infinity) return '\u221e';
  if (x === -Infinity) return '\u2212\u221e';
  return null;
}

/** Typographic minus instead of hyphen-minus for negative numbers. */
function minus(text: string): string {
  return text.startsWith('-') ? `\u2212${text.slice(1)}` : text;
}

/** Fixed decimals with thousands separators: 12345.678 -> "12,345.68". */
export function fmtNum(x: number | null | undefined, decimals = 2): string {
  const s = special(x);
  if (s !== null) return s;
  const v = x as number;
  const text = v.toLocaleString('en-US', { minimumFractionDigits: decimals, maximumFractionDigits: decimals, useGrouping: true });
  return minus(text === '-0' || /^-0\.0*$/.test(text) ? text.slice(1) : text);
}

/** Integer with thousands separators. */
export function fmtInt(x: number | null | undefined): string {
  return fmtNum(x, 0);
}

/** A fraction as a percentage: 0.1234 -> "12.34%". */
export function fmtPct(x: number | null | undefined, decimals = 2): string {
  const s = special(x);
  if (s !== null) return s;
  return `${fmtNum((x as number) * 100, decimals)}%`;
}

/** Signed quote money: 12.5 -> "+12.50", -3 -> "−3.00". */
export function fmtMoney(x: number | null | undefined, decimals = 2): string {
  const s = special(x);
  if (s !== null) return s;
  const text = fmtNum(x, decimals);
  return (x as number) > 0 && !/^0\.?0*$/.test(text) ? `+${text}` : text;
}

/** Decimals that show a price level of this size sensibly (BTC 2, AKT 4, sub-cent coins 6-8). */
export function priceDecimals(typical: number): number {
  const a = Math.abs(typical);
  if (!Number.isFinite(a) || a === 0) return 4;
  if (a >= 1000) return 2;
  if (a >= 10) return 3;
  if (a >= 1) return 4;
  if (a >= 0.01) return 6;
  return 8;
}

/** A price with the given decimals (no grouping issues: grouping kept for readability). */
export function fmtPrice(x: number | null | undefined, decimals: number): string {
  return fmtNum(x, decimals);
}

/** A quantity: up to 6 significant decimals, trailing zeros dropped. */
export function fmtQty(x: number | null | undefined): string {
  const s = special(x);
  if (s !== null) return s;
  const v = x as number;
  const text = v.toLocaleString('en-US', { maximumFractionDigits: Math.abs(v) >= 1 ? 4 : 8, useGrouping: true });
  return minus(text);
}

/** Epoch ms as "2026-01-01 03:00:00" (UTC; seconds kept, milliseconds only when not zero). */
export function fmtUtc(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return DASH;
  const d = new Date(ms);
  if (Number.isNaN(d.getTime())) return DASH;
  const iso = d.toISOString(); // 2026-01-01T03:00:00.000Z
  const millis = iso.slice(20, 23);
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${millis === '000' ? '' : `.${millis}`}`;
}

/** A duration in ms as a short label: 300000 -> "5m", 3600000 -> "1h", 90000 -> "1m30s". */
export function fmtDuration(ms: number): string {
  if (!Number.isFinite(ms)) return DASH;
  if (ms === 0) return '0s';
  const neg = ms < 0;
  let rest = Math.abs(ms);
  const parts: string[] = [];
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (rest >= size) {
      const n = Math.floor(rest / size);
      parts.push(`${n}${unit}`);
      rest -= n * size;
    }
  }
  if (rest > 0) parts.push(`${rest}ms`);
  return (neg ? '\u2212' : '') + parts.join('');
}

/** A 95% interval of a fraction: "[41.2%, 63.0%]". */
export function fmtPctInterval(ci: { readonly lower: number; readonly upper: number } | null | undefined, decimals = 1): string {
  if (!ci) return '';
  return `[${fmtPct(ci.lower, decimals)}, ${fmtPct(ci.upper, decimals)}]`;
}
