/** Big-print bubbles' options. */
import { THEME } from '../theme.ts';

export interface BubblesOptions {
  /** Radius (media px) of the largest print; area is proportional to notional. */
  readonly maxRadius: number;
  /** Smallest radius drawn, so every print above the threshold stays visible. */
  readonly minRadius: number;
  readonly buyColor: string;
  readonly sellColor: string;
  readonly fillAlpha: number;
}

export const defaultOptions: BubblesOptions = {
  maxRadius: 28,
  minRadius: 2.5,
  buyColor: THEME.buy,
  sellColor: THEME.sell,
  fillAlpha: 0.35,
};
