/** The heatmap primitive's options. */
import { THEME } from '../theme.ts';

export type HeatmapMode = 'liquidation' | 'book';
export type HeatmapScale = 'sqrt' | 'log';

export interface HeatmapOptions {
  /** `liquidation`: longs liquidated in one hue, shorts in another. `book`: resting size, Bookmap-like. */
  readonly mode: HeatmapMode;
  /** How value / max becomes a colour: sqrt lifts mid values, log lifts the faint ones further. */
  readonly scale: HeatmapScale;
  /** Cells below this fraction of the colour scale are not drawn (noise). */
  readonly threshold: number;
  readonly longColor: string;
  readonly shortColor: string;
  /** Book palette stops, faint to strong. */
  readonly bookStops: readonly string[];
  /** Book mode: draw best bid / ask lines and the walls. */
  readonly showBestBidAsk: boolean;
  readonly showWalls: boolean;
  /** Walls labelled at most (the largest in view by size); the others are drawn without a label. */
  readonly wallLabels: number;
  readonly bestBidColor: string;
  readonly bestAskColor: string;
  readonly wallColors: Readonly<Record<'pulled' | 'consumed' | 'bait' | 'resting', string>>;
}

export const defaultOptions: HeatmapOptions = {
  mode: 'liquidation',
  scale: 'sqrt',
  threshold: 0.02,
  longColor: THEME.longLiq,
  shortColor: THEME.shortLiq,
  bookStops: ['#0b1a3a', '#1565c0', '#00bcd4', '#66bb6a', '#ffee58', '#ff7043', '#ffffff'],
  showBestBidAsk: true,
  showWalls: true,
  wallLabels: 5,
  bestBidColor: THEME.bestBid,
  bestAskColor: THEME.bestAsk,
  wallColors: { pulled: THEME.wallPulled, consumed: THEME.wallConsumed, bait: THEME.wallBait, resting: THEME.wallResting },
};
