/** Options of the realized-zones and predicted-levels layers. */
import { THEME } from '../theme.ts';

export interface ZonesOptions {
  readonly longColor: string;
  readonly shortColor: string;
  /** Fill alpha of a zone price has not come back to, and of one it has (dimmed). */
  readonly alpha: number;
  readonly revisitedAlpha: number;
  readonly showLabels: boolean;
}

export const defaultZonesOptions: ZonesOptions = {
  longColor: THEME.longLiq,
  shortColor: THEME.shortLiq,
  alpha: 0.28,
  revisitedAlpha: 0.1,
  showLabels: true,
};

export interface PredictedOptions {
  readonly color: string;
  /** Every line carries this label, so predicted levels read as estimates. */
  readonly label: string;
  readonly dash: readonly number[];
}

export const defaultPredictedOptions: PredictedOptions = {
  color: THEME.predicted,
  label: 'predicted',
  dash: [6, 4],
};
