/** Paints full-height session bands behind the series; drawing only. */
import type { CanvasRenderingTarget2D } from 'fancy-canvas';
import type { IPrimitivePaneRenderer } from 'lightweight-charts';
import { span, type BitmapSpan } from '../helpers/positions.ts';

export interface SessionBand {
  x0: number;
  x1: number;
  fill: string;
  label: string;
}

export class SessionShadingRenderer implements IPrimitivePaneRenderer {
  private readonly sx: BitmapSpan = { position: 0, length: 0 };
  constructor(
    private readonly bands: () => readonly SessionBand[],
    private readonly labelColor: () => string,
  ) {}

  draw(): void {}

  drawBackground(target: CanvasRenderingTarget2D): void {
    target.useBitmapCoordinateSpace(({ context: ctx, horizontalPixelRatio: hr, verticalPixelRatio: vr, bitmapSize }) => {
      ctx.font = `${Math.round(10 * vr)}px sans-serif`;
      ctx.textBaseline = 'top';
      for (const b of this.bands()) {
        span(b.x0, b.x1, hr, this.sx);
        ctx.fillStyle = b.fill;
        ctx.fillRect(this.sx.position, 0, this.sx.length, bitmapSize.height);
        if (b.label) {
          ctx.fillStyle = this.labelColor();
          ctx.fillText(b.label, this.sx.position + 3 * hr, 3 * vr);
        }
      }
    });
  }
}
