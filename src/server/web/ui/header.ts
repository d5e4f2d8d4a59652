/**
 * The top bar: symbol search (a text box with the store's markets as suggestions), venue
 * checkboxes, timeframe buttons and the layer toggles. It only reports choices; the app owns the
 * view and the URL.
 */
import { DASHBOARD_TIMEFRAMES, type DashboardTimeframe, type MarketInfo } from '../../api.ts';
import { el } from '../dom.ts';
import { venueColor } from '../theme.ts';

export interface Layers {
  footprint: boolean;
  heatmap: boolean;
  predicted: boolean;
  follow: boolean;
}

export const LAYER_LABELS: Record<keyof Layers, string> = {
  footprint: 'Footprint',
  heatmap: 'Liq. heatmap',
  predicted: 'Predicted liq.',
  follow: 'Follow live',
};

export interface HeaderEvents {
  symbol(s: string): void;
  venues(v: string[]): void;
  tf(tf: DashboardTimeframe): void;
  layer(name: keyof Layers, on: boolean): void;
  help(): void;
}

/** The pickers list venues in one fixed order, whatever order the store reports them in. */
const VENUE_ORDER = ['binance', 'okx', 'bybit', 'binance-spot'];
function venueRank(v: string): number {
  const i = VENUE_ORDER.indexOf(v);
  return i < 0 ? VENUE_ORDER.length : i;
}

export class Header {
  readonly root: HTMLElement;
  readonly symbolInput: HTMLInputElement;
  private readonly symbolList: HTMLDataListElement;
  private readonly venueBox: HTMLElement;
  private readonly tfButtons = new Map<DashboardTimeframe, HTMLButtonElement>();
  private readonly layerButtons = new Map<keyof Layers, HTMLButtonElement>();
  /** The view's symbol as last shown: the text box goes back to it when the user leaves it without choosing. */
  private shownSymbol = '';

  constructor(private readonly on: HeaderEvents) {
    this.symbolList = el('datalist', { id: 'symbols' });
    this.symbolInput = el('input', { class: 'symbol', list: 'symbols', placeholder: 'symbol  /', spellcheck: 'false', 'aria-label': 'symbol', 'data-testid': 'symbol' });
    this.symbolInput.addEventListener('change', () => {
      const s = this.symbolInput.value.trim().toUpperCase();
      if (s) on.symbol(s);
      this.symbolInput.blur();
    });
    this.symbolInput.addEventListener('blur', () => (this.symbolInput.value = this.shownSymbol));
    this.venueBox = el('span', { class: 'venues', 'data-testid': 'venues' });
    const tfs = el('span', { class: 'tfs' });
    DASHBOARD_TIMEFRAMES.forEach((tf, i) => {
      const b = el('button', { title: `${tf} (${i + 1})`, 'data-tf': tf }, tf);
      b.onclick = () => on.tf(tf);
      this.tfButtons.set(tf, b);
      tfs.append(b);
    });
    const layers = el('span', { class: 'layers' });
    for (const name of Object.keys(LAYER_LABELS) as (keyof Layers)[]) {
      const b = el('button', { class: 'toggle', 'data-layer': name }, LAYER_LABELS[name]);
      b.onclick = () => on.layer(name, !b.classList.contains('on'));
      this.layerButtons.set(name, b);
      layers.append(b);
    }
    const help = el('button', { class: 'help-btn', title: 'keyboard shortcuts (?)' }, '?');
    help.onclick = () => on.help();
    this.root = el('header', {}, el('span', { class: 'brand' }, 'orderflow'), this.symbolInput, this.symbolList, this.venueBox, tfs, layers, help);
  }

  setMarkets(markets: readonly MarketInfo[]): void {
    this.symbolList.replaceChildren(...markets.map((m) => el('option', { value: m.symbol }, m.venues.map((v) => v.venue).join(' '))));
  }

  /** Shows the view: the symbol, the venue boxes (`available`, ticked where `chosen`), the timeframe. */
  show(symbol: string, venues: readonly string[], chosen: readonly string[], tf: DashboardTimeframe): void {
    this.shownSymbol = symbol;
    // A load that ends while the user types a symbol must not overwrite what they typed (their
    // Enter would then ask for the old symbol again); the box shows the view once they leave it.
    if (document.activeElement !== this.symbolInput) this.symbolInput.value = symbol;
    const available = [...venues].sort((a, b) => venueRank(a) - venueRank(b));
    const set = new Set(chosen.length ? chosen : available);
    this.venueBox.replaceChildren(
      ...available.map((v) => {
        const box = el('input', { type: 'checkbox', value: v });
        box.checked = set.has(v);
        box.onchange = () => {
          const picked = [...this.venueBox.querySelectorAll<HTMLInputElement>('input:checked')].map((b) => b.value);
          if (picked.length) this.on.venues(picked.length === available.length ? [] : picked);
          else box.checked = true; // at least one venue: an empty view helps nobody
        };
        return el('label', { style: `--venue:${venueColor(v)}` }, box, v);
      }),
    );
    for (const [k, b] of this.tfButtons) b.classList.toggle('on', k === tf);
  }

  showLayers(l: Layers): void {
    for (const [k, b] of this.layerButtons) b.classList.toggle('on', l[k]);
  }
}
