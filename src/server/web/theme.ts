/**
 * The page's colours. The chart's own (background, grid, text, borders) come from the plugins'
 * theme so every layer and pane agree; app.css mirrors them for the HTML around the chart. Added
 * here: the aggregate line, each venue's colour (pickers, CVD and funding lines) and the size
 * buckets.
 */
import { THEME as PLOT } from './plugins/theme.ts';

export const THEME = {
  background: PLOT.background,
  grid: PLOT.grid,
  text: PLOT.text,
  textDim: PLOT.textDim,
  border: PLOT.border,
  aggregate: '#e8eaed',
  venue: { binance: '#f0b90b', okx: '#8ab4f8', bybit: '#f7a600', 'binance-spot': '#c9a227' } as Record<string, string>,
  bucket: { small: '#6b7683', medium: '#4fc3f7', large: '#ffb74d', whale: '#ff5252' },
} as const;

export function venueColor(v: string): string {
  return THEME.venue[v] ?? '#9e9e9e';
}
