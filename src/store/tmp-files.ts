/**
 * Files an import keeps for a while in `<home>/tmp` (the segments of a zip's entry DuckDB loads;
 * older versions extracted the whole entry there). Each name starts with the owning process id, so a
 * later import can remove what a killed one left behind without touching a live import's files.
 */
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { processAlive } from '../core/process-alive.ts';

let seq = 0;

/** A fresh path in `dir` owned by this process: `<pid>-<seq>-<name>`. */
export function ownedTmpPath(dir: string, name: string): string {
  mkdirSync(dir, { recursive: true });
  return join(dir, `${process.pid}-${Date.now()}-${seq++}-${name}`);
}

/**
 * Remove the files in `dir` whose owner process is gone (an import killed mid-way). Files of
 * live processes, of this one, and names not made by ownedTmpPath stay. Returns what it removed.
 */
export function removeStaleTmp(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return []; // no tmp folder yet
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = /^(\d+)-\d+-/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || processAlive(pid)) continue;
    rmSync(join(dir, name), { force: true, recursive: true });
    removed.push(name);
  }
  return removed;
}
