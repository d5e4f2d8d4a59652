/** Volume profile options. */
import { THEME } from '../theme.ts';

export interface VolumeProfileOptions {
  /** Width of the longest row, as a fraction of the pane. */
  readonly widthFraction: number;
  /** `right` hugs the price scale, `left` the pane's left edge. */
  readonly side: 'left' | 'right';
  readonly color: string;
  readonly pocColor: string;
  /** Sum a fixed time range (ms) instead of the visible bars; null follows the view. */
  readonly range: { readonly fromMs: number; readonly toMs: number } | null;
}

export const defaultOptions: VolumeProfileOptions = {
  widthFraction: 0.22,
  side: 'right',
  color: 'rgba(120, 144, 156, 0.45)',
  pocColor: THEME.poc,
  range: null,
};
