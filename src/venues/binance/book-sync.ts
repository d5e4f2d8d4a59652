/**
 * Binance USD-M local order book synchronisation, one symbol, no I/O: the documented procedure
 * ("How to manage a local order book correctly", USDⓈ-M Futures > Websocket Market Streams):
 *
 *   1. buffer the `@depth` diffs;  2. get a REST snapshot;  3. drop any diff with u < lastUpdateId;
 *   4. the first diff applied must have U <= lastUpdateId AND u >= lastUpdateId;
 *   5. then every diff's pu must equal the previous diff's u, otherwise start again from 2.
 *
 * Update ids come from one counter across all symbols, so a snapshot taken between two diffs of
 * a symbol carries its last `u` and the next diff starts after it (U > lastUpdateId) with `pu` =
 * lastUpdateId: that diff continues the snapshot exactly and is accepted as the first one (what
 * step 5 says of any diff; ccxt does the same for USD-M).
 *
 * live.ts feeds diffs and snapshots and acts on the result (fetch a snapshot, emit, record a
 * gap). Choices the docs leave open: a diff with u <= the last applied u while in sync is a
 * duplicate (or a stale reordered frame) and is dropped rather than treated as a break; a
 * snapshot older than the first buffered diff (its U > lastUpdateId) is refused: fetch again; and
 * a snapshot no buffered diff contradicts is applied (and emitted) at once, the check of step 4
 * moving to the first diff that arrives after it.
 */
import type { BookEvent } from '../../core/events.ts';
import type { BinanceDepthIds } from './parse.ts';

export interface DepthDiff {
  readonly ids: BinanceDepthIds;
  /** The normalized diff (seq = u). */
  readonly event: BookEvent;
}

export interface BookSyncResult {
  /** To emit, in order: after a sync the snapshot first, then the diffs that follow it. */
  readonly events: BookEvent[];
  /** A snapshot was applied: its lastUpdateId and exchange time. */
  readonly synced?: { readonly lastUpdateId: number; readonly ts: number };
  /**
   * Fetch a (new) snapshot: `break` = the diff sequence broke (a gap in the book),
   * `stale-snapshot` = the snapshot given is older than the stream.
   */
  readonly resync?: { readonly kind: 'break' | 'stale-snapshot'; readonly reason: string };
}

const NOTHING: BookSyncResult = { events: [] };

export class BinanceBookSync {
  private live = false;
  private buffer: DepthDiff[] = [];
  /** Snapshot applied, no diff yet: the first one must reach this lastUpdateId (U <= L <= u). */
  private awaiting: number | undefined;
  private lastU = NaN;
  private lastTsValue = NaN;

  /** `maxBuffer`: diffs kept while waiting for a snapshot (the oldest go first: they are the ones a snapshot makes stale). */
  constructor(private readonly maxBuffer = 20_000) {}

  get inSync(): boolean {
    return this.live;
  }

  /** Final update id of the last diff applied (the snapshot's lastUpdateId before the first; NaN before any). */
  get lastUpdateId(): number {
    return this.awaiting ?? this.lastU;
  }

  /** Exchange time of the last snapshot or diff applied (NaN before). */
  get lastTs(): number {
    return this.lastTsValue;
  }

  /** Forget the book (disconnect): buffer diffs until the next snapshot. */
  reset(): void {
    this.live = false;
    this.buffer = [];
    this.awaiting = undefined;
  }

  diff(d: DepthDiff): BookSyncResult {
    if (!this.live) {
      this.buffer.push(d);
      if (this.buffer.length > this.maxBuffer) this.buffer.shift();
      return NOTHING;
    }
    return this.applyLive(d, []);
  }

  /**
   * A REST snapshot (seq = lastUpdateId). Buffered diffs with u < lastUpdateId are dropped; if the
   * first one left starts after the snapshot (U > lastUpdateId) the snapshot is too old. Otherwise
   * it is applied at once (a quiet book may send no diff for a long time) and the buffered diffs
   * after it; the first diff, buffered or not, must still satisfy U <= lastUpdateId <= u.
   * Ignored while in sync (a late answer to an old request).
   */
  applySnapshot(snap: BookEvent): BookSyncResult {
    if (this.live) return NOTHING;
    const L = snap.seq;
    const pending = this.buffer.filter((d) => d.ids.u >= L);
    this.buffer = [];
    if (pending.length > 0 && pending[0].ids.U > L && pending[0].ids.pu !== L) {
      this.buffer = pending;
      return { events: [], resync: { kind: 'stale-snapshot', reason: `snapshot lastUpdateId ${L} is older than the first buffered diff (U ${pending[0].ids.U})` } };
    }
    this.live = true;
    this.awaiting = L;
    this.lastU = NaN;
    this.lastTsValue = snap.ts;
    const events: BookEvent[] = [snap];
    const synced = { lastUpdateId: L, ts: snap.ts };
    for (let k = 0; k < pending.length; k++) {
      const r = this.applyLive(pending[k], events);
      if (r.resync) {
        // The diffs after the break stay buffered for the next snapshot.
        this.buffer.push(...pending.slice(k + 1));
        return { events, synced, resync: r.resync };
      }
    }
    return { events, synced };
  }

  private applyLive(d: DepthDiff, out: BookEvent[]): BookSyncResult {
    const first = this.awaiting;
    if (first !== undefined) {
      if (d.ids.u < first) return { events: out }; // older than the snapshot
      if (d.ids.U > first && d.ids.pu !== first) return this.break(d, out, `first diff after the snapshot starts after it (U ${d.ids.U} > lastUpdateId ${first}, pu ${d.ids.pu})`);
      this.awaiting = undefined;
    } else {
      if (d.ids.u <= this.lastU) return { events: out };
      if (d.ids.pu !== this.lastU) return this.break(d, out, `depth diff pu ${d.ids.pu} != previous u ${this.lastU} (U ${d.ids.U}, u ${d.ids.u})`);
    }
    this.lastU = d.ids.u;
    this.lastTsValue = d.event.ts;
    out.push(d.event);
    return { events: out };
  }

  private break(d: DepthDiff, out: BookEvent[], reason: string): BookSyncResult {
    this.reset();
    this.buffer.push(d);
    return { events: out, resync: { kind: 'break', reason } };
  }
}
