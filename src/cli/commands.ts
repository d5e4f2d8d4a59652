/**
 * Every `orderflow` command as a name, its one-line description, its arguments and a loader for
 * its module. `orderflow --help` is printed from this table alone, and `orderflow <cmd> ...`
 * loads only `<cmd>`'s module (and with it DuckDB, if that command reads the store): a command
 * module's imports are the bulk of the start-up time. The description and arguments must equal
 * what the module registers (test/cli/commands.test.ts checks each one).
 */
import type { Command } from 'commander';

export interface CommandEntry {
  readonly name: string;
  /** Commander argument syntax, as the module declares them (`<paths...>`), or ''. */
  readonly args: string;
  readonly description: string;
  /** The module's `registerX(program)`. */
  load(): Promise<(program: Command) => void>;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: 'demo',
    args: '',
    description: 'offline demo: a simulated market served live by three loopback exchanges, a paper session trading it and the dashboard in the browser (--batch: the method\'s results printed, then exit)',
    load: async () => (await import('./demo.ts')).registerDemo,
  },
  {
    name: 'import',
    args: '<paths...>',
    description: 'import archive files, captures or Parquet into the store (atomic per file, idempotent)',
    load: async () => (await import('./import.ts')).registerImport,
  },
  {
    name: 'download',
    args: '',
    description: 'download public archives (Binance data.binance.vision, Bybit public.bybit.com): resumable, checksum-verified, imported on the fly',
    load: async () => (await import('./download.ts')).registerDownload,
  },
  {
    name: 'info',
    args: '',
    description: 'what the store holds: venues, symbols, event counts, time ranges, gaps per day',
    load: async () => (await import('./info.ts')).registerInfo,
  },
  {
    name: 'export',
    args: '',
    description: 'write the store as Parquet partitioned venue=/symbol=/date= (zstd), or as the lake (venue=/symbol=/date=/hour=)',
    load: async () => (await import('./export.ts')).registerExport,
  },
  {
    name: 'formats',
    args: '',
    description: 'list the file formats `orderflow import` reads (ids for --format)',
    load: async () => (await import('./formats.ts')).registerFormats,
  },
  {
    name: 'cvd',
    args: '',
    description: 'cumulative volume delta per bar from stored trades: buy, sell, delta, cvd (base units)',
    load: async () => (await import('./cvd.ts')).registerCvd,
  },
  {
    name: 'footprint',
    args: '',
    description: 'footprint candles: aggressive buy/sell volume per price level, imbalances, POC, value area',
    load: async () => (await import('./footprint.ts')).registerFootprint,
  },
  {
    name: 'sizes',
    args: '',
    description: 'size-bucket flow per bar: buy/sell/delta notional of small, medium, large and whale prints, size-weighted delta, big prints',
    load: async () => (await import('./sizes.ts')).registerSizes,
  },
  {
    name: 'sessions',
    args: '',
    description: 'per trading-session occurrence (market date x session, in market time): OHLC, volume and notional by aggressor, print-size percentiles, price impact',
    load: async () => (await import('./sessions.ts')).registerSessions,
  },
  {
    name: 'liquidations',
    args: '',
    description: 'realized liquidation clusters (price zones of decayed liquidated notional, per side liquidated) or a time x price heatmap',
    load: async () => (await import('./liquidations.ts')).registerLiquidations,
  },
  {
    name: 'divergence',
    args: '',
    description: 'delta divergence: persistent one-sided aggressive flow while price stays flat',
    load: async () => (await import('./divergence.ts')).registerDivergence,
  },
  {
    name: 'venues',
    args: '',
    description: 'cross-venue corroboration: do Binance, OKX and Bybit flows agree? score in [-1, 1] (n/a under two venues), disagree flag, lead-lag',
    load: async () => (await import('./venues.ts')).registerVenues,
  },
  {
    name: 'levels',
    args: '',
    description: 'predicted liquidation levels (where positions opened as open interest grew would be liquidated, and how far from the last price), or their heatmap',
    load: async () => (await import('./levels.ts')).registerLevels,
  },
  {
    name: 'book',
    args: '',
    description: 'walls in the stored order book and what became of them: bait (pulled as price came), pulled, consumed, resting; imbalance near the touch',
    load: async () => (await import('./book.ts')).registerBook,
  },
  {
    name: 'absorption',
    args: '',
    description: 'absorption at liquidation clusters: heavy aggressive flow into a zone, price holds, no liquidation follows (a cascade that stopped, or a revisit)',
    load: async () => (await import('./absorption.ts')).registerAbsorption,
  },
  {
    name: 'analyze',
    args: '',
    description: "run every order-flow operator over a market's stored history: summary table + JSON/Parquet outputs",
    load: async () => (await import('./analyze.ts')).registerAnalyze,
  },
  {
    name: 'margin',
    args: '',
    description: 'margin calculator: initial and maintenance margin, liquidation and bankruptcy prices, round-trip fees, as the venue computes them',
    load: async () => (await import('./margin.ts')).registerMargin,
  },
  {
    name: 'backtest',
    args: '',
    description: 'backtest the seed strategy on stored history: exchange-accurate margin, realistic fills, prediction journal, null-model baseline, report.html',
    load: async () => (await import('./backtest.ts')).registerBacktest,
  },
  {
    name: 'sim',
    args: '',
    description: 'market simulator: a deterministic three-venue perpetual market with leveraged traders, liquidation cascades and planted, labelled events',
    load: async () => (await import('./sim.ts')).registerSim,
  },
  {
    name: 'eval-detectors',
    args: '',
    description: 'score the detectors (clusters, absorption, divergence, bait, venue disagreement, sessions) against simulated markets with planted events: precision, recall, latency',
    load: async () => (await import('./eval-detectors.ts')).registerEvalDetectors,
  },
  {
    name: 'watch',
    args: '',
    description: 'live view of aggressive flow per venue: trades, delta (1 min and since start), liquidations, stream health',
    load: async () => (await import('./watch.ts')).registerWatch,
  },
  {
    name: 'record',
    args: '',
    description: 'record live public market data (trades, liquidations, books, tickers) from Binance, OKX and Bybit into the store',
    load: async () => (await import('./record.ts')).registerRecord,
  },
  {
    name: 'sink',
    args: '',
    description: 'write market data from the bus (NATS JetStream) into the store or a Parquet lake, exactly once, as a durable consumer several sinks can share',
    load: async () => (await import('./sink.ts')).registerSink,
  },
  {
    name: 'compact',
    args: '',
    description: 'compact the Parquet lake a bus sink writes: each closed hour partition\'s small files into one, in the order readers see them',
    load: async () => (await import('./compact.ts')).registerCompact,
  },
  {
    name: 'alerts',
    args: '',
    description: 'alert rules and channels (terminal, webhook, Telegram) from the config file: send a test message',
    load: async () => (await import('./alerts.ts')).registerAlerts,
  },
  {
    name: 'paper',
    args: '',
    description: 'paper trading on live feeds: the backtest kernel (strategy, risk, fills, margin, fees, funding) on Binance, OKX and Bybit, a crash-proof journal in the store',
    load: async () => (await import('./paper.ts')).registerPaper,
  },
  {
    name: 'journal',
    args: '',
    description: 'the paper-trading journal: sessions, signals, predictions and their outcomes, orders, fills, P&L',
    load: async () => (await import('./journal.ts')).registerJournal,
  },
  {
    name: 'serve',
    args: '',
    description: 'the dashboard: footprint, CVD, liquidation and book heatmaps, tape and paper P&L in the browser, live while something records into the store',
    load: async () => (await import('./serve.ts')).registerServe,
  },
];

/**
 * The command `args` (argv without node and script) asks for: `cvd ...` or `help cvd` name `cvd`;
 * `--help`, no command or an unknown word name none.
 */
export function requestedCommand(args: readonly string[], commands: readonly CommandEntry[] = COMMANDS): CommandEntry | undefined {
  const words = args.filter((a) => !a.startsWith('-'));
  const name = words[0] === 'help' ? words[1] : words[0];
  return commands.find((c) => c.name === name);
}

/**
 * Adds every command to `program`: the requested one from its module, with its options and
 * action; the others as name, arguments and description only, which is all the root help and
 * commander's "unknown command, did you mean" need.
 */
export async function addCommands(program: Command, args: readonly string[], commands: readonly CommandEntry[] = COMMANDS): Promise<void> {
  const wanted = requestedCommand(args, commands);
  const registered = wanted ? await wanted.load() : undefined;
  for (const c of commands) {
    if (c === wanted) registered!(program);
    else {
      const stub = program.command(c.name).description(c.description);
      if (c.args !== '') stub.arguments(c.args);
    }
  }
  // A stub has no options yet, so commander would list it without the `[options]` it has.
  const terms = new Map(commands.map((c) => [c.name, `${c.name} [options]${c.args ? ` ${c.args}` : ''}`]));
  const defaults = program.createHelp();
  program.configureHelp({ subcommandTerm: (cmd) => terms.get(cmd.name()) ?? defaults.subcommandTerm(cmd) });
}
