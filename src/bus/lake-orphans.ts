/**
 * The `.parquet.tmp` files a killed lake sink leaves (written, not yet renamed: nothing reads
 * them, but they hold disk). Each is named after its writer, `<name>.<host>-<pid>.parquet.tmp`, so
 * a sink starting on the same lake removes those whose process is gone from this host, and never
 * the file a live sink (another one on the same durable) is writing. A tmp of another host is left
 * to that host's next sink (a lake on shared storage); one without an owner in its name is left too.
 *
 * A sink writes the partitions of its events' exchange time; a restarted one back-fills at most the
 * bus's retention (72 h by default), so only the `date=` folders of the last `days` days are walked
 * (default 4), not the whole lake.
 */
import { hostname } from 'node:os';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '../core/process-alive.ts';

export const ORPHAN_WINDOW_DAYS = 4;

/** This process as a tmp file's owner: the host (letters, digits, `_` and `-` kept) and the pid. */
export function tmpOwner(): string {
  return `${hostname().replace(/[^A-Za-z0-9_-]/g, '_') || 'host'}-${process.pid}`;
}

const OWNED = /\.([A-Za-z0-9_-]+)-(\d+)\.parquet\.tmp$/;

export interface OrphanSweep {
  /** Removed: their writer is gone. */
  readonly removed: string[];
  /** Left: a live writer's, another host's, or without an owner. */
  readonly left: string[];
}

function dirs(path: string): string[] {
  try {
    return readdirSync(path, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}

/** Sweeps `<lake>/<table>/venue=*\/symbol=*\/date=<recent>/hour=*` for `.parquet.tmp` files. */
export function removeOrphanTmp(lake: string, o: { days?: number; now?: number } = {}): OrphanSweep {
  const since = new Date((o.now ?? Date.now()) - (o.days ?? ORPHAN_WINDOW_DAYS) * 86_400_000).toISOString().slice(0, 10);
  const host = tmpOwner().replace(/-\d+$/, '');
  const removed: string[] = [];
  const left: string[] = [];
  for (const table of dirs(lake)) {
    if (table.startsWith('_')) continue; // _dead-letter
    for (const venue of dirs(join(lake, table))) {
      for (const symbol of dirs(join(lake, table, venue))) {
        const sym = join(lake, table, venue, symbol);
        // date=YYYY-MM-DD sorts as text.
        for (const date of dirs(sym).filter((d) => d.startsWith('date=') && d.slice(5) >= since)) {
          for (const hour of dirs(join(sym, date))) {
            const folder = join(sym, date, hour);
            for (const name of readdirSync(folder)) {
              if (!name.endsWith('.parquet.tmp')) continue;
              const path = join(folder, name);
              const m = OWNED.exec(name);
              const pid = m ? Number(m[2]) : NaN;
              if (!m || m[1] !== host || pid === process.pid || processAlive(pid)) {
                left.push(path);
                continue;
              }
              rmSync(path, { force: true });
              removed.push(path);
            }
          }
        }
      }
    }
  }
  return { removed, left };
}
