/**
 * Keyboard shortcuts and the `?` overlay that lists them. The table is the single source: the
 * overlay is generated from it, so it cannot drift from what the keys do.
 */
import { el } from '../dom.ts';

export interface Shortcut {
  readonly keys: string;
  readonly what: string;
  /** Returns true when it handled the key. */
  readonly match: (e: KeyboardEvent) => boolean;
  readonly run: (e: KeyboardEvent) => void;
}

export function installShortcuts(table: readonly Shortcut[]): { overlay: HTMLElement; toggleHelp(): void } {
  const overlay = el(
    'div',
    { class: 'help', hidden: '', 'data-testid': 'help' },
    el('div', { class: 'help-box' }, el('h2', {}, 'Keyboard shortcuts'), el('table', {}, ...table.map((s) => el('tr', {}, el('td', { class: 'key' }, s.keys), el('td', {}, s.what)))), el('p', { class: 'dim' }, 'Esc closes this.')),
  );
  const toggleHelp = () => {
    overlay.hidden = !overlay.hidden;
  };
  overlay.onclick = () => (overlay.hidden = true);
  window.addEventListener('keydown', (e) => {
    const t = e.target as HTMLElement | null;
    // Typing in the symbol box is typing, not a shortcut.
    const typing = t && ((t.tagName === 'INPUT' && (t as HTMLInputElement).type !== 'checkbox') || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA');
    if (typing) {
      if (e.key === 'Escape') t.blur();
      return;
    }
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === 'Escape') {
      overlay.hidden = true;
      return;
    }
    for (const s of table)
      if (s.match(e)) {
        e.preventDefault();
        s.run(e);
        return;
      }
  });
  return { overlay, toggleHelp };
}
