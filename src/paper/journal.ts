/**
 * The paper journal writer: what the kernel produced since the last commit goes into the store's
 * paper_* tables (journal-schema.ts) in one small transaction on a connection of its own, so a
 * reader sees a commit whole or not at all and the recorder's flushes never wait on it.
 *
 * Idempotent by construction: rows are keyed by the kernel's ids, inserted with INSERT OR IGNORE
 * (rows that only grow: signals, orders, fills, funding, equity) or INSERT OR REPLACE (rows that
 * change: a prediction until its horizons pass, a position until it closes, the session row). A
 * session resumed by replaying its events through a fresh kernel rewrites nothing it had written.
 */
import { hostname } from 'node:os';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import type { EngineProgress } from '../engine/engine.ts';
import type { PredictionRecord, RunSignal } from '../engine/run-types.ts';
import type { Store } from '../store/store.ts';
import type { AlreadyAlerted } from './alerts/engine-alerts.ts';
import { PAPER_SCHEMA } from './journal-schema.ts';
import type { StrategyRecord } from './session-strategy.ts';

/** What the strategy saw with a signal (the features the journal keeps as its evidence). */
export interface SignalContext {
  readonly zone: { readonly low: number; readonly high: number; readonly side: string; readonly source: string } | null;
  readonly cvd15m: number | null;
  readonly cvd1h: number | null;
  readonly cvd1d: number | null;
  readonly venuesScore: number | null;
  readonly venuesDisagree: boolean | null;
}

export interface FundingPayment {
  readonly ts: number;
  readonly rate: number;
  readonly side: 'long' | 'short';
  readonly qty: number;
  readonly payment: number;
}

/** A downtime of this session: kernel time before it, and the span in exchange time it covers once known. */
export interface GapSpan {
  readonly fromTs: number;
  readonly toTs: number;
}

export interface SessionRow {
  readonly name: string;
  readonly symbol: string;
  readonly venues: string;
  readonly pairs: string;
  readonly exec_venue: string;
  readonly exec_symbol: string;
  readonly instrument: string;
  readonly config: string;
  readonly seed: number;
  readonly start_ts: number;
  readonly warmup_ms: number;
  readonly processed_ts: number;
  readonly kernel_ts: number;
  readonly status: string;
  readonly pid: number;
  readonly host: string;
  readonly heartbeat_ms: number;
  readonly restarts: number;
  readonly late_events: bigint | number;
}

/** The session-wide state written with every commit. */
export interface CommitState {
  readonly processedTs: number;
  readonly kernelTs: number;
  readonly lateEvents: number;
}

/** Rows a multi-row INSERT takes at most (its parameters: rows x columns, 22 at most here). */
const INSERT_ROWS = 256;

export class PaperJournal {
  private signals = 0;
  private orders = 0;
  private trades = 0;
  private equity = 0;
  private funding = 0;
  /** Per prediction id: how many horizons were resolved when last written. */
  private readonly predictionsWritten = new Map<number, number>();
  /** The open position last written (its entry ts), to write a change once. */
  private openWritten: number | undefined;
  /** Commit durations, ms (the journal's latency). */
  readonly commitMs: number[] = [];

  private constructor(
    private readonly conn: DuckDBConnection,
    readonly session: string,
    private gaps: GapSpan[],
  ) {}

  /** Creates the tables when missing; the journal writes on its own connection. */
  static async open(store: Store, session: string): Promise<PaperJournal> {
    const conn = await store.connect();
    await conn.run(PAPER_SCHEMA);
    const j = new PaperJournal(conn, session, []);
    j.gaps = (await j.rows<{ from_ts: number; to_ts: number | null }>('SELECT from_ts, to_ts FROM paper_gaps WHERE session = $1 ORDER BY from_ts', [session])).map((g) => ({ fromTs: g.from_ts, toTs: g.to_ts ?? Infinity }));
    return j;
  }

  async rows<T>(sql: string, values: DuckDBValue[] = []): Promise<T[]> {
    return (await this.conn.runAndReadAll(sql, values)).getRowObjectsJS() as T[];
  }

  async sessionRow(): Promise<SessionRow | undefined> {
    const [r] = await this.rows<SessionRow>('SELECT *, epoch_ms(heartbeat_wall)::DOUBLE AS heartbeat_ms FROM paper_sessions WHERE name = $1', [this.session]);
    return r;
  }

  /** What this session's journal holds of its signals and resolved horizons (alerted before a restart: src/paper/alerts/engine-alerts.ts). */
  async alerted(): Promise<AlreadyAlerted> {
    const [m] = await this.rows<{ id: number | null }>('SELECT max(id) AS id FROM paper_signals WHERE session = $1', [this.session]);
    const done = await this.rows<{ id: number; horizon_ms: number }>('SELECT id, horizon_ms FROM paper_predictions WHERE session = $1 AND resolved', [this.session]);
    return { maxSignalId: m?.id ?? -Infinity, outcomes: new Set(done.map((d) => `${d.id}:${d.horizon_ms}`)) };
  }

  /** A new session's row, and its strategy module's (none: the seed strategy), in one transaction. */
  async create(s: Omit<SessionRow, 'status' | 'pid' | 'host' | 'heartbeat_ms' | 'restarts' | 'late_events' | 'processed_ts' | 'kernel_ts'>, equity: number, strategy?: StrategyRecord): Promise<void> {
    await this.tx(async () => {
      await this.conn.run(
        `INSERT INTO paper_sessions VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $10, $10, 'running', $12, $13, now()::TIMESTAMP, now()::TIMESTAMP, NULL, 0, 0, $14, NULL)`,
        [s.name, s.symbol, s.venues, s.pairs, s.exec_venue, s.exec_symbol, s.instrument, s.config, s.seed, s.start_ts, s.warmup_ms, process.pid, hostname(), equity],
      );
      if (strategy) await this.conn.run('INSERT INTO paper_strategies VALUES ($1, $2, $3)', [s.name, strategy.file, strategy.sha256]);
    });
  }

  /** The strategy module the session started with (undefined: the seed strategy). */
  async strategy(): Promise<StrategyRecord | undefined> {
    const [r] = await this.rows<StrategyRecord>('SELECT file, sha256 FROM paper_strategies WHERE session = $1', [this.session]);
    return r;
  }

  /** A restart: the session runs again in this process; the downtime since its last commit is a gap row. */
  async restart(prev: SessionRow, detail: string): Promise<void> {
    await this.tx(async () => {
      await this.conn.run(`INSERT OR IGNORE INTO paper_gaps VALUES ($1, $2, NULL, make_timestamp($3::BIGINT), now()::TIMESTAMP, 'downtime', $4)`, [this.session, prev.kernel_ts, BigInt(Math.round(prev.heartbeat_ms * 1000)), detail]);
      await this.conn.run(`UPDATE paper_sessions SET status = 'running', pid = $2, host = $3, restarts = restarts + 1, stopped_wall = NULL WHERE name = $1`, [this.session, process.pid, hostname()]);
    });
    this.gaps.push({ fromTs: prev.kernel_ts, toTs: Infinity });
  }

  /** The open downtime gap closes at `toTs`, the first stored event after the restart, with what was settled in it. */
  async closeGap(toTs: number, detail: string): Promise<void> {
    const open = this.gaps.findIndex((g) => g.toTs === Infinity);
    if (open < 0) return;
    this.gaps[open] = { ...this.gaps[open], toTs };
    await this.conn.run(`UPDATE paper_gaps SET to_ts = $3, detail = $4 WHERE session = $1 AND from_ts = $2 AND to_ts IS NULL`, [this.session, this.gaps[open].fromTs, toTs, detail]);
  }

  /** Whether exchange time `ts` lies in a downtime of this session. */
  inGap(ts: number): boolean {
    return this.gaps.some((g) => ts > g.fromTs && ts <= g.toTs);
  }

  /**
   * Everything new in `p` (and the funding payments, the signals' context) in one transaction:
   * one multi-row INSERT per table (values bound, never spliced into the SQL), so a commit costs
   * a handful of statements however many rows a step made.
   */
  async commit(p: EngineProgress, predictions: readonly PredictionRecord[] | undefined, context: ReadonlyMap<number, SignalContext>, funding: readonly FundingPayment[], st: CommitState): Promise<void> {
    const t0 = performance.now();
    const signals: DuckDBValue[][] = [];
    const orders: DuckDBValue[][] = [];
    const fills: DuckDBValue[][] = [];
    const closed: DuckDBValue[][] = [];
    const equity: DuckDBValue[][] = [];
    const payments: DuckDBValue[][] = [];
    const outcomes: DuckDBValue[][] = [];
    for (let i = this.signals; i < p.signals.length; i++) signals.push(this.signalRow(p.signals[i], context.get(p.signals[i].id)));
    for (let i = this.orders; i < p.orders.length; i++) {
      const o = p.orders[i];
      orders.push([this.session, o.id, o.ts, o.arrivalTs, o.venue, o.symbol, o.side, o.type, o.qty, o.price, o.reason, o.status, o.fillTs, o.fillPrice, o.fee, o.slippageBps, o.rejectReason]);
      if (o.status === 'filled' && o.fillTs !== null && o.fillPrice !== null) fills.push([this.session, `order:${o.id}`, o.id, null, o.fillTs, o.side, o.qty, o.fillPrice, o.fee, o.reason, this.inGap(o.fillTs)]);
    }
    for (let i = this.trades; i < p.trades.length; i++) {
      const t = p.trades[i];
      closed.push([this.session, t.id, t.side, t.qty, t.entryTs, t.entryPrice, t.stop, t.target, finite(t.liquidationPrice), t.leverage, t.signalId, t.signal, t.session, t.exitTs, t.exitPrice, t.exitReason, t.liquidated, t.grossPnl, t.fees, t.funding, t.pnl, t.risk]);
      if (t.liquidated) fills.push([this.session, `liquidation:${t.id}`, null, t.id, t.exitTs, t.side === 'long' ? 'sell' : 'buy', t.qty, t.exitPrice, 0, 'liquidation', this.inGap(t.exitTs)]);
    }
    for (let i = this.equity; i < p.equity.length; i++) equity.push([this.session, p.equity[i].ts, p.equity[i].equity]);
    for (let i = this.funding; i < funding.length; i++) {
      const f = funding[i];
      payments.push([this.session, f.ts, f.rate, f.side, f.qty, f.payment]);
    }
    const written: [number, number][] = [];
    for (const x of predictions ?? []) {
      const resolved = x.outcomes.filter((o) => o.resolved).length;
      if (this.predictionsWritten.get(x.id) === resolved) continue;
      written.push([x.id, resolved]);
      for (const o of x.outcomes) {
        outcomes.push([
          this.session, x.id, o.horizonMs, x.ts, x.type, x.direction, x.level, x.venue, x.session, x.refPrice,
          o.resolved, o.touched, o.rejected, o.brokeThrough, o.returnBps, o.mfeBps, o.maeBps, o.hit,
        ]);
      }
    }
    const pos = p.position;
    const opened = pos && pos.openTs !== this.openWritten ? pos : undefined;
    await this.tx(async () => {
      await this.insert('INSERT OR IGNORE INTO paper_signals', signals);
      await this.insert('INSERT OR IGNORE INTO paper_orders', orders);
      // A closed position replaces its open row (written when it opened).
      await this.insert('INSERT OR REPLACE INTO paper_positions', closed);
      await this.insert('INSERT OR IGNORE INTO paper_fills', fills);
      await this.insert('INSERT OR IGNORE INTO paper_equity', equity);
      await this.insert('INSERT OR IGNORE INTO paper_funding', payments);
      if (opened) {
        await this.conn.run(
          'INSERT OR IGNORE INTO paper_positions (session, trade_id, side, qty, entry_ts, entry_price, stop, target, liquidation_price, signal_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)',
          [this.session, p.trades.length + 1, opened.side, opened.qty, opened.openTs, opened.entry, opened.stop, opened.target, finite(opened.liquidationPrice), opened.signalId],
        );
      }
      await this.insert('INSERT OR REPLACE INTO paper_predictions', outcomes);
      await this.conn.run('UPDATE paper_sessions SET processed_ts = $2, kernel_ts = $3, late_events = $4, heartbeat_wall = now()::TIMESTAMP, equity = $5, position = $6 WHERE name = $1', [
        this.session, st.processedTs, Number.isFinite(st.kernelTs) ? st.kernelTs : st.processedTs, st.lateEvents, p.equityNow,
        pos ? JSON.stringify({ side: pos.side, qty: pos.qty, entry: pos.entry, stop: pos.stop, target: pos.target, liquidationPrice: finite(pos.liquidationPrice), openTs: pos.openTs }) : null,
      ]);
    });
    // Committed: what is written is noted only now (a failed commit is retried whole at the next step).
    this.signals = p.signals.length;
    this.orders = p.orders.length;
    this.trades = p.trades.length;
    this.equity = p.equity.length;
    this.funding = funding.length;
    if (opened) this.openWritten = opened.openTs;
    for (const [id, resolved] of written) this.predictionsWritten.set(id, resolved);
    this.commitMs.push(performance.now() - t0);
    if (this.commitMs.length > 4096) this.commitMs.splice(0, 2048);
  }

  /** Rows (of one width) into a table, `INSERT_ROWS` a statement: `$1..$n` placeholders only. */
  private async insert(head: string, rows: readonly DuckDBValue[][]): Promise<void> {
    if (rows.length === 0) return;
    const width = rows[0].length;
    for (let from = 0; from < rows.length; from += INSERT_ROWS) {
      const chunk = rows.slice(from, from + INSERT_ROWS);
      const tuples = chunk.map((_, r) => `(${Array.from({ length: width }, (_, c) => `$${r * width + c + 1}`).join(', ')})`);
      await this.conn.run(`${head} VALUES ${tuples.join(', ')}`, chunk.flat());
    }
  }

  /** A clean stop: the session is `stopped` (its position and pending predictions stay for the next start). */
  async stop(): Promise<void> {
    await this.conn.run(`UPDATE paper_sessions SET status = 'stopped', stopped_wall = now()::TIMESTAMP WHERE name = $1`, [this.session]);
  }

  close(): void {
    this.conn.closeSync();
  }

  private async tx(body: () => Promise<void>): Promise<void> {
    await this.conn.run('BEGIN TRANSACTION');
    try {
      await body();
      await this.conn.run('COMMIT');
    } catch (e) {
      await this.conn.run('ROLLBACK').catch(() => {});
      throw e;
    }
  }

  private signalRow(s: RunSignal, c: SignalContext | undefined): DuckDBValue[] {
    return [
      this.session, s.id, s.ts, s.type, s.direction, s.level, s.venue, s.session, s.acted, s.vetoReason,
      c?.zone?.low ?? null, c?.zone?.high ?? null, c?.zone?.side ?? null, c?.zone?.source ?? null,
      c?.cvd15m ?? null, c?.cvd1h ?? null, c?.cvd1d ?? null, c?.venuesScore ?? null, c?.venuesDisagree ?? null,
      JSON.stringify(s.evidence),
    ];
  }
}

/** Infinite prices (no liquidation at 1x) as NULL: JSON and DOUBLE columns both take that. */
const finite = (x: number): number | null => (Number.isFinite(x) ? x : null);
