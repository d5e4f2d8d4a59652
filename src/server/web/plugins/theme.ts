/**
 * The dashboard's dark theme, shared by every plugin so a colour means the same thing on every
 * layer: green is buying (aggressive buys, shorts liquidated), red is selling (aggressive sells,
 * longs liquidated). Colour strings are built once here; renderers only look them up, so a frame
 * allocates no strings for colours.
 */

export const THEME = {
  background: '#0f1117',
  text: '#c9d1d9',
  textDim: '#8b949e',
  grid: '#1c212b',
  border: '#30363d',
  up: '#26a69a',
  down: '#ef5350',
  /** Aggressive buys, the "ask" column of a footprint. */
  buy: '#26a69a',
  /** Aggressive sells, the "bid" column of a footprint. */
  sell: '#ef5350',
  buyStrong: '#4dff9a',
  sellStrong: '#ff4d6a',
  poc: '#ffd54f',
  valueArea: 'rgba(255, 213, 79, 0.35)',
  /** Long positions liquidated (price fell through them). */
  longLiq: '#ff6b3d',
  /** Short positions liquidated (price rose through them). */
  shortLiq: '#3db8ff',
  predicted: '#c792ea',
  bestBid: '#26a69a',
  bestAsk: '#ef5350',
  wallPulled: '#ffb74d',
  wallConsumed: '#e0e0e0',
  wallBait: '#ff40ff',
  wallResting: '#78909c',
  sessions: {
    Asia: 'rgba(255, 183, 77, 0.06)',
    Europe: 'rgba(100, 181, 246, 0.06)',
    US: 'rgba(129, 199, 132, 0.06)',
  } as Record<string, string>,
  sessionOther: 'rgba(200, 200, 200, 0.04)',
  font: '-apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif',
  monoFont: 'ui-monospace, "SF Mono", Menlo, Consolas, monospace',
} as const;

/** `#rrggbb` plus an alpha 0..1 as `rgba(...)`. */
export function withAlpha(hex: string, alpha: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${alpha})`;
}

/** A palette of `steps` CSS colours from `from` to `to` (both `#rrggbb`), alpha from `a0` to `a1`. */
export function ramp(stops: readonly string[], steps: number, a0 = 1, a1 = 1): string[] {
  const rgb = stops.map((h) => {
    const n = parseInt(h.slice(1), 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
  });
  const out: string[] = [];
  for (let i = 0; i < steps; i++) {
    const f = steps === 1 ? 1 : i / (steps - 1);
    const seg = Math.min(rgb.length - 2, Math.floor(f * (rgb.length - 1)));
    const g = f * (rgb.length - 1) - seg;
    const a = rgb[seg];
    const b = rgb[seg + 1];
    const c = (k: number) => Math.round(a[k] + (b[k] - a[k]) * g);
    out.push(`rgba(${c(0)}, ${c(1)}, ${c(2)}, ${(a0 + (a1 - a0) * f).toFixed(3)})`);
  }
  return out;
}

/** Options every chart of the dashboard starts from (dark, no left scale, UTC seconds). */
export const CHART_OPTIONS = {
  layout: { background: { color: THEME.background }, textColor: THEME.text, fontFamily: THEME.font },
  grid: { vertLines: { color: THEME.grid }, horzLines: { color: THEME.grid } },
  rightPriceScale: { borderColor: THEME.border },
  timeScale: { borderColor: THEME.border, timeVisible: true, secondsVisible: false },
  crosshair: { mode: 0 },
} as const;
