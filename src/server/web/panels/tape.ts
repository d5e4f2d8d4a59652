/**
 * The live tape, newest on top: large prints highlighted (the server's per-symbol threshold),
 * liquidations flagged by the side liquidated (LONG LIQ / SHORT LIQ). Capped at `MAX_ROWS` so a
 * busy market cannot grow the page. A row is one element holding one padded text line (the
 * columns line up in a monospace font): at 2k trades/s the tape must cost little layout, so a
 * frame inserts at most `ROWS_PER_FRAME` rows (the newest, in one fragment); the others are
 * already on the chart and no one reads 2k lines a second.
 */
import type { TapeRow } from '../../api.ts';
import { compact, el, price } from '../dom.ts';
import { clockUtc } from '../time.ts';

export const MAX_ROWS = 150;
export const ROWS_PER_FRAME = 24;

/**
 * At most `max` of `rows` (in time order), keeping every liquidation and large print first and
 * filling with the newest others: a burst must not push the rows a trader looks for off the tape.
 */
export function keepNotable(rows: readonly TapeRow[], max: number): readonly TapeRow[] {
  if (rows.length <= max) return rows;
  const notable = (r: TapeRow) => r.kind === 'liquidation' || r.large;
  let room = max - rows.filter(notable).length;
  const keep = new Array<boolean>(rows.length).fill(false);
  for (let i = rows.length - 1; i >= 0; i--) {
    if (notable(rows[i])) keep[i] = true;
    else if (room > 0) {
      keep[i] = true;
      room--;
    }
  }
  const out = rows.filter((_, i) => keep[i]);
  return out.length > max ? out.slice(out.length - max) : out;
}

export class TapePanel {
  readonly root: HTMLElement;
  private readonly body: HTMLElement;
  /** Notional at or above which a live trade counts as large (learned from the history's rows). */
  largeNotional = Infinity;
  /** Whether `largeNotional` came from the server's own flags (then a fallback does not replace it). */
  private learned = false;
  /** Live trades below this are folded into the chart but not listed (aggr.trade's filter). */
  minNotional = 0;

  constructor() {
    this.body = el('div', { class: 'tape-rows', 'data-testid': 'tape' });
    this.root = el('section', { class: 'panel tape' }, el('h2', {}, 'Tape'), this.body);
  }

  setRows(rows: readonly TapeRow[]): void {
    this.body.replaceChildren();
    this.prepend(rows, MAX_ROWS);
    let minLarge = Infinity;
    for (const r of rows) if (r.kind === 'trade' && r.large && r.notional < minLarge) minLarge = r.notional;
    this.learned = Number.isFinite(minLarge);
    if (this.learned) this.largeNotional = minLarge;
  }

  /** The symbol's large-print threshold from /api/sizes, used when the history flagged no large print. */
  setLargeFallback(notional: number): void {
    if (!this.learned && notional > 0) this.largeNotional = notional;
  }

  /** Adds rows (oldest first, as they arrive) on top. */
  prepend(all: readonly TapeRow[], max = ROWS_PER_FRAME): void {
    const rows = keepNotable(all, max);
    const frag = document.createDocumentFragment();
    for (let i = rows.length - 1; i >= 0; i--) {
      // A full tape recycles its oldest rows rather than creating and discarding elements.
      const reuse = this.body.childElementCount + frag.childElementCount >= MAX_ROWS ? (this.body.lastElementChild as HTMLElement | null) : null;
      frag.append(this.fill(reuse ?? document.createElement('div'), rows[i]));
    }
    this.body.prepend(frag);
  }

  private fill(row: HTMLElement, r: TapeRow): HTMLElement {
    const liq = r.kind === 'liquidation';
    row.className = liq ? `row liq liq-${r.side}` : `row ${r.side}${r.large ? ' large' : ''}`;
    const label = liq ? `${r.side.toUpperCase()} LIQ` : r.side === 'buy' ? 'BUY' : 'SELL';
    row.textContent = `${clockUtc(r.t)} ${r.venue.slice(0, 7).padEnd(7)} ${label.padEnd(9)}${price(r.price).padStart(10)} ${compact(r.notional).padStart(6)}`;
    return row;
  }
}
