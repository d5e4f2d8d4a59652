import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { DB_FILE, resolveHome } from '../store/store.ts';

export interface HomeOpts {
  home?: string;
}

/** Every command that touches the store takes --home (else $ORDERFLOW_HOME, else ./orderflow-data). */
export function homeOption(cmd: Command): Command {
  return cmd.option('--home <dir>', 'store folder (default: $ORDERFLOW_HOME or ./orderflow-data)');
}

export function resolveHomeOpt(opts: HomeOpts): string {
  return resolveHome(opts.home);
}

/** For read-only commands: the store must already exist. */
export function existingHome(opts: HomeOpts): string {
  const home = resolveHome(opts.home);
  if (!existsSync(join(home, DB_FILE))) {
    throw new UsageError(`no store at ${home} (nothing imported yet?). Run 'orderflow import <files>' first, or pass --home / set ORDERFLOW_HOME.`);
  }
  return home;
}

/** `2024-11-01` or `2024-11-01T12:00:00Z` or epoch ms -> epoch ms (UTC). */
export function parseTime(text: string, option: string): number {
  const asNum = Number(text);
  if (/^\d{10,}$/.test(text) && Number.isFinite(asNum)) return asNum;
  const ms = Date.parse(/^\d{4}-\d{2}-\d{2}$/.test(text) ? `${text}T00:00:00Z` : text);
  if (!Number.isFinite(ms)) throw new UsageError(`${option}: cannot read ${JSON.stringify(text)} as a time; use 2024-11-01, 2024-11-01T12:00:00Z or epoch ms`);
  return ms;
}
