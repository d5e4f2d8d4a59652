/**
 * The loopback server's order book for one symbol, kept the way Bybit keeps it: one full book,
 * and one window per subscribed depth (`orderbook.50`, `orderbook.200`...) with its own update
 * id `u`. A published book event changes the full book; each window sends a delta of the levels
 * that changed inside it, a level leaving the window as size 0 (so a client applying the frames
 * holds exactly the top N levels), and advances its `u` by one. A window that did not change
 * sends nothing and keeps its `u`.
 */
import type { BookEvent, BookLevel } from '../../core/events.ts';

/** Where a depth stream's `u` starts: well above 1, which Bybit reserves for "the book service restarted". */
export const MOCK_U_BASE = 100_000;

export interface BookView {
  readonly bids: BookLevel[];
  readonly asks: BookLevel[];
  readonly u: number;
}

class Window {
  bids = new Map<number, number>();
  asks = new Map<number, number>();
  constructor(
    readonly depth: number,
    public u: number,
  ) {}
}

/** One side: sizes by price, and the prices kept sorted best first (a window is a slice). */
class Side {
  private readonly qty = new Map<number, number>();
  private readonly prices: number[] = [];

  constructor(private readonly desc: boolean) {}

  set(p: number, q: number): void {
    if (q === 0) {
      if (this.qty.delete(p)) this.prices.splice(this.index(p), 1);
      return;
    }
    if (!this.qty.has(p)) this.prices.splice(this.index(p), 0, p);
    this.qty.set(p, q);
  }

  clear(): void {
    this.qty.clear();
    this.prices.length = 0;
  }

  top(n: number): BookLevel[] {
    return this.prices.slice(0, n).map((p) => [p, this.qty.get(p)!] as const);
  }

  /** First position whose price is not better than `p` (binary search). */
  private index(p: number): number {
    let lo = 0;
    let hi = this.prices.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.desc ? this.prices[mid] > p : this.prices[mid] < p) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function diffSide(old: Map<number, number>, top: readonly BookLevel[], desc: boolean): BookLevel[] {
  const out: BookLevel[] = [];
  const now = new Map(top);
  for (const [p, q] of top) if (old.get(p) !== q) out.push([p, q]);
  for (const p of old.keys()) if (!now.has(p)) out.push([p, 0]);
  return out.sort((a, b) => (desc ? b[0] - a[0] : a[0] - b[0]));
}

export class MockBook {
  private readonly bids = new Side(true);
  private readonly asks = new Side(false);
  /** Book events applied. */
  updates = 0;
  /** Exchange time of the last event. */
  ts = NaN;
  private readonly windows = new Map<number, Window>();

  constructor(
    readonly symbol: string,
    /** How much each delta advances a window's `u`: 1 on Bybit; more plays a venue numbering otherwise. */
    private readonly uStep = 1,
  ) {}

  /** Apply a normalized event (a snapshot replaces both sides). */
  apply(ev: BookEvent): void {
    if (ev.isSnapshot) {
      this.bids.clear();
      this.asks.clear();
    }
    for (const [p, q] of ev.bids) this.bids.set(p, q);
    for (const [p, q] of ev.asks) this.asks.set(p, q);
    this.updates++;
    this.ts = ev.ts;
  }

  /** The top `n` levels per side, best first. */
  top(n: number): { bids: BookLevel[]; asks: BookLevel[] } {
    return { bids: this.bids.top(n), asks: this.asks.top(n) };
  }

  /** The current window of `depth` (created on first use, its `u` from MOCK_U_BASE): what a subscribe snapshot carries. */
  view(depth: number): BookView {
    let w = this.windows.get(depth);
    if (!w) {
      w = new Window(depth, MOCK_U_BASE + this.updates);
      this.windows.set(depth, w);
      this.sync(w);
    }
    const { bids, asks } = this.top(depth);
    return { bids, asks, u: w.u };
  }

  /** After `apply`: the delta of each open window that changed, with its new `u`. */
  deltas(): { depth: number; bids: BookLevel[]; asks: BookLevel[]; u: number }[] {
    const out: { depth: number; bids: BookLevel[]; asks: BookLevel[]; u: number }[] = [];
    for (const w of this.windows.values()) {
      const top = this.top(w.depth);
      const bids = diffSide(w.bids, top.bids, true);
      const asks = diffSide(w.asks, top.asks, false);
      if (bids.length === 0 && asks.length === 0) continue;
      w.bids = new Map(top.bids);
      w.asks = new Map(top.asks);
      w.u += this.uStep;
      out.push({ depth: w.depth, bids, asks, u: w.u });
    }
    return out;
  }

  /** Bybit restarted its book service: every window starts again at `u` = 1 (a snapshot follows). */
  restart(): number[] {
    for (const w of this.windows.values()) {
      w.u = 1;
      this.sync(w);
    }
    return [...this.windows.keys()];
  }

  private sync(w: Window): void {
    const top = this.top(w.depth);
    w.bids = new Map(top.bids);
    w.asks = new Map(top.asks);
  }
}
