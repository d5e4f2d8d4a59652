/**
 * What the page tells the user about itself: the websocket's state (top right) and every failed
 * request, by endpoint, in a banner that stays until the next successful load. Nothing is
 * swallowed: a pane with no data says why.
 */
import { el } from '../dom.ts';

export class StatusBar {
  readonly live: HTMLElement;
  readonly banner: HTMLElement;
  private readonly errors = new Map<string, string>();

  constructor() {
    this.live = el('span', { class: 'live-status connecting', 'data-testid': 'live-status', title: 'websocket' }, 'connecting');
    this.banner = el('div', { class: 'errors', role: 'alert', 'data-testid': 'errors', hidden: '' });
  }

  setLive(state: 'connecting' | 'open' | 'closed', detail: string): void {
    this.live.className = `live-status ${state}`;
    this.live.textContent = detail ? `${state === 'open' ? 'live' : state} · ${detail}` : state === 'open' ? 'live' : state;
  }

  /** Records a failure under `key` (one line per endpoint, the latest wins). */
  error(key: string, err: unknown): void {
    this.errors.set(key, err instanceof Error ? err.message : String(err));
    this.render();
  }

  clear(key?: string): void {
    if (key === undefined) this.errors.clear();
    else this.errors.delete(key);
    this.render();
  }

  private render(): void {
    this.banner.hidden = this.errors.size === 0;
    this.banner.replaceChildren(
      ...[...this.errors.values()].map((m) => el('div', {}, m)),
      el('button', { class: 'dismiss', title: 'dismiss' }, '×'),
    );
    (this.banner.lastElementChild as HTMLElement).onclick = () => this.clear();
  }
}
