/**
 * The repository's detectors run over one stream of normalized events, as `orderflow analyze`
 * runs them over the store (src/cli/analyze.ts): one FeaturePipeline (clusters, predicted
 * levels, absorption at zones refreshed every hour from the events before, divergence, cross-venue
 * windows, sessions), and a BookBaitOperator per venue with a book, all with the repository's
 * defaults. Nothing is tuned to the simulator.
 *
 * Streaming: events are taken one at a time in time order and handed on as columnar runs
 * (buffers.ts) in the order the replay merge gives them (src/engine/replay.ts): a timer at T
 * fires before any event with ts >= T, so what is computed at T sees only the events before it.
 * Memory is one chunk per buffer plus the operators' own bounded state, whatever the stream's
 * length.
 *
 * Clusters are snapshots, not emitted events: the evaluation asks for one at every
 * `clusterEveryMs` boundary (default 1 min, the resolution of their latency) after a
 * liquidation, or while clusters stand, and a cluster that overlaps no cluster of its side in the
 * previous snapshot is a detection, known at that snapshot.
 */
import type { BookEvent, MarketEvent, TradeEvent, Venue } from '../../core/events.ts';
import type { InstrumentRegistry } from '../../core/instruments.ts';
import { FeaturePipeline, type PipelineOutputs } from '../../engine/pipeline.ts';
import { BookBaitOperator } from '../../features/book.ts';
import type { LiquidationCluster } from '../../features/liquidations.ts';
import { HOUR_MS, MINUTE_MS } from '../../features/timeframe.ts';
import { loadBundledInstruments } from '../../venues/bundled-instruments.ts';
import { BookBuffer, OpenInterestBuffer, PriceEventBuffer } from './buffers.ts';
import { absorptionDetection, baitDetection, clusterDetection, disagreementDetection, divergenceDetection, sessionDetection, DETECTOR_NAMES, type Detection } from './detections.ts';

/** `orderflow analyze`'s defaults (src/cli/analyze.ts, src/cli/options.ts): the detectors' parameters. */
export const ANALYZE_DEFAULTS = {
  /** --bps: cluster and predicted-level bins. */
  bps: 10,
  /** --zones-every: how often absorption's zones are re-snapshotted. */
  zonesEveryMs: HOUR_MS,
  /** --lookback: absorption's typical-volume windows (and warm-up). */
  absorptionLookback: 60,
} as const;

export interface DetectOptions {
  /** How often cluster snapshots are taken (the evaluation's resolution, not a detector parameter). Default 1 min. */
  readonly clusterEveryMs?: number;
  /** Tick sizes of the book markets; default the bundled instruments (as `analyze`). */
  readonly instruments?: InstrumentRegistry;
}

/** One venue + symbol's book operator, fed that market's book messages and trades merged in time order. */
class BookFeed {
  private readonly trades = new PriceEventBuffer();
  private readonly book = new BookBuffer();
  readonly op: BookBaitOperator;

  constructor(tick: number, venue: Venue, out: (d: Detection) => void) {
    this.op = new BookBaitOperator(
      { tick, imbalanceBucketMs: MINUTE_MS },
      {
        wall: (w) => {
          const d = baitDetection(w, venue);
          if (d) out(d);
        },
      },
    );
  }

  addTrade(e: TradeEvent): void {
    if (this.book.length > 0) this.drainBook();
    if (this.trades.add(e)) this.drainTrades();
  }

  addBook(e: BookEvent): void {
    if (this.trades.length > 0) this.drainTrades();
    if (this.book.add(e)) this.drainBook();
  }

  flush(): void {
    this.drainTrades();
    this.drainBook();
    this.op.flush();
  }

  private drainTrades(): void {
    if (this.trades.length > 0) this.op.pushTrades(this.trades, 0, this.trades.length);
    this.trades.length = 0;
  }

  private drainBook(): void {
    if (this.book.length > 0) this.op.pushBook(this.book, 0, this.book.length);
    this.book.clear();
  }
}

/**
 * Push events in time order (`push`), then `end()`; detections go to `out` as the detectors
 * emit them (not in time order across detectors: sort by `ts` to compare).
 */
export class DetectorSuite {
  private readonly pipeline: FeaturePipeline;
  private readonly trades = new PriceEventBuffer();
  private readonly liqs = new PriceEventBuffer();
  private readonly oi = new OpenInterestBuffer();
  private readonly books = new Map<Venue, Map<string, BookFeed>>();
  private readonly instruments: InstrumentRegistry;
  private readonly every: number;
  /** The next cluster-snapshot boundary; NaN before the first event. */
  private nextTimer = NaN;
  private lastTs = -Infinity;
  /** A liquidation since the last snapshot, or clusters in it: the next boundary needs one. */
  private snapshotDue = false;
  private standing: readonly LiquidationCluster[] = [];

  constructor(
    private readonly out: (d: Detection) => void,
    opts: DetectOptions = {},
  ) {
    this.every = opts.clusterEveryMs ?? MINUTE_MS;
    if (!(this.every > 0 && HOUR_MS % this.every === 0)) throw new RangeError(`sim eval: clusterEveryMs must divide an hour, got ${this.every}`);
    this.instruments = opts.instruments ?? loadBundledInstruments();
    this.pipeline = new FeaturePipeline(
      { bins: { bps: ANALYZE_DEFAULTS.bps }, withOpenInterest: true, instruments: this.instruments, absorptionLookback: ANALYZE_DEFAULTS.absorptionLookback },
      (name, x) => {
        let d: Detection | undefined;
        // The emit is generic over the output name; narrowing the name does not narrow the value.
        if (name === 'absorption') d = absorptionDetection(x as PipelineOutputs['absorption']);
        else if (name === 'divergence') d = divergenceDetection(x as PipelineOutputs['divergence']);
        else if (name === 'venues_5m') d = disagreementDetection(x as PipelineOutputs['venues_5m']);
        else if (name === 'sessions') d = sessionDetection(x as PipelineOutputs['sessions']);
        if (d) out(d);
      },
    );
  }

  push(e: MarketEvent): void {
    if (!(e.ts >= this.lastTs)) throw new RangeError(`sim eval: ${e.type} at ${e.ts} ms after an event at ${this.lastTs} ms: events must come in time order`);
    this.lastTs = e.ts;
    if (Number.isNaN(this.nextTimer)) this.nextTimer = Math.floor(e.ts / this.every) * this.every + this.every;
    if (e.ts >= this.nextTimer) this.timersUpTo(e.ts);
    switch (e.type) {
      case 'trade':
        this.drainLiquidations();
        this.drainOpenInterest();
        if (this.trades.add(e)) this.drainTrades();
        this.books.get(e.venue)?.get(e.symbol)?.addTrade(e);
        return;
      case 'liquidation':
        this.drainTrades();
        this.drainOpenInterest();
        if (this.liqs.add(e)) this.drainLiquidations();
        this.snapshotDue = true;
        return;
      case 'ticker':
        if (!Number.isFinite(e.openInterest)) return;
        this.drainTrades();
        this.drainLiquidations();
        if (this.oi.add(e)) this.drainOpenInterest();
        return;
      case 'book':
        this.book(e.venue, e.symbol).addBook(e);
        return;
    }
  }

  /**
   * End of the stream: the cluster snapshot at the next boundary (what a live timer would see;
   * no zone refresh, as the replay has no timer after the last event), then every operator's
   * open state.
   */
  end(): void {
    this.drainAll();
    if (this.snapshotDue) this.snapshot(this.nextTimer);
    this.pipeline.flush();
    for (const m of this.books.values()) for (const f of m.values()) f.flush();
  }

  private book(venue: Venue, symbol: string): BookFeed {
    let m = this.books.get(venue);
    if (!m) this.books.set(venue, (m = new Map()));
    let f = m.get(symbol);
    if (!f) {
      const inst = this.instruments.get(venue, symbol);
      if (!inst) throw new RangeError(`sim eval: no instrument metadata for ${venue} ${symbol}: its tick size is needed for the book`);
      m.set(symbol, (f = new BookFeed(inst.tickSize, venue, this.out)));
    }
    return f;
  }

  /** Timers at every boundary <= ts: the zones every hour (as analyze's --zones-every), cluster snapshots when due. */
  private timersUpTo(ts: number): void {
    this.drainAll();
    while (this.nextTimer <= ts) {
      const t = this.nextTimer;
      if (t % ANALYZE_DEFAULTS.zonesEveryMs === 0) this.pipeline.refreshZones(t);
      if (this.snapshotDue) this.snapshot(t);
      this.nextTimer += this.every;
    }
  }

  private snapshot(t: number): void {
    const now = this.pipeline.liquidationSnapshot(t).clusters;
    for (const c of now) {
      const known = this.standing.some((p) => p.side === c.side && p.low_index <= c.high_index && c.low_index <= p.high_index);
      if (!known) this.out(clusterDetection(c, t));
    }
    this.standing = now;
    this.snapshotDue = now.length > 0;
  }

  private drainAll(): void {
    this.drainTrades();
    this.drainLiquidations();
    this.drainOpenInterest();
  }

  private drainTrades(): void {
    if (this.trades.length > 0) this.pipeline.pushTrades(this.trades, 0, this.trades.length);
    this.trades.length = 0;
  }

  private drainLiquidations(): void {
    if (this.liqs.length > 0) this.pipeline.pushLiquidations(this.liqs, 0, this.liqs.length);
    this.liqs.length = 0;
  }

  private drainOpenInterest(): void {
    if (this.oi.length > 0) this.pipeline.push({ kind: 'open_interest', cols: this.oi, from: 0, to: this.oi.length });
    this.oi.length = 0;
  }
}

/** Every detection over `events` (time-ordered), sorted by the time it was known (ties: report order of detectors, then start). */
export function detect(events: Iterable<MarketEvent>, opts: DetectOptions = {}): Detection[] {
  const out: Detection[] = [];
  const suite = new DetectorSuite((d) => out.push(d), opts);
  for (const e of events) suite.push(e);
  suite.end();
  return out.sort(byTime);
}

const ORDER = new Map<string, number>(DETECTOR_NAMES.map((n, i) => [n, i]));

export function byTime(a: Detection, b: Detection): number {
  return a.ts - b.ts || ORDER.get(a.detector)! - ORDER.get(b.detector)! || a.start_ms - b.start_ms || a.price_low - b.price_low;
}
