/**
 * Typed reads of decoded WebSocket JSON for the venue parsers (binance/, bybit/, okx/). Every
 * reader takes the JSON path it reads (`data[3].p`) and throws ParseError naming it, so a malformed
 * frame never surfaces as a TypeError. Decimals must arrive as strings, as Bybit and OKX send them
 * (binance/parse.ts reads its decimals with core/parse-util's `jsonNum`, which also takes numbers).
 */
import type { DecimalKind } from '../core/decimal.ts';
import { ParseError, shorten } from '../core/errors.ts';
import type { BookLevel, Side } from '../core/events.ts';
import { toBaseQty, type Instrument } from '../core/instruments.ts';
import { epochMs, nonNegative, num, positive } from '../core/parse-util.ts';

export type JsonObject = { readonly [key: string]: unknown };

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A value as ParseError shows it: its JSON, shortened; nothing for a missing one. */
function shown(v: unknown): string | undefined {
  if (v === undefined) return undefined;
  try {
    return shorten(JSON.stringify(v) ?? String(v));
  } catch {
    return shorten(String(v));
  }
}

/** `E_FIELD` "missing field" for an absent value, else `code` saying `what` was expected. */
export function missingOr(code: 'E_FIELD' | 'E_MESSAGE' | 'E_NUMBER', v: unknown, what: string, path: string): ParseError {
  return v === undefined
    ? new ParseError('E_FIELD', 'missing field', path)
    : new ParseError(code, what, path, shown(v));
}

/** A JSON object. */
export function obj(v: unknown, path: string): JsonObject {
  if (isObject(v)) return v;
  throw missingOr('E_MESSAGE', v, 'expected an object', path);
}

/** A JSON array. */
export function arr(v: unknown, path: string): readonly unknown[] {
  if (Array.isArray(v)) return v;
  throw missingOr('E_MESSAGE', v, 'expected an array', path);
}

/** A non-empty JSON string (ids, symbols, enums). */
export function str(v: unknown, path: string): string {
  if (typeof v === 'string' && v !== '') return v;
  throw missingOr('E_FIELD', v, typeof v === 'string' ? 'empty string' : 'expected a string', path);
}

/** A JSON boolean. */
export function bool(v: unknown, path: string): boolean {
  if (typeof v === 'boolean') return v;
  throw missingOr('E_FIELD', v, 'expected true or false', path);
}

/** A decimal written as a JSON string (`"61800.30"`): prices, sizes, rates. */
export function dec(v: unknown, path: string, kind: DecimalKind): number {
  if (typeof v !== 'string') throw missingOr('E_NUMBER', v, 'expected a decimal string', path);
  return kind === 'positive' ? positive(v, path) : kind === 'nonNegative' ? nonNegative(v, path) : num(v, path);
}

/** An optional decimal string: absent or `""` (venues send `""` for "not applicable") is NaN. */
export function optDec(v: unknown, path: string, kind: DecimalKind): number {
  return v === undefined || v === '' ? NaN : dec(v, path, kind);
}

/** Epoch milliseconds written as a JSON number (Bybit `ts`, `T`) or a digit string (OKX `ts`). */
export function ms(v: unknown, path: string): number {
  if (typeof v === 'number') return epochMs(Number.isFinite(v) ? String(v) : 'NaN', 'ms', path);
  if (typeof v === 'string') return epochMs(v, 'ms', path);
  throw missingOr('E_NUMBER', v, 'expected epoch milliseconds', path);
}

/** An optional epoch-ms time: absent or `""` is NaN. */
export function optMs(v: unknown, path: string): number {
  return v === undefined || v === '' ? NaN : ms(v, path);
}

/** A JSON integer (sequence numbers, update ids). */
export function int(v: unknown, path: string): number {
  if (typeof v === 'number' && Number.isSafeInteger(v)) return v;
  throw missingOr('E_NUMBER', v, 'expected an integer', path);
}

/** A side spelled by the venue (`Buy`/`Sell`, `buy`/`sell`). */
export function sideOf(v: unknown, path: string, buy: string, sell: string): Side {
  if (v === buy) return 'buy';
  if (v === sell) return 'sell';
  if (v === undefined) throw new ParseError('E_FIELD', 'missing field', path);
  throw new ParseError('E_SIDE', `expected ${buy} or ${sell}`, path, shown(v));
}

/** The opposite side. */
export function flip(side: Side): Side {
  return side === 'buy' ? 'sell' : 'buy';
}

/** What converts a size in contracts to base units (core/instruments `toBaseQty`). */
export type Contract = Pick<Instrument, 'contractType' | 'contractValue'>;

/**
 * Book levels `[[price, size, ...], ...]` (Bybit `b`/`a`, OKX `bids`/`asks`), each exactly `width`
 * items, as `shape` says in the error: price > 0, size >= 0 (0 deletes) in contracts -> base.
 */
export function bookLevels(v: unknown, path: string, width: number, shape: string, contract: Contract): BookLevel[] {
  const rows = arr(v, path);
  const out: BookLevel[] = new Array(rows.length);
  for (let j = 0; j < rows.length; j++) {
    const at = `${path}[${j}]`;
    const lv = arr(rows[j], at);
    if (lv.length !== width) throw new ParseError('E_MESSAGE', `expected ${shape}`, at, JSON.stringify(lv));
    const price = dec(lv[0], `${at}[0]`, 'positive');
    out[j] = [price, toBaseQty(contract, dec(lv[1], `${at}[1]`, 'nonNegative'), price)];
  }
  return out;
}
