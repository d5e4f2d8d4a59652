import { existsSync, realpathSync } from 'node:fs';
import { delimiter, isAbsolute, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
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
    throw new UsageError(`no store at ${home} (nothing imported yet?). Run '${selfCommand()} import <files>' first, or pass --home / set ORDERFLOW_HOME.`);
  }
  return home;
}

/**
 * `2024-11-01`, `2024-11-01T12:00`, `2024-11-01 12:00:30.5`, any of them with a zone (`Z`, `+02:00`,
 * `-0500`), or epoch ms -> epoch ms. A time without a zone is UTC, never the machine's zone: every
 * output prints UTC, and the same command must mean the same bars in Tokyo and New York.
 */
export function parseTime(text: string, option: string): number {
  const t = text.trim();
  if (/^\d{10,}$/.test(t)) return Number(t);
  const m = ISO_TIME.exec(t);
  const bad = () => new UsageError(`${option}: cannot read ${JSON.stringify(text)} as a time; use 2024-11-01, 2024-11-01T12:00:00 (UTC unless a zone such as Z or +02:00 follows) or epoch ms`);
  if (!m) throw bad();
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, frac === '' ? 0 : Number(`0.${frac}`) * 1000);
  const back = new Date(ms);
  // Date.UTC rolls 2024-02-30 over into March; a calendar date that does not exist is a typo.
  if (back.getUTCFullYear() !== +y || back.getUTCMonth() !== +mo - 1 || back.getUTCDate() !== +d || +h > 23 || +mi > 59 || +s > 59) throw bad();
  return ms - zoneOffsetMs(zone);
}

/** date, optional [T ]hh:mm[:ss[.fff]], optional Z / ±hh:mm / ±hhmm / ±hh. */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

function zoneOffsetMs(zone: string | undefined): number {
  if (zone === undefined || zone === 'Z' || zone === 'z') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0')) * 60_000;
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
