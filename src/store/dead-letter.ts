/**
 * The dead-letter file: rows the recorder could not store, one JSON object per line in
 * `<home>/dead-letter/<UTC date>.jsonl`, appended and fsync'd in the flush that refused them, so
 * a refused row is either in the store or here, never silently gone.
 *
 * A line: `{"at","venue","symbol","type","ts","time","stage","reason","event","frame"?}`:
 * `at` when it was written (ISO), `ts` the row's exchange time (epoch ms; the gap's start for gap
 * rows) and `time` the same in ISO, `stage` `check` (refused by the recorder's checks, before the
 * store) or `store` (refused by the store alone, found by bisecting the batch), `reason` what was
 * wrong, `event` the normalized row, `frame` the raw text of the frame being handled when the
 * connector delivered the row (absent for rows built from REST answers or by the recorder).
 */
import { closeSync, createReadStream, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { PendingRow } from './pending-queue.ts';

export interface DeadLetter {
  readonly row: PendingRow;
  readonly frame: string | undefined;
  readonly stage: 'check' | 'store';
  readonly reason: string;
}

export function deadLetterDir(home: string): string {
  return join(home, 'dead-letter');
}

/** Lines kept in memory when the file cannot be written (disk full), retried with the next flush. */
const MAX_UNWRITTEN = 10_000;

function isoOrNull(ms: number): string | null {
  return Number.isFinite(ms) && Math.abs(ms) < 8.64e15 ? new Date(ms).toISOString() : null;
}

export function deadLetterLine(d: DeadLetter, at: number): string {
  const r = d.row;
  const head = r.type === 'gap' ? { venue: r.gap.venue, symbol: r.gap.symbol, type: 'gap', ts: r.gap.fromTs } : { venue: r.venue, symbol: r.symbol, type: r.type, ts: r.type === 'kline' ? r.openTime : r.ts };
  const event = r.type === 'gap' ? r.gap : r;
  return `${JSON.stringify({ at: new Date(at).toISOString(), ...head, time: isoOrNull(head.ts), stage: d.stage, reason: d.reason, event, ...(d.frame !== undefined ? { frame: d.frame } : {}) })}\n`;
}

/** Appends dead letters under one store home. */
export class DeadLetterLog {
  /** Rows written to the file so far. */
  written = 0;
  /** Rows lost because the file could not be written for longer than MAX_UNWRITTEN lines. */
  lost = 0;
  private unwritten: string[] = [];
  private readonly paths = new Set<string>();

  constructor(readonly dir: string) {}

  /** Files written to so far. */
  files(): string[] {
    return [...this.paths];
  }

  /** Append and fsync; on failure the lines wait for the next call (bounded) and the error is thrown. */
  append(letters: readonly DeadLetter[], now = Date.now()): void {
    for (const d of letters) this.unwritten.push(deadLetterLine(d, now));
    if (this.unwritten.length === 0) return;
    if (this.unwritten.length > MAX_UNWRITTEN) {
      const over = this.unwritten.length - MAX_UNWRITTEN;
      this.unwritten.splice(0, over);
      this.lost += over;
    }
    mkdirSync(this.dir, { recursive: true });
    const path = join(this.dir, `${new Date(now).toISOString().slice(0, 10)}.jsonl`);
    const fd = openSync(path, 'a');
    try {
      writeSync(fd, this.unwritten.join(''));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    this.paths.add(path);
    this.written += this.unwritten.length;
    this.unwritten = [];
  }
}

export interface DeadLetterSummary {
  /** Dead-lettered rows (lines) in all files, or only those of the kept symbols. */
  readonly rows: number;
  readonly files: string[];
}

/**
 * Count the dead-lettered rows under `home`. Without `symbols` it counts lines; with them it
 * reads each line's symbol (files are small: rows the store refused).
 */
export async function deadLetterSummary(home: string, symbols?: ReadonlySet<string>): Promise<DeadLetterSummary> {
  const dir = deadLetterDir(home);
  if (!existsSync(dir)) return { rows: 0, files: [] };
  const files = readdirSync(dir).filter((f) => f.endsWith('.jsonl')).sort().map((f) => join(dir, f));
  let rows = 0;
  const used: string[] = [];
  for (const path of files) {
    let n = 0;
    if (symbols === undefined) {
      for await (const chunk of createReadStream(path)) {
        const buf = chunk as Buffer;
        for (let at = buf.indexOf(10); at !== -1; at = buf.indexOf(10, at + 1)) n++;
      }
    } else {
      let carry = '';
      for await (const chunk of createReadStream(path, 'utf8')) {
        const lines = (carry + (chunk as string)).split('\n');
        carry = lines.pop()!;
        for (const line of lines) if (line && symbols.has(symbolOf(line))) n++;
      }
      if (carry && symbols.has(symbolOf(carry))) n++;
    }
    if (n > 0 || symbols === undefined) used.push(path);
    rows += n;
  }
  return { rows, files: used };
}

function symbolOf(line: string): string {
  try {
    const s = (JSON.parse(line) as { symbol?: unknown }).symbol;
    return typeof s === 'string' ? s : '';
  } catch {
    return '';
  }
}
