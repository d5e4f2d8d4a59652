/**
 * Bybit's ticker merge: `tickers.{symbol}` sends a snapshot then deltas of the changed fields;
 * this keeps the full ticker. No socket here (tested on its own).
 */
import type { JsonObject } from '../json-fields.ts';

export type TickerMerge =
  /** The full ticker after this frame, as a `snapshot` frame for parse.ts. */
  | { readonly kind: 'merged'; readonly frame: JsonObject }
  /** A delta older than (or equal to) the last one applied, by cross sequence `cs`: dropped. */
  | { readonly kind: 'stale' }
  /** A delta before any snapshot: nothing to merge it into. */
  | { readonly kind: 'no-snapshot' };

/**
 * Bybit `tickers.{symbol}`: a snapshot, then deltas that carry "only the fields that changed"
 * ("If a response param is not found in the message, then its value has not changed"). This
 * keeps the full wire object and merges each delta into it, so the live client emits full
 * tickers through the same parse code as captures. Frames are merged only after parse.ts
 * accepted them, so a malformed delta never corrupts the state.
 *
 * `cs` (cross sequence) rose strictly on every one of the 754 consecutive ticker frames of the
 * capture; a frame with a lower `cs`, or the same `cs` and the same data, is a late or
 * duplicated frame and is dropped (a resubscription resets this: its snapshot is always taken).
 */
export class BybitTickerMerger {
  private state: Record<string, unknown> | undefined;
  private lastCs = -Infinity;
  private lastData = '';

  accept(frame: JsonObject): TickerMerge {
    const data = frame.data as JsonObject;
    const cs = typeof frame.cs === 'number' ? frame.cs : undefined;
    const text = JSON.stringify(data);
    if (this.state && cs !== undefined && (cs < this.lastCs || (cs === this.lastCs && text === this.lastData))) return { kind: 'stale' };
    if (frame.type === 'snapshot') this.state = { ...data };
    else if (!this.state) return { kind: 'no-snapshot' };
    else Object.assign(this.state, data);
    if (cs !== undefined) this.lastCs = cs;
    this.lastData = text;
    return { kind: 'merged', frame: { topic: frame.topic, type: 'snapshot', ts: frame.ts, data: this.state } };
  }

  /** Forget the state (resubscribed: a new snapshot follows). */
  reset(): void {
    this.state = undefined;
    this.lastCs = -Infinity;
    this.lastData = '';
  }
}
