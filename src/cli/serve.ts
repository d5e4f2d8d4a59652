/** `orderflow serve`: the dashboard over the store (src/server). */
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { existingHome, homeOption, type HomeOpts } from './common.ts';
import { untilStopped } from './live-common.ts';
import { DEFAULT_STREAM } from '../bus/stream.ts';

interface ServeOpts extends HomeOpts {
  port: string;
  host: string;
  token?: string;
  symbol?: string;
  log?: boolean;
  bus?: string;
  stream: string;
}

export function registerServe(program: Command): void {
  homeOption(
    program
      .command('serve')
      .description('the dashboard: footprint, CVD, liquidation and book heatmaps, tape and paper P&L in the browser, live while something records into the store')
      .option('--port <n>', 'TCP port (0: any free one)', '8787')
      .option('--host <address>', 'address to listen on; anything but 127.0.0.1, ::1 or localhost needs --token', '127.0.0.1')
      .option('--token <secret>', 'require this token on every request and websocket (default $ORDERFLOW_TOKEN)')
      .option('--symbol <symbol>', 'the market the printed URL opens (default the busiest stored one)')
      .option('--log', 'log every request to stderr as JSON lines (tokens redacted)')
      .option('--bus <url>', 'live trades, liquidations and tickers from NATS JetStream at nats://HOST:PORT (what `orderflow record --bus` publishes) instead of the store\'s tail (docs/SCALING.md)')
      .option('--stream <name>', 'with --bus: the JetStream stream the recorders publish to', DEFAULT_STREAM),
  )
    .addHelpText(
      'after',
      `
History comes from the store over HTTP (/api/*), live updates over a websocket (/ws): the server
tails the store every 250 ms, so whatever records into the same --home (orderflow record,
orderflow paper, orderflow demo) shows live. It reads a store another process is writing through
that process, and never holds the file between reads. The stored trades are held in memory (filled
at start, at most 512 MiB) and caught up with the store before each answer. Endpoints, auth and
the slow-client policy: docs/DASHBOARD.md.

With --bus the live trades, liquidations and market state (mark, funding, open interest) come
from the subjects md.<venue>.<symbol>.* a recorder fleet publishes (\`orderflow record --bus\`),
from the next batch on, taken every 250 ms: a dashboard machine needs no recorder of its own.
History (/api/*), the book heatmap and the paper session still come from --home, which must hold
a store (e.g. the one \`orderflow sink --to store\` writes).

The URL opens a view: /?symbol=BTCUSDT&venues=binance,okx,bybit&tf=1m. Bound beyond loopback,
the printed URL carries ?token=..., which the page turns into a cookie; scripts send
Authorization: Bearer <token>.

Examples:
  $ orderflow serve
  $ orderflow serve --home ~/of --port 9000 --symbol ETH
  $ ORDERFLOW_TOKEN=$(openssl rand -hex 16) orderflow serve --host 0.0.0.0
  $ orderflow serve --home ~/desk-store --bus nats://10.0.0.5:4222`,
    )
    .action(async (opts: ServeOpts) => {
      const port = Number(opts.port);
      if (opts.port.trim() === '' || !Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: expected a port number 0-65535, got ${JSON.stringify(opts.port)}`);
      const home = existingHome(opts);
      const { startServer } = await import('../server/server.ts');
      const { viewQuery } = await import('../server/view.ts');
      const token = opts.token ?? process.env.ORDERFLOW_TOKEN;
      // The bus first: an unreachable server or a bus nothing records to stops the command before it listens.
      const { connectBus } = await import('../bus/connection.ts');
      const { requireStream } = await import('../bus/stream.ts');
      const bus = opts.bus ? await connectBus(opts.bus, 'orderflow serve') : undefined;
      let server;
      try {
        if (bus) await requireStream(bus, opts.stream);
        server = await startServer({ home, host: opts.host, port, token, log: opts.log ? process.stderr : undefined, bus: bus && { bus, stream: opts.stream }, warm: true });
      } catch (e) {
        await bus?.nc.close();
        throw e;
      }
      const stop = untilStopped(undefined);
      try {
        const view = await viewQuery(home, opts.symbol);
        // The token goes on the printed URL only: the terminal is the user's; logs never see it.
        const tokenPart = token === undefined ? '' : `${view === '' ? '?' : '&'}token=${encodeURIComponent(token)}`;
        console.log(`dashboard: ${server.url}/${view}${tokenPart}`);
        if (bus) console.error(`live events from the bus ${bus.url} (stream ${opts.stream})`);
        console.error('Ctrl-C to stop');
        await stop.done;
      } finally {
        stop.dispose();
        await server.close();
        await bus?.nc.close();
      }
    });
}
