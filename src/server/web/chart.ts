/**
 * One lightweight-charts chart holding every time-based pane, so they share one time axis by
 * construction (scrolling or zooming one moves all). Pane order is fixed here; each pane module
 * adds its series to its own index.
 */
import { ColorType, CrosshairMode, createChart, createTextWatermark, type IChartApi, type ITextWatermarkPluginApi, type Time } from 'lightweight-charts';
import { THEME } from './theme.ts';

export const PANE = { main: 0, cvd: 1, sizes: 2, marketState: 3, book: 4, agreement: 5 } as const;
export type PaneName = keyof typeof PANE;

/** Relative heights: the price chart dominates, the strip is a thin band. */
const STRETCH: Record<PaneName, number> = { main: 48, cvd: 14, sizes: 9, marketState: 9, book: 14, agreement: 4 };

export interface Charts {
  readonly chart: IChartApi;
  /** A pane's caption (top left), e.g. "CVD 15m · binance okx bybit". */
  label(pane: PaneName, text: string): void;
}

export function createCharts(container: HTMLElement): Charts {
  const chart = createChart(container, {
    autoSize: true,
    layout: {
      background: { type: ColorType.Solid, color: THEME.background },
      textColor: THEME.text,
      fontSize: 11,
      attributionLogo: false,
      panes: { separatorColor: THEME.border, separatorHoverColor: '#3a4454', enableResize: true },
    },
    grid: { vertLines: { color: THEME.grid }, horzLines: { color: THEME.grid } },
    crosshair: { mode: CrosshairMode.Normal },
    rightPriceScale: { borderColor: THEME.border, minimumWidth: 72 },
    leftPriceScale: { borderColor: THEME.border, visible: false },
    // A bar opening live lands on the runway's whitespace (panes/live-series.ts): following the
    // live edge must shift the view then too, as it does for a bar the chart did not hold.
    timeScale: { borderColor: THEME.border, timeVisible: true, secondsVisible: false, rightOffset: 3, allowShiftVisibleRangeOnWhitespaceReplacement: true },
    localization: { timeFormatter: (t: Time) => new Date((t as number) * 1000).toISOString().slice(5, 16).replace('T', ' ') },
  });
  const names = Object.keys(PANE) as PaneName[];
  while (chart.panes().length < names.length) chart.addPane(true);
  const marks = new Map<PaneName, ITextWatermarkPluginApi<Time>>();
  const panes = chart.panes();
  for (const name of names) {
    const pane = panes[PANE[name]];
    pane.setPreserveEmptyPane(true);
    pane.setStretchFactor(STRETCH[name]);
    marks.set(name, createTextWatermark(pane, { horzAlign: 'left', vertAlign: 'top', lines: [] }));
  }
  // The tests (and a curious user's devtools) find a pane's canvases by its name. A pane's
  // element exists only once the chart has laid out (autoSize waits for a resize observation), so
  // tagging retries each frame until every pane has one.
  const tag = () => {
    let done = true;
    chart.panes().forEach((pane, i) => {
      const e = pane.getHTMLElement();
      if (e) e.setAttribute('data-pane', names[i] ?? `pane${i}`);
      else done = false;
    });
    if (!done) requestAnimationFrame(tag);
  };
  tag();
  return {
    chart,
    label(pane, text) {
      marks.get(pane)!.applyOptions({ lines: [{ text, color: THEME.textDim, fontSize: 11 }] });
    },
  };
}
