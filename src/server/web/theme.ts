/** The dark theme's colours, in one place so panes, plugins and the tape agree. */
export const THEME = {
  background: '#0e1116',
  panel: '#151a21',
  grid: '#1c222b',
  text: '#aab4c0',
  textDim: '#6b7683',
  border: '#262d38',
  up: '#26a69a',
  down: '#ef5350',
  buy: '#26a69a',
  sell: '#ef5350',
  aggregate: '#e8eaed',
  /** Long liquidated (forced sell) vs short liquidated (forced buy). */
  longLiq: '#ff7043',
  shortLiq: '#42a5f5',
  predicted: '#ba68c8',
  venue: { binance: '#f0b90b', okx: '#8ab4f8', bybit: '#f7a600', 'binance-spot': '#c9a227' } as Record<string, string>,
  bucket: { small: '#6b7683', medium: '#4fc3f7', large: '#ffb74d', whale: '#ff5252' },
} as const;

export function venueColor(v: string): string {
  return THEME.venue[v] ?? '#9e9e9e';
}
