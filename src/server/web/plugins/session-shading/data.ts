/** Session spans (SessionsResponse) kept when finite and non-empty, sorted by start. */
import type { SessionsResponse } from '../../../api.ts';

export interface SessionSpan {
  readonly name: string;
  readonly fromMs: number;
  readonly toMs: number;
}

export function toSessionSpans(r: SessionsResponse | null | undefined): SessionSpan[] {
  const out: SessionSpan[] = [];
  for (const s of Array.isArray(r?.spans) ? r.spans : []) {
    if (s == null || typeof s.name !== 'string' || !Number.isFinite(s.fromMs) || !Number.isFinite(s.toMs) || s.toMs <= s.fromMs) continue;
    out.push({ name: s.name, fromMs: s.fromMs, toMs: s.toMs });
  }
  return out.sort((a, b) => a.fromMs - b.fromMs);
}
