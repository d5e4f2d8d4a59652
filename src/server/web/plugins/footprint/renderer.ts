/**
 * Paints the footprint: drawing only, no data shaping. Per visible bar, either the levels (bid
 * cell | ask cell, shaded by size, imbalanced cells in the strong colour, numbers when rows are
 * tall enough, POC outlined, value-area band, stacked-imbalance marks at the side) or, when bars
 * or rows are too small to read, a plain candle. Only `visibleRange` is walked; colour strings
 * come from palettes built once per option change, so a frame allocates nothing per bar beyond
 * the number strings of cells it actually labels.
 */
import type { CanvasRenderingTarget2D, BitmapCoordinatesRenderingScope } from 'fancy-canvas';
import type { ICustomSeriesPaneRenderer, PaneRendererCustomData, PriceToCoordinateConverter, Time } from 'lightweight-charts';
import { centredLine, span, type BitmapSpan } from '../helpers/positions.ts';
import { ramp } from '../theme.ts';
import { ASK_IMB, BAD_LEVEL, BID_IMB, type FootprintBarData } from './data.ts';
import type { FootprintSeriesOptions } from './options.ts';

const SHADES = 24;

/** What the last frame drew, for tests and the app's status line. */
export type FootprintMode = 'levels' | 'candles' | 'empty';

export class FootprintRenderer implements ICustomSeriesPaneRenderer {
  private data: PaneRendererCustomData<Time, FootprintBarData> | null = null;
  private options: FootprintSeriesOptions | null = null;
  private bidShades: string[] = [];
  private askShades: string[] = [];
  private paletteKey = '';
  private readonly sx: BitmapSpan = { position: 0, length: 0 };
  private readonly sy: BitmapSpan = { position: 0, length: 0 };
  lastMode: FootprintMode = 'empty';

  update(data: PaneRendererCustomData<Time, FootprintBarData>, options: FootprintSeriesOptions): void {
    this.data = data;
    this.options = options;
    const key = options.bidColor + options.askColor;
    if (key !== this.paletteKey) {
      this.paletteKey = key;
      // From barely visible to solid: a cell's shade is its size over the bar's largest cell.
      this.bidShades = ramp([options.bidColor, options.bidColor], SHADES, 0.08, 0.75);
      this.askShades = ramp([options.askColor, options.askColor], SHADES, 0.08, 0.75);
    }
  }

  draw(target: CanvasRenderingTarget2D, priceToCoordinate: PriceToCoordinateConverter): void {
    target.useBitmapCoordinateSpace((scope) => this.drawImpl(scope, priceToCoordinate));
  }

  private drawImpl(scope: BitmapCoordinatesRenderingScope, y: PriceToCoordinateConverter): void {
    const d = this.data;
    const o = this.options;
    this.lastMode = 'empty';
    if (!d || !o || d.bars.length === 0 || d.visibleRange === null) return;
    const from = Math.max(0, d.visibleRange.from);
    const to = Math.min(d.bars.length, d.visibleRange.to);
    const spacing = d.barSpacing * Math.max(1, d.conflationFactor);
    const rowPx = this.rowHeight(d, from, to, y);
    const levels = spacing >= o.minBarSpacing && rowPx >= o.minRowHeight;
    this.lastMode = levels ? 'levels' : 'candles';
    for (let b = from; b < to; b++) {
      const bar = d.bars[b];
      const v = bar.originalData;
      if (v.close === undefined) continue;
      if (levels && v.store.end[v.i] > v.store.start[v.i]) this.drawLevels(scope, y, bar.x, spacing, rowPx, v, o);
      else this.drawCandle(scope, y, bar.x, spacing, v, o);
    }
  }

  /** Media px of one level on screen, measured at a visible bar's close (the scale is linear). */
  private rowHeight(d: PaneRendererCustomData<Time, FootprintBarData>, from: number, to: number, y: PriceToCoordinateConverter): number {
    for (let b = from; b < to; b++) {
      const v = d.bars[b].originalData;
      if (v.close === undefined || !Number.isFinite(v.store.levelSize)) continue;
      const y0 = y(v.close);
      const y1 = y(v.close + v.store.levelSize);
      if (y0 === null || y1 === null) return 0;
      return Math.abs(y0 - y1);
    }
    return 0;
  }

  private drawCandle(
    scope: BitmapCoordinatesRenderingScope,
    y: PriceToCoordinateConverter,
    x: number,
    spacing: number,
    v: FootprintBarData,
    o: FootprintSeriesOptions,
  ): void {
    const ctx = scope.context;
    const hr = scope.horizontalPixelRatio;
    const vr = scope.verticalPixelRatio;
    const yo = y(v.open);
    const yc = y(v.close);
    const yh = y(v.high);
    const yl = y(v.low);
    if (yo === null || yc === null || yh === null || yl === null) return;
    ctx.fillStyle = v.close >= v.open ? o.upColor : o.downColor;
    centredLine(x, 1, hr, this.sx);
    span(yh, yl, vr, this.sy);
    ctx.fillRect(this.sx.position, this.sy.position, this.sx.length, this.sy.length);
    const w = Math.max(1, spacing * 0.7);
    centredLine(x, w, hr, this.sx);
    span(yo, yc, vr, this.sy);
    ctx.fillRect(this.sx.position, this.sy.position, this.sx.length, this.sy.length);
  }

  private drawLevels(
    scope: BitmapCoordinatesRenderingScope,
    y: PriceToCoordinateConverter,
    x: number,
    spacing: number,
    rowPx: number,
    v: FootprintBarData,
    o: FootprintSeriesOptions,
  ): void {
    const ctx = scope.context;
    const hr = scope.horizontalPixelRatio;
    const vr = scope.verticalPixelRatio;
    const s = v.store;
    const i = v.i;
    const size = s.levelSize;
    const width = spacing * 0.92;
    const left = x - width / 2;
    const right = x + width / 2;
    // [candle strip 3][value area 2][bid cell | ask cell][stacked marks 3]
    const cellL = left + 6;
    const cellR = right - 4;
    const mid = (cellL + cellR) / 2;

    // Candle strip: where the bar opened, closed and ranged.
    const yo = y(v.open);
    const yc = y(v.close);
    const yh = y(v.high);
    const yl = y(v.low);
    if (yo !== null && yc !== null && yh !== null && yl !== null) {
      ctx.fillStyle = v.close >= v.open ? o.upColor : o.downColor;
      centredLine(left + 1.5, 1, hr, this.sx);
      span(yh, yl, vr, this.sy);
      ctx.fillRect(this.sx.position, this.sy.position, this.sx.length, this.sy.length);
      span(left, left + 3, hr, this.sx);
      span(yo, yc, vr, this.sy);
      ctx.fillRect(this.sx.position, this.sy.position, this.sx.length, this.sy.length);
    }
    // Value area band.
    if (Number.isFinite(s.vah[i])) {
      const ya = y(s.vah[i] + size);
      const yb = y(s.val[i]);
      if (ya !== null && yb !== null) {
        ctx.fillStyle = o.valueAreaColor;
        span(left + 3.5, left + 5.5, hr, this.sx);
        span(ya, yb, vr, this.sy);
        ctx.fillRect(this.sx.position, this.sy.position, this.sx.length, this.sy.length);
      }
    }

    const max = s.maxCell[i] > 0 ? s.maxCell[i] : 1;
    // The font follows the row height and shrinks until five characters ("12.3k") fit half a
    // column; below the smallest readable size there are no numbers at all.
    const font = Math.min(o.maxFontSize, Math.floor(rowPx * 0.8), Math.floor(((cellR - cellL) / 2 - 3) / (0.62 * 5)));
    const showText = rowPx >= o.minTextRowHeight && font >= o.minFontSize;
    for (let k = s.start[i]; k < s.end[i]; k++) {
      const f = s.flags[k];
      if (f === BAD_LEVEL) continue;
      const yt = y(s.price[k] + size);
      const yb = y(s.price[k]);
      if (yt === null || yb === null) continue;
      span(yt, yb, vr, this.sy);
      const gap = this.sy.length > 3 ? 1 : 0;
      ctx.fillStyle = f & BID_IMB ? o.bidImbalanceColor : this.bidShades[shade(s.bid[k], max)];
      span(cellL, mid, hr, this.sx);
      ctx.fillRect(this.sx.position, this.sy.position, this.sx.length - gap, this.sy.length - gap);
      ctx.fillStyle = f & ASK_IMB ? o.askImbalanceColor : this.askShades[shade(s.ask[k], max)];
      span(mid, cellR, hr, this.sx);
      ctx.fillRect(this.sx.position, this.sy.position, this.sx.length - gap, this.sy.length - gap);
    }
    // Point of control.
    if (Number.isFinite(s.poc[i])) {
      const yt = y(s.poc[i] + size);
      const yb = y(s.poc[i]);
      if (yt !== null && yb !== null) {
        ctx.strokeStyle = o.pocColor;
        ctx.lineWidth = Math.max(1, Math.floor(hr));
        span(yt, yb, vr, this.sy);
        span(cellL, cellR, hr, this.sx);
        ctx.strokeRect(this.sx.position + 0.5, this.sy.position + 0.5, this.sx.length - 1, this.sy.length - 1);
      }
    }
    // Stacked imbalance runs at the right edge.
    for (let r = s.stackStart[i]; r < s.stackStart[i + 1]; r++) {
      const yt = y(s.stackHigh[r] + size);
      const yb = y(s.stackLow[r]);
      if (yt === null || yb === null) continue;
      ctx.fillStyle = s.stackSide[r] > 0 ? o.askImbalanceColor : o.bidImbalanceColor;
      span(cellR + 1, right, hr, this.sx);
      span(yt, yb, vr, this.sy);
      ctx.fillRect(this.sx.position, this.sy.position, this.sx.length, this.sy.length);
    }
    if (!showText) return;
    ctx.font = `${Math.round(font * vr)}px ${'ui-monospace, Menlo, Consolas, monospace'}`;
    ctx.textBaseline = 'middle';
    const pad = 2 * hr;
    for (let k = s.start[i]; k < s.end[i]; k++) {
      const f = s.flags[k];
      if (f === BAD_LEVEL) continue;
      const yt = y(s.price[k] + size);
      const yb = y(s.price[k]);
      if (yt === null || yb === null) continue;
      const ym = ((yt + yb) / 2) * vr;
      // Dark numbers on the bright imbalance cells, light ones elsewhere.
      ctx.textAlign = 'right';
      ctx.fillStyle = f & BID_IMB ? o.imbalanceTextColor : o.textColor;
      ctx.fillText(formatSize(s.bid[k]), mid * hr - pad, ym);
      ctx.textAlign = 'left';
      ctx.fillStyle = f & ASK_IMB ? o.imbalanceTextColor : o.textColor;
      ctx.fillText(formatSize(s.ask[k]), mid * hr + pad, ym);
    }
  }
}

function shade(v: number, max: number): number {
  const f = v / max;
  return f >= 1 ? SHADES - 1 : f > 0 ? Math.floor(f * SHADES) : 0;
}

/** At most five characters: 0.42, 7.5, 38, 1.2k, 15k, 3.4M. */
export function formatSize(v: number): string {
  if (v >= 999_500) return v >= 9_999_500 ? `${Math.round(v / 1e6)}M` : `${(v / 1e6).toFixed(1)}M`;
  if (v >= 9_999.5) return `${Math.round(v / 1000)}k`;
  if (v >= 999.5) return `${(v / 1000).toFixed(1)}k`;
  if (v >= 99.5) return v.toFixed(0);
  if (v >= 9.95) return v.toFixed(1);
  if (v === 0) return '0';
  return v.toFixed(2);
}
