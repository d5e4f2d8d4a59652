/**
 * The paper journal's rows of one session for a report or an export, read from the store
 * (journal-schema.ts), optionally from a time on. A prediction's horizons come as one
 * PredictionRecord (the backtest journal's shape, so its hit-rate table applies as is).
 */
import type { ClosedTrade, EquityPoint } from '../../engine/metrics.ts';
import type { HorizonOutcome, PredictionRecord } from '../../engine/run-types.ts';
import type { Store } from '../../store/store.ts';
import { hasPaperJournal } from '../session-backtest.ts';

export interface SessionInfo {
  readonly name: string;
  readonly symbol: string;
  readonly pairs: [string, string][];
  readonly execVenue: string;
  readonly execSymbol: string;
  readonly startTs: number;
  readonly processedTs: number;
  readonly kernelTs: number;
  readonly initialEquity: number;
  readonly horizonsMs: number[];
  readonly seed: number;
  readonly config: Record<string, unknown>;
}

export interface SessionRows {
  readonly session: SessionInfo;
  /** The window reported: [fromMs, toMs) in exchange time. */
  readonly fromMs: number;
  readonly toMs: number;
  readonly signals: Record<string, unknown>[];
  readonly predictions: PredictionRecord[];
  readonly orders: Record<string, unknown>[];
  readonly fills: Record<string, unknown>[];
  /** Closed round trips, as the backtest's trades (no liquidation price, stored NULL, is Infinity there). */
  readonly trades: (ClosedTrade & { leverage: number | null; stop: number; target: number | null; liquidationPrice: number; signalId: number | null })[];
  readonly funding: { ts: number; rate: number; side: string; qty: number; payment: number }[];
  readonly equity: EquityPoint[];
  /** Equity at the window's start: the session's initial equity, or with --since the last sample before the window. */
  readonly initialEquity: number;
}

interface PositionRow {
  trade_id: number; side: 'long' | 'short'; qty: number; entry_ts: number; entry_price: number; stop: number; target: number | null; liquidation_price: number | null; leverage: number | null;
  signal_id: number | null; signal_type: string; market_session: string; exit_ts: number; exit_price: number; exit_reason: string; liquidated: boolean;
  gross_pnl: number; fees: number; funding: number; pnl: number; risk: number;
}

/** The sessions of the store, oldest first; `name` picks one (an unknown name is an error naming the ones there are). */
export async function reportSessions(store: Store, name?: string): Promise<SessionInfo[]> {
  if (!(await hasPaperJournal(store))) {
    if (name === undefined) return [];
    throw new RangeError(`no paper session ${JSON.stringify(name)}: this store has no paper journal (orderflow paper starts one)`);
  }
  const rows = await store.rows<{ name: string; symbol: string; pairs: string; exec_venue: string; exec_symbol: string; start_ts: number; processed_ts: number; kernel_ts: number; config: string; seed: number }>(
    'SELECT name, symbol, pairs, exec_venue, exec_symbol, start_ts, processed_ts, kernel_ts, config, seed FROM paper_sessions ORDER BY started_wall, name',
  );
  const pick = name === undefined ? rows : rows.filter((r) => r.name === name);
  if (name !== undefined && pick.length === 0) throw new RangeError(`no paper session ${JSON.stringify(name)} in this store${rows.length ? `; sessions: ${rows.map((r) => r.name).join(', ')}` : ''}`);
  return pick.map((r) => {
    const config = JSON.parse(r.config) as { risk?: { initialEquity?: number }; journal?: { horizons?: number[] } };
    return {
      name: r.name,
      symbol: r.symbol,
      pairs: JSON.parse(r.pairs) as [string, string][],
      execVenue: r.exec_venue,
      execSymbol: r.exec_symbol,
      startTs: r.start_ts,
      processedTs: r.processed_ts,
      kernelTs: r.kernel_ts,
      initialEquity: Number(config.risk?.initialEquity ?? NaN),
      horizonsMs: config.journal?.horizons ?? [],
      seed: r.seed,
      config: config as Record<string, unknown>,
    };
  });
}

/** Everything of session `s` stamped at or after `sinceMs` (a trade by its exit, a prediction by its own time). */
export async function sessionRows(store: Store, s: SessionInfo, sinceMs = -Infinity): Promise<SessionRows> {
  const from = Math.max(s.startTs, sinceMs);
  const q = <T>(sql: string) => store.rows<T>(sql, [s.name, Number.isFinite(from) ? from : -1e300]);
  const signals = await q<Record<string, unknown>>('SELECT * EXCLUDE (session) FROM paper_signals WHERE session = $1 AND ts >= $2 ORDER BY id');
  const pred = await q<{ id: number; horizon_ms: number; ts: number; type: string; direction: 'long' | 'short'; level: number; venue: string; market_session: string; ref_price: number; resolved: boolean; touched: boolean; rejected: boolean; broke_through: boolean; return_bps: number | null; mfe_bps: number; mae_bps: number; hit: boolean | null }>(
    'SELECT * FROM paper_predictions WHERE session = $1 AND ts >= $2 ORDER BY id, horizon_ms',
  );
  const predictions: PredictionRecord[] = [];
  for (const r of pred) {
    const o: HorizonOutcome = { horizonMs: r.horizon_ms, resolved: r.resolved, touched: r.touched, rejected: r.rejected, brokeThrough: r.broke_through, returnBps: r.return_bps, mfeBps: r.mfe_bps, maeBps: r.mae_bps, hit: r.hit };
    const last = predictions[predictions.length - 1];
    if (last?.id === r.id) (last.outcomes as HorizonOutcome[]).push(o);
    else predictions.push({ id: r.id, ts: r.ts, type: r.type, direction: r.direction, level: r.level, venue: r.venue, session: r.market_session, refPrice: r.ref_price, outcomes: [o] });
  }
  const orders = await q<Record<string, unknown>>('SELECT * EXCLUDE (session) FROM paper_orders WHERE session = $1 AND ts >= $2 ORDER BY id');
  const fills = await q<Record<string, unknown>>('SELECT * EXCLUDE (session) FROM paper_fills WHERE session = $1 AND ts >= $2 ORDER BY ts, key');
  const pos = await q<PositionRow>('SELECT * FROM paper_positions WHERE session = $1 AND exit_ts IS NOT NULL AND exit_ts >= $2 ORDER BY trade_id');
  const trades = pos.map((p) => ({
    id: p.trade_id, venue: s.execVenue, symbol: s.execSymbol, side: p.side, entryTs: p.entry_ts, exitTs: p.exit_ts, entryPrice: p.entry_price, exitPrice: p.exit_price, qty: p.qty,
    grossPnl: p.gross_pnl, fees: p.fees, funding: p.funding, pnl: p.pnl, risk: p.risk, session: p.market_session, signal: p.signal_type, exitReason: p.exit_reason, liquidated: Boolean(p.liquidated),
    leverage: p.leverage ?? null, stop: p.stop, target: p.target ?? null, liquidationPrice: p.liquidation_price ?? Infinity, signalId: p.signal_id ?? null,
  }));
  const funding = await q<SessionRows['funding'][number]>('SELECT ts, rate, side, qty, payment FROM paper_funding WHERE session = $1 AND ts >= $2 ORDER BY ts');
  const equity = await q<EquityPoint>('SELECT ts, equity FROM paper_equity WHERE session = $1 AND ts >= $2 ORDER BY ts');
  const [before] = from > s.startTs ? await q<EquityPoint>('SELECT ts, equity FROM paper_equity WHERE session = $1 AND ts < $2 ORDER BY ts DESC LIMIT 1') : [];
  return { session: s, initialEquity: before?.equity ?? s.initialEquity, fromMs: from, toMs: Math.max(s.kernelTs, from), signals, predictions, orders, fills, trades, funding, equity };
}
