/**
 * `orderflow` command-line entry point. One file per command, loaded only when asked for
 * (./commands.ts); this one only wires them up and turns our typed errors into one clear line
 * and an exit status.
 */
import { Command, CommanderError } from 'commander';
import { FileError, ParseError, StoreError, UsageError } from '../core/errors.ts';
import { printable } from '../core/printable.ts';
import { addCommands } from './commands.ts';
import { BusError } from '../bus/errors.ts';

/** The program for `args` (argv without node and script): only the command they name is loaded. */
export async function buildProgram(args: readonly string[]): Promise<Command> {
  const program = new Command('orderflow')
    .description('Order-flow workstation for crypto perpetual futures (Binance USD-M, OKX, Bybit): watch and record live public data or import real archives into an embedded DuckDB store, read its order flow (footprint, cumulative delta, size-weighted flow, sessions, liquidation clusters, absorption, divergence), and backtest and paper-trade the method with exchange-accurate margin and an honest baseline.')
    .version('0.1.0')
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText(
      'after',
      `
Store: one DuckDB file under --home, $ORDERFLOW_HOME or ./orderflow-data (docs/SCHEMA.md).
Times: 2024-11-01, 2024-11-01T12:00:00 or epoch ms, always UTC unless a zone follows (Z, +02:00);
--from is inclusive and --to exclusive in every command, download's days included.
Symbols: a base asset (BTC) or a USDT perpetual in any venue's spelling (BTCUSDT, BTC-USDT-SWAP)
names that perpetual on every venue; other OKX ids are OKX's alone (UNI-USD-SWAP; spot BTC-USDT
only with --venues okx); a symbol no instrument or stored market has is an error naming the closest.

Examples:
  $ orderflow demo                                   # a simulated cascade into a fresh store: the method on it
  $ orderflow import BTCUSDT-aggTrades-2024-01-01.zip
  $ orderflow download --venue binance --symbol AKTUSDT --kinds aggTrades,metrics --from 2024-11-01 --to 2024-11-15
  $ orderflow info --json
  $ orderflow export --out ./parquet --venue binance
  $ orderflow cvd --symbol BTCUSDT --timeframe 15m --reset day
  $ orderflow footprint --symbol BTCUSDT --timeframe 5m --level-ticks 10
  $ orderflow sizes --symbol BTCUSDT --timeframe 1h
  $ orderflow sessions --symbol ETH
  $ orderflow liquidations --symbol XRP --bps 25
  $ orderflow analyze --symbol BTC --out ./btc-analysis
  $ orderflow backtest --symbol BTC --from 2024-08-01 --to 2024-08-15
  $ orderflow watch --symbol BTC
  $ orderflow record --symbol BTC,ETH --raw ./captures
  $ orderflow paper --symbol AKT --config strategy.yaml --session akt-2w
  $ orderflow journal list
  $ orderflow journal report --session akt-2w --since 14d
  $ orderflow margin --venue binance --symbol BTCUSDT --side long --entry 30000 --qty 2 --leverage 10`,
    );
  await addCommands(program, args);
  return program;
}

export async function main(argv: string[]): Promise<void> {
  // `orderflow info | head`: a reader that stops early is not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  const program = await buildProgram(argv.slice(2));
  program.exitOverride();
  try {
    await program.parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode;
      return;
    }
    if (e instanceof UsageError) {
      console.error(`orderflow: ${printable(e.message)}`);
      process.exitCode = 2;
      return;
    }
    // Operators refuse impossible parameters (a window of 0 bars...) with a RangeError naming them.
    if (e instanceof RangeError) {
      console.error(`orderflow: ${printable(e.message)}`);
      process.exitCode = 2;
      return;
    }
    if (e instanceof FileError || e instanceof ParseError || e instanceof StoreError || e instanceof BusError) {
      console.error(`orderflow: ${e.code}: ${printable(e.message)}`);
      process.exitCode = 1;
      return;
    }
    throw e;
  }
}

await main(process.argv);
