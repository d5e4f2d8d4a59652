/**
 * Field parsers shared by every row and message parser. Each throws ParseError naming the field
 * and value; none accepts what the venue would not send (no silent NaN, no empty string as 0).
 */
import { decimalValue } from './decimal.ts';
import { ParseError } from './errors.ts';

/** A finite decimal number written as text (`"61800.30"`, `"1e-8"`), by the grammar of core/decimal.ts. */
export function num(text: string | undefined, field: string): number {
  if (text === undefined || text === '') throw new ParseError('E_NUMBER', 'missing number', field, text ?? '');
  const v = decimalValue(text);
  if (Number.isNaN(v)) throw new ParseError('E_NUMBER', 'not a number', field, text);
  return v;
}

/** A number that must also be > 0 (prices, sizes). */
export function positive(text: string | undefined, field: string): number {
  const v = num(text, field);
  if (!(v > 0)) throw new ParseError('E_NUMBER', 'must be > 0', field, text);
  return v;
}

/** A number that must be >= 0 (book sizes, where 0 deletes). */
export function nonNegative(text: string | undefined, field: string): number {
  const v = num(text, field);
  if (v < 0) throw new ParseError('E_NUMBER', 'must be >= 0', field, text);
  return v;
}

/** A JSON value that must be a number or a decimal string. */
export function jsonNum(value: unknown, field: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ParseError('E_NUMBER', 'not a finite number', field, String(value));
    return value;
  }
  if (typeof value === 'string') return num(value, field);
  throw new ParseError(value === undefined ? 'E_FIELD' : 'E_NUMBER', value === undefined ? 'missing field' : 'not a number', field, value === undefined ? undefined : JSON.stringify(value));
}

/** A JSON value that must be a non-empty string. */
export function jsonStr(value: unknown, field: string): string {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  throw new ParseError('E_FIELD', value === undefined ? 'missing field' : 'not a string', field, value === undefined ? undefined : JSON.stringify(value));
}

/** Booleans as venues write them: `true`/`false` (futures), `True`/`False` (spot archives). */
export function bool(text: string | undefined, field: string): boolean {
  switch (text) {
    case 'true':
    case 'True':
    case 'TRUE':
      return true;
    case 'false':
    case 'False':
    case 'FALSE':
      return false;
    default:
      throw new ParseError('E_SIDE', 'expected true or false', field, text ?? '');
  }
}

// Plausible exchange times: crypto venues did not exist before 2009, and nothing we read is
// from after 2100. Anything outside, for the unit detected, is a unit error, not data.
export const MIN_MS = Date.UTC(2009, 0, 1);
export const MAX_MS = Date.UTC(2100, 0, 1);

export type TimeUnit = 's' | 'ms' | 'us' | 'ns';
const US_PER_UNIT: Record<TimeUnit, number> = { s: 1e6, ms: 1e3, us: 1, ns: 1e-3 };

/**
 * An integer (or, for seconds, decimal) timestamp in the given unit -> epoch ms, refusing
 * implausible values ("a millisecond column holding microseconds"). The value is rounded to a
 * whole microsecond first, so `1786310820.972` s is exactly `1786310820972` ms, not ...971.9998.
 */
export function epochMs(text: string | undefined, unit: TimeUnit, field: string): number {
  const raw = num(text, field);
  const ms = Math.round(raw * US_PER_UNIT[unit]) / 1000;
  if (!(ms >= MIN_MS && ms < MAX_MS)) {
    throw new ParseError('E_TIME_UNIT', `timestamp implausible in ${unit} (outside 2009..2100)`, field, text);
  }
  return ms;
}

/**
 * A timestamp whose unit is not fixed by the format (Binance spot archives switched from ms to µs
 * on 2025-01-01): the unit is read from the magnitude, which is unambiguous between 2009 and 2100.
 */
export function epochMsAnyUnit(text: string | undefined, field: string): number {
  const raw = num(text, field);
  const unit: TimeUnit = raw < 1e11 ? 's' : raw < 1e14 ? 'ms' : raw < 1e17 ? 'us' : 'ns';
  return epochMs(text, unit, field);
}

/** Split a CSV line that has no quoting (every venue archive we read) and check its width. */
export function splitCsv(line: string, expected: number | readonly number[], what: string): string[] {
  const cols = line.split(',');
  const ok = typeof expected === 'number' ? cols.length === expected : expected.includes(cols.length);
  if (!ok) {
    throw new ParseError('E_COLUMNS', `${what}: expected ${typeof expected === 'number' ? expected : expected.join(' or ')} columns, got ${cols.length}`, undefined, line);
  }
  return cols;
}
