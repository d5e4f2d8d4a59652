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

/**
 * Receives the merged runs as calls, one per run, with no object per run: the replay driver's
 * hot path (replay-driver.ts). A run averages a few rows when books and tickers interleave with
 * trades, so an object per run was a large share of the backtest's garbage. The rows of a call
 * are valid only during it (a consumer that keeps them builds its own run).
 */
export interface ReplaySink {
  timer(ts: number): void;
  trades(cols: TradeColumns, from: number, to: number): void;
  liquidations(cols: LiquidationColumns, from: number, to: number): void;
  openInterest(cols: OpenInterestColumns, from: number, to: number): void;
  marks(cols: MarkColumns, from: number, to: number): void;
  quotes(cols: QuoteColumns, from: number, to: number): void;
  book(venue: Venue, cols: BookColumns, from: number, to: number): void;
}

/** Kinds of the in-memory streams (Side.kind). */
const LIQUIDATIONS = 1;
const OPEN_INTEREST = 2;
const MARKS = 3;
const QUOTES = 4;
const BOOK = 5;

/** An in-memory stream and its read position; `rank` breaks ties at equal ts (lower first). */
type Side = { readonly ts: Float64Array; readonly length: number; readonly rank: number; i: number } & (
  | { readonly kind: typeof LIQUIDATIONS; readonly cols: LiquidationColumns }
  | { readonly kind: typeof OPEN_INTEREST; readonly cols: OpenInterestColumns }
  | { readonly kind: typeof MARKS; readonly cols: MarkColumns }
  | { readonly kind: typeof QUOTES; readonly cols: QuoteColumns }
  | { readonly kind: typeof BOOK; readonly cols: BookColumns; readonly venue: Venue }
);

/** A Side of the given stream, none when it is empty; its rows must be in time order. */
function side(s: { readonly kind: Side['kind']; readonly rank: number; readonly cols: { readonly ts: Float64Array; readonly length: number } | undefined; readonly venue?: Venue }, what: string): Side[] {
  const c = s.cols;
  if (!c || c.length === 0) return [];
  for (let k = 1; k < c.length; k++) {
    if (!(c.ts[k] >= c.ts[k - 1])) throw new RangeError(`replay: ${what} row ${k} at ${c.ts[k]} ms comes after one at ${c.ts[k - 1]} ms: not in time order`);
  }
  // One shape for every kind (venue undefined but for books): the merge's loops see one map.
  return [{ kind: s.kind, rank: s.rank, cols: c, venue: s.venue, ts: c.ts, length: c.length, i: 0 } as Side];
}

/** The limit of the last drain: everything. */
const END = new Float64Array([Infinity]);


/** The merged runs one at a time (see replayBatches and ReplaySink for the hot paths). */
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

/** Into `sink`, every merged run of `src` (one await per trade chunk, no object per run). */
export async function replayTo(src: ReplaySources, sink: ReplaySink): Promise<void> {
  const m = new ReplayMerge(src);
  for await (const chunk of src.trades) m.chunkTo(chunk, sink);
  m.endTo(sink);
}

/** A sink that collects the runs as ReplayRun objects (ReplayMerge.chunk and end). */
class RunList implements ReplaySink {
  out: ReplayRun[] = [];
  timer(ts: number): void {
    this.out.push({ kind: 'timer', ts });
  }
  trades(cols: TradeColumns, from: number, to: number): void {
    this.out.push({ kind: 'trades', cols, from, to });
  }
  liquidations(cols: LiquidationColumns, from: number, to: number): void {
    this.out.push({ kind: 'liquidations', cols, from, to });
  }
  openInterest(cols: OpenInterestColumns, from: number, to: number): void {
    this.out.push({ kind: 'open_interest', cols, from, to });
  }
  marks(cols: MarkColumns, from: number, to: number): void {
    this.out.push({ kind: 'marks', cols, from, to });
  }
  quotes(cols: QuoteColumns, from: number, to: number): void {
    this.out.push({ kind: 'quotes', cols, from, to });
  }
  book(venue: Venue, cols: BookColumns, from: number, to: number): void {
    this.out.push({ kind: 'book', venue, cols, from, to });
  }
  take(): ReplayRun[] {
    const out = this.out;
    this.out = [];
    return out;
  }
}

/**
 * The merge itself, one trade chunk at a time and synchronous: `replayBatches` and `replayTo`
 * drive it from the store's chunk stream; the paper session's in-memory feed
 * (src/paper/push-feed.ts) drives it on the rows it releases, so both give the same order by
 * construction.
 */
export class ReplayMerge {
  private readonly sides: Side[];
  private readonly every: number | undefined;
  /** The next timer, NaN before the first event; Infinity without timers. */
  private nextTimer: number;
  private last = -Infinity;
  /** The time of the earliest in-memory row not yet merged, as the last drain left them (Infinity: none). */
  private nextRow = Infinity;
  private readonly list = new RunList();

  constructor(src: Omit<ReplaySources, 'trades'>) {
    const every = src.timerEveryMs;
    if (every !== undefined && !(every > 0 && Number.isFinite(every))) throw new RangeError(`replay: timerEveryMs must be finite and > 0, got ${every}`);
    this.every = every;
    this.nextTimer = every === undefined ? Infinity : NaN;
    // Tie order after trades (rank 0): liquidations, open interest, marks, quotes, books in the given order.
    this.sides = [
      ...side({ kind: LIQUIDATIONS, rank: 1, cols: src.liquidations }, 'liquidation'),
      ...side({ kind: OPEN_INTEREST, rank: 2, cols: src.openInterest }, 'open interest'),
      ...side({ kind: MARKS, rank: 3, cols: src.marks }, 'mark'),
      ...side({ kind: QUOTES, rank: 4, cols: src.quotes }, 'quote'),
      ...(src.books ?? []).flatMap((b, k) => side({ kind: BOOK, rank: 5 + k, cols: b.cols, venue: b.venue }, `${b.venue} book message`)),
    ];
  }

  /** Timers at or before an event at `ts` (the first event only starts the clock); callers call it only when one is due (`!(ts < nextTimer)`). */
  private timersUpTo(ts: number, sink: ReplaySink): void {
    if (Number.isNaN(this.nextTimer)) this.nextTimer = Math.floor(ts / this.every!) * this.every! + this.every!;
    while (this.nextTimer <= ts) {
      const T = this.nextTimer;
      this.nextTimer += this.every!;
      sink.timer(T);
    }
  }

  /**
   * The in-memory streams' rows strictly before `times[at]`, in (ts, rank) order, with their
   * timers. The limit comes as a row, not a number: a number passed to a call V8 does not inline
   * is boxed, and this runs before every run of trades.
   */
  private drain(times: Float64Array, at: number, sink: ReplaySink): void {
    const limit = times[at];
    const sides = this.sides;
    for (;;) {
      let pick: Side | undefined;
      let t = Infinity;
      for (let s = 0; s < sides.length; s++) {
        const c = sides[s];
        const h = c.i < c.length ? c.ts[c.i] : Infinity;
        if (h < t) {
          pick = sides[s];
          t = h;
        }
      }
      if (!pick || !(t < limit)) {
        this.nextRow = t;
        return;
      }
      if (!(t < this.nextTimer)) this.timersUpTo(t, sink);
      // The run ends before the next timer and `limit` (trades come first), before a lower-rank
      // stream's row at or below its ts, and after a higher-rank stream's row at its ts.
      // The other streams' heads do not move while the run grows: their bounds are taken once.
      // (Comparisons, not Math.min: V8 left some of those as calls, each boxing its result.)
      let below = this.nextTimer < limit ? this.nextTimer : limit;
      let atMost = Infinity;
      for (let s = 0; s < sides.length; s++) {
        const c = sides[s];
        if (c === pick) continue;
        const h = c.i < c.length ? c.ts[c.i] : Infinity;
        if (c.rank < pick.rank) {
          if (h < below) below = h;
        } else if (h < atMost) atMost = h;
      }
      const pts = pick.ts;
      const from = pick.i;
      let end = from + 1;
      while (end < pick.length && pts[end] < below && pts[end] <= atMost) end++;
      pick.i = end;
      switch (pick.kind) {
        case LIQUIDATIONS:
          sink.liquidations(pick.cols, from, end);
          break;
        case OPEN_INTEREST:
          sink.openInterest(pick.cols, from, end);
          break;
        case MARKS:
          sink.marks(pick.cols, from, end);
          break;
        case QUOTES:
          sink.quotes(pick.cols, from, end);
          break;
        case BOOK:
          sink.book(pick.venue, pick.cols, from, end);
          break;
      }
    }
  }

  /** The runs up to the end of this trade chunk (the in-memory rows before its trades first). */
  chunk(chunk: TradeColumns): ReplayRun[] {
    this.chunkTo(chunk, this.list);
    return this.list.take();
  }

  /** The in-memory rows after the last trade. */
  end(): ReplayRun[] {
    this.endTo(this.list);
    return this.list.take();
  }

  /** `chunk` into a sink: the runs up to the end of this trade chunk, as calls. */
  chunkTo(chunk: TradeColumns, sink: ReplaySink): void {
    const cts = chunk.ts;
    let i = 0;
    while (i < chunk.length) {
      const ts = cts[i];
      if (!(ts >= this.last)) throw new RangeError(`replay: trade at ${ts} ms after one at ${this.last} ms: the store returned trades out of time order`);
      this.drain(cts, i, sink);
      if (!(ts < this.nextTimer)) this.timersUpTo(ts, sink);
      // Trades up to the next timer (exclusive) and the next in-memory row (inclusive: at equal
      // ts the trades come first).
      const incl = this.nextRow;
      const below = this.nextTimer;
      let j = i + 1;
      while (j < chunk.length && cts[j] <= incl && cts[j] < below) {
        if (!(cts[j] >= cts[j - 1])) throw new RangeError(`replay: trade at ${cts[j]} ms after one at ${cts[j - 1]} ms: the store returned trades out of time order`);
        j++;
      }
      this.last = cts[j - 1];
      sink.trades(chunk, i, j);
      i = j;
    }
  }

  /** `end` into a sink. */
  endTo(sink: ReplaySink): void {
    this.drain(END, 0, sink);
  }
}
