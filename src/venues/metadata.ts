/**
 * Shared pieces of the venue metadata parsers (binance/okx/bybit instruments.ts): zod schemas for
 * the venues' decimal fields, and the conversion of a zod failure into a ParseError that names the
 * JSON path (`symbols[3].filters[0].tickSize`) and the value found there.
 */
import { z } from 'zod';
import { decimalKindError, decimalValue, type DecimalKind } from '../core/decimal.ts';
import { ParseError, type ParseErrorCode } from '../core/errors.ts';

/**
 * A decimal as the venues write it: a string (`"0.10"`: OKX, Bybit, Binance filters) or a JSON
 * number (Binance leverageBracket). The text must be a plain decimal (core/decimal.ts).
 */
export function decimal(kind: DecimalKind = 'any') {
  return z.union([z.string(), z.number()]).transform((v, ctx) => {
    const n = typeof v === 'number' ? v : decimalValue(v);
    if (Number.isNaN(n) && typeof v === 'string') {
      ctx.addIssue({ code: 'custom', message: v === '' ? 'empty decimal' : 'not a decimal', params: { number: true } });
      return z.NEVER;
    }
    const bad = decimalKindError(n, kind);
    if (bad) {
      ctx.addIssue({ code: 'custom', message: bad, params: { number: true } });
      return z.NEVER;
    }
    return n;
  });
}

/** A decimal that the venue leaves `""` when it does not apply (then NaN). */
export function optionalDecimal(kind: DecimalKind = 'any') {
  return z.union([z.literal(''), decimal(kind)]).transform((v) => (v === '' ? NaN : v));
}

/** Append a path piece to a prefix (`responses[2].body.` + `[0].brackets`, + `symbols[1]`). */
export function joinPath(prefix: string, rest: string): string {
  const base = prefix.endsWith('.') ? prefix.slice(0, -1) : prefix;
  if (base === '') return rest;
  if (rest === '') return base;
  return rest.startsWith('[') ? base + rest : `${base}.${rest}`;
}

/** `symbols[3].filters[0].tickSize` from a zod path. */
export function jsonPath(path: readonly PropertyKey[], prefix = ''): string {
  let out = '';
  for (const k of path) out += typeof k === 'number' ? `[${k}]` : out === '' ? String(k) : `.${String(k)}`;
  const full = joinPath(prefix, out);
  return full === '' ? '(root)' : full;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = root;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

/**
 * Validate `json` with `schema`; on failure throw a ParseError for the first problem, naming the
 * JSON path (prefixed with `prefix`, e.g. `responses[2].body.`) and the value found there.
 */
export function parseWith<S extends z.ZodType>(schema: S, json: unknown, what: string, prefix = ''): z.output<S> {
  const r = schema.safeParse(json);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const path = issue.path as readonly PropertyKey[];
  const value = valueAt(json, path);
  const isNumber = issue.code === 'custom' && (issue as { params?: { number?: boolean } }).params?.number === true;
  const code: ParseErrorCode = value === undefined ? 'E_FIELD' : isNumber ? 'E_NUMBER' : 'E_MESSAGE';
  const detail = value === undefined ? `${what}: missing field` : `${what}: ${issue.message}`;
  throw new ParseError(code, detail, jsonPath(path, prefix), value === undefined ? undefined : shown(value));
}

function shown(v: unknown): string {
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Tiers sorted by floor must touch: each floor is the previous cap. */
export function assertContiguous(
  tiers: readonly { notionalFloor: number; notionalCap: number }[],
  what: string,
  field: string,
): void {
  for (let i = 0; i < tiers.length; i++) {
    const t = tiers[i];
    const floor0 = i === 0 ? 0 : tiers[i - 1].notionalCap;
    if (!(t.notionalCap > t.notionalFloor) || t.notionalFloor !== floor0) {
      throw new ParseError('E_MESSAGE', `${what}: tier ${i + 1} is not contiguous with the one before (floor ${t.notionalFloor}, cap ${t.notionalCap}, previous cap ${floor0})`, field);
    }
  }
}
