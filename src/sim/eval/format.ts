/**
 * The evaluation as table text: headers and cells for src/cli/format.ts `table()` (which the
 * command renders; nothing below src/cli imports it). Undefined ratios print as `-`.
 */
import type { EvalReport } from './evaluate.ts';

export const EVAL_HEADERS = ['detector', 'scenario', 'runs', 'planted', 'found', 'TP', 'precision', 'recall', 'median latency'] as const;

const ratio = (x: number | null) => (x === null ? '-' : x.toFixed(2));

/** Milliseconds as the shortest readable unit: 850ms, 42.0s, 12.5m, 3.20h. */
export function latencyText(ms: number | null): string {
  if (ms === null) return '-';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  if (ms < 3_600_000) return `${(ms / 60_000).toFixed(1)}m`;
  return `${(ms / 3_600_000).toFixed(2)}h`;
}

export function evalTableCells(r: EvalReport): string[][] {
  return r.rows.map((x) => [x.detector, x.scenario, String(x.runs), String(x.planted), String(x.found), String(x.true_positives), ratio(x.precision), ratio(x.recall), latencyText(x.median_latency_ms)]);
}
