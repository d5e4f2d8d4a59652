/**
 * The data the page script draws, built from a RunResult: times in SECONDS (lightweight-charts'
 * UTCTimestamp), strictly ascending and unique per series, and trade/zone positions already
 * mapped onto the bar index ("logical" coordinate) so the page script does no time arithmetic.
 *
 * Bar i covers [bars[i].ts, bars[i + 1].ts) and is drawn over logical [i - 0.5, i + 0.5]; a time
 * inside it maps linearly into that span. Large series are reduced (bars merged, equity points
 * thinned keeping each bucket's min and max) so a long run still gives a report of a few MB.
 */
import { drawdownSeries, equityCurve, type EquityPoint } from '../metrics.ts';
import type { RunBar, RunResult, RunTrade, ZoneBand } from '../run-types.ts';
import { priceDecimals } from './format.ts';

/** Above this many bars, consecutive bars are merged (k at a time) for the chart. */
export const MAX_CHART_BARS = 50_000;
/** Above this many equity points, each bucket keeps only its first, min, max and last points. */
export const MAX_CHART_EQUITY_POINTS = 50_000;

export interface LinePoint { readonly time: number; readonly value: number }
export interface CandlePoint { readonly time: number; readonly open: number; readonly high: number; readonly low: number; readonly close: number }
export interface VolumePoint { readonly time: number; readonly value: number; readonly color: string }

export interface ChartMarker {
  readonly time: number;
  readonly position: 'aboveBar' | 'belowBar';
  readonly shape: 'arrowUp' | 'arrowDown';
  readonly color: string;
  readonly text: string;
}

/** A zone rectangle in bar-index space; x1 null = still live at the end (drawn to the right edge). */
export interface ChartZone {
  readonly x0: number;
  readonly x1: number | null;
  readonly low: number;
  readonly high: number;
  readonly side: 'long' | 'short';
  readonly source: 'realized' | 'predicted';
}

/** A horizontal segment (one trade's liquidation price, stop or target) from entry to exit. */
export interface ChartLevel {
  readonly x0: number;
  readonly x1: number;
  readonly price: number;
  readonly kind: 'liquidation' | 'stop' | 'target';
  readonly tradeId: number;
}

export interface ChartData {
  readonly equity: readonly LinePoint[];
  /** Drawdown from the running peak, in percent, as a negative number (0 at a new high). */
  readonly drawdown: readonly LinePoint[];
  readonly bars: readonly CandlePoint[];
  readonly volume: readonly VolumePoint[];
  readonly markers: readonly ChartMarker[];
  readonly zones: readonly ChartZone[];
  readonly levels: readonly ChartLevel[];
  /** Decimals for the price axis. */
  readonly priceDecimals: number;
  /** Bars merged per chart bar (1 = none). */
  readonly barsMerged: number;
  /** Equity points before thinning, and after. */
  readonly equityPoints: { readonly input: number; readonly drawn: number };
  /** Zones and trades that fall outside the bars' time range and are not drawn. */
  readonly zonesOffChart: number;
  readonly tradesOffChart: number;
}

const COLORS = {
  entryLong: '#1565c0',
  entryShort: '#e65100',
  win: '#2e7d32',
  loss: '#c62828',
  flat: '#6b7280',
  volUp: 'rgba(38,166,154,0.35)',
  volDown: 'rgba(239,83,80,0.35)',
} as const;

const round = (x: number, decimals: number): number => {
  const f = 10 ** decimals;
  return Math.round(x * f) / f;
};

/** Bars sorted by ts, finite only, one per second (bars within the same second merged). */
function cleanBars(bars: readonly RunBar[]): RunBar[] {
  const sorted = bars
    .filter((b) => [b.ts, b.open, b.high, b.low, b.close].every(Number.isFinite))
    .sort((a, b) => a.ts - b.ts);
  const out: RunBar[] = [];
  for (const b of sorted) {
    const prev = out[out.length - 1];
    if (prev && Math.floor(prev.ts / 1000) === Math.floor(b.ts / 1000)) {
      out[out.length - 1] = {
        ts: prev.ts,
        open: prev.open,
        high: Math.max(prev.high, b.high),
        low: Math.min(prev.low, b.low),
        close: b.close,
        volume: (Number.isFinite(prev.volume) ? prev.volume : 0) + (Number.isFinite(b.volume) ? b.volume : 0),
      };
    } else out.push(b);
  }
  return out;
}

/** Merge k consecutive bars into one. */
function mergeBars(bars: readonly RunBar[], k: number): RunBar[] {
  if (k <= 1) return [...bars];
  const out: RunBar[] = [];
  for (let i = 0; i < bars.length; i += k) {
    const group = bars.slice(i, i + k);
    out.push({
      ts: group[0].ts,
      open: group[0].open,
      high: Math.max(...group.map((b) => b.high)),
      low: Math.min(...group.map((b) => b.low)),
      close: group[group.length - 1].close,
      volume: group.reduce((s, b) => s + (Number.isFinite(b.volume) ? b.volume : 0), 0),
    });
  }
  return out;
}

/** Maps epoch ms onto the bar-index axis (see the module comment). */
export function makeLogicalMapper(barTs: readonly number[]): (ts: number) => number | null {
  const n = barTs.length;
  if (n === 0) return () => null;
  const diffs: number[] = [];
  for (let i = 1; i < n; i++) diffs.push(barTs[i] - barTs[i - 1]);
  diffs.sort((a, b) => a - b);
  const step = diffs.length > 0 ? Math.max(1, diffs[Math.floor(diffs.length / 2)]) : 60_000;
  return (ts: number): number | null => {
    if (!Number.isFinite(ts)) return null;
    if (ts < barTs[0]) return -0.5 - (barTs[0] - ts) / step;
    // last i with barTs[i] <= ts
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (barTs[mid] <= ts) lo = mid;
      else hi = mid - 1;
    }
    const width = lo + 1 < n ? barTs[lo + 1] - barTs[lo] : step;
    return lo - 0.5 + (ts - barTs[lo]) / width;
  };
}

/** Index of the bar containing ts (clamped to the first / last bar); -1 without bars. */
function barIndexOf(barTs: readonly number[], ts: number): number {
  if (barTs.length === 0) return -1;
  let lo = 0;
  let hi = barTs.length - 1;
  if (ts <= barTs[0]) return 0;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (barTs[mid] <= ts) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** R multiple of a trade, or null when it had no risk. */
export function rMultiple(t: { readonly pnl: number; readonly risk: number }): number | null {
  return t.risk > 0 && Number.isFinite(t.risk) && Number.isFinite(t.pnl) ? t.pnl / t.risk : null;
}

function signedR(r: number | null): string {
  if (r === null) return '';
  const text = Math.abs(r).toFixed(2);
  return `${r > 0 ? '+' : r < 0 ? '\u2212' : ''}${text}R`;
}

function tradeMarkers(trades: readonly RunTrade[], barTs: readonly number[], barTimes: readonly number[], lastBarEnd: number): { markers: ChartMarker[]; offChart: number } {
  const markers: ChartMarker[] = [];
  let offChart = 0;
  if (barTs.length === 0) return { markers, offChart: trades.length };
  for (const t of trades) {
    if (t.exitTs < barTs[0] || t.entryTs >= lastBarEnd) {
      offChart++;
      continue;
    }
    const long = t.side === 'long';
    markers.push({
      time: barTimes[barIndexOf(barTs, t.entryTs)],
      position: long ? 'belowBar' : 'aboveBar',
      shape: long ? 'arrowUp' : 'arrowDown',
      color: long ? COLORS.entryLong : COLORS.entryShort,
      text: `${long ? 'L' : 'S'} #${t.id}`,
    });
    const r = rMultiple(t);
    markers.push({
      time: barTimes[barIndexOf(barTs, t.exitTs)],
      position: long ? 'aboveBar' : 'belowBar',
      shape: long ? 'arrowDown' : 'arrowUp',
      color: t.pnl > 0 ? COLORS.win : t.pnl < 0 ? COLORS.loss : COLORS.flat,
      text: `${t.liquidated ? 'LIQ' : 'x'} #${t.id} ${signedR(r)}`.trim(),
    });
  }
  // Stable order by time (createSeriesMarkers wants them sorted).
  const order = markers.map((m, i) => [m, i] as const).sort((a, b) => a[0].time - b[0].time || a[1] - b[1]);
  return { markers: order.map(([m]) => m), offChart };
}

/** The equity curve the metrics use (implicit first point at fromMs), or the raw points when the run's window is unusable. */
function chartEquityCurve(run: RunResult): EquityPoint[] {
  const { initialEquity, fromMs, toMs } = run.meta;
  try {
    return equityCurve(run.trades, run.equity, { initialEquity, fromMs, toMs });
  } catch {
    const pts = run.equity.filter((p) => Number.isFinite(p.ts) && Number.isFinite(p.equity)).sort((a, b) => a.ts - b.ts);
    if (pts.length === 0 && Number.isFinite(fromMs) && Number.isFinite(initialEquity)) return [{ ts: fromMs, equity: initialEquity }];
    return pts;
  }
}

/** Keep first, min, max and last point of each of ~max/4 buckets, in time order. */
function thin<T extends { readonly time: number; readonly value: number }>(points: readonly T[], max: number): T[] {
  if (points.length <= max) return [...points];
  const buckets = Math.max(1, Math.floor(max / 4));
  const size = Math.ceil(points.length / buckets);
  const out: T[] = [];
  for (let i = 0; i < points.length; i += size) {
    const idx = new Set<number>([i, Math.min(points.length, i + size) - 1]);
    let lo = i;
    let hi = i;
    for (let j = i; j < Math.min(points.length, i + size); j++) {
      if (points[j].value < points[lo].value) lo = j;
      if (points[j].value > points[hi].value) hi = j;
    }
    idx.add(lo).add(hi);
    for (const j of [...idx].sort((a, b) => a - b)) out.push(points[j]);
  }
  return out;
}

/** One point per second (the last one of that second), ascending. */
function perSecond(points: readonly { readonly ts: number; readonly value: number }[]): LinePoint[] {
  const out: LinePoint[] = [];
  for (const p of points) {
    const time = Math.floor(p.ts / 1000);
    if (out.length > 0 && out[out.length - 1].time === time) out[out.length - 1] = { time, value: p.value };
    else out.push({ time, value: p.value });
  }
  return out;
}

export function buildChartData(run: RunResult): ChartData {
  // Equity and drawdown.
  const curve = chartEquityCurve(run);
  const dd = drawdownSeries(curve, run.meta.initialEquity > 0 ? run.meta.initialEquity : undefined);
  const equityAll = perSecond(dd.map((p) => ({ ts: p.ts, value: p.equity })));
  const ddAll = perSecond(dd.map((p) => ({ ts: p.ts, value: p.drawdown > 0 ? -p.drawdown * 100 : 0 })));
  const equity = thin(equityAll, MAX_CHART_EQUITY_POINTS).map((p) => ({ time: p.time, value: round(p.value, 8) }));
  const drawdown = thin(ddAll, MAX_CHART_EQUITY_POINTS).map((p) => ({ time: p.time, value: round(p.value, 6) }));

  // Bars.
  const clean = cleanBars(run.bars);
  const k = Math.max(1, Math.ceil(clean.length / MAX_CHART_BARS));
  const merged = mergeBars(clean, k);
  const barTs = merged.map((b) => b.ts);
  const barTimes = merged.map((b) => Math.floor(b.ts / 1000));
  const bars = merged.map((b, i) => ({ time: barTimes[i], open: b.open, high: b.high, low: b.low, close: b.close }));
  const volume = merged.map((b, i) => ({ time: barTimes[i], value: Number.isFinite(b.volume) ? b.volume : 0, color: b.close >= b.open ? COLORS.volUp : COLORS.volDown }));
  const closes = merged.map((b) => b.close).sort((a, b) => a - b);
  const typical = closes.length > 0 ? closes[Math.floor(closes.length / 2)] : (run.trades[0]?.entryPrice ?? 1);
  const toX = makeLogicalMapper(barTs);
  const step = barTs.length > 1 ? (barTs[barTs.length - 1] - barTs[0]) / (barTs.length - 1) : 60_000;
  const lastBarEnd = barTs.length > 0 ? barTs[barTs.length - 1] + step : -Infinity;

  // Trades: markers and level segments.
  const { markers, offChart: tradesOffChart } = tradeMarkers(run.trades, barTs, barTimes, lastBarEnd);
  const levels: ChartLevel[] = [];
  if (barTs.length > 0) {
    for (const t of run.trades) {
      if (t.exitTs < barTs[0] || t.entryTs >= lastBarEnd) continue;
      const x0 = toX(t.entryTs);
      const x1 = toX(t.exitTs);
      if (x0 === null || x1 === null) continue;
      const seg = (kind: ChartLevel['kind'], price: number | null): void => {
        if (price !== null && Number.isFinite(price) && price > 0) levels.push({ x0: round(x0, 4), x1: round(Math.max(x0, x1), 4), price, kind, tradeId: t.id });
      };
      seg('liquidation', t.liquidationPrice);
      seg('stop', t.stop);
      seg('target', t.target);
    }
  }

  // Zones.
  const zones: ChartZone[] = [];
  let zonesOffChart = 0;
  for (const z of run.zones as readonly ZoneBand[]) {
    const ok = [z.fromTs, z.low, z.high].every(Number.isFinite) && (z.toTs === null || Number.isFinite(z.toTs));
    if (!ok || barTs.length === 0 || z.fromTs >= lastBarEnd || (z.toTs !== null && z.toTs < barTs[0])) {
      zonesOffChart++;
      continue;
    }
    const x0 = toX(Math.max(z.fromTs, barTs[0]));
    const x1 = z.toTs === null ? null : toX(Math.min(z.toTs, lastBarEnd));
    if (x0 === null) {
      zonesOffChart++;
      continue;
    }
    zones.push({ x0: round(x0, 4), x1: x1 === null ? null : round(Math.max(x0, x1), 4), low: Math.min(z.low, z.high), high: Math.max(z.low, z.high), side: z.side, source: z.source });
  }

  return {
    equity,
    drawdown,
    bars,
    volume,
    markers,
    zones,
    levels,
    priceDecimals: priceDecimals(typical),
    barsMerged: k,
    equityPoints: { input: run.equity.length, drawn: equity.length },
    zonesOffChart,
    tradesOffChart,
  };
}
