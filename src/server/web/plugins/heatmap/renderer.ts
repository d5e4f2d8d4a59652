/**
 * Paints heatmap cells, best bid / ask and walls from coordinates the pane view computed (media
 * px); drawing only. Cells come as parallel typed arrays with a palette index each, so a frame
 * sets a fill style from a prebuilt palette and fills a rectangle, nothing more.
 */
import type { BitmapCoordinatesRenderingScope, CanvasRenderingTarget2D } from 'fancy-canvas';
import type { IPrimitivePaneRenderer } from 'lightweight-charts';
import { span, type BitmapSpan } from '../helpers/positions.ts';

export interface HeatmapFrame {
  count: number;
  x0: Float32Array;
  x1: Float32Array;
  y0: Float32Array;
  y1: Float32Array;
  /** Palette index per cell. */
  colour: Uint16Array;
  palette: readonly string[];
  /** Best bid / ask step lines: `lineCount` segments of (x0, x1, yBid, yAsk), NaN where unknown. */
  lineCount: number;
  lx0: Float32Array;
  lx1: Float32Array;
  lBid: Float32Array;
  lAsk: Float32Array;
  bidColor: string;
  askColor: string;
  /** Walls in view; `label` '' for all but the largest few (options.wallLabels). */
  walls: { x0: number; x1: number; y: number; color: string; dash: number[]; label: string; end: 'cross' | 'dot' | 'none'; size: number }[];
}

/**
 * `cells` paints the grid (behind the series); `overlay` paints best bid / ask and walls (over
 * it), from the same frame.
 */
export class HeatmapRenderer implements IPrimitivePaneRenderer {
  private readonly sx: BitmapSpan = { position: 0, length: 0 };
  private readonly sy: BitmapSpan = { position: 0, length: 0 };
  constructor(
    private readonly frame: HeatmapFrame,
    private readonly part: 'cells' | 'overlay',
  ) {}

  draw(target: CanvasRenderingTarget2D): void {
    target.useBitmapCoordinateSpace((scope) => this.drawImpl(scope));
  }

  private drawImpl(scope: BitmapCoordinatesRenderingScope): void {
    const f = this.frame;
    const ctx = scope.context;
    const hr = scope.horizontalPixelRatio;
    const vr = scope.verticalPixelRatio;
    if (this.part === 'cells') {
      for (let k = 0; k < f.count; k++) {
        ctx.fillStyle = f.palette[f.colour[k]];
        span(f.x0[k], f.x1[k], hr, this.sx);
        span(f.y0[k], f.y1[k], vr, this.sy);
        ctx.fillRect(this.sx.position, this.sy.position, this.sx.length, this.sy.length);
      }
      return;
    }
    if (f.lineCount > 0) {
      ctx.lineWidth = Math.max(1, Math.round(1.5 * vr));
      this.stepLine(ctx, f.lBid, f.bidColor, hr, vr);
      this.stepLine(ctx, f.lAsk, f.askColor, hr, vr);
    }
    for (const w of f.walls) {
      ctx.strokeStyle = w.color;
      ctx.fillStyle = w.color;
      ctx.lineWidth = Math.max(1, Math.round(2 * vr));
      ctx.setLineDash(w.dash.map((d) => d * hr));
      const y = Math.round(w.y * vr);
      ctx.beginPath();
      ctx.moveTo(Math.round(w.x0 * hr), y);
      ctx.lineTo(Math.round(w.x1 * hr), y);
      ctx.stroke();
      ctx.setLineDash([]);
      const ex = Math.round(w.x1 * hr);
      const r = 4 * hr;
      if (w.end === 'cross') {
        ctx.beginPath();
        ctx.moveTo(ex - r, y - r); ctx.lineTo(ex + r, y + r);
        ctx.moveTo(ex - r, y + r); ctx.lineTo(ex + r, y - r);
        ctx.stroke();
      } else if (w.end === 'dot') {
        ctx.beginPath();
        ctx.arc(ex, y, r, 0, Math.PI * 2);
        ctx.fill();
      }
      if (!w.label) continue;
      ctx.font = `${Math.round(10 * vr)}px sans-serif`;
      ctx.textBaseline = 'bottom';
      ctx.textAlign = 'left';
      // A dark plate under the label: walls sit on the brightest part of the map.
      const tw = ctx.measureText(w.label).width;
      ctx.fillStyle = 'rgba(15, 17, 23, 0.85)';
      ctx.fillRect(Math.round(w.x0 * hr) - 2 * hr, y - 15 * vr, tw + 4 * hr, 12 * vr);
      ctx.fillStyle = w.color;
      ctx.fillText(w.label, Math.round(w.x0 * hr), y - 3 * vr);
    }
  }

  private stepLine(ctx: CanvasRenderingContext2D, ys: Float32Array, color: string, hr: number, vr: number): void {
    const f = this.frame;
    ctx.strokeStyle = color;
    ctx.beginPath();
    let open = false;
    for (let k = 0; k < f.lineCount; k++) {
      const y = ys[k];
      if (!Number.isFinite(y)) {
        open = false;
        continue;
      }
      const yy = Math.round(y * vr);
      if (!open) ctx.moveTo(Math.round(f.lx0[k] * hr), yy);
      else ctx.lineTo(Math.round(f.lx0[k] * hr), yy);
      ctx.lineTo(Math.round(f.lx1[k] * hr), yy);
      open = true;
    }
    ctx.stroke();
  }
}
