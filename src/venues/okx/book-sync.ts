/**
 * OKX `books` synchronization on wire levels (prices and sizes as OKX wrote them, so the CRC32
 * is computed over the very strings it was computed from). Pure: no socket. live.ts keeps one
 * OkxBookSync per instrument; mock-server.ts keeps the venue's side of the book in a WireBook.
 *
 * Rules (OKX docs, "WS / Order book channel", section Sequence ID; docs/live/okx.md):
 *   - the first push after subscribing is `action: snapshot`, `prevSeqId: -1`;
 *   - each `update` has `prevSeqId` equal to the `seqId` of the previous message; ids are not
 *     consecutive (they jump by 7, 13, 93...), only the link counts;
 *   - `seqId == prevSeqId` with no levels: nothing changed (OKX sends it after ~60 s idle);
 *   - after maintenance the sequence may restart: `seqId < prevSeqId`, yet `prevSeqId` still
 *     names the previous message, so the same link rule accepts it;
 *   - a size of "0" deletes the level; an unknown price is inserted in order;
 *   - `checksum`: CRC32 of the best 25 levels (checksum.ts). OKX deprecated it: since
 *     2026-06-23 it is always 0 on the JSON channels, so 0 means "not given" and is not checked.
 * Anything else (a broken link, a checksum mismatch) means the local book is wrong: the caller
 * must get a new snapshot and drop updates until it arrives.
 *
 * REST snapshot (OKX announced it stops sending the WebSocket snapshot; `GET market/books` carries
 * the book's `seqId`; docs/live/okx.md "Book synchronization"): while not synced, updates are
 * held (at most HELD_MAX); `fromRest` replaces the book with the REST one at seqId S, drops held
 * updates with `seqId <= S`, and the first one left must satisfy `prevSeqId <= S < seqId`. That
 * is enough, not only `prevSeqId == S`: levels carry absolute sizes, so an update spanning S sets
 * every level changed after S to its final size and the ones changed before S are already so in
 * the REST book. Then the usual chain. The same rule holds for the first live update when
 * nothing was held.
 */
import { okxChecksum, type WireLevel } from './checksum.ts';

/** One side, sorted best first: bids by price descending, asks ascending. */
export class WireSide {
  /** Sort keys: the price for asks, minus the price for bids, ascending. */
  private readonly keys: number[] = [];
  private readonly levels: WireLevel[] = [];

  constructor(readonly descending: boolean) {}

  get size(): number {
    return this.levels.length;
  }

  clear(): void {
    this.keys.length = 0;
    this.levels.length = 0;
  }

  /** Insert, replace or (size 0) delete the level at `px`. */
  set(px: string, sz: string): void {
    const price = Number(px);
    const size = Number(sz);
    if (!Number.isFinite(price) || !Number.isFinite(size)) throw new Error(`book level [${JSON.stringify(px)}, ${JSON.stringify(sz)}]: not numbers`);
    this.setParsed(price, size, px, sz);
  }

  /** set() for a writer that has the level's numbers already (`price` = Number(px), `size` = Number(sz)). */
  setParsed(price: number, size: number, px: string, sz: string): void {
    const key = this.descending ? -price : price;
    const i = this.search(key);
    const found = i < this.keys.length && this.keys[i] === key;
    if (size === 0) {
      if (found) {
        this.keys.splice(i, 1);
        this.levels.splice(i, 1);
      }
    } else if (found) {
      this.levels[i] = [px, sz];
    } else {
      this.keys.splice(i, 0, key);
      this.levels.splice(i, 0, [px, sz]);
    }
  }

  /** The best `n` levels (all when omitted). */
  top(n = this.levels.length): WireLevel[] {
    return this.levels.slice(0, n);
  }

  /** The level at this price, if any. */
  get(price: number): WireLevel | undefined {
    const key = this.descending ? -price : price;
    const i = this.search(key);
    return i < this.keys.length && this.keys[i] === key ? this.levels[i] : undefined;
  }

  private search(key: number): number {
    let lo = 0;
    let hi = this.keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid] < key) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** Both sides of one instrument's book, in wire strings. */
export class WireBook {
  readonly bids = new WireSide(true);
  readonly asks = new WireSide(false);

  clear(): void {
    this.bids.clear();
    this.asks.clear();
  }

  apply(bids: readonly (readonly string[])[], asks: readonly (readonly string[])[]): void {
    for (const l of bids) this.bids.set(l[0], l[1]);
    for (const l of asks) this.asks.set(l[0], l[1]);
  }

  checksum(): number {
    return okxChecksum(this.bids.top(25), this.asks.top(25));
  }
}

/** The sequencing fields of one `books` data item (validated by parse.ts `okxBookSeq`). */
export interface OkxBookSeq {
  /** Absent in frames before 2023 (the 2022 capture): then only the checksum links them. */
  readonly seqId?: number;
  readonly prevSeqId?: number;
  readonly checksum?: number;
}

export type BookSyncResult =
  /** Applied: emit the frame's events. */
  | { readonly kind: 'snapshot' | 'update' }
  /** `seqId == prevSeqId` and no levels: the book did not change. */
  | { readonly kind: 'heartbeat' }
  /** A message already applied (same prevSeqId -> seqId link): dropped. */
  | { readonly kind: 'duplicate' }
  /** An update while waiting for a snapshot: dropped. */
  | { readonly kind: 'waiting' }
  /** The local book is wrong: resubscribe; updates are dropped until the snapshot. */
  | { readonly kind: 'sequence_gap' | 'checksum'; readonly detail: string };

/** How many applied links are remembered to recognise a duplicated message. */
const RECENT_LINKS = 64;
/** Updates held while waiting for a REST snapshot (~100 s of OKX's 100 ms pushes). */
export const HELD_MAX = 1_000;

/** An update held while not synced, with what the caller emits once it is applied. */
export interface HeldUpdate<T> {
  readonly bids: readonly (readonly string[])[];
  readonly asks: readonly (readonly string[])[];
  readonly seq: OkxBookSeq;
  readonly payload: T;
}

export type RestSyncResult<T> =
  /** Synced: the REST book, then these held updates applied in order. */
  | { readonly kind: 'synced'; readonly applied: readonly T[] }
  /** The REST book does not join the held updates (older, or the chain breaks): fetch again. */
  | { readonly kind: 'sequence_gap' | 'checksum'; readonly detail: string };

export class OkxBookSync<T = unknown> {
  readonly book = new WireBook();
  private synced = false;
  private lastSeq: number | undefined;
  private readonly recent: string[] = [];
  private held: HeldUpdate<T>[] = [];
  /** After a REST snapshot, until the first update applied: `prevSeqId <= S < seqId` joins. */
  private bridging = false;

  /** True between a good snapshot and the next break. */
  get isSynced(): boolean {
    return this.synced;
  }

  /** The seqId of the last applied message (undefined before any, or without seqIds). */
  get seqId(): number | undefined {
    return this.lastSeq;
  }

  /** Updates held for the next REST snapshot. */
  get heldCount(): number {
    return this.held.length;
  }

  /** Forget the book: nothing is applied until the next snapshot; held updates are dropped. */
  desync(): void {
    this.synced = false;
    this.bridging = false;
    this.held = [];
  }

  /**
   * Apply one `books` data item; levels may carry OKX's extra elements (`[px, sz, "0", n]`).
   * While not synced an update with a seqId is held (with `payload`) for `fromRest`.
   */
  apply(action: 'snapshot' | 'update', bids: readonly (readonly string[])[], asks: readonly (readonly string[])[], seq: OkxBookSeq, payload?: T): BookSyncResult {
    if (action === 'snapshot') {
      this.book.clear();
      this.book.apply(bids, asks);
      this.lastSeq = seq.seqId;
      this.recent.length = 0;
      this.held = [];
      this.bridging = false;
      this.synced = true;
      return this.verify(seq, 'snapshot') ?? { kind: 'snapshot' };
    }
    if (!this.synced) {
      if (seq.seqId !== undefined && seq.prevSeqId !== undefined && payload !== undefined) {
        // The oldest go first: a REST book newer than what is left still joins.
        if (this.held.length >= HELD_MAX) this.held.shift();
        this.held.push({ bids, asks, seq, payload });
      }
      return { kind: 'waiting' };
    }
    if (seq.seqId !== undefined && seq.prevSeqId !== undefined) {
      const link = `${seq.prevSeqId}>${seq.seqId}`;
      if (this.bridging && this.lastSeq !== undefined) {
        // Already in the REST book (or an idle heartbeat at its seqId).
        if (seq.seqId <= this.lastSeq) return { kind: 'duplicate' };
        if (seq.prevSeqId > this.lastSeq) {
          this.desync();
          return { kind: 'sequence_gap', detail: `prevSeqId ${seq.prevSeqId} is after the REST book's seqId ${this.lastSeq} (seqId ${seq.seqId})` };
        }
        this.bridging = false;
        this.lastSeq = seq.prevSeqId;
      }
      if (seq.prevSeqId !== this.lastSeq) {
        if (this.recent.includes(link)) return { kind: 'duplicate' };
        this.synced = false;
        return { kind: 'sequence_gap', detail: `prevSeqId ${seq.prevSeqId} does not follow seqId ${this.lastSeq} (seqId ${seq.seqId})` };
      }
      this.recent.push(link);
      if (this.recent.length > RECENT_LINKS) this.recent.shift();
      this.lastSeq = seq.seqId;
      if (seq.seqId === seq.prevSeqId && bids.length === 0 && asks.length === 0) return this.verify(seq, 'heartbeat') ?? { kind: 'heartbeat' };
    }
    this.book.apply(bids, asks);
    return this.verify(seq, 'update') ?? { kind: 'update' };
  }

  /**
   * A REST book at `seqId` (`GET /api/v5/market/books`): replaces the local book, then the held
   * updates that follow it are applied (see the file comment for the joining rule). On a gap the
   * updates not yet applied stay held, so a newer REST book may still join them.
   */
  fromRest(bids: readonly (readonly string[])[], asks: readonly (readonly string[])[], seqId: number): RestSyncResult<T> {
    const held = this.held;
    this.desync();
    this.book.clear();
    this.book.apply(bids, asks);
    this.lastSeq = seqId;
    this.recent.length = 0;
    this.synced = true;
    this.bridging = true;
    const applied: T[] = [];
    for (let i = 0; i < held.length; i++) {
      const h = held[i];
      const r = this.apply('update', h.bids, h.asks, h.seq);
      if (r.kind === 'update') applied.push(h.payload);
      else if (r.kind === 'sequence_gap' || r.kind === 'checksum') {
        this.desync();
        if (r.kind === 'sequence_gap') this.held = held.slice(i);
        return r;
      }
    }
    return { kind: 'synced', applied };
  }

  private verify(seq: OkxBookSeq, what: string): BookSyncResult | undefined {
    // 0: deprecated, "must no longer be used for data integrity validation" (see above).
    if (seq.checksum === undefined || seq.checksum === 0) return undefined;
    const mine = this.book.checksum();
    if (mine === seq.checksum) return undefined;
    this.synced = false;
    return { kind: 'checksum', detail: `${what} checksum ${seq.checksum}, local book of the best 25 levels gives ${mine}` };
  }
}
