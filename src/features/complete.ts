/**
 * Which bars the data cut off (docs/FEATURES.md "Incomplete bars").
 *
 * A bar (or session occurrence) `[open, close)` is complete when the data read covers all of it:
 * it starts at or before `open` and reaches `close`. The data starts at the query's `--from`,
 * or else at the first trade read; it ends at the query's `--to`, or else at the last trade read
 * (a trade at `close` belongs to the next bar, so a bar followed by any trade is complete).
 * Without `--from`, nothing says there were no trades just before the first one read, so the
 * first bar is incomplete unless its first trade opens it; likewise the last bar without `--to`.
 * A `--to` past the stored data is trusted: the store cannot say where recording stopped.
 */
import type { TradeColumns } from '../core/columns.ts';
import type { TradeOperator } from './operator.ts';

/** The first and last trade time pushed (NaN before any). */
export class TradeSpan implements TradeOperator {
  first = NaN;
  last = NaN;

  push(t: TradeColumns, from = 0, to = t.length): void {
    if (to <= from) return;
    if (this.first !== this.first) this.first = t.ts[from];
    this.last = t.ts[to - 1];
  }

  flush(): void {}
}

/** The time range the data read covers: the query's bounds where given, else the trades'. */
export interface DataSpan {
  readonly fromMs: number;
  readonly toMs: number;
}

export function dataSpan(query: { readonly fromMs?: number; readonly toMs?: number }, trades: { readonly first: number; readonly last: number }): DataSpan {
  return { fromMs: query.fromMs ?? trades.first, toMs: query.toMs ?? trades.last };
}

/** True when the data covers `[openMs, closeMs)` whole. */
export function isComplete(openMs: number, closeMs: number, span: DataSpan): boolean {
  return span.fromMs <= openMs && closeMs <= span.toMs;
}

/** `rows` with `complete` added, each from its period `[open, close)`. */
export function markComplete<T extends object>(rows: readonly T[], period: (row: T) => readonly [number, number], span: DataSpan): (T & { readonly complete: boolean })[] {
  return rows.map((r) => {
    const [open, close] = period(r);
    return { ...r, complete: isComplete(open, close, span) };
  });
}
