/**
 * The line under the price pane's caption: the hovered candle's OHLC, aggressive buy / sell
 * volume, and the one-line text of any detector event on it (markers carry no tooltip), or the
 * last candle when the pointer is away.
 */
import type { IChartApi, MouseEventParams, Time } from 'lightweight-charts';
import type { DetectorEvent } from '../../api.ts';
import type { Bars } from '../bars.ts';
import { compact, el, price } from '../dom.ts';
import { fromChartTime } from '../time.ts';

/** Event lines shown for one bar; the rest are counted. */
const MAX_TEXTS = 3;

export class HoverLegend {
  readonly root = el('div', { class: 'hover-legend', 'data-testid': 'legend' });
  /** The candle under the pointer, -1 when the pointer is away (then the last one shows). */
  private hovered = -1;

  constructor(
    chart: IChartApi,
    private readonly bars: () => Bars,
    private readonly events: () => readonly DetectorEvent[],
  ) {
    chart.subscribeCrosshairMove((p: MouseEventParams<Time>) => {
      this.hovered = p.time === undefined ? -1 : this.bars().indexAt(fromChartTime(p.time as number));
      this.refresh();
    });
  }

  /** Shows the hovered candle, or the last one (after a reload or a live update). */
  refresh(): void {
    const b = this.bars();
    let i = this.hovered < b.length ? this.hovered : -1;
    if (i < 0) i = b.length - 1;
    if (i < 0) {
      this.root.textContent = '';
      return;
    }
    const open = b.t[i];
    const texts = this.events()
      .filter((e) => e.t >= open && e.t < open + b.tfMs)
      .map((e) => e.text);
    const d = b.buy[i] - b.sell[i];
    this.root.replaceChildren(
      el('span', {}, `O ${price(b.o[i])}  H ${price(b.h[i])}  L ${price(b.l[i])}  C ${price(b.c[i])}  `),
      el('span', { class: d >= 0 ? 'pos' : 'neg' }, `Δ ${d >= 0 ? '+' : ''}${compact(d)}`),
      el('span', { class: 'dim' }, `  buy ${compact(b.buy[i])} / sell ${compact(b.sell[i])}`),
      ...texts.slice(0, MAX_TEXTS).map((t) => el('div', { class: 'event' }, t)),
      ...(texts.length > MAX_TEXTS ? [el('div', { class: 'event dim' }, `+${texts.length - MAX_TEXTS} more events on this bar`)] : []),
    );
  }
}
