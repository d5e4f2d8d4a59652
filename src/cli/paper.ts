/**
 * `orderflow paper`: paper trading on live feeds (or `orderflow sim --serve`) with the backtest's
 * kernel, a durable journal in the store, crash-only resume (docs/PAPER.md).
 */
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { defaultConfig, loadConfig } from '../engine/config.ts';
import { channelsFromConfig } from '../paper/alerts/channels-from-config.ts';
import { PaperRun } from '../paper/paper-run.ts';
import { statusLine } from '../paper/status-line.ts';
import { DEFAULT_QUIET_MS } from '../paper/watermark.ts';
import { Store } from '../store/store.ts';
import { connectBus } from '../bus/connection.ts';
import { DEFAULT_STREAM, requireStream } from '../bus/stream.ts';
import { homeOption, resolveHomeOpt, type HomeOpts } from './common.ts';
import { liveRequest, MAX_PENDING_OPTION, maxPendingBytes, untilStopped } from './live-common.ts';
import { numberOpt, secondsOpt } from './options.ts';

interface PaperOpts extends HomeOpts {
  symbol?: string;
  venues?: string;
  config?: string;
  strategy?: string;
  session?: string;
  seconds?: string;
  quietMs: string;
  settleMs: string;
  graceMs?: string;
  maxPendingMb: string;
  quiet?: boolean;
  bus?: string;
  stream: string;
}

export function registerPaper(program: Command): void {
  homeOption(
    program
      .command('paper')
      .description('paper trading on live feeds: the backtest kernel (strategy, risk, fills, margin, fees, funding) on Binance, OKX and Bybit, a crash-proof journal in the store')
      .option('--symbol <symbol>', 'a base asset or a symbol in any venue\'s spelling (one market; required for a new session)')
      .option('--venues <list>', 'comma-separated venues whose flow is merged (default binance,okx,bybit); orders go to execution.venue (default the first)')
      .option('--config <file>', 'strategy config, YAML or JSON (docs/BACKTEST.md), with its alerts: block (docs/PAPER.md "Alerts"); a resumed session keeps the one it started with')
      .option('--strategy <file>', 'a TypeScript/JavaScript module exporting (config) => Strategy, as backtest --strategy (docs/BACKTEST.md), instead of the seed strategy; recorded with the session: a resume and backtest --session load it and refuse it if the file changed')
      .option('--session <name>', 'session name: an existing one resumes (after a stop or a crash), a new one starts (default <SYMBOL>-<UTC time>)')
      .option('--seconds <n>', 'stop after this long (default: until Ctrl-C / SIGTERM)')
      .option('--quiet-ms <ms>', 'a feed silent this long stops holding the clock back; when all are, the wall clock moves it (docs/PAPER.md, "The clock")', String(DEFAULT_QUIET_MS))
      .option('--grace-ms <ms>', 'the push path\'s bounded hold: a feed is taken to lag its venue\'s newest time by at most this (exchange ms), so a sparse feed no longer holds decisions back until its next event; rows later than that are counted late (docs/PAPER.md, "The push path"). Default: none (each feed holds)')
      .option('--settle-ms <ms>', 'after a start, wait this long for the venues\' back-fill of a downtime before the clock moves', '3000')
      .option(...MAX_PENDING_OPTION)
      .option('--quiet', 'no status line')
      .option('--bus <url>', 'take the events from NATS JetStream at nats://HOST:PORT (what `orderflow record --bus` publishes) instead of connecting to the venues; they are still stored in --home (docs/SCALING.md)')
      .option('--stream <name>', 'with --bus: the JetStream stream the recorders publish to', DEFAULT_STREAM),
  )
    .addHelpText(
      'after',
      `
The events go into the store as with \`orderflow record\` (endpoints: ORDERFLOW_<VENUE>_WS_URL /
_REST_URL, so \`orderflow sim --serve\` works), and the kernel takes them in exchange-time order:
from the store while it catches up after a start, then from memory as they arrive, each span
checked against what the store holds (docs/PAPER.md, "The push path"): the same events, order,
strategy, risk, fill models, margin, fees and funding as \`orderflow backtest\`. An event waits
until every feed still talking has passed its time (the clock's hold; --grace-ms bounds it).
Every signal with its evidence, prediction and its outcomes, order, fill, position, funding
payment and equity sample goes to the journal (paper_* tables, docs/PAPER.md), committed every
250 ms; the summary at stop gives the measured decision latency (event receipt -> strategy
decision, p50/p99). If the store cannot keep up with the feeds, the recorder drops the oldest
waiting rows beyond --max-pending-mb and the session stops (the kernel saw rows the store lost):
restart it with --session NAME.

Crash-only: after kill -9, run the same command with --session NAME: the session's stored events
are replayed through a fresh kernel (same position, pending orders, pending predictions), the
downtime is a paper_gaps row, and a stop or liquidation price crossed while down is settled on
the trades the venues back-fill, and said so. Ctrl-C / SIGTERM stop cleanly; the position stays
open for the next start.

Alerts: the config's alerts: rules are evaluated live: flow and liquidations rules on the
events as they arrive, signal rules on the session's signals, outcome rules on its predictions'
horizons as they resolve; the channels' state is in the status line. A resumed session does not
re-send the alerts of the signals and outcomes it replays from before the restart.

On the bus: with --bus the session takes its market's events from the subjects
md.<venue>.<symbol>.* that a recorder fleet publishes (\`orderflow record --bus\`) instead of
its own connectors. Nothing else changes: the events still go into --home (the session's
resume and \`backtest --session\` replay them from there), and the journal is written as
without --bus. A resume takes the downtime from the bus (it keeps --bus-max-age hours), from a
minute before where the store stopped, dropping what the store holds. Instruments are still
fetched from the venues' REST at start (else the stored list, else the bundled snapshot).

Strategy: --strategy FILE runs a strategy module (as \`backtest --strategy\`) instead of the seed
strategy. The session records the file's path and SHA-256; a resume and \`backtest --session\`
load that file and refuse to run if its bytes changed or it is gone (the replay through a fresh
kernel would not arrive at the journal's position and orders): restore it, or start a new session.

Parity: \`orderflow backtest --session NAME\` replays what the session processed (with its
strategy module) and gives the same signals, orders and fills. \`orderflow journal list\` lists the sessions, \`journal report\` judges
one against the null model, \`journal export\` writes its tables.

Examples:
  $ orderflow paper --symbol AKT --config strategy.yaml --session akt-2w
  $ orderflow paper --symbol BTC --strategy ./my-strategy.ts --session btc-mine
  $ orderflow paper --session akt-2w                    # resume after a crash or a stop
  $ orderflow paper --symbol BTC --bus nats://10.0.0.5:4222   # on the recorder fleet's bus
  $ orderflow backtest --session akt-2w --out ./akt-parity`,
    )
    .action(async (opts: PaperOpts) => {
      const seconds = secondsOpt(opts.seconds, '--seconds');
      const quietMs = numberOpt(opts.quietMs, '--quiet-ms');
      const settleMs = numberOpt(opts.settleMs, '--settle-ms');
      if (!(quietMs > 0)) throw new UsageError(`--quiet-ms: expected ms > 0, got ${opts.quietMs}`);
      if (!(settleMs >= 0)) throw new UsageError(`--settle-ms: expected ms >= 0, got ${opts.settleMs}`);
      const graceMs = opts.graceMs === undefined ? undefined : numberOpt(opts.graceMs, '--grace-ms');
      if (graceMs !== undefined && !(graceMs >= 0)) throw new UsageError(`--grace-ms: expected ms >= 0, got ${opts.graceMs}`);
      const maxPending = maxPendingBytes(opts.maxPendingMb);
      if (opts.session !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/.test(opts.session)) throw new UsageError(`--session: letters, digits, '.', '_' and '-' (at most 100), got ${JSON.stringify(opts.session)}`);
      if (opts.symbol === undefined && opts.session === undefined) throw new UsageError('--symbol: required for a new session (or give --session NAME to resume one)');
      const config = opts.config ? loadConfig(opts.config) : defaultConfig();
      // Before the store opens: a channel secret missing from the environment stops nothing half-started.
      if (config.alerts) channelsFromConfig(config.alerts.channels, { terminal: () => {} });
      const req = opts.symbol !== undefined ? liveRequest({ symbol: opts.symbol, venues: opts.venues }) : undefined;
      if (req && req.inputs.length !== 1) throw new UsageError(`--symbol: a paper session trades one market, got ${req.inputs.join(', ')}`);
      const name = opts.session ?? `${opts.symbol!.toUpperCase()}-${new Date().toISOString().slice(0, 19).replace(/[:]/g, '')}`;
      // The bus first: an unreachable server or a bus nothing records to stops the command before the store opens.
      const bus = opts.bus ? await connectBus(opts.bus, 'orderflow paper') : undefined;
      if (bus) await requireStream(bus, opts.stream).catch(async (e: Error) => Promise.reject((await bus.nc.close(), e)));
      const store = await Store.open(resolveHomeOpt(opts)).catch(async (e: Error) => Promise.reject((await bus?.nc.close(), e)));
      const tty = Boolean(process.stderr.isTTY) && !opts.quiet;
      let drawn = false;
      const log = (line: string) => {
        if (drawn) process.stderr.write('\r\x1b[K');
        drawn = false;
        console.error(line);
      };
      let run: PaperRun;
      try {
        run = await PaperRun.start({ store, name, symbol: req?.inputs[0] ?? '', venues: req?.venues ?? [], config, configGiven: opts.config !== undefined, strategyFile: opts.strategy, quietMs, graceMs, settleMs, maxPendingBytes: maxPending, log, alertChannels: { terminal: log }, bus: bus && { bus, stream: opts.stream } });
      } catch (e) {
        store.close();
        await bus?.nc.close();
        if (e instanceof RangeError && !(e instanceof UsageError)) throw new UsageError(e.message);
        throw e;
      }
      log(`paper session ${name}: ${bus ? `events from the bus ${bus.url} (stream ${opts.stream}), ` : ''}recording into ${store.path} (Ctrl-C to stop)`);
      const status = tty
        ? setInterval(() => {
            process.stderr.write(`\r${statusLine(run.status()).slice(0, (process.stderr.columns ?? 160) - 1)}\x1b[K`);
            drawn = true;
          }, 1000)
        : undefined;
      const stop = untilStopped(seconds);
      const failed = setInterval(() => run.failed && stop.stop('a step failed'), 1000);
      const why = await stop.done;
      stop.dispose();
      clearInterval(failed);
      if (status) clearInterval(status);
      log(`paper: stopping (${why})`);
      await run.stop();
      store.close();
      await bus?.nc.close();
      const s = run.status();
      const p = s.progress;
      const times = [...run.commitTimes()].sort((a, b) => a - b);
      const p99 = times.length > 0 ? times[Math.min(times.length - 1, Math.floor(times.length * 0.99))] : NaN;
      console.log(
        `paper session ${name}: ${p ? `${p.signals.length} signals, ${p.orders.length} orders, ${p.trades.length} closed trades, equity ${p.equityNow.toFixed(2)}, ${p.position ? `open ${p.position.side} ${p.position.qty} @ ${p.position.entry}` : 'flat'}` : 'no events processed'}; journal commit p99 ${Number.isFinite(p99) ? p99.toFixed(1) : '-'} ms; ${latencyText(run.latency.summary())}; ${shadowText(s.shadow)}${s.lateEvents ? `; ${s.lateEvents} events stored too late for the kernel (docs/PAPER.md)` : ''}`,
      );
      if (s.alerts) console.log(s.alerts);
      if (run.failed) {
        console.error(`orderflow paper: ${run.failed.message}`);
        process.exitCode = 1;
      }
    });
}

/** `shadow check: 412 spans as stored`: the push path against the store (docs/PAPER.md, "The push path"). */
function shadowText(x: { checked: number; inconclusive: number; mismatch: string | undefined }): string {
  const late = x.inconclusive > 0 ? ` (${x.inconclusive} inconclusive: late rows)` : '';
  return x.mismatch ? `shadow check: MISMATCH after ${x.checked - 1} spans as stored` : `shadow check: ${x.checked} spans as stored${late}`;
}

/** `decision latency p50 251.3 ms p99 262.0 ms (3 signals)`: event receipt -> strategy decision (docs/PAPER.md). */
function latencyText(l: { n: number; p50: number; p99: number }): string {
  return l.n === 0 ? 'decision latency - (no signal from events received live)' : `decision latency (event receipt -> strategy decision) p50 ${l.p50.toFixed(1)} ms p99 ${l.p99.toFixed(1)} ms over ${l.n} signals`;
}
