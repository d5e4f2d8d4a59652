/**
 * Paper sessions as the dashboard shows them, from the journal tables (src/paper/journal-schema.ts):
 * the session list and one session's position, P&L, equity curve and prediction accuracy (hit
 * rate with its Wilson 95% interval, as `orderflow journal` reports it).
 */
import { wilsonInterval } from '../../engine/stats.ts';
import type { Store } from '../../store/store.ts';
import type { PaperResponse, PaperState } from '../api.ts';

/** Equity points sent at most (the journal keeps one a minute with a position). */
const MAX_EQUITY_POINTS = 5000;

export async function hasJournal(store: Store): Promise<boolean> {
  const rows = await store.rows<{ n: bigint }>("SELECT count(*) AS n FROM information_schema.tables WHERE table_name = 'paper_sessions'");
  return Number(rows[0].n) > 0;
}

export async function paperSessions(store: Store): Promise<PaperResponse['sessions']> {
  if (!(await hasJournal(store))) return [];
  const rows = await store.rows<{ name: string; started: number; last: number; symbol: string }>(
    'SELECT name, start_ts AS started, kernel_ts AS last, symbol FROM paper_sessions ORDER BY epoch_ms(started_wall) DESC, name',
  );
  return rows.map((r) => ({ name: r.name, startedMs: r.started, lastMs: r.last, symbol: r.symbol }));
}

/** The newest session's progress mark (kernel time and equity), to notice it advancing; undefined without one. */
export async function paperMark(store: Store, session?: string): Promise<{ session: string; mark: string } | undefined> {
  if (!(await hasJournal(store))) return undefined;
  const rows = await store.rows<{ name: string; k: number; e: number; h: number }>(
    `SELECT name, kernel_ts AS k, equity AS e, epoch_ms(heartbeat_wall)::DOUBLE AS h FROM paper_sessions ${session === undefined ? '' : 'WHERE name = $1'} ORDER BY epoch_ms(started_wall) DESC LIMIT 1`,
    session === undefined ? [] : [session],
  );
  return rows[0] && { session: rows[0].name, mark: `${rows[0].k}|${rows[0].e}|${rows[0].h}` };
}

interface StoredPosition {
  side: number | string;
  qty: number;
  entry: number;
  liquidationPrice?: number | null;
}

export async function paperState(store: Store, session: string): Promise<PaperState | undefined> {
  const [s] = await store.rows<{ equity: number; position: string | null; config: string }>('SELECT equity, position, config FROM paper_sessions WHERE name = $1', [session]);
  if (!s) return undefined;
  const config = JSON.parse(s.config) as { risk?: { initialEquity?: number; leverage?: number } };
  const [agg] = await store.rows<{ realized: number | null; fees: number | null; funding: number | null }>(
    `SELECT (SELECT sum(pnl) FROM paper_positions WHERE session = $1 AND exit_ts IS NOT NULL) AS realized,
            (SELECT sum(fee) FROM paper_fills WHERE session = $1) AS fees,
            (SELECT sum(payment) FROM paper_funding WHERE session = $1) AS funding`,
    [session],
  );
  const [open] = await store.rows<{ leverage: number | null }>('SELECT leverage FROM paper_positions WHERE session = $1 AND exit_ts IS NULL ORDER BY trade_id DESC LIMIT 1', [session]);
  const curve = await store.rows<{ ts: number; equity: number }>(
    `SELECT ts, equity FROM (SELECT ts, equity FROM paper_equity WHERE session = $1 ORDER BY ts DESC LIMIT ${MAX_EQUITY_POINTS}) ORDER BY ts`,
    [session],
  );
  const [acc] = await store.rows<{ resolved: bigint; hits: bigint; open: bigint }>(
    `SELECT count(*) FILTER (WHERE resolved AND hit IS NOT NULL) AS resolved, count(*) FILTER (WHERE resolved AND hit) AS hits, count(*) FILTER (WHERE NOT resolved) AS open
     FROM paper_predictions WHERE session = $1`,
    [session],
  );
  const pos = s.position === null ? undefined : (JSON.parse(s.position) as StoredPosition);
  const side = pos === undefined ? 'flat' : pos.side === 1 || pos.side === 'long' || pos.side === 'buy' ? 'long' : 'short';
  const realizedPnl = agg.realized ?? 0;
  const initial = config.risk?.initialEquity ?? 10_000;
  const resolved = Number(acc.resolved);
  const hits = Number(acc.hits);
  const w = wilsonInterval(hits, resolved);
  return {
    session,
    position: {
      side,
      qty: pos?.qty ?? 0,
      entry: pos?.entry ?? 0,
      liquidationPrice: pos?.liquidationPrice ?? null,
      leverage: open?.leverage ?? config.risk?.leverage ?? 1,
    },
    equity: s.equity,
    realizedPnl,
    // The equity at the last commit less what the closed trades made: what the open one is worth.
    unrealizedPnl: pos === undefined ? 0 : s.equity - initial - realizedPnl,
    fees: agg.fees ?? 0,
    funding: agg.funding ?? 0,
    equityCurve: { t: curve.map((r) => r.ts), equity: curve.map((r) => r.equity) },
    accuracy: { resolved, hits, rate: resolved === 0 ? 0 : hits / resolved, low: w.lower, high: w.upper, open: Number(acc.open) },
  };
}
