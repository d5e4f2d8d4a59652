/** Paints the profile rows (media coordinates) with the POC row in its colour; drawing only. */
import type { CanvasRenderingTarget2D } from 'fancy-canvas';
import type { IPrimitivePaneRenderer } from 'lightweight-charts';
import { span, type BitmapSpan } from '../helpers/positions.ts';

export interface ProfileFrame {
  count: number;
  y0: Float32Array;
  y1: Float32Array;
  x0: Float32Array;
  x1: Float32Array;
  /** Index of the POC row in this frame, -1 when none. */
  poc: number;
  color: string;
  pocColor: string;
}

export class VolumeProfileRenderer implements IPrimitivePaneRenderer {
  private readonly sx: BitmapSpan = { position: 0, length: 0 };
  private readonly sy: BitmapSpan = { position: 0, length: 0 };
  constructor(private readonly frame: ProfileFrame) {}

  draw(target: CanvasRenderingTarget2D): void {
    target.useBitmapCoordinateSpace(({ context: ctx, horizontalPixelRatio: hr, verticalPixelRatio: vr }) => {
      const f = this.frame;
      for (let k = 0; k < f.count; k++) {
        ctx.fillStyle = k === f.poc ? f.pocColor : f.color;
        span(f.x0[k], f.x1[k], hr, this.sx);
        span(f.y0[k], f.y1[k], vr, this.sy);
        ctx.fillRect(this.sx.position, this.sy.position, this.sx.length, Math.max(1, this.sy.length - (this.sy.length > 3 ? 1 : 0)));
      }
    });
  }
}
