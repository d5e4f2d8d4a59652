/**
 * Bybit order-book sequencing, without a socket (ws `receiver.js` style: the logic apart from the
 * connection). Bybit's rules (docs/live/bybit.md, "Book"):
 *   - after a subscribe the first frame is a `snapshot`: replace the book;
 *   - every `delta` carries `u` = the previous `u` + 1 ("Update ID, is always in sequence");
 *   - a `snapshot` may come at any time ("If you receive a new snapshot message, you will have
 *     to reset your local orderbook"), `u` = 1 after Bybit restarted its book service.
 * A delta that does not continue the chain cannot be repaired in-band: the stream has to be
 * resubscribed for a new snapshot (live.ts does that), and what was lost is a gap.
 */

/** What was lost between the last good state and a snapshot, exchange time. */
export interface BookGapSpan {
  readonly fromTs: number;
  readonly toTs: number;
  readonly detail: string;
}

export type BookStep =
  /** A delta continuing the chain: emit it. */
  | { readonly kind: 'apply' }
  /** A snapshot: emit it (the consumer resets); `gap` when state was lost before it. */
  | { readonly kind: 'snapshot'; readonly gap?: BookGapSpan }
  /** `u` at or below the last one applied (a duplicate or late delta), or the same snapshot again: drop it. */
  | { readonly kind: 'stale' }
  /** The chain broke here (`u` skipped ahead): drop it and resync. Reported once per break. */
  | { readonly kind: 'gap'; readonly expected: number; readonly got: number }
  /** No snapshot yet (or resyncing): drop it. */
  | { readonly kind: 'waiting' };

export class BybitBookSync {
  private lastU = NaN;
  private lastTs = NaN;
  private phase: 'init' | 'synced' | 'resyncing' = 'init';
  private brokenAt = NaN;
  private brokenWhy = '';

  /** True once a snapshot started a chain that has not broken since. */
  get synced(): boolean {
    return this.phase === 'synced';
  }

  /** The last `u` applied (NaN before any). */
  get u(): number {
    return this.lastU;
  }

  step(isSnapshot: boolean, u: number, ts: number): BookStep {
    if (isSnapshot) {
      // The same snapshot again (a duplicated frame): nothing new.
      if (this.phase === 'synced' && u === this.lastU) return { kind: 'stale' };
      let gap: BookGapSpan | undefined;
      if (this.phase === 'resyncing') {
        gap = { fromTs: this.brokenAt, toTs: ts, detail: `${this.brokenWhy}; resynced by the snapshot u=${u}` };
      } else if (this.phase === 'synced' && u !== this.lastU + 1) {
        gap = {
          fromTs: this.lastTs,
          toTs: ts,
          detail: u === 1 ? `snapshot with u=1 after u=${this.lastU}: Bybit restarted its book service` : `unrequested snapshot u=${u} after u=${this.lastU}`,
        };
      }
      this.phase = 'synced';
      this.lastU = u;
      this.lastTs = ts;
      return gap ? { kind: 'snapshot', gap } : { kind: 'snapshot' };
    }
    if (this.phase !== 'synced') return { kind: 'waiting' };
    if (u <= this.lastU) return { kind: 'stale' };
    if (u === this.lastU + 1) {
      this.lastU = u;
      this.lastTs = ts;
      return { kind: 'apply' };
    }
    this.phase = 'resyncing';
    this.brokenAt = this.lastTs;
    this.brokenWhy = `expected u=${this.lastU + 1}, got u=${u}`;
    return { kind: 'gap', expected: this.lastU + 1, got: u };
  }

  /**
   * Forget the chain (the socket went down): the next snapshot starts a new one. A resync under
   * way stays under way, so its snapshot still reports what was lost since the break.
   */
  reset(): void {
    if (this.phase !== 'resyncing') this.phase = 'init';
    this.lastU = NaN;
    this.lastTs = NaN;
  }
}
