/** The footprint series' options: when it shows levels, when numbers, and its colours. */
import { customSeriesDefaultOptions, type CustomSeriesOptions } from 'lightweight-charts';
import { THEME } from '../theme.ts';

export interface FootprintSeriesOptions extends CustomSeriesOptions {
  /** Below this bar spacing (media px) the series draws candles instead of levels. */
  readonly minBarSpacing: number;
  /** Below this level height (media px) the series draws candles instead of levels. */
  readonly minRowHeight: number;
  /** Below this level height the cells are drawn without numbers. */
  readonly minTextRowHeight: number;
  /** Font size limits of the bid x ask numbers (px); the size follows the row height. */
  readonly minFontSize: number;
  readonly maxFontSize: number;
  readonly upColor: string;
  readonly downColor: string;
  readonly bidColor: string;
  readonly askColor: string;
  readonly bidImbalanceColor: string;
  readonly askImbalanceColor: string;
  readonly pocColor: string;
  readonly valueAreaColor: string;
  readonly textColor: string;
  /** Numbers on an imbalanced (bright) cell. */
  readonly imbalanceTextColor: string;
}

export const defaultOptions: FootprintSeriesOptions = {
  ...customSeriesDefaultOptions,
  minBarSpacing: 20,
  minRowHeight: 3,
  minTextRowHeight: 9,
  minFontSize: 8,
  maxFontSize: 13,
  upColor: THEME.up,
  downColor: THEME.down,
  bidColor: THEME.sell,
  askColor: THEME.buy,
  bidImbalanceColor: THEME.sellStrong,
  askImbalanceColor: THEME.buyStrong,
  pocColor: THEME.poc,
  valueAreaColor: THEME.valueArea,
  textColor: THEME.text,
  imbalanceTextColor: THEME.background,
};
