/**
 * The paper sessions of a store, for `orderflow journal list`: span, status, trades, P&L and the
 * open position, from the journal alone (no kernel).
 */
import { hostname } from 'node:os';
import { processAlive } from '../core/process-alive.ts';
import type { Store } from '../store/store.ts';
import { hasPaperJournal } from './session-backtest.ts';

export interface SessionSummary {
  readonly name: string;
  readonly symbol: string;
  readonly venues: string;
  /** Exchange time the session became active, and the kernel's time at its last commit. */
  readonly fromMs: number;
  readonly toMs: number;
  /** running: its process is alive; stopped: stopped cleanly; crashed: marked running but its process is gone. */
  readonly status: 'running' | 'stopped' | 'crashed';
  readonly pid: number;
  readonly restarts: number;
  readonly downtimes: number;
  readonly signals: number;
  readonly trades: number;
  /** Realized P&L of the closed trades (fees and funding paid included), quote. */
  readonly realizedPnl: number;
  /** Equity at the last commit minus the initial equity: realized and unrealized. */
  readonly pnl: number;
  readonly equity: number;
  readonly position: { readonly side: string; readonly qty: number; readonly entry: number; readonly liquidationPrice: number | null } | null;
}

export async function listSessions(store: Store): Promise<SessionSummary[]> {
  if (!(await hasPaperJournal(store))) return [];
  const rows = await store.rows<{
    name: string; symbol: string; venues: string; start_ts: number; kernel_ts: number; status: string; pid: number; host: string; restarts: number;
    equity: number; position: string | null; config: string; signals: bigint; trades: bigint; realized: number | null; downtimes: bigint;
  }>(`SELECT s.name, s.symbol, s.venues, s.start_ts, s.kernel_ts, s.status, s.pid, s.host, s.restarts, s.equity, s.position, s.config,
        (SELECT count(*) FROM paper_signals g WHERE g.session = s.name) AS signals,
        (SELECT count(*) FROM paper_positions p WHERE p.session = s.name AND p.exit_ts IS NOT NULL) AS trades,
        (SELECT sum(pnl) FROM paper_positions p WHERE p.session = s.name AND p.exit_ts IS NOT NULL) AS realized,
        (SELECT count(*) FROM paper_gaps d WHERE d.session = s.name AND d.kind = 'downtime') AS downtimes
      FROM paper_sessions s ORDER BY s.started_wall, s.name`);
  return rows.map((r) => {
    const initial = Number((JSON.parse(r.config) as { risk: { initialEquity: number } }).risk.initialEquity);
    const status = r.status === 'stopped' ? 'stopped' : r.host === hostname() && processAlive(r.pid) ? 'running' : 'crashed';
    return {
      name: r.name,
      symbol: r.symbol,
      venues: r.venues,
      fromMs: r.start_ts,
      toMs: r.kernel_ts,
      status,
      pid: r.pid,
      restarts: r.restarts,
      downtimes: Number(r.downtimes),
      signals: Number(r.signals),
      trades: Number(r.trades),
      realizedPnl: r.realized ?? 0,
      pnl: r.equity - initial,
      equity: r.equity,
      position: r.position ? (JSON.parse(r.position) as SessionSummary['position']) : null,
    };
  });
}
