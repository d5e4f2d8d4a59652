/**
 * The predicted liquidation heatmap (docs/FEATURES.md "Two heatmaps: realized and predicted"),
 * and each predicted level's distance from the last price.
 *
 * What Coinglass calls a "liquidation heatmap" is this kind: where positions *would* be
 * liquidated, estimated from open interest. Each row is the predicted-levels snapshot at the end
 * of a time bucket (what the model knew then), each column a price bin; a cell is the notional
 * predicted to be liquidated at that price. The realized heatmap (liquidations.ts) counts
 * liquidations that happened.
 */
import { binner, type HeatmapGrid, type LiquidationBins } from './liquidations.ts';
import type { PredictedLevel, PredictedLiquidationSnapshot } from './predicted-liquidations.ts';

/** A predicted level with its distance from the last trade price. */
export type LevelWithDistance = PredictedLevel & {
  /** price - last price (quote): negative below the market. */
  readonly distance: number;
  /** 1e4 x (price / last price - 1). */
  readonly distance_bps: number;
};

/** The levels of a snapshot with their distance from `lastPrice` (NaN without a price). */
export function withDistance(levels: readonly PredictedLevel[], lastPrice: number): LevelWithDistance[] {
  return levels.map((l) => ({ ...l, distance: l.price - lastPrice, distance_bps: 1e4 * (l.price / lastPrice - 1) }));
}

/**
 * Predicted: each row is the levels snapshot at its bucket's end; columns are every bin between
 * the lowest and highest level; cells hold the notional that would liquidate longs / shorts there.
 */
export interface PredictedHeatmap extends HeatmapGrid {
  /** The time of each row's snapshot: the bucket's end, or the last event time for the last bucket. */
  readonly snapshot_ts: Float64Array;
}

/** The snapshot times of buckets of `timeframeMs` covering [firstMs, lastMs]: each bucket's end, the last one at lastMs. */
export function heatmapTimes(firstMs: number, lastMs: number, timeframeMs: number, maxRows = 100_000): { starts: number[]; times: number[] } {
  if (!(timeframeMs > 0) || !Number.isFinite(timeframeMs)) throw new RangeError(`predicted heatmap: timeframeMs must be > 0, got ${timeframeMs}`);
  const starts: number[] = [];
  const times: number[] = [];
  if (!(lastMs >= firstMs)) return { starts, times };
  const first = Math.floor(firstMs / timeframeMs) * timeframeMs;
  const rows = Math.floor((lastMs - first) / timeframeMs) + 1;
  if (rows > maxRows) throw new RangeError(`predicted heatmap: ${rows} buckets is more than ${maxRows}; use a longer timeframe or a shorter range`);
  for (let r = 0; r < rows; r++) {
    const s = first + r * timeframeMs;
    starts.push(s);
    // Inclusive snapshot time just before the next bucket opens (events at its open belong to it).
    times.push(Math.min(s + timeframeMs - 0.001, lastMs));
  }
  return { starts, times };
}

/** Snapshots (one per bucket, from heatmapTimes) as a matrix; refuses more than `maxCells` cells. */
export function predictedHeatmap(snaps: readonly PredictedLiquidationSnapshot[], starts: readonly number[], timeframeMs: number, bins: LiquidationBins, maxCells = 4_000_000): PredictedHeatmap {
  const bin = binner(bins);
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of snaps) {
    for (const l of [...s.longs, ...s.shorts]) {
      if (l.index < lo) lo = l.index;
      if (l.index > hi) hi = l.index;
    }
  }
  const rows = snaps.length;
  const cols = hi >= lo ? hi - lo + 1 : 0;
  if (rows * cols > maxCells) throw new RangeError(`predicted heatmap: ${rows} x ${cols} cells is more than ${maxCells}; use a longer timeframe, wider bins or a shorter range`);
  const long = new Float64Array(rows * cols);
  const short = new Float64Array(rows * cols);
  snaps.forEach((s, r) => {
    for (const l of s.longs) long[r * cols + l.index - lo] += l.notional;
    for (const l of s.shorts) short[r * cols + l.index - lo] += l.notional;
  });
  const binIndexes = Int32Array.from({ length: cols }, (_, k) => lo + k);
  const binPrices = Float64Array.from(binIndexes, (k) => bin.price(k));
  return {
    timeframe_ms: timeframeMs,
    bucket_starts: Float64Array.from(starts),
    snapshot_ts: Float64Array.from(snaps.map((s) => s.ts)),
    bin_indexes: binIndexes,
    bin_prices: binPrices,
    rows,
    cols,
    long,
    short,
  };
}
