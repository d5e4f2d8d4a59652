/**
 * The paper session's one-line status (stderr, on a terminal): the feeds' health, the position
 * and its liquidation price, equity, open predictions and today's accuracy; first, a mismatch of the
 * push path's shadow check (the session stops on it).
 */
import type { PaperStatus } from './paper-run.ts';

const n2 = (x: number) => (Number.isFinite(x) ? x.toFixed(2) : '-');
const hhmm = (ms: number) => (Number.isFinite(ms) ? new Date(ms).toISOString().slice(11, 19) : '--:--:--');

export function statusLine(s: PaperStatus): string {
  const byVenue = new Map<string, string[]>();
  for (const st of s.streams.values()) {
    const list = byVenue.get(st.venue) ?? [];
    list.push(st.state);
    byVenue.set(st.venue, list);
  }
  const feeds = [...byVenue].map(([v, states]) => {
    const ok = states.filter((x) => x === 'connected').length;
    return ok === states.length ? `${v} ok` : `${v} ${ok}/${states.length} (${[...new Set(states.filter((x) => x !== 'connected'))].join(',')})`;
  });
  const p = s.progress;
  const alerts = s.alerts ? ` | ${s.alerts}` : '';
  if (!s.started || !p) return `paper ${s.session}: ${feeds.join(' ') || 'connecting'} | waiting for the first events${alerts}`;
  const pos = p.position
    ? `${p.position.side} ${p.position.qty} @ ${n2(p.position.entry)} liq ${n2(p.position.liquidationPrice)} stop ${n2(p.position.stop)}`
    : p.busy
      ? 'order on its way'
      : 'flat';
  const acc = s.today.n > 0 ? `${Math.round((100 * s.today.hits) / s.today.n)}% of ${s.today.n}` : '-';
  const late = s.lateEvents > 0 ? ` | late ${s.lateEvents}` : '';
  // First: the session stops on it, and the line may be cut at the terminal's width.
  const shadow = s.shadow.mismatch ? ` | SHADOW MISMATCH: ${s.shadow.mismatch}` : '';
  return `paper ${s.session} ${hhmm(s.kernelTs)}${shadow} | ${feeds.join(' ')} | ${pos} | equity ${n2(p.equityNow)} | predictions open ${p.openPredictions} | today ${acc}${late}${alerts}`;
}
