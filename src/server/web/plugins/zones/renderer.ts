/** Paints zone rectangles and predicted-level lines from media coordinates; drawing only. */
import type { CanvasRenderingTarget2D } from 'fancy-canvas';
import type { IPrimitivePaneRenderer } from 'lightweight-charts';
import { span, type BitmapSpan } from '../helpers/positions.ts';

export interface ZoneBox {
  x0: number;
  x1: number;
  y0: number;
  y1: number;
  fill: string;
  stroke: string;
  label: string;
}

export class ZonesRenderer implements IPrimitivePaneRenderer {
  private readonly sx: BitmapSpan = { position: 0, length: 0 };
  private readonly sy: BitmapSpan = { position: 0, length: 0 };
  constructor(private readonly boxes: () => readonly ZoneBox[]) {}

  draw(target: CanvasRenderingTarget2D): void {
    target.useBitmapCoordinateSpace(({ context: ctx, horizontalPixelRatio: hr, verticalPixelRatio: vr }) => {
      ctx.font = `${Math.round(10 * vr)}px sans-serif`;
      ctx.textBaseline = 'top';
      ctx.textAlign = 'left';
      for (const b of this.boxes()) {
        span(b.x0, b.x1, hr, this.sx);
        span(b.y0, b.y1, vr, this.sy);
        ctx.fillStyle = b.fill;
        ctx.fillRect(this.sx.position, this.sy.position, this.sx.length, this.sy.length);
        ctx.fillStyle = b.stroke;
        ctx.fillRect(this.sx.position, this.sy.position, Math.max(1, Math.round(2 * hr)), this.sy.length);
        if (b.label) ctx.fillText(b.label, this.sx.position + 4 * hr, this.sy.position + 2 * vr);
      }
    });
  }
}

export interface LevelLine {
  y: number;
  width: number;
  label: string;
}

export class PredictedRenderer implements IPrimitivePaneRenderer {
  constructor(
    private readonly lines: () => readonly LevelLine[],
    private readonly style: () => { color: string; dash: readonly number[] },
  ) {}

  draw(target: CanvasRenderingTarget2D): void {
    target.useBitmapCoordinateSpace(({ context: ctx, horizontalPixelRatio: hr, verticalPixelRatio: vr, bitmapSize }) => {
      const { color, dash } = this.style();
      ctx.strokeStyle = color;
      ctx.fillStyle = color;
      ctx.setLineDash(dash.map((d) => d * hr));
      ctx.font = `italic ${Math.round(10 * vr)}px sans-serif`;
      ctx.textAlign = 'right';
      ctx.textBaseline = 'bottom';
      for (const l of this.lines()) {
        const y = Math.round(l.y * vr) + 0.5;
        ctx.lineWidth = Math.max(1, Math.round(l.width * vr));
        ctx.beginPath();
        ctx.moveTo(0, y);
        ctx.lineTo(bitmapSize.width, y);
        ctx.stroke();
        ctx.fillText(l.label, bitmapSize.width - 4 * hr, y - 2 * vr);
      }
      ctx.setLineDash([]);
    });
  }
}
