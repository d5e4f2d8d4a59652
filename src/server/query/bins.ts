/**
 * Price bins of the dashboard's heatmaps and levels. The heatmap columns are linear
 * (`p0 + pIndex x binSize`, api.ts), so bins are whole ticks: as many ticks as make about
 * HEATMAP_BPS of the price, the liquidation commands' default bin width (10 bps).
 */
import type { LiquidationBins } from '../../features/liquidations.ts';

export const HEATMAP_BPS = 10;

/** Tick bins about `bps` wide at `price`. */
export function tickBins(tick: number, price: number, bps = HEATMAP_BPS): { tick: number; binTicks: number } {
  const binTicks = Number.isFinite(price) && price > 0 ? Math.max(1, Math.round((price * bps) / 10_000 / tick)) : 1;
  return { tick, binTicks };
}

/** The clusters' and predicted levels' bins (not drawn on a linear grid: basis points, as the CLI). */
export const LEVEL_BINS: LiquidationBins = { bps: HEATMAP_BPS };
