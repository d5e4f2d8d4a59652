/**
 * How the analytics commands print numbers and tables: timeframes as 15m/1h/1d, prices and
 * sizes on the instrument's tick and lot, tables that fit a terminal (docs/FEATURES.md "Tables").
 */
import type { InstrumentRegistry } from '../core/instruments.ts';
import type { Venue } from '../core/events.ts';
import { table } from './format.ts';

/** Tables fit this many columns unless `--wide`. */
export const TABLE_WIDTH = 120;

/** Marks a bar or session the data cut off (its first or last, without data across its whole span). */
export const INCOMPLETE_MARK = '*';
export const INCOMPLETE_NOTE = `${INCOMPLETE_MARK} incomplete: the data read does not cover the whole period ("complete": false in --json)`;

const UNITS: readonly [string, number][] = [
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/** 900000 -> `15m`, 3600000 -> `1h`, 86400000 -> `1d`, 5400000 -> `90m`: the largest unit that divides it (else ms). */
export function timeframeText(ms: number): string {
  for (const [u, n] of UNITS) if (ms >= n && ms % n === 0) return `${ms / n}${u}`;
  return `${ms}ms`;
}

/** Price and size steps of a market: the finest tick and lot of its venues (so merged venues lose nothing). */
export interface Precision {
  readonly tick: number;
  readonly lot: number;
}

/** The finest tick and lot of `pairs` in `registry`; NaN (print as stored) when it lists none of them. */
export function precisionOf(registry: InstrumentRegistry, pairs: readonly (readonly [Venue, string])[], fallback: Precision = { tick: NaN, lot: NaN }): Precision {
  let tick = Infinity;
  let lot = Infinity;
  for (const [v, s] of pairs) {
    const inst = registry.get(v, s);
    if (!inst) continue;
    if (inst.tickSize > 0 && inst.tickSize < tick) tick = inst.tickSize;
    if (inst.lotSize > 0 && inst.lotSize < lot) lot = inst.lotSize;
  }
  return { tick: Number.isFinite(tick) ? tick : fallback.tick, lot: Number.isFinite(lot) ? lot : fallback.lot };
}

/** Decimals of a step such as 0.1, 0.0001 or 1e-8 (0 for whole steps). */
export function stepDecimals(step: number): number {
  if (!(step > 0) || step >= 1) return 0;
  const text = step.toFixed(12).replace(/0+$/, '');
  return Math.min(12, text.length - text.indexOf('.') - 1);
}

/**
 * `x` rounded to a multiple of `step` and printed with the step's decimals ("-" when not finite);
 * without a step (NaN), up to 8 decimals with trailing zeros dropped.
 */
export function stepText(x: number, step: number): string {
  if (!Number.isFinite(x)) return '-';
  if (!(step > 0)) return x.toFixed(8).replace(/\.?0+$/, '') || '0';
  const d = stepDecimals(step);
  const v = Math.round(x / step) * step;
  return (Object.is(v, -0) ? 0 : v).toFixed(d);
}

/** Price and size formatters of a market. */
export function formatters(p: Precision): { price: (x: number) => string; size: (x: number) => string } {
  return { price: (x) => stepText(x, p.tick), size: (x) => stepText(x, p.lot) };
}

export interface FitOptions {
  /** Headers to leave out first when the table is too wide, in that order. */
  readonly drop: readonly string[];
  /** Print every column. */
  readonly wide?: boolean;
  readonly width?: number;
}

/**
 * `table` that fits `width` (default 120) columns: the columns named in `drop` are left out, in
 * order, until it fits; a last line says which and that `--wide` shows them.
 */
export function fitTable(headers: readonly string[], rows: readonly (readonly string[])[], o: FitOptions): string {
  const width = o.width ?? TABLE_WIDTH;
  let keep = headers.map(() => true);
  const render = () => table(headers.filter((_, i) => keep[i]), rows.map((r) => r.filter((_, i) => keep[i])));
  let out = render();
  if (o.wide) return out;
  const widest = () => Math.max(...out.split('\n').map((l) => l.length));
  const dropped: string[] = [];
  for (const h of o.drop) {
    if (widest() <= width) break;
    const i = headers.indexOf(h);
    if (i < 0 || !keep[i]) continue;
    keep = keep.map((k, j) => k && j !== i);
    dropped.push(h);
    out = render();
  }
  return dropped.length === 0 ? out : `${out}\n${wrap(`(${dropped.length} columns not shown: ${dropped.join(', ')}; --wide shows all)`, width)}`;
}

/** A bar's open time as short as its timeframe allows: `2024-08-08` (days), `2024-08-08 23:54` (minutes), else to the ms. */
export function barTime(ms: number, timeframeMs: number): string {
  if (!Number.isFinite(ms)) return '-';
  const iso = new Date(ms).toISOString();
  if (timeframeMs % 86_400_000 === 0 && ms % 86_400_000 === 0) return iso.slice(0, 10);
  if (timeframeMs % 60_000 === 0 && ms % 60_000 === 0) return `${iso.slice(0, 10)} ${iso.slice(11, 16)}`;
  return `${iso.slice(0, 10)} ${iso.slice(11, 23)}`;
}

/** Text broken at spaces into lines of at most `width` characters (a longer word stays whole). */
export function wrap(text: string, width = TABLE_WIDTH): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines.join('\n');
}
