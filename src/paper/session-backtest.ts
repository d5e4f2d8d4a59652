/**
 * `orderflow backtest --session NAME`: the backtest of what a paper session saw. The session row
 * holds everything the run needs: its markets (the execution market first), the instrument it
 * traded with, its validated config (seed included), the exchange time it became active and the
 * time up to which its stored events went through its kernel; and its strategy module, if it ran
 * one (paper_strategies: the caller loads it with session-strategy.ts, which refuses a changed
 * file). The backtest reads the same stored events over [start, processed) with the same warm-up,
 * so it gives the same signals, orders and fills (docs/PAPER.md, "Parity").
 */
import type { Venue } from '../core/events.ts';
import type { Instrument } from '../core/instruments.ts';
import { parseConfig, type BacktestConfig } from '../engine/config.ts';
import type { Store } from '../store/store.ts';
import { fromJson } from './json.ts';
import { PAPER_TABLES } from './journal-schema.ts';
import type { StrategyRecord } from './session-strategy.ts';

export interface SessionBacktest {
  readonly name: string;
  readonly symbol: string;
  readonly config: BacktestConfig;
  readonly pairs: [Venue, string][];
  readonly instrument: Instrument;
  readonly execVenue: Venue;
  readonly execSymbol: string;
  readonly fromMs: number;
  readonly toMs: number;
  /** The strategy module it ran (undefined: the seed strategy). */
  readonly strategy: StrategyRecord | undefined;
}

/** Whether the store has the paper journal's tables (a store that never paper-traded has none). */
export async function hasPaperJournal(store: Store): Promise<boolean> {
  const rows = await store.rows<{ n: bigint }>(`SELECT count(*) AS n FROM information_schema.tables WHERE table_name = $1`, [PAPER_TABLES[0]]);
  return Number(rows[0]?.n ?? 0) > 0;
}

export async function sessionBacktest(store: Store, name: string): Promise<SessionBacktest> {
  if (!(await hasPaperJournal(store))) throw new RangeError(`no paper session ${JSON.stringify(name)}: this store has no paper journal (orderflow paper starts one)`);
  const [row] = await store.rows<{ symbol: string; pairs: string; exec_venue: string; exec_symbol: string; instrument: string; config: string; start_ts: number; processed_ts: number }>(
    'SELECT symbol, pairs, exec_venue, exec_symbol, instrument, config, start_ts, processed_ts FROM paper_sessions WHERE name = $1',
    [name],
  );
  if (!row) {
    const names = (await store.rows<{ name: string }>('SELECT name FROM paper_sessions ORDER BY name')).map((r) => r.name);
    throw new RangeError(`no paper session ${JSON.stringify(name)} in this store${names.length ? `; sessions: ${names.join(', ')}` : ''}`);
  }
  // A journal written before paper_strategies existed has no such table: its sessions ran the seed strategy.
  const [hasStrategies] = await store.rows<{ n: bigint }>('SELECT count(*) AS n FROM information_schema.tables WHERE table_name = $1', ['paper_strategies']);
  const [strategy] = Number(hasStrategies?.n ?? 0) > 0 ? await store.rows<StrategyRecord>('SELECT file, sha256 FROM paper_strategies WHERE session = $1', [name]) : [];
  if (!(row.processed_ts > row.start_ts)) throw new RangeError(`paper session ${name} has processed nothing yet (active from ${new Date(row.start_ts).toISOString()})`);
  return {
    name,
    symbol: row.symbol,
    config: parseConfig(JSON.parse(row.config), `session ${name} config`),
    pairs: JSON.parse(row.pairs) as [Venue, string][],
    instrument: fromJson(row.instrument) as Instrument,
    execVenue: row.exec_venue as Venue,
    execSymbol: row.exec_symbol,
    fromMs: row.start_ts,
    toMs: row.processed_ts,
    strategy,
  };
}
