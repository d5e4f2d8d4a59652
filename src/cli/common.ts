import { existsSync, realpathSync } from 'node:fs';
import { delimiter, isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { PERP_VENUES } from '../core/events.ts';
import type { LakeScope } from '../lake/lake-store.ts';
import { DB_FILE, resolveHome, Store } from '../store/store.ts';

export interface HomeOpts {
  home?: string;
}

/** Every command that touches the store takes --home (else $ORDERFLOW_HOME, else ./orderflow-data). */
export function homeOption(cmd: Command): Command {
  return cmd.option('--home <dir>', 'store folder (default: $ORDERFLOW_HOME or ./orderflow-data)');
}

/** What `marketOptions` words differently per command. */
export interface MarketOptionsHelp {
  /** `--venues` also takes binance-spot (the flow commands; not liquidations, which spot has none of). */
  spot?: boolean;
  /** `--venues` help when the venues are compared rather than merged. */
  venues?: string;
  /** Appended to `--from`'s help (e.g. that it also starts the liquidation history). */
  fromNote?: string;
}

/**
 * The market an analysis command reads (`--symbol`, `--venues`, `--from`, `--to`), worded once:
 * every one of them resolves it through `marketQuery` (src/cli/options.ts), so the help is the same.
 */
export function marketOptions(cmd: Command, help: MarketOptionsHelp = {}): Command {
  const venues = help.venues ?? `comma-separated venues, merged (default the perpetual venues: ${PERP_VENUES.join(',')}${help.spot ? '; add binance-spot by name' : ''})`;
  return cmd
    .requiredOption('--symbol <symbol>', "a venue-native symbol (ETHUSDT, ETH-USDT-SWAP) or a base asset (ETH = its perpetual on every venue); other OKX ids (UNI-USD-SWAP, spot BTC-USDT with --venues okx) are OKX's alone")
    .option('--venues <list>', venues)
    .option('--from <time>', `from this time, inclusive (2024-11-01, 2024-11-01T12:00: UTC unless a zone follows; or epoch ms)${help.fromNote ?? ''}`)
    .option('--to <time>', 'up to this time, exclusive');
}

export function resolveHomeOpt(opts: HomeOpts): string {
  return resolveHome(opts.home);
}

/** For read-only commands: the store must already exist. */
export function existingHome(opts: HomeOpts): string {
  const home = resolveHome(opts.home);
  if (!existsSync(join(home, DB_FILE))) {
    throw new UsageError(`no store at ${home} (nothing imported yet?). Run '${selfCommand()} import <files>' first, or pass --home / set ORDERFLOW_HOME.`);
  }
  return home;
}

export interface LakeOpts extends HomeOpts {
  lake?: string;
}

/** `--lake`: read a market from the Parquet lake instead of the store (src/lake/lake-store.ts). */
export function lakeOption(cmd: Command): Command {
  return cmd.option('--lake <dir|s3://bucket/prefix>', 'read the Parquet lake (orderflow export --layout lake, or the bus sink) instead of the store: only the partitions of these markets and range are read (docs/SCALING.md)');
}

/**
 * The store under --home, or with --lake the lake's partitions of `scope`, for reading. The lake's
 * modules load DuckDB's native module, so they are imported only when --lake is given.
 */
export async function openReadSource(opts: LakeOpts, scope: LakeScope): Promise<Store> {
  if (!opts.lake) return Store.open(existingHome(opts), { readOnly: true });
  const { openLake } = await import('../lake/lake-store.ts');
  return openLake(opts.lake, scope);
}

/** This checkout's or installation's launcher. */
const BIN = fileURLToPath(new URL('../../bin/orderflow', import.meta.url));

/** Whether `name` is an executable on PATH; `target`: and resolves to that file. */
export function onPath(name: string, target?: string, env: NodeJS.ProcessEnv = process.env): boolean {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    try {
      const found = realpathSync(join(dir, name));
      if (target === undefined || found === realpathSync(target)) return true;
    } catch {
      // not there
    }
  }
  return false;
}

/**
 * How to run orderflow again from the working directory, for "next:" hints: `orderflow` when that
 * name on PATH is this installation (npm install -g), else this checkout's bin/orderflow, relative
 * when below the working directory.
 */
export function selfCommand(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): string {
  if (onPath('orderflow', BIN, env)) return 'orderflow';
  const rel = relative(cwd, BIN);
  if (rel.startsWith('..') || isAbsolute(rel)) return BIN;
  return rel.includes(sep) ? rel : `.${sep}${rel}`;
}
