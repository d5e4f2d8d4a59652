/**
 * `orderflow watch`: a live terminal view of aggressive flow per venue: trades, buy and sell
 * volume, delta over the last minute and since start, liquidations by side, stream health.
 */
import type { Command } from 'commander';
import type { CaptureRecord, Venue } from '../core/events.ts';
import { createLiveClient, type LiveVenue } from '../venues/live/clients.ts';
import { LiveHealth } from '../venues/live/health.ts';
import type { LiveClient, StreamStatus } from '../venues/live/types.ts';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { printable } from '../core/printable.ts';
import { deadLetterDir, deadLetterSummary, type DeadLetterSummary } from '../store/dead-letter.ts';
import { rowProblem } from '../store/row-check.ts';
import { DB_FILE, Store } from '../store/store.ts';
import { describeInstrumentSource, describeNotTrading, loadLiveInstruments, type MarketStatus, type VenueInstrumentReport } from '../venues/live/instrument-source.ts';
import { homeOption, resolveHomeOpt, type HomeOpts } from './common.ts';
import { liveRequest, untilStopped } from './live-common.ts';
import { qtyText, table } from './format.ts';
import { secondsOpt } from './options.ts';
import { marketAlerts } from '../paper/alerts/live-alerts.ts';

interface WatchOpts extends HomeOpts {
  symbol: string;
  venues?: string;
  seconds?: string;
  every: string;
  config?: string;
}

/** Per venue: totals since start and per-second buckets of the last minute. */
class Flow {
  trades = 0;
  buy = 0;
  sell = 0;
  last = NaN;
  liqLong = 0;
  liqShort = 0;
  liqCount = 0;
  /** Rows `record` would dead-letter (the recorder's row check refuses them), and the last reason. */
  refused = 0;
  lastRefusal = '';
  /** [second, buy, sell] of the last 60 s. */
  private recent: [number, number, number][] = [];

  add(r: CaptureRecord, nowSec: number): void {
    const problem = rowProblem(r);
    if (problem !== undefined) {
      // Not counted as flow either: the recorder keeps it out of the store.
      this.refused++;
      this.lastRefusal = `${r.type} ${'symbol' in r ? r.symbol : ''}: ${problem}`;
      return;
    }
    if (r.type === 'trade') {
      this.trades++;
      this.last = r.price;
      if (r.side === 'buy') this.buy += r.qty;
      else this.sell += r.qty;
      let b = this.recent[this.recent.length - 1];
      if (!b || b[0] !== nowSec) this.recent.push((b = [nowSec, 0, 0]));
      if (r.side === 'buy') b[1] += r.qty;
      else b[2] += r.qty;
    } else if (r.type === 'liquidation') {
      this.liqCount++;
      // A forced SELL closes a long.
      if (r.side === 'sell') this.liqLong += r.price * r.qty;
      else this.liqShort += r.price * r.qty;
    }
  }

  minute(nowSec: number): { buy: number; sell: number } {
    this.recent = this.recent.filter((b) => b[0] > nowSec - 60);
    let buy = 0;
    let sell = 0;
    for (const b of this.recent) {
      buy += b[1];
      sell += b[2];
    }
    return { buy, sell };
  }
}

function streamSummary(rows: readonly StreamStatus[]): string {
  if (rows.length === 0) return 'starting';
  const n = (s: string) => rows.filter((r) => r.state === s).length;
  const parts = ['connected', 'lagging', 'resyncing', 'connecting', 'down'].filter((s) => n(s) > 0).map((s) => `${s} ${n(s)}`);
  const lag = Math.max(...rows.map((r) => (Number.isFinite(r.lagMs) ? r.lagMs : -Infinity)));
  return `${parts.join(', ')}${Number.isFinite(lag) ? `; lag ${lag.toFixed(0)} ms` : ''}`;
}

/** `okx store 2026-12-04T22:10Z`: where a venue's instruments came from, for the header. */
function sourceText(r: VenueInstrumentReport): string {
  const at = r.fetchedAt === undefined ? '' : ` ${new Date(r.fetchedAt).toISOString().slice(0, 16)}Z`;
  return `${r.venue} ${r.origin === 'venue' ? 'venue' : r.origin === 'store' ? `store (venue unreachable)` : 'bundled snapshot (venue unreachable)'}${r.origin === 'snapshot' ? '' : at}`;
}

/** Symbols of a venue, a not-trading one with its status (`FOO-USDT-SWAP [suspend]`). */
function symbolsText(markets: readonly MarketStatus[], venue: Venue): string {
  return markets.filter((x) => x.venue === venue).map((x) => (x.trading ? x.symbol : `${x.symbol} [${x.status}]`)).join(',');
}

/** The store under --home read-only, for the instrument fallback; undefined when there is none or it is busy. */
async function fallbackStore(home: string): Promise<Store | undefined> {
  if (!existsSync(join(home, DB_FILE))) return undefined;
  return Store.open(home, { readOnly: true }).catch(() => undefined);
}

function usd(x: number): string {
  return x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0);
}

export function registerWatch(program: Command): void {
  homeOption(program
    .command('watch')
    .description('live view of aggressive flow per venue: trades, delta (1 min and since start), liquidations, stream health')
    .requiredOption('--symbol <list>', 'comma-separated symbols or base assets (AKT = the perpetual on every venue)')
    .option('--venues <list>', 'comma-separated venues (default binance,okx,bybit)')
    .option('--every <seconds>', 'redraw period', '1')
    .option('--seconds <n>', 'stop after this long (default: until Ctrl-C)')
    .option('--config <file>', "strategy config whose alerts: block is evaluated on the live trades and liquidations (docs/LIVE.md \"Alerts\")"))
    .addHelpText(
      'after',
      `
Below the table, each venue that never connected or has a stream down is named with its last
error (DNS, refused connection, proxy, subscription refused). Exit status 1 when no venue ever
connected.

"dead letter" counts the rows the store would refuse (a trade id neither an integer nor a UUID,
a missing price, a time out of range: the check orderflow record applies before storing, which
writes such rows to <home>/dead-letter/); they are left out of the flow, and the last reason is
shown under the table. The rows orderflow record has dead-lettered under --home (it may be
recording beside watch) are counted under the table too.

Delta = aggressive buy - sell volume in base units (Binance, Bybit: the coin; OKX: contracts
converted with the instrument's contract value). Liquidation notional is what the venues'
sampled feeds showed (docs/NORMALIZATION.md): a lower bound. Nothing is stored; use
orderflow record for that.

With --config, the file's flow and liquidation alert rules run on the live events (signal and
outcome rules need orderflow paper) and fire to its channels; the last alerts and each channel's
health (sent, failed, dropped, last error) are shown under the table. A secret's environment
variable that is not set stops the command at start.

Instruments (contract values, status) are fetched from each venue at start; when a venue cannot
be reached, the list \`orderflow record\` stored last under --home is used, else the bundled
snapshot. The header says which. A symbol the venue does not list is an error naming the closest
listed ones; a halted one shows its status beside the symbol.

Examples:
  $ orderflow watch --symbol BTC
  $ orderflow watch --symbol AKT --venues binance,bybit --every 5
  $ ORDERFLOW_WEBHOOK_SECRET=... orderflow watch --symbol BTC --config strategy.yaml`,
    )
    .action(async (opts: WatchOpts) => {
      const req = liveRequest({ ...opts, channels: 'trades,liquidations' });
      const seconds = secondsOpt(opts.seconds, '--seconds');
      const every = secondsOpt(opts.every, '--every') ?? 1;
      const home = resolveHomeOpt(opts);
      const tty = Boolean(process.stdout.isTTY);
      // A redrawn screen would wipe alert lines: on a terminal they are shown under the table.
      const recentAlerts: string[] = [];
      const alertSetup = opts.config
        ? marketAlerts(opts.config, {
            terminal: tty
              ? (line) => {
                  recentAlerts.push(printable(line));
                  if (recentAlerts.length > 5) recentAlerts.shift();
                }
              : (line) => console.log(line),
          })
        : undefined;
      const alerts = alertSetup?.alerts;
      for (const r of alertSetup?.ignored ?? []) console.error(`watch: alert rule ${r}; ignored`);
      const store = await fallbackStore(home);
      let live;
      try {
        live = await loadLiveInstruments({ venues: req.venues, inputs: req.inputs, store });
      } finally {
        store?.close();
      }
      for (const r of live.reports) if (r.origin !== 'venue') console.error(`watch: instruments: ${describeInstrumentSource(r)}`);
      for (const line of describeNotTrading(live.markets)) console.error(`watch: ${line}`);
      const m = { venues: req.venues, symbols: live.symbols, channels: req.channels };
      const instruments = live.registry;
      const sources = `instruments: ${live.reports.map(sourceText).join(' · ')}`;
      const flows = new Map<Venue, Flow>(m.venues.map((v) => [v, new Flow()]));
      const status = new Map<Venue, Map<string, StreamStatus>>(m.venues.map((v) => [v, new Map()]));
      const health = new LiveHealth(m.venues);
      const clients: LiveClient[] = m.venues.map((v: LiveVenue) =>
        createLiveClient(v, {
          symbols: m.symbols.get(v)!,
          channels: m.channels,
          instruments,
          handlers: {
            onEvents: (records) => {
              const f = flows.get(v)!;
              const sec = Math.floor(Date.now() / 1000);
              for (const r of records) f.add(r, sec);
              alerts?.onEvents(records);
            },
            onStatus: (s) => {
              status.get(v)!.set(s.stream, s);
              health.note(s);
            },
          },
        }),
      );
      // What `orderflow record` has dead-lettered under this home (it may be recording beside us),
      // re-counted at each redraw: the files hold refused rows only, so they stay small.
      let recorded: DeadLetterSummary = { rows: 0, files: [] };
      let counting = false;
      const countRecorded = () => {
        if (counting) return;
        counting = true;
        deadLetterSummary(home)
          .then((d) => void (recorded = d), () => undefined)
          .finally(() => void (counting = false));
      };
      countRecorded();
      const started = Date.now();
      const draw = () => {
        countRecorded();
        const sec = Math.floor(Date.now() / 1000);
        const rows = m.venues.map((v) => {
          const f = flows.get(v)!;
          const mm = f.minute(sec);
          return [v, symbolsText(live.markets, v), Number.isFinite(f.last) ? String(f.last) : '-', String(f.trades), qtyText(mm.buy - mm.sell), qtyText(f.buy - f.sell), `${f.liqCount} (L ${usd(f.liqLong)} / S ${usd(f.liqShort)})`, String(f.refused), streamSummary([...status.get(v)!.values()])];
        });
        const problems = [
          ...health.problems(),
          ...m.venues.flatMap((v) => {
            const f = flows.get(v)!;
            return f.refused > 0 ? [printable(`${v}: ${f.refused} row(s) the store would refuse (record dead-letters them); last: ${f.lastRefusal}`)] : [];
          }),
          ...(alerts ? [printable(alerts.statusText())] : []),
          ...recentAlerts,
          ...(recorded.rows > 0 ? [printable(`orderflow record has dead-lettered ${recorded.rows} row(s) under ${home} (in ${deadLetterDir(home)}; orderflow info counts them)`)] : []),
        ];
        const text = `orderflow watch: ${((Date.now() - started) / 1000).toFixed(0)} s; ${sources}\n\n${table(['venue', 'symbol', 'last', 'trades', 'delta 1m', 'delta', 'liquidations (quote)', 'dead letter', 'streams'], rows)}\n${problems.map((p) => `\n${p}`).join('')}${problems.length ? '\n' : ''}`;
        process.stdout.write(tty ? `\x1b[H\x1b[2J${text}` : `${text}\n`);
      };
      const stop = untilStopped(seconds);
      for (const [i, c] of clients.entries()) c.start().catch((e: Error) => console.error(`watch: ${m.venues[i]}: ${e.message}`));
      const timer = setInterval(draw, every * 1000);
      await stop.done;
      stop.dispose();
      clearInterval(timer);
      await Promise.all(clients.map((c) => c.stop().catch(() => {})));
      await alerts?.close();
      draw();
      if (health.nothingConnected()) {
        console.error(`orderflow watch: no venue ever connected\n${health.problems().map((p) => `  ${p}`).join('\n')}`);
        process.exitCode = 1;
      }
    });
}
