/**
 * `orderflow journal`: the paper journal (docs/PAPER.md). `list`: the sessions with their span,
 * status, trades, P&L and open position; `report`: accuracy against the null model, P&L and a
 * verdict; `export`: a session's tables as a backtest run folder's CSV and Parquet.
 */
import { writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { jsonReplacer } from '../engine/metrics.ts';
import { parseTimeframe } from '../features/timeframe.ts';
import { durationText } from '../paper/alerts/alert.ts';
import { exportSession } from '../paper/report/export.ts';
import { renderJournalReport } from '../paper/report/html.ts';
import { DEFAULT_NULL_SEEDS, journalReport, type PaperReport } from '../paper/report/report.ts';
import { listSessions } from '../paper/sessions.ts';
import { Store } from '../store/store.ts';
import { existingHome, homeOption, type HomeOpts } from './common.ts';
import { isoTime, table } from './format.ts';

interface ListOpts extends HomeOpts {
  json?: boolean;
}

interface ReportOpts extends HomeOpts {
  session?: string;
  since?: string;
  json?: boolean;
  html?: string;
  nullSeeds: string;
}

interface ExportOpts extends HomeOpts {
  session: string;
  out: string;
}

/** A store error that is the user's (an unknown session) exits 2 with its message. */
async function usage<T>(body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (e) {
    if (e instanceof RangeError && !(e instanceof UsageError)) throw new UsageError(e.message);
    throw e;
  }
}

export function registerJournal(program: Command): void {
  const journal = program.command('journal').description('the paper-trading journal: sessions, signals, predictions and their outcomes, orders, fills, P&L');
  homeOption(
    journal
      .command('list')
      .description('paper sessions: span, status (running, stopped, crashed), trades, P&L, open position')
      .option('--json', 'one JSON array'),
  )
    .addHelpText(
      'after',
      `
Status: running (its process is alive on this host), stopped (Ctrl-C / SIGTERM / --seconds), or
crashed (it was running and its process is gone: \`orderflow paper --session NAME\` resumes it).
P&L is the equity at the session's last commit minus the initial equity (realized and unrealized).
Works while a session runs (read through it).

Examples:
  $ orderflow journal list
  $ orderflow journal list --json --home ./paper-data`,
    )
    .action(async (opts: ListOpts) => {
      const store = await Store.open(existingHome(opts), { readOnly: true });
      let sessions;
      try {
        sessions = await listSessions(store);
      } finally {
        store.close();
      }
      if (opts.json) {
        console.log(JSON.stringify(sessions, null, 2));
        return;
      }
      if (sessions.length === 0) {
        console.log('no paper sessions in this store (orderflow paper starts one)');
        return;
      }
      console.log(
        table(
          ['session', 'symbol', 'venues', 'from', 'to', 'status', 'signals', 'trades', 'P&L', 'equity', 'open position'],
          sessions.map((s) => [
            s.name, s.symbol, s.venues, isoTime(s.fromMs), isoTime(s.toMs), s.status + (s.downtimes > 0 ? ` (${s.downtimes} downtime${s.downtimes > 1 ? 's' : ''})` : ''),
            String(s.signals), String(s.trades), s.pnl.toFixed(2), s.equity.toFixed(2),
            s.position ? `${s.position.side} ${s.position.qty} @ ${s.position.entry}${s.position.liquidationPrice !== null ? ` (liq ${s.position.liquidationPrice.toPrecision(6)})` : ''}` : '-',
          ]),
        ),
      );
    });
  registerReport(journal);
  registerExport(journal);
}

function registerReport(journal: Command): void {
  homeOption(
    journal
      .command('report')
      .description('accuracy by signal type, venue and market session with 95% intervals, against random levels and times; P&L, drawdown, fees, funding; a verdict')
      .option('--session <name>', 'one session (default: every session, each reported on its own)')
      .option('--since <duration>', 'only the last part of each session, e.g. 14d, 12h (up to its last commit, exchange time)')
      .option('--json', 'one JSON document')
      .option('--html <file>', 'also write a self-contained HTML page')
      .option('--null-seeds <n>', 'runs of each null (random levels, random times); 0: none', String(DEFAULT_NULL_SEEDS)),
  )
    .addHelpText(
      'after',
      `
Without --session, every session, each on its own. Accuracy is the prediction journal's hit rate
(docs/JOURNAL.md) over resolved horizons, with a Wilson 95% interval, by signal type, market
session and venue. Against the null model over the same period and stored trades (docs/PAPER.md,
"orderflow journal report"): "held" = of the touched levels, the share rejected, against the same
predictions with the level moved at random within +-2%; "direction" = the share right, against
the same predictions at random traded times. A verdict says "better than chance" only when the
interval lies wholly above the null runs' (pooled, Wilson 95%), "worse than chance" wholly below,
else "not distinguishable from chance yet". Verdicts are at the shortest horizon; the tables and
--json have every horizon. P&L, drawdown, fees and funding are the backtest's metrics over the
closed round trips and the equity samples (docs/METRICS.md).

Examples:
  $ orderflow journal report
  $ orderflow journal report --session akt-2w --since 14d --html report.html
  $ orderflow journal report --json --null-seeds 50`,
    )
    .action(async (opts: ReportOpts) => {
      const sinceMs = opts.since === undefined ? undefined : parseTimeframe(opts.since, '--since');
      const seeds = Number(opts.nullSeeds);
      if (!Number.isInteger(seeds) || seeds < 0 || seeds > 1000) throw new UsageError(`--null-seeds: a whole number from 0 to 1000, got ${JSON.stringify(opts.nullSeeds)}`);
      const store = await Store.open(existingHome(opts), { readOnly: true });
      let report: PaperReport;
      try {
        report = await usage(() => journalReport(store, { session: opts.session, sinceMs, nullSeeds: seeds }));
      } finally {
        store.close();
      }
      if (opts.html) writeFileSync(opts.html, renderJournalReport(report));
      if (opts.json) {
        console.log(JSON.stringify(report, jsonReplacer, 2));
        return;
      }
      if (report.sessions.length === 0) console.log('no paper sessions in this store (orderflow paper starts one)');
      for (const s of report.sessions) {
        const m = s.metrics;
        console.log(`${s.session} ${s.symbol} ${s.venues.join(',')} ${isoTime(s.fromMs)} -> ${isoTime(s.toMs)}: ${s.counts.predictions} predictions, ${s.counts.trades} closed trades`);
        for (const v of s.verdicts) console.log(`  ${v}`);
        console.log(
          table(
            ['measure', 'type', 'horizon', 'counted', 'right', '95% CI', 'null', 'null 95% CI', 'outcome'],
            s.nullModel.comparisons.map((c) => [c.measure, c.type, durationText(c.horizonMs), String(c.n), pct(c.hitRate), c.ci ? `${pct(c.ci.lower)}-${pct(c.ci.upper)}` : '-', pct(c.nullHitRate), c.nullCi ? `${pct(c.nullCi.lower)}-${pct(c.nullCi.upper)}` : '-', c.outcome]),
          ),
        );
        console.log(
          table(
            ['by', 'key', 'horizon', 'resolved', 'hit rate', '95% CI'],
            s.accuracy.filter((r) => r.group !== 'all').map((r) => [r.group, r.key, durationText(r.horizonMs), String(r.n), pct(r.hitRate), r.ci ? `${pct(r.ci.lower)}-${pct(r.ci.upper)}` : '-']),
          ),
        );
        console.log(`  P&L ${m.netPnl.toFixed(2)} (gross profit ${m.grossProfit.toFixed(2)}, gross loss ${m.grossLoss.toFixed(2)}), fees ${m.feesPaid.toFixed(2)}, funding ${m.fundingPaid.toFixed(2)}, max drawdown ${(100 * m.maxDrawdown.fraction).toFixed(2)}% (${m.maxDrawdown.quote.toFixed(2)}), win rate ${pct(m.winRate)}`);
      }
      if (opts.html) console.log(`report written to ${opts.html}`);
    });
}

function registerExport(journal: Command): void {
  homeOption(
    journal
      .command('export')
      .description("a session's signals, predictions, orders, fills, trades, funding and equity as CSV and Parquet (a backtest run folder's columns)")
      .requiredOption('--session <name>', 'the session')
      .requiredOption('--out <dir>', 'folder to write (created)'),
  )
    .addHelpText(
      'after',
      `
trades, orders, equity, signals and predictions have the columns of a backtest run folder
(orderflow backtest --out), in the same order; signals add the paper context columns after them;
fills.csv and funding.csv have no backtest counterpart (docs/PAPER.md, "orderflow journal export").

Example:
  $ orderflow journal export --session akt-2w --out ./akt-2w-export`,
    )
    .action(async (opts: ExportOpts) => {
      const store = await Store.open(existingHome(opts), { readOnly: true });
      let files: string[];
      try {
        files = await usage(() => exportSession(store, opts.session, opts.out));
      } finally {
        store.close();
      }
      console.log(`${opts.out}: ${files.join(', ')}`);
    });
}

const pct = (x: number | null): string => (x === null || !Number.isFinite(x) ? '-' : `${(100 * x).toFixed(1)}%`);
