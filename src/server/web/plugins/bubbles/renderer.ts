/** Paints bubbles from media coordinates and radii; drawing only. */
import type { CanvasRenderingTarget2D } from 'fancy-canvas';
import type { IPrimitivePaneRenderer } from 'lightweight-charts';

export interface BubbleFrame {
  count: number;
  x: Float32Array;
  y: Float32Array;
  r: Float32Array;
  side: Int8Array;
  buyFill: string;
  sellFill: string;
  buyStroke: string;
  sellStroke: string;
}

export class BubblesRenderer implements IPrimitivePaneRenderer {
  constructor(private readonly frame: BubbleFrame) {}

  draw(target: CanvasRenderingTarget2D): void {
    target.useBitmapCoordinateSpace(({ context: ctx, horizontalPixelRatio: hr, verticalPixelRatio: vr }) => {
      const f = this.frame;
      ctx.lineWidth = Math.max(1, Math.round(hr));
      // Sells then buys, each side one colour state: two passes beat a fillStyle per circle.
      for (const s of [-1, 1]) {
        ctx.fillStyle = s > 0 ? f.buyFill : f.sellFill;
        ctx.strokeStyle = s > 0 ? f.buyStroke : f.sellStroke;
        for (let k = 0; k < f.count; k++) {
          if (f.side[k] !== s) continue;
          ctx.beginPath();
          ctx.arc(f.x[k] * hr, f.y[k] * vr, f.r[k] * hr, 0, Math.PI * 2);
          ctx.fill();
          ctx.stroke();
        }
      }
    });
  }
}
