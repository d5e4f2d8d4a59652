/**
 * Replay merge: one time-ordered sequence of runs from a market's stored streams, the input every
 * store-driven consumer (`orderflow analyze`, the backtester) walks in one pass.
 *
 * Trades come as an async stream of chunks (they can be hundreds of millions of rows); the
 * other streams (liquidations, open interest, marks, quotes, books) are whole columns in memory. The merge yields maximal
 * runs of one kind (a slice of one chunk), so operators still get columns, not objects.
 *
 * Ties at the same ts, in order: timers, trades, liquidations, open interest, marks, quotes, books. A timer at T fires
 * before any event with ts >= T, so what a consumer computes at T sees only events with ts < T:
 * the causal cut. Trades before liquidations is the convention of every operator's batch path
 * (the outputs do not depend on it); open interest last, because an OI observation closes the
 * interval whose trades share its timestamp (src/features/predicted-liquidations.ts).
 */
import type { BookColumns, LiquidationColumns, TradeColumns } from '../core/columns.ts';
import type { Venue } from '../core/events.ts';
import type { MarkColumns, OpenInterestColumns, QuoteColumns } from '../core/columns.ts';

export type ReplayRun =
  | { readonly kind: 'timer'; readonly ts: number }
  | { readonly kind: 'trades'; readonly cols: TradeColumns; readonly from: number; readonly to: number }
  | { readonly kind: 'liquidations'; readonly cols: LiquidationColumns; readonly from: number; readonly to: number }
  | { readonly kind: 'open_interest'; readonly cols: OpenInterestColumns; readonly from: number; readonly to: number }
  | { readonly kind: 'marks'; readonly cols: MarkColumns; readonly from: number; readonly to: number }
  /** Best bid and ask rows (bookTicker). */
  | { readonly kind: 'quotes'; readonly cols: QuoteColumns; readonly from: number; readonly to: number }
  /** Book messages [from, to) of one venue's book. */
  | { readonly kind: 'book'; readonly venue: Venue; readonly cols: BookColumns; readonly from: number; readonly to: number };

export interface ReplaySources {
  readonly trades: AsyncIterable<TradeColumns> | Iterable<TradeColumns>;
  readonly liquidations?: LiquidationColumns;
  readonly openInterest?: OpenInterestColumns;
  readonly marks?: MarkColumns;
  readonly quotes?: QuoteColumns;
  /** One book per venue (messages in time order). */
  readonly books?: readonly { readonly venue: Venue; readonly cols: BookColumns }[];
  /**
   * Timers every `everyMs`, epoch-aligned: a timer at each multiple T of everyMs with an event
   * before T and one at or after T (none before the first event, none after the last).
   */
  readonly timerEveryMs?: number;
}

/** An in-memory stream and its read position; `rank` breaks ties at equal ts (lower first). */
interface Side {
  readonly ts: Float64Array;
  readonly length: number;
  readonly rank: number;
  readonly run: (from: number, to: number) => ReplayRun;
  i: number;
}

function side(c: { readonly ts: Float64Array; readonly length: number } | undefined, rank: number, what: string, run: (from: number, to: number) => ReplayRun): Side[] {
  if (!c || c.length === 0) return [];
  for (let k = 1; k < c.length; k++) {
    if (!(c.ts[k] >= c.ts[k - 1])) throw new RangeError(`replay: ${what} row ${k} at ${c.ts[k]} ms comes after one at ${c.ts[k - 1]} ms: not in time order`);
  }
  return [{ ts: c.ts, length: c.length, rank, run, i: 0 }];
}

const head = (c: Side) => (c.i < c.length ? c.ts[c.i] : Infinity);

/** The merged runs one at a time (see replayBatches for the hot path). */
export async function* replay(src: ReplaySources): AsyncGenerator<ReplayRun> {
  for await (const batch of replayBatches(src)) yield* batch;
}

/**
 * The merged runs in batches: one batch per trade chunk (and one for what follows the last), so a
 * consumer awaits once per chunk, not once per run (runs average a few events when books and
 * tickers interleave with trades).
 */
export async function* replayBatches(src: ReplaySources): AsyncGenerator<ReplayRun[]> {
  const m = new ReplayMerge(src);
  for await (const chunk of src.trades) {
    const out = m.chunk(chunk);
    if (out.length > 0) yield out;
  }
  const out = m.end();
  if (out.length > 0) yield out;
}

/**
 * The merge itself, one trade chunk at a time and synchronous: `replayBatches` drives it from
 * the store's chunk stream; the paper session's in-memory feed (src/paper/push-feed.ts) drives it
 * on the rows it releases, so both give the same order by construction.
 */
export class ReplayMerge {
  private readonly sides: Side[];
  private readonly every: number | undefined;
  /** The next timer, NaN before the first event; Infinity without timers. */
  private nextTimer: number;
  private last = -Infinity;
  // The merge appends to `out` directly (no generator per run: a run averages a few events
  // when books and tickers interleave with trades, so per-run overhead is the merge's cost).
  private out: ReplayRun[] = [];

  constructor(src: Omit<ReplaySources, 'trades'>) {
    const every = src.timerEveryMs;
    if (every !== undefined && !(every > 0 && Number.isFinite(every))) throw new RangeError(`replay: timerEveryMs must be finite and > 0, got ${every}`);
    this.every = every;
    this.nextTimer = every === undefined ? Infinity : NaN;
    // Tie order after trades (rank 0): liquidations, open interest, marks, quotes, books in the given order.
    this.sides = [
      ...side(src.liquidations, 1, 'liquidation', (from, to) => ({ kind: 'liquidations', cols: src.liquidations!, from, to })),
      ...side(src.openInterest, 2, 'open interest', (from, to) => ({ kind: 'open_interest', cols: src.openInterest!, from, to })),
      ...side(src.marks, 3, 'mark', (from, to) => ({ kind: 'marks', cols: src.marks!, from, to })),
      ...side(src.quotes, 4, 'quote', (from, to) => ({ kind: 'quotes', cols: src.quotes!, from, to })),
      ...(src.books ?? []).flatMap((b, k) => side(b.cols, 5 + k, `${b.venue} book message`, (from, to) => ({ kind: 'book', venue: b.venue, cols: b.cols, from, to }))),
    ];
  }

  /** Timers at or before an event at `ts` (the first event only starts the clock). */
  private timersUpTo(ts: number): void {
    const every = this.every!;
    if (Number.isNaN(this.nextTimer)) this.nextTimer = Math.floor(ts / every) * every + every;
    while (this.nextTimer <= ts) {
      this.out.push({ kind: 'timer', ts: this.nextTimer });
      this.nextTimer += every;
    }
  }

  /** The in-memory streams' rows strictly before `limit`, in (ts, rank) order, with their timers. */
  private drain(limit: number): void {
    const sides = this.sides;
    for (;;) {
      let pick: Side | undefined;
      let t = Infinity;
      for (let s = 0; s < sides.length; s++) {
        const h = head(sides[s]);
        if (h < t) {
          pick = sides[s];
          t = h;
        }
      }
      if (!pick || !(t < limit)) return;
      this.timersUpTo(t);
      // The run ends before the next timer and `limit` (trades come first), before a lower-rank
      // stream's row at or below its ts, and after a higher-rank stream's row at its ts.
      // The other streams' heads do not move while the run grows: their bounds are taken once.
      let below = Math.min(limit, this.nextTimer);
      let atMost = Infinity;
      for (let s = 0; s < sides.length; s++) {
        const c = sides[s];
        if (c === pick) continue;
        if (c.rank < pick.rank) below = Math.min(below, head(c));
        else atMost = Math.min(atMost, head(c));
      }
      const pts = pick.ts;
      let end = pick.i + 1;
      while (end < pick.length && pts[end] < below && pts[end] <= atMost) end++;
      this.out.push(pick.run(pick.i, end));
      pick.i = end;
    }
  }

  /** The runs up to the end of this trade chunk (the in-memory rows before its trades first). */
  chunk(chunk: TradeColumns): ReplayRun[] {
    const sides = this.sides;
    let i = 0;
    while (i < chunk.length) {
      const ts = chunk.ts[i];
      if (!(ts >= this.last)) throw new RangeError(`replay: trade at ${ts} ms after one at ${this.last} ms: the store returned trades out of time order`);
      this.drain(ts);
      this.timersUpTo(ts);
      // Trades up to the next timer (exclusive) and the next in-memory row (inclusive: at equal
      // ts the trades come first).
      let incl = Infinity;
      for (let s = 0; s < sides.length; s++) incl = Math.min(incl, head(sides[s]));
      let j = i + 1;
      while (j < chunk.length && chunk.ts[j] <= incl && chunk.ts[j] < this.nextTimer) {
        if (!(chunk.ts[j] >= chunk.ts[j - 1])) throw new RangeError(`replay: trade at ${chunk.ts[j]} ms after one at ${chunk.ts[j - 1]} ms: the store returned trades out of time order`);
        j++;
      }
      this.out.push({ kind: 'trades', cols: chunk, from: i, to: j });
      this.last = chunk.ts[j - 1];
      i = j;
    }
    return this.take();
  }

  /** The in-memory rows after the last trade. */
  end(): ReplayRun[] {
    this.drain(Infinity);
    return this.take();
  }

  private take(): ReplayRun[] {
    const out = this.out;
    this.out = [];
    return out;
  }
}
