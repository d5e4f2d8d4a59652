/** Backtest runs under the home, newest first; each opens its report.html in a new tab. */
import type { RunsResponse } from '../../api.ts';
import { el } from '../dom.ts';

export class RunsPanel {
  readonly root: HTMLElement;
  private readonly list: HTMLElement;

  constructor() {
    this.list = el('ul', { class: 'runs', 'data-testid': 'runs' });
    this.root = el('section', { class: 'panel runs-panel' }, el('h2', {}, 'Backtest runs'), this.list);
  }

  setRuns(r: RunsResponse): void {
    const runs = [...r.runs].sort((a, b) => b.createdMs - a.createdMs);
    if (!runs.length) {
      this.list.replaceChildren(el('li', { class: 'dim' }, 'none yet (orderflow backtest)'));
      return;
    }
    this.list.replaceChildren(
      ...runs.map((run) =>
        el(
          'li',
          {},
          el('a', { href: run.reportUrl, target: '_blank', rel: 'noopener' }, `${new Date(run.createdMs).toISOString().slice(0, 16).replace('T', ' ')} ${run.symbol}`),
          el('div', { class: 'dim' }, run.headline),
        ),
      ),
    );
  }
}
