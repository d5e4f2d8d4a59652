/**
 * The incremental-operator contract every feature follows, live and in replay alike.
 *
 * - `push(trades, from, to)` feeds rows `[from, to)` of a columnar batch. Rows arrive in time order
 *   across calls (a row's `ts` is never below the previous one's bar); how the stream is cut into
 *   batches never changes the outputs.
 * - State is bounded: one open bar (and a few running totals), never the history.
 * - Finished outputs go to the `emit` callback given at construction as soon as a later trade
 *   proves them complete; an operator never waits for, or looks at, a later bar's trades.
 * - `flush()` ends the stream: the open bar is emitted. Pushing after flush starts afresh.
 */
import type { TradeColumns } from '../core/columns.ts';

export interface TradeOperator {
  push(trades: TradeColumns, from?: number, to?: number): void;
  flush(): void;
}

export type Emit<T> = (out: T) => void;

/** Thrown when trades go back in time past the open bar: the input is not in time order. */
export class OutOfOrderError extends RangeError {
  override readonly name = 'OutOfOrderError';
  readonly code = 'E_OUT_OF_ORDER';
  constructor(
    readonly ts: number,
    readonly barOpen: number,
  ) {
    super(`trade at ${ts} ms is before the open bar (${barOpen} ms): trades must be pushed in time order`);
  }
}
