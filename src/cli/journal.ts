/**
 * `orderflow journal`: the paper journal (docs/PAPER.md). `list`: the sessions with their span,
 * status, trades, P&L and open position.
 */
import type { Command } from 'commander';
import { listSessions } from '../paper/sessions.ts';
import { Store } from '../store/store.ts';
import { existingHome, homeOption, type HomeOpts } from './common.ts';
import { isoTime, table } from './format.ts';

interface ListOpts extends HomeOpts {
  json?: boolean;
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
}
