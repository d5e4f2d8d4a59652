/**
 * Detector events (absorption, divergence, bait) to lightweight-charts' built-in series markers
 * (`createSeriesMarkers(series, toMarkers(events, tfMs))`). A marker is placed on its bar (time
 * floored to `tfMs`, as the chart knows only bar times) at the event's price; events with a
 * non-finite time or price or an unknown kind are dropped; the result is sorted by time as the
 * markers plugin expects.
 */
import type { SeriesMarker, Time } from 'lightweight-charts';
import type { DetectorEvent } from '../../../api.ts';
import { THEME } from '../theme.ts';

const STYLE: Record<DetectorEvent['kind'], { up: SeriesMarker<Time>['shape']; down: SeriesMarker<Time>['shape']; label: string }> = {
  absorption: { up: 'circle', down: 'circle', label: 'ABS' },
  divergence: { up: 'arrowUp', down: 'arrowDown', label: 'DIV' },
  bait: { up: 'square', down: 'square', label: 'BAIT' },
};

export function toMarkers(events: readonly DetectorEvent[] | null | undefined, tfMs: number): SeriesMarker<Time>[] {
  const tf = Number.isFinite(tfMs) && tfMs >= 1 && tfMs <= 1e12 ? tfMs : 60_000;
  const out: SeriesMarker<Time>[] = [];
  for (const e of Array.isArray(events) ? events : []) {
    if (e == null || !Number.isFinite(e.t) || Math.abs(e.t) > 1e15 || !Number.isFinite(e.price) || !Object.hasOwn(STYLE, e.kind) || (e.direction !== 'up' && e.direction !== 'down')) continue;
    const s = STYLE[e.kind as DetectorEvent['kind']];
    const up = e.direction === 'up';
    out.push({
      time: ((Math.floor(e.t / tf) * tf) / 1000) as Time,
      position: up ? 'atPriceBottom' : 'atPriceTop',
      price: e.price,
      shape: up ? s.up : s.down,
      color: e.kind === 'bait' ? THEME.wallBait : up ? THEME.buyStrong : THEME.sellStrong,
      text: s.label,
      id: `${e.kind}-${e.t}-${e.price}`,
    });
  }
  return out.sort((a, b) => (a.time as number) - (b.time as number));
}
