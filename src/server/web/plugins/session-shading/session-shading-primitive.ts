/**
 * Trading sessions as background bands (series primitive at the bottom of the stack, as
 * lightweight-charts' session-highlighting example): Asia, Europe and US each in its colour;
 * overlaps add up.
 *
 *   const sessions = new SessionShadingPrimitive(grid);  series.attachPrimitive(sessions);
 *   sessions.setSessions(toSessionSpans(sessionsResponse));
 */
import type { IPrimitivePaneView, PrimitivePaneViewZOrder } from 'lightweight-charts';
import { OptionsPrimitive } from '../helpers/primitive-base.ts';
import type { TimeGrid } from '../helpers/time-grid.ts';
import type { SessionSpan } from './data.ts';
import { defaultOptions, type SessionShadingOptions } from './options.ts';
import { SessionShadingRenderer, type SessionBand } from './renderer.ts';

class SessionPaneView implements IPrimitivePaneView {
  private bands: SessionBand[] = [];
  private readonly _renderer = new SessionShadingRenderer(
    () => this.bands,
    () => this.source.options.labelColor,
  );
  constructor(private readonly source: SessionShadingPrimitive) {}

  zOrder(): PrimitivePaneViewZOrder {
    return 'bottom';
  }

  renderer(): SessionShadingRenderer {
    return this._renderer;
  }

  update(): void {
    const s = this.source;
    this.bands = [];
    const chart = s.chart;
    const series = s.series;
    if (!chart || !series) return;
    const width = chart.paneSize(series.getPane().paneIndex()).width;
    const o = s.options;
    for (const span of s.sessions) {
      const x0 = s.grid.x(chart, span.fromMs);
      const x1 = s.grid.x(chart, span.toMs);
      if (!Number.isFinite(x0) || !Number.isFinite(x1) || x1 < 0 || x0 > width || x1 - x0 < 1) continue;
      this.bands.push({ x0: Math.max(0, x0), x1: Math.min(width, x1), fill: o.colors[span.name] ?? o.otherColor, label: o.showLabels && x1 - x0 > 40 ? span.name : '' });
    }
  }
}

export class SessionShadingPrimitive extends OptionsPrimitive<SessionShadingOptions> {
  sessions: readonly SessionSpan[] = [];
  protected readonly views = [new SessionPaneView(this)];

  constructor(
    readonly grid: TimeGrid,
    options: Partial<SessionShadingOptions> = {},
  ) {
    super(defaultOptions, options);
  }

  setSessions(sessions: readonly SessionSpan[]): void {
    this.sessions = sessions;
    this.requestUpdate();
  }
}
