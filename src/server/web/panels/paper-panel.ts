/**
 * The paper session: position with its liquidation price, P&L, equity and how accurate the
 * journal's predictions have been (hit rate with its 95% interval), from `/api/paper` then live
 * `paper` messages.
 */
import type { PaperResponse, PaperState } from '../../api.ts';
import { compact, el, price } from '../dom.ts';
import { drawSparkline } from './sparkline.ts';

export class PaperPanel {
  readonly root: HTMLElement;
  private readonly body: HTMLElement;
  private readonly equity = el('canvas', { class: 'equity', 'data-testid': 'equity', title: 'equity over the session' });

  constructor() {
    this.body = el('div', { class: 'kv', 'data-testid': 'paper' }, el('span', { class: 'none' }, 'loading'));
    this.root = el('section', { class: 'panel paper' }, el('h2', {}, 'Paper'), this.body, this.equity);
  }

  setResponse(r: PaperResponse): void {
    if (r.current) this.setState(r.current);
    else this.body.replaceChildren(el('span', { class: 'none' }, r.sessions.length ? `${r.sessions.length} session(s), none with state yet` : 'no paper session (orderflow paper)'));
  }

  setState(s: PaperState): void {
    const p = s.position;
    const pnl = s.realizedPnl + s.unrealizedPnl;
    const a = s.accuracy;
    const rows: [string, string, string?][] = [
      ['session', s.session],
      ['position', p.side === 'flat' ? 'flat' : `${p.side} ${compact(p.qty)} @ ${price(p.entry)} · ${p.leverage}x`, p.side],
      ['liq. price', p.liquidationPrice === null ? '—' : price(p.liquidationPrice), 'liq'],
      ['P&L', `${pnl >= 0 ? '+' : ''}${pnl.toFixed(2)} (unreal. ${s.unrealizedPnl.toFixed(2)})`, pnl >= 0 ? 'pos' : 'neg'],
      ['equity', s.equity.toFixed(2)],
      ['fees / funding', `${s.fees.toFixed(2)} / ${s.funding.toFixed(2)}`],
      ['accuracy', a.resolved ? `${(a.rate * 100).toFixed(0)}% of ${a.resolved} (95% ${(a.low * 100).toFixed(0)}–${(a.high * 100).toFixed(0)}%) · ${a.open} open` : `no resolved prediction · ${a.open} open`],
    ];
    this.body.replaceChildren(...rows.flatMap(([k, v, cls]) => [el('span', { class: 'k' }, k), el('span', { class: `v ${cls ?? ''}` }, v)]));
    const curve = s.equityCurve.equity;
    drawSparkline(this.equity, curve, curve.length && curve[curve.length - 1] < curve[0] ? '#ef5350' : '#26a69a');
  }
}
