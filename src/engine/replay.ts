/**
 * Replay merge: one time-ordered sequence of runs from a market's stored streams, the input every
 * store-driven consumer (`orderflow analyze`, the backtester) walks in one pass.
 *
 * Trades come as an async stream of chunks (they can be hundreds of millions of rows);
 * liquidations and open interest are small enough to be whole columns. The merge yields maximal
 * runs of one kind (a slice of one chunk), so operators still get columns, not objects.
 *
 * Ties at the same ts, in order: timers, trades, liquidations, open interest. A timer at T fires
 * before any event with ts >= T, so what a consumer computes at T sees only events with ts < T:
 * the causal cut. Trades before liquidations is the convention of every operator's batch path
 * (the outputs do not depend on it); open interest last, because an OI observation closes the
 * interval whose trades share its timestamp (src/features/predicted-liquidations.ts).
 */
import type { LiquidationColumns, TradeColumns } from '../core/columns.ts';
import type { OpenInterestColumns } from '../store/ticker-reader.ts';

export type ReplayRun =
  | { readonly kind: 'timer'; readonly ts: number }
  | { readonly kind: 'trades'; readonly cols: TradeColumns; readonly from: number; readonly to: number }
  | { readonly kind: 'liquidations'; readonly cols: LiquidationColumns; readonly from: number; readonly to: number }
  | { readonly kind: 'open_interest'; readonly cols: OpenInterestColumns; readonly from: number; readonly to: number };

export interface ReplaySources {
  readonly trades: AsyncIterable<TradeColumns> | Iterable<TradeColumns>;
  readonly liquidations?: LiquidationColumns;
  readonly openInterest?: OpenInterestColumns;
  /**
   * Timers every `everyMs`, epoch-aligned: a timer at each multiple T of everyMs with an event
   * before T and one at or after T (none before the first event, none after the last).
   */
  readonly timerEveryMs?: number;
}

interface Cursor {
  readonly ts: Float64Array;
  readonly length: number;
  i: number;
}

function cursor(c: { readonly ts: Float64Array; readonly length: number } | undefined, what: string): Cursor | undefined {
  if (!c) return undefined;
  for (let k = 1; k < c.length; k++) {
    if (!(c.ts[k] >= c.ts[k - 1])) throw new RangeError(`replay: ${what} row ${k} at ${c.ts[k]} ms comes after one at ${c.ts[k - 1]} ms: not in time order`);
  }
  return { ts: c.ts, length: c.length, i: 0 };
}

/** End of the run starting at c.i: rows with ts <= incl and ts < excl (at least one row). */
function runEnd(c: Cursor, incl: number, excl: number): number {
  let j = c.i + 1;
  while (j < c.length && c.ts[j] <= incl && c.ts[j] < excl) j++;
  return j;
}

export async function* replay(src: ReplaySources): AsyncGenerator<ReplayRun> {
  const every = src.timerEveryMs;
  if (every !== undefined && !(every > 0 && Number.isFinite(every))) throw new RangeError(`replay: timerEveryMs must be finite and > 0, got ${every}`);
  const liq = cursor(src.liquidations, 'liquidation');
  const oi = cursor(src.openInterest, 'open interest');
  const head = (c: Cursor | undefined) => (c && c.i < c.length ? c.ts[c.i] : Infinity);
  /** The next timer, NaN before the first event; Infinity without timers. */
  let nextTimer = every === undefined ? Infinity : NaN;

  /** Timers at or before an event at `ts` (the first event only starts the clock). */
  function* timersUpTo(ts: number): Generator<ReplayRun> {
    if (Number.isNaN(nextTimer)) nextTimer = Math.floor(ts / every!) * every! + every!;
    while (nextTimer <= ts) {
      yield { kind: 'timer', ts: nextTimer };
      nextTimer += every!;
    }
  }

  /** Liquidations and open interest strictly before `limit`, in tie order, with their timers. */
  function* drain(limit: number): Generator<ReplayRun> {
    for (;;) {
      const tl = head(liq);
      const to = head(oi);
      const t = Math.min(tl, to);
      if (!(t < limit)) return;
      yield* timersUpTo(t);
      if (tl <= to) {
        const end = runEnd(liq!, to, Math.min(limit, nextTimer));
        yield { kind: 'liquidations', cols: src.liquidations!, from: liq!.i, to: end };
        liq!.i = end;
      } else {
        const end = runEnd(oi!, Infinity, Math.min(limit, nextTimer, tl));
        yield { kind: 'open_interest', cols: src.openInterest!, from: oi!.i, to: end };
        oi!.i = end;
      }
    }
  }

  let last = -Infinity;
  for await (const chunk of src.trades) {
    let i = 0;
    while (i < chunk.length) {
      const ts = chunk.ts[i];
      if (!(ts >= last)) throw new RangeError(`replay: trade at ${ts} ms after one at ${last} ms: the store returned trades out of time order`);
      yield* drain(ts);
      yield* timersUpTo(ts);
      // Trades up to the next timer (exclusive) and the next liquidation / OI (inclusive: at
      // equal ts the trades come first).
      const incl = Math.min(head(liq), head(oi));
      let j = i + 1;
      while (j < chunk.length && chunk.ts[j] <= incl && chunk.ts[j] < nextTimer) {
        if (!(chunk.ts[j] >= chunk.ts[j - 1])) throw new RangeError(`replay: trade at ${chunk.ts[j]} ms after one at ${chunk.ts[j - 1]} ms: the store returned trades out of time order`);
        j++;
      }
      yield { kind: 'trades', cols: chunk, from: i, to: j };
      last = chunk.ts[j - 1];
      i = j;
    }
  }
  yield* drain(Infinity);
}
