/**
 * A backtest's run folder: every table as CSV and Parquet (trades, orders, equity, signals,
 * predictions), `journal.json`, `summary.json` (meta, metrics, null model, walk-forward, journal
 * hit rates) and the self-contained `report.html`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sqlString } from '../store/parquet.ts';
import { Store } from '../store/store.ts';
import { jsonReplacer } from './metrics.ts';
import { writeReport } from './report.ts';
import type { RunResult } from './run-types.ts';

/** One CSV field: quoted when it holds a comma, quote or line break; null/NaN empty. */
function field(v: unknown): string {
  if (v === null || v === undefined || (typeof v === 'number' && !Number.isFinite(v))) return typeof v === 'number' && Number.isFinite(v) ? String(v) : v === Infinity ? 'Infinity' : '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(rows: readonly object[], columns?: readonly string[]): string {
  const cols = columns ?? (rows.length > 0 ? Object.keys(rows[0]) : []);
  const lines = [cols.join(',')];
  for (const r of rows) lines.push(cols.map((c) => field((r as Record<string, unknown>)[c])).join(','));
  return `${lines.join('\n')}\n`;
}

export const TRADE_COLUMNS = ['id', 'venue', 'symbol', 'side', 'entryTs', 'exitTs', 'entryPrice', 'exitPrice', 'qty', 'grossPnl', 'fees', 'funding', 'pnl', 'risk', 'session', 'signal', 'exitReason', 'liquidated', 'leverage', 'stop', 'target', 'liquidationPrice', 'signalId'];
export const ORDER_COLUMNS = ['id', 'ts', 'arrivalTs', 'venue', 'symbol', 'side', 'type', 'qty', 'price', 'reason', 'status', 'fillTs', 'fillPrice', 'fee', 'slippageBps', 'rejectReason'];
export const SIGNAL_COLUMNS = ['id', 'ts', 'type', 'direction', 'level', 'venue', 'session', 'acted', 'vetoReason', 'evidence'];
export const PREDICTION_COLUMNS = ['id', 'ts', 'type', 'direction', 'level', 'venue', 'session', 'ref_price', 'horizonMs', 'resolved', 'touched', 'rejected', 'brokeThrough', 'returnBps', 'mfeBps', 'maeBps', 'hit'];

export const EQUITY_COLUMNS = ['ts', 'equity'];

/** A table of a run folder: its rows and its fixed column list (an empty table still has its header). */
export interface FolderTable {
  readonly rows: readonly object[];
  readonly columns: readonly string[];
}

/** `<name>.csv` for every table and `<name>.parquet` for every non-empty one (DuckDB reads the CSV back); the names written. */
export async function writeTables(dir: string, tables: Readonly<Record<string, FolderTable>>): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const mem = await Store.openMemory();
  try {
    for (const [name, t] of Object.entries(tables)) {
      writeFileSync(join(dir, `${name}.csv`), toCsv(t.rows, t.columns));
      files.push(`${name}.csv`);
      if (t.rows.length === 0) continue;
      await mem.run(`COPY (SELECT * FROM read_csv(${sqlString(join(dir, `${name}.csv`))}, header = true, auto_detect = true)) TO ${sqlString(join(dir, `${name}.parquet`))} (FORMAT parquet, COMPRESSION zstd)`);
      files.push(`${name}.parquet`);
    }
  } finally {
    mem.close();
  }
  return files;
}

export interface RunFolderFiles {
  readonly dir: string;
  readonly files: readonly string[];
}

export async function writeRunFolder(dir: string, run: RunResult): Promise<RunFolderFiles> {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  const write = (name: string, text: string) => {
    writeFileSync(join(dir, name), text);
    files.push(name);
  };
  const predictions = run.journal.predictions.flatMap((p) =>
    p.outcomes.map((o) => ({ id: p.id, ts: p.ts, type: p.type, direction: p.direction, level: p.level, venue: p.venue, session: p.session, ref_price: p.refPrice, ...o })),
  );
  // Column lists are fixed so an empty table still has its header.
  const tables: Record<string, FolderTable> = {
    trades: { rows: run.trades, columns: TRADE_COLUMNS },
    orders: { rows: run.orders, columns: ORDER_COLUMNS },
    equity: { rows: run.equity, columns: EQUITY_COLUMNS },
    signals: { rows: run.signals.map((s) => ({ ...s, evidence: JSON.stringify(s.evidence) })), columns: SIGNAL_COLUMNS },
    predictions: { rows: predictions, columns: PREDICTION_COLUMNS },
  };
  files.push(...(await writeTables(dir, tables)));
  write('journal.json', `${JSON.stringify(run.journal, jsonReplacer)}\n`);
  const summary = { meta: run.meta, metrics: run.metrics, nullModel: run.nullModel, walkForward: run.walkForward, hitRates: run.journal.hitRates };
  write('summary.json', `${JSON.stringify(summary, jsonReplacer, 2)}\n`);
  writeReport(dir, run);
  files.push('report.html');
  return { dir, files };
}
