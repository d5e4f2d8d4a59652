/** Session shading options: a fill per session name (Asia, Europe, US), one for any other. */
import { THEME } from '../theme.ts';

export interface SessionShadingOptions {
  readonly colors: Readonly<Record<string, string>>;
  readonly otherColor: string;
  readonly labelColor: string;
  readonly showLabels: boolean;
}

export const defaultOptions: SessionShadingOptions = {
  colors: THEME.sessions,
  otherColor: THEME.sessionOther,
  labelColor: THEME.textDim,
  showLabels: true,
};
