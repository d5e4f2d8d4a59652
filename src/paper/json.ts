/**
 * JSON that keeps non-finite numbers (an instrument's last leverage tier is unbounded: Infinity),
 * which JSON.stringify would turn into null.
 */
const TAG = '$number:';

export function toJson(x: unknown): string {
  return JSON.stringify(x, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? `${TAG}${String(v)}` : v));
}

export function fromJson(text: string): unknown {
  return JSON.parse(text, (_k, v: unknown) => (typeof v === 'string' && v.startsWith(TAG) ? Number(v.slice(TAG.length)) : v));
}
