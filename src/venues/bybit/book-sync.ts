/**
 * Bybit order-book sequencing, without a socket (ws `receiver.js` style: the logic apart from the
 * connection). Bybit's rules (docs/live/bybit.md, "Book"):
 *   - after a subscribe the first frame is a `snapshot`: replace the book;
 *   - every `delta` carries `u` = the previous `u` + 1 ("Update ID, is always in sequence");
 *   - a `snapshot` may come at any time ("If you receive a new snapshot message, you will have
 *     to reset your local orderbook"), `u` = 1 after Bybit restarted its book service.
 * A delta that does not continue the chain cannot be repaired in-band: the stream has to be
 * resubscribed for a new snapshot (live.ts does that), and what was lost is a gap.
 *
 * Circuit breaker: the `u`+1 rule is our reading of Bybit's docs. Should Bybit ever number a
 * topic otherwise (e.g. `u` shared across depths, or stepping by more than one), every
 * resubscribe would break again on its first delta and the stream would loop resubscribing
 * forever, storing nothing. So when BREAKER_BREAKS chains in a row break on the very first delta
 * after their snapshot, within BREAKER_WINDOW_MS of exchange time, the sync stops trusting the
 * rule: it reports it once (`degraded`) and from then on accepts any rising `u` (a lower or equal
 * `u` is still stale; snapshots still reset). A break after at least one good delta is an
 * ordinary gap and never counts towards the breaker.
 */

/** Chains breaking on their first delta, in a row, that trip the breaker. */
export const BREAKER_BREAKS = 3;
/** ...within this much exchange time (first break to last). */
export const BREAKER_WINDOW_MS = 60_000;

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
  | { readonly kind: 'waiting' }
  /**
   * The breaker tripped on this delta: it is applied (emit it), and from now on any rising `u`
   * is. Reported once; `detail` says why.
   */
  | { readonly kind: 'degraded'; readonly detail: string };

export class BybitBookSync {
  private lastU = NaN;
  private lastTs = NaN;
  private phase: 'init' | 'synced' | 'resyncing' = 'init';
  private brokenAt = NaN;
  private brokenWhy = '';
  /** Deltas applied since the last snapshot: a break at 0 is an "immediate" one. */
  private deltas = 0;
  /** Exchange times of the immediate breaks in a row (cleared by a good delta). */
  private immediateBreaks: number[] = [];
  private lenient = false;
  /** Deltas accepted in lenient mode whose `u` skipped ahead. */
  private skippedAhead = 0;

  /** True once a snapshot started a chain that has not broken since. */
  get synced(): boolean {
    return this.phase === 'synced';
  }

  /** True once the breaker tripped: any rising `u` is applied. */
  get degraded(): boolean {
    return this.lenient;
  }

  /** Deltas applied in degraded mode whose `u` was not the last + 1. */
  get skipped(): number {
    return this.skippedAhead;
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
      this.deltas = 0;
      return gap ? { kind: 'snapshot', gap } : { kind: 'snapshot' };
    }
    if (this.phase !== 'synced') return { kind: 'waiting' };
    if (u <= this.lastU) return { kind: 'stale' };
    if (u === this.lastU + 1 || this.lenient) {
      if (u !== this.lastU + 1) this.skippedAhead++;
      this.lastU = u;
      this.lastTs = ts;
      this.deltas++;
      this.immediateBreaks.length = 0;
      return { kind: 'apply' };
    }
    if (this.deltas === 0) {
      const breaks = this.immediateBreaks;
      breaks.push(ts);
      while (breaks.length > 0 && ts - breaks[0] > BREAKER_WINDOW_MS) breaks.shift();
      if (breaks.length >= BREAKER_BREAKS) {
        const detail = `${breaks.length} chains in a row broke on their first delta (last: expected u=${this.lastU + 1}, got u=${u}): the u+1 rule does not hold here, accepting any rising u from now on (the book may miss updates unseen)`;
        this.lenient = true;
        this.skippedAhead++;
        this.lastU = u;
        this.lastTs = ts;
        this.deltas++;
        breaks.length = 0;
        return { kind: 'degraded', detail };
      }
    } else {
      this.immediateBreaks.length = 0;
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
