/**
 * The kernel's execution interface (docs/ENGINE.md): what the engine asks of a venue account and
 * what it reports back. The simulated venue (broker.ts) implements it now; a venue gateway for
 * live trading takes the same shape, receiving the same calls and reporting orders and closed
 * trades through the same events. The market-data calls (`onTrade`, `onMark`, `onBook`) are how a
 * simulated venue matches orders; a gateway uses them only to keep its last price and mark.
 */
import type { TradeColumns } from '../core/columns.ts';
import type { L2Book } from '../features/book.ts';
import type { RunOrder, RunTrade } from './run-types.ts';
import type { OpenPosition } from './strategy.ts';

/** What the strategy asks for: a bracket around one entry. */
export interface EntryRequest {
  readonly side: 'long' | 'short';
  readonly qty: number;
  readonly leverage: number;
  readonly stop: number;
  /** null: no take-profit order. */
  readonly target: number | null;
  /** Close at this time whatever happens (Infinity: never). */
  readonly timeStopTs: number;
  readonly signalId: number;
  readonly signal: string;
  readonly session: string;
}

/** The strategy's view of the open position, with the signal that opened it. */
export interface ExecutionPosition extends OpenPosition {
  readonly signalId: number;
}

/** Reports from the venue account to the kernel. */
export interface ExecutionEvents {
  /** An order reached a final state (filled, cancelled, rejected, expired). */
  onOrder?(o: RunOrder): void;
  /** A position closed (exit fill, liquidation, end of run). */
  onTradeClosed?(t: RunTrade): void;
}

export interface ExecutionClient {
  /** The open position, undefined when flat. */
  readonly position: ExecutionPosition | undefined;
  /** A position is open or an order is on its way. */
  readonly busy: boolean;
  /** Last trade price of the execution market (NaN before its first trade). */
  readonly lastPrice: number;
  /** Wallet + unrealized PnL at the mark. */
  equity(): number;

  /** Send a bracketed market entry decided at `ts`. */
  enter(ts: number, req: EntryRequest): void;
  /** Close the position at market; an entry in flight is closed the moment it fills (no-op when flat or already exiting). */
  exit(ts: number, reason: string): void;
  /** The clock reached `ts` (a timer): time stops. */
  onTime(ts: number): void;
  /** Funding settlement at funding time `ts` at `rate` (> 0: longs pay). */
  onFunding(ts: number, rate: number): void;

  /**
   * Trade `row` of `c`, of the execution market (`c.side[row]` its aggressor: +1 buy, -1 sell);
   * `markFresh` false: no recent mark, the trade price stands in. The row, not its values, crosses
   * the call: a number passed to a call V8 does not inline is boxed, one allocation per trade.
   */
  onTrade(c: TradeColumns, row: number, markFresh: boolean): void;
  /** A mark price of the execution market. */
  onMark(ts: number, mark: number): void;
  /** The execution market's book changed at `ts` (it is `book`, kept up to date by the kernel). */
  onBook(ts: number, book: L2Book): void;
  /** The execution market's best bid and ask at `ts` (bookTicker). */
  onQuote(ts: number, bid: number, ask: number): void;

  /** The run ends at `ts`: what is open is closed, what is resting expires. */
  finish(ts: number): void;
}
