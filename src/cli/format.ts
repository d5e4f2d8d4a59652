/**
 * How the commands print: aligned tables, UTC times, quantities and amounts, counts and
 * durations, and the notes several commands share. Text only; no command logic.
 */
import { printable } from '../core/printable.ts';

export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '-';
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(1)}k`;
  return String(Math.round(n));
}

export function formatDuration(secs: number): string {
  if (!Number.isFinite(secs) || secs < 0) return '--';
  if (secs < 60) return `${secs.toFixed(secs < 10 ? 1 : 0)}s`;
  const m = Math.floor(secs / 60);
  if (m < 60) return `${m}m${String(Math.round(secs % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

/** A span of ms as an option would take it back (`90m`, `2h`, `32h`), else formatDuration's form. */
export function formatSpan(ms: number): string {
  if (ms > 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms > 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  return formatDuration(ms / 1000);
}

/**
 * Render rows as an aligned text table (numbers right-aligned). Cells hold stored text (symbols,
 * file names) that came from files: control characters are escaped, never sent to the terminal.
 */
export function table(headers: readonly string[], cells: readonly (readonly string[])[]): string {
  const rows = cells.map((r) => r.map(printable));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]?.length ?? 0)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => /^-?[\d.,]+[kMG%]?$|^-$/.test(r[i] ?? '')));
  const fmt = (cells: readonly string[]) => cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [fmt(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(fmt)].join('\n');
}

/** Epoch ms -> `2024-08-08 23:54:16.322` (UTC). */
export function isoTime(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString().replace('T', ' ').replace('Z', '') : '-';
}

/** A base-unit quantity for tables: up to 8 decimals, trailing zeros dropped. */
export function qtyText(x: number): string {
  return x.toFixed(8).replace(/\.?0+$/, '') || '0';
}

/** A quote-currency amount for tables: 2 decimals. */
export function notionalText(x: number): string {
  return Number.isFinite(x) ? x.toFixed(2) : '-';
}

/** Printed under every table built from stored liquidations. */
export const SAMPLED_NOTE = 'note: liquidation feeds are sampled (Binance and OKX push at most one per instrument per second):\ncounts and notionals are lower bounds; see docs/NORMALIZATION.md';
