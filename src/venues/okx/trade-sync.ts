/**
 * One OKX instrument's trades, in trade-id order, each once (the trades counterpart of
 * book-sync.ts; no socket here): which ids were delivered, which are missing, which trades wait
 * for a repair. A hole is first left to late (out-of-order) frames for `backfillDelayMs`, then
 * fetched from REST history-trades as the back-fill planner (backfill.ts) says; the held and
 * back-filled trades are then delivered in id order and one gap is reported: `backfilled: true`
 * when every missing id came back (ids OKX does not return were never trades), else the count not
 * recovered. Duplicates (an id already delivered) are dropped.
 */
import type { TradeEvent } from '../../core/events.ts';
import type { GapKind } from '../live/types.ts';
import { pageOf, type BackfillBudget, type BackfillGap, type BackfillPage, type BackfillPlanner } from '../live/backfill.ts';
import type { OkxTradeSpan } from './parse.ts';

/** What the sync needs of its client (the trades stream it belongs to). */
export interface OkxTradeSyncHost {
  readonly instId: string;
  /** Exchange time of the last event the stream delivered, NaN before any. */
  lastTs(): number;
  /** The disconnect not yet reported for this stream (cleared by the call), if any. */
  takeOutage(): { readonly fromTs: number; readonly reason: string } | undefined;
  deliver(events: readonly TradeEvent[], localMs: number): void;
  /** The history-trades items a back-fill recovered (raw, oldest first), for the raw capture. */
  restFrame(items: readonly unknown[]): void;
  gap(kind: GapKind, fromTs: number, toTs: number, backfilled: boolean, detail: string): void;
  error(message: string): void;
  /** A REST page's `data` items as trade events and their id spans (a ParseError when malformed). */
  mapPage(data: readonly unknown[]): { events: TradeEvent[]; spans: (OkxTradeSpan | undefined)[] };
  /** GET a history-trades page's `data` array (PacedRest; a RestError when it fails). */
  fetch(url: string): Promise<readonly unknown[]>;
  now(): number;
  stopped(): boolean;
}

export interface OkxTradeSyncOptions {
  /** After a trade-id gap, wait this long for late frames before asking REST. */
  readonly backfillDelayMs: number;
  /** The budget of a hole whose back-fill starts now (requests, deadline). */
  readonly budget: () => BackfillBudget;
}

type Range = [lo: number, hi: number];

interface HeldTrade {
  readonly id: number;
  readonly ev: TradeEvent;
}

export class OkxTradeSync {
  /** Highest trade id delivered (or held), NaN before any. */
  private maxId = NaN;
  /** Trade ids known to be missing, sorted, disjoint. */
  private missing: Range[] = [];
  /** Trades accepted while a gap is open: delivered in id order once it closes. */
  private held: HeldTrade[] = [];
  /** The open gap's exchange-time bounds; `outage` when it spans a disconnect. */
  private open: { fromTs: number; toTs: number; outage: boolean; restart: boolean } | undefined;
  /** Seeded from a previous session (resume): the first hole is its outage, a `restart` gap from this time. */
  private resumedTs = NaN;
  private backfill: 'idle' | 'scheduled' | 'running' = 'idle';
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: OkxTradeSyncHost,
    private readonly planner: BackfillPlanner,
    private readonly o: OkxTradeSyncOptions,
  ) {}

  /**
   * Continue after `lastId`, the last trade a previous session stored (at `lastTs`): the ids
   * between it and the first live trade are back-filled like any hole and reported as `restart`.
   */
  resume(lastId: number, lastTs: number): void {
    if (!Number.isNaN(this.maxId)) return;
    this.maxId = lastId;
    this.resumedTs = lastTs;
  }

  /** The trades of one frame (validated by the mapper) with their id spans. */
  onFrame(events: readonly TradeEvent[], spans: readonly (OkxTradeSpan | undefined)[], localMs: number): void {
    const now: TradeEvent[] = [];
    for (let i = 0; i < events.length; i++) {
      const ev = events[i];
      const span = spans[i];
      if (span === undefined) {
        // A non-numeric id: no gap detection is possible; delivered as it comes.
        this.accept(now, Number.isNaN(this.maxId) ? 0 : this.maxId, ev);
        continue;
      }
      if (Number.isNaN(this.maxId)) {
        this.afterOutage(ev, false);
        this.maxId = span.last;
        this.accept(now, span.last, ev);
      } else if (span.last > this.maxId) {
        const opened = span.first > this.maxId + 1;
        if (opened) {
          addRange(this.missing, this.maxId + 1, span.first - 1);
          if (this.open) this.open.toTs = ev.ts;
          else {
            const restart = !Number.isNaN(this.resumedTs);
            const fromTs = restart ? this.resumedTs : this.host.lastTs();
            this.open = { fromTs: Number.isNaN(fromTs) ? ev.ts : fromTs, toTs: ev.ts, outage: false, restart };
          }
        }
        this.resumedTs = NaN;
        this.afterOutage(ev, opened);
        this.maxId = span.last;
        this.accept(now, span.last, ev);
      } else if (subtractRange(this.missing, span.first, span.last)) {
        // A late frame filling a hole (out of order): held with the rest, delivered in order.
        this.held.push({ id: span.last, ev });
      }
      // else: already delivered (a duplicate): dropped.
    }
    if (now.length > 0) this.host.deliver(now, localMs);
    this.settle();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  /** Start a back-fill for open holes, or deliver what was held once none is left. */
  private settle(): void {
    if (this.missing.length === 0 && this.backfill === 'scheduled') {
      clearTimeout(this.timer);
      this.backfill = 'idle';
    }
    if (this.missing.length > 0 && this.backfill === 'idle') {
      this.backfill = 'scheduled';
      this.timer = setTimeout(() => {
        this.runBackfill().catch((e: unknown) => {
          // Not expected (every REST and parse failure is handled inside); the hole is given up.
          this.backfill = 'idle';
          this.missing = [];
          this.host.error(`back-fill failed: ${(e as Error)?.message ?? String(e)}`);
          this.settle();
        });
      }, this.o.backfillDelayMs);
    }
    if (this.missing.length > 0 || this.backfill !== 'idle') return;
    // Every hole was filled by late (out-of-order) frames: nothing was lost.
    if (this.open?.outage) this.host.gap('disconnect', this.open.fromTs, this.open.toTs, true, 'trade ids missing across the disconnect arrived late, in-band');
    this.open = undefined;
    if (this.held.length > 0) this.flush();
  }

  private accept(now: TradeEvent[], id: number, ev: TradeEvent): void {
    if (this.missing.length > 0 || this.backfill !== 'idle' || this.held.length > 0) this.held.push({ id, ev });
    else now.push(ev);
  }

  /** The first new trade after a reconnect: the ids between tell whether anything was missed. */
  private afterOutage(ev: TradeEvent, opened: boolean): void {
    const o = this.host.takeOutage();
    if (!o) return;
    if (opened) this.open!.outage = true;
    else if (Number.isNaN(this.maxId)) this.host.gap('disconnect', o.fromTs, ev.ts, false, `disconnected: ${o.reason}; no trade seen before, so none can be shown missing`);
    else this.host.gap('disconnect', o.fromTs, ev.ts, true, `disconnected: ${o.reason}; trade ids continue without a hole (${this.maxId} -> ${ev.id})`);
  }

  /** Fetch the missing trade ids from REST, page by page as the planner says. */
  private async runBackfill(): Promise<void> {
    if (this.host.stopped()) return;
    this.timer = undefined;
    if (this.missing.length === 0) {
      this.backfill = 'idle';
      this.settle();
      return;
    }
    this.backfill = 'running';
    const want = this.missing.map((r) => [r[0], r[1]] as Range);
    const open = this.open;
    this.open = undefined;
    const lo = want[0][0];
    const hi = want[want.length - 1][1];
    const gap: BackfillGap = { symbol: this.host.instId, fromId: lo, toId: hi, fromTs: open?.fromTs ?? NaN };
    const pages: BackfillPage[] = [];
    const budget = this.o.budget();
    const found: (HeldTrade & { readonly raw: unknown })[] = [];
    let covered = false;
    let error: string | undefined;
    for (;;) {
      const step = this.planner.next(gap, pages, budget, this.host.now());
      if (step.kind === 'done') {
        covered = step.reason === 'covered';
        break;
      }
      let data: readonly unknown[];
      try {
        data = await this.host.fetch(step.url);
      } catch (e) {
        error = (e as Error).message;
        break;
      }
      if (this.host.stopped()) return;
      let page: ReturnType<OkxTradeSyncHost['mapPage']>;
      try {
        page = this.host.mapPage(data);
      } catch (e) {
        error = `history-trades page ${pages.length + 1}: ${(e as Error).message}`;
        break;
      }
      const ids: number[] = [];
      for (let i = 0; i < page.events.length; i++) {
        const span = page.spans[i];
        if (!span) continue;
        ids.push(span.first, span.last);
        if (inRanges(want, span.last)) found.push({ id: span.last, ev: page.events[i], raw: data[i] });
      }
      pages.push(pageOf(ids, page.events.map((e) => e.ts)));
    }
    let filled = 0;
    const recovered: { id: number; raw: unknown }[] = [];
    for (const f of found) {
      if (subtractRange(this.missing, f.id, f.id)) {
        this.held.push({ id: f.id, ev: f.ev });
        recovered.push(f);
        filled++;
      }
    }
    if (recovered.length > 0) this.host.restFrame(recovered.sort((a, b) => a.id - b.id).map((r) => r.raw));
    // Pages run downwards from the hole's top, so what REST did not reach is the bottom of the
    // hole, below the oldest trade served; ids between two served ones were never trades.
    let lostRange: Range | undefined;
    if (!covered) {
      const oldest = found.reduce((m, f) => Math.min(m, f.id), Infinity);
      const top = Math.min(hi, oldest - 1);
      if (top >= lo && countInRanges(this.missing, lo, top) > 0) lostRange = [lo, top];
    }
    const oldestTs = found.reduce((m, f) => Math.min(m, f.ev.ts), Infinity);
    for (const [a, b] of want) subtractRange(this.missing, a, b);
    this.backfill = 'idle';
    if (open) {
      const kind: GapKind = open.restart ? 'restart' : open.outage ? 'disconnect' : 'trade_id_gap';
      const what = open.restart ? ' since the last one stored (restart)' : '';
      if (lostRange) {
        const [a, b] = lostRange;
        const why = error ? `history-trades failed (${error})` : covered ? '' : 'REST history-trades does not reach back to them (or the back-fill budget ran out)';
        this.host.gap(kind, open.fromTs, Number.isFinite(oldestTs) ? oldestTs : open.toTs, false, `trade ids ${a}..${b} (${b - a + 1})${what}: lost, ${why}`);
      }
      if (filled > 0 || !lostRange) {
        const detail = `trade ids ${lo}..${hi}${what}: ${filled} back-filled from REST history-trades${lostRange ? `, ids ${lostRange[0]}..${lostRange[1]} lost (their own gap row)` : ''}`;
        this.host.gap(kind, open.fromTs, open.toTs, error === undefined, detail);
      }
    }
    if (error) this.host.error(error);
    this.settle();
  }

  /** Deliver held trades in trade-id order. */
  private flush(): void {
    const held = this.held.sort((a, b) => a.id - b.id);
    this.held = [];
    this.host.deliver(held.map((h) => h.ev), this.host.now());
  }
}

// Sorted disjoint integer ranges (missing trade ids).

function addRange(rs: Range[], lo: number, hi: number): void {
  rs.push([lo, hi]);
  rs.sort((a, b) => a[0] - b[0]);
}

/** Remove [lo, hi] from the ranges; true if any id was in them. */
function subtractRange(rs: Range[], lo: number, hi: number): boolean {
  let hit = false;
  for (let i = rs.length - 1; i >= 0; i--) {
    const [a, b] = rs[i];
    if (hi < a || lo > b) continue;
    hit = true;
    const parts: Range[] = [];
    if (a < lo) parts.push([a, lo - 1]);
    if (hi < b) parts.push([hi + 1, b]);
    rs.splice(i, 1, ...parts);
  }
  return hit;
}

function inRanges(rs: readonly Range[], id: number): boolean {
  return rs.some(([a, b]) => id >= a && id <= b);
}

function countInRanges(rs: readonly Range[], lo: number, hi: number): number {
  let n = 0;
  for (const [a, b] of rs) n += Math.max(0, Math.min(b, hi) - Math.max(a, lo) + 1);
  return n;
}
