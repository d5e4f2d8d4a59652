/**
 * The detectors of `GET /api/events` run live: absorption at the realized liquidation clusters
 * (re-snapshotted every ZONES_EVERY_MS, as the route does) and delta divergence (15m, 1h, 1d) on
 * the market's merged trades, as incremental operators (src/features) fed each poll's new rows.
 * Bait walls come from the book tail (book-tail.ts), which replays the book anyway.
 *
 * The first poll warms the operators on the last WARMUP_MS of stored rows (events found there are
 * history: the page has them from /api/events), so a live event has the same history behind it as
 * one the route finds. The cost per poll is the poll's new rows, nothing more: no window is re-read.
 *
 * The operators need one clock. A row older than the newest one pushed (a venue whose recorder
 * flushed late, or a row the warm-up already read) is skipped and counted in `late`; it still
 * reaches the page as a trade, and the route sees it on the next reload.
 */
import type { LiquidationColumns, TradeColumns } from '../../core/columns.ts';
import type { Venue } from '../../core/events.ts';
import { AbsorptionOperator, zonesFromClusters } from '../../features/absorption.ts';
import { DivergenceOperator } from '../../features/divergence.ts';
import { LiquidationMapOperator } from '../../features/liquidations.ts';
import { readLiquidations } from '../../store/liquidation-reader.ts';
import { streamTrades } from '../../store/trade-reader.ts';
import type { Store } from '../../store/store.ts';
import type { DetectorEvent } from '../api.ts';
import { LEVEL_BINS } from '../query/bins.ts';
import { absorptionMarker, divergenceMarker, ZONES_EVERY_MS } from '../query/detector-events.ts';

/**
 * History the operators see before going live: the 15m divergence needs its 100-bar lookback
 * (25 h) before its first event, and the liquidation map's clusters decay over hours.
 */
export const WARMUP_MS = 26 * 3_600_000;

export class DetectorTail {
  private readonly divergence: DivergenceOperator;
  private readonly absorption: AbsorptionOperator;
  private readonly map = new LiquidationMapOperator({ bins: LEVEL_BINS });
  /** The newest row pushed. */
  private clock = -Infinity;
  /** The next zone snapshot (an hour boundary), NaN before the first row. */
  private nextZones = NaN;
  /** Events found since the last `take`; none are kept while warming up. */
  private found: DetectorEvent[] = [];
  private live = false;
  /** Rows skipped for being older than the newest pushed. */
  late = 0;

  constructor(readonly venues: readonly Venue[]) {
    this.divergence = new DivergenceOperator({}, (e) => this.live && this.found.push(divergenceMarker(e)));
    this.absorption = new AbsorptionOperator({ zones: [] }, (e) => this.live && this.found.push(absorptionMarker(e)));
  }

  /** Feeds the stored rows of [toMs - WARMUP_MS, toMs) through the operators; their events are history and dropped. */
  async warm(store: Store, pairs: readonly (readonly [Venue, string])[], toMs: number): Promise<void> {
    const q = { venues: this.venues, symbols: [...new Set(pairs.map((p) => p[1]))], fromMs: toMs - WARMUP_MS, toMs };
    const liqs = await readLiquidations(store, q);
    let j = 0;
    for await (const chunk of streamTrades(store, q)) {
      // Liquidations up to the chunk's last trade go in with it, merged by time.
      const end = chunk.length ? chunk.ts[chunk.length - 1] : Infinity;
      let k = j;
      while (k < liqs.length && liqs.ts[k] <= end) k++;
      this.push(chunk, sliceLiqs(liqs, j, k));
      j = k;
    }
    this.push(undefined, sliceLiqs(liqs, j, liqs.length));
    this.live = true;
  }

  /**
   * Pushes new rows (each in time order; venue indices into `venues`) merged by time, trades
   * first at equal times; returns the events they completed.
   */
  push(trades: TradeColumns | undefined, liqs: LiquidationColumns | undefined): DetectorEvent[] {
    const nt = trades?.length ?? 0;
    const nl = liqs?.length ?? 0;
    let i = 0;
    let j = 0;
    while (i < nt || j < nl) {
      const tt = i < nt ? trades!.ts[i] : Infinity;
      const lt = j < nl ? liqs!.ts[j] : Infinity;
      const ts = Math.min(tt, lt);
      if (ts < this.clock) {
        this.late++;
        if (tt <= lt) i++;
        else j++;
        continue;
      }
      this.zonesUntil(ts);
      if (tt <= lt) {
        // A run of trades up to the next liquidation, zone snapshot or late row: one call per operator.
        let k = i + 1;
        const stop = Math.min(lt, this.nextZones);
        while (k < nt && trades!.ts[k] <= stop && trades!.ts[k] >= trades!.ts[k - 1]) k++;
        this.divergence.push(trades!, i, k);
        this.absorption.pushTrades(trades!, i, k);
        this.map.pushTrades(trades!, i, k);
        this.clock = trades!.ts[k - 1];
        i = k;
      } else {
        this.absorption.pushLiquidations(liqs!, j, j + 1);
        this.map.pushLiquidations(liqs!, j, j + 1);
        this.clock = lt;
        j++;
      }
    }
    const out = this.found;
    this.found = [];
    return out;
  }

  /** Takes the liquidation map's snapshot at every hour boundary before `ts` and makes its clusters the absorption zones. */
  private zonesUntil(ts: number): void {
    if (Number.isNaN(this.nextZones)) this.nextZones = Math.ceil(ts / ZONES_EVERY_MS) * ZONES_EVERY_MS;
    while (ts > this.nextZones) {
      const at = this.nextZones;
      const snap = this.map.at(at);
      this.absorption.setZones(at, zonesFromClusters(snap.clusters, { fromTs: at, toTs: at + ZONES_EVERY_MS, bins: LEVEL_BINS }));
      this.nextZones = at + ZONES_EVERY_MS;
    }
  }
}

function sliceLiqs(c: LiquidationColumns, from: number, to: number): LiquidationColumns {
  return { length: to - from, ts: c.ts.subarray(from, to), price: c.price.subarray(from, to), qty: c.qty.subarray(from, to), side: c.side.subarray(from, to), venue: c.venue.subarray(from, to), venues: c.venues };
}
