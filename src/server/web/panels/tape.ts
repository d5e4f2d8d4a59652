/**
 * The live tape, newest on top: large prints highlighted (the server's per-symbol threshold),
 * liquidations flagged by the side liquidated (LONG LIQ / SHORT LIQ). Capped at `MAX_ROWS` so a
 * busy market cannot grow the page; each frame inserts at most `MAX_ROWS` rows in one fragment.
 */
import type { TapeRow } from '../../api.ts';
import { compact, el, price } from '../dom.ts';
import { clockUtc } from '../time.ts';

export const MAX_ROWS = 150;

export class TapePanel {
  readonly root: HTMLElement;
  private readonly body: HTMLElement;
  /** Notional at or above which a live trade counts as large (learned from the history's rows). */
  largeNotional = Infinity;
  /** Live trades below this are folded into the chart but not listed (aggr.trade's filter). */
  minNotional = 0;

  constructor() {
    this.body = el('div', { class: 'tape-rows', 'data-testid': 'tape' });
    this.root = el('section', { class: 'panel tape' }, el('h2', {}, 'Tape'), this.body);
  }

  setRows(rows: readonly TapeRow[]): void {
    this.body.replaceChildren();
    let minLarge = Infinity;
    for (const r of rows) if (r.kind === 'trade' && r.large && r.notional < minLarge) minLarge = r.notional;
    if (Number.isFinite(minLarge)) this.largeNotional = minLarge;
    this.prepend(rows);
  }

  /** Adds rows (oldest first, as they arrive) on top. */
  prepend(rows: readonly TapeRow[]): void {
    const start = Math.max(0, rows.length - MAX_ROWS);
    const frag = document.createDocumentFragment();
    for (let i = rows.length - 1; i >= start; i--) frag.append(this.row(rows[i]));
    this.body.prepend(frag);
    while (this.body.childElementCount > MAX_ROWS) this.body.lastElementChild!.remove();
  }

  private row(r: TapeRow): HTMLElement {
    const liq = r.kind === 'liquidation';
    const cls = liq ? `row liq liq-${r.side}` : `row ${r.side}${r.large ? ' large' : ''}`;
    const label = liq ? `${r.side.toUpperCase()} LIQ` : r.side === 'buy' ? 'BUY' : 'SELL';
    return el('div', { class: cls }, el('span', { class: 't' }, clockUtc(r.t)), el('span', { class: 'v' }, r.venue), el('span', { class: 's' }, label), el('span', { class: 'p' }, price(r.price)), el('span', { class: 'n' }, compact(r.notional)));
  }
}
