/**
 * Compaction of the lake's closed hours: a sink writes one file per partition per group, so an
 * hour of a busy sink holds hundreds of small files; each closed hour partition holding several
 * sink files becomes one file, rows in the order readers see them (time, then file name, then row
 * in file: layout.ts), every column kept (`batch_id` too, so a late redelivery is still found).
 *
 * An hour is closed once it ended `olderThanMs` ago (default 96 h: the bus keeps 72 h, and a
 * sink writes an event into the hour of its exchange time, so after that no sink writes there).
 * Only folders whose every data file is a sink's (`<seq>-<seq>-<tag>.parquet`) are compacted;
 * `export --layout lake` already writes one file per partition.
 *
 * Never a half state for readers or a crash, through a staging folder outside the tables
 * (`<lake>/_compact/<tag>/`, which no reader's glob reaches):
 *   1. the compacted file is written and fsync'd into `<tag>/new/`, and `<tag>/plan.json` names the hour;
 *   2. the hour's folder is renamed to `<tag>/old` (readers see the hour absent for the next step);
 *   3. `<tag>/new` is renamed to the hour's folder; 4. `<tag>` is deleted.
 * A crash leaves `<tag>`: the next compaction first finishes it (the hour absent and `new` there:
 * step 3) or drops it (the hour there: steps 1 or 4), so no row is ever lost or doubled.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { fsyncPath } from './fsync-path.ts';
import { dirname, join, relative } from 'node:path';
import { sqlString } from '../store/parquet.ts';
import { Store } from '../store/store.ts';
import { lakeFileTarget } from './layout.ts';

export const DEFAULT_COMPACT_AFTER_MS = 96 * 3_600_000;
const SINK_FILE = /^(\d{20})-(\d{20})-[0-9a-f]{8}\.parquet$/;
const STAGING = '_compact';

export interface CompactOptions {
  /** Hours that ended at least this long ago are compacted. */
  readonly olderThanMs?: number;
  readonly now?: number;
  /** Called after each hour (progress). */
  readonly onHour?: (folder: string, files: number, rows: number) => void;
}

export interface CompactResult {
  readonly hours: number;
  readonly filesIn: number;
  readonly rows: number;
  /** Interrupted compactions found and finished (or dropped) first. */
  readonly recovered: number;
}

function dirs(path: string): string[] {
  try {
    return readdirSync(path, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
  } catch {
    return [];
  }
}

/** Finishes or drops what an interrupted compaction left in `<lake>/_compact`. */
function recover(lake: string): number {
  let n = 0;
  for (const tag of dirs(join(lake, STAGING))) {
    const stage = join(lake, STAGING, tag);
    const planFile = join(stage, 'plan.json');
    if (existsSync(planFile)) {
      const folder = join(lake, (JSON.parse(readFileSync(planFile, 'utf8')) as { folder: string }).folder);
      if (!existsSync(folder)) {
        // Between steps 2 and 3: the compacted file goes in (or, without it, the old files back).
        renameSync(existsSync(join(stage, 'new')) ? join(stage, 'new') : join(stage, 'old'), folder);
        fsyncPath(dirname(folder));
      }
    }
    rmSync(stage, { recursive: true, force: true });
    n++;
  }
  return n;
}

/** The hour folders of the lake (`<table>/venue=/symbol=/date=/hour=`), relative to it. */
function hourFolders(lake: string): string[] {
  const out: string[] = [];
  for (const table of dirs(lake)) {
    if (table.startsWith('_')) continue;
    for (const venue of dirs(join(lake, table))) for (const symbol of dirs(join(lake, table, venue))) for (const date of dirs(join(lake, table, venue, symbol))) for (const hour of dirs(join(lake, table, venue, symbol, date))) out.push(join(table, venue, symbol, date, hour));
  }
  return out;
}

/** The hour's end, epoch ms, from its `date=YYYY-MM-DD/hour=H` folders; NaN when they are not the layout's. */
function hourEnd(folder: string): number {
  const m = /date=(\d{4}-\d{2}-\d{2})[/\\]hour=(\d{1,2})$/.exec(folder);
  return m ? Date.parse(`${m[1]}T00:00:00Z`) + (Number(m[2]) + 1) * 3_600_000 : NaN;
}

export async function compactLake(lake: string, o: CompactOptions = {}): Promise<CompactResult> {
  const recovered = recover(lake);
  const cutoff = (o.now ?? Date.now()) - (o.olderThanMs ?? DEFAULT_COMPACT_AFTER_MS);
  const db = await Store.openMemory();
  let hours = 0;
  let filesIn = 0;
  let rows = 0;
  try {
    // One thread: the ORDER BY is the file's row order.
    await db.run('SET threads = 1');
    for (const folder of hourFolders(lake)) {
      if (!(hourEnd(folder) <= cutoff)) continue;
      const abs = join(lake, folder);
      const names = readdirSync(abs).filter((f) => f.endsWith('.parquet')).sort();
      if (names.length < 2 || !names.every((f) => SINK_FILE.test(f))) continue;
      const first = SINK_FILE.exec(names[0])![1];
      const last = names.map((f) => SINK_FILE.exec(f)![2]).sort().at(-1)!;
      const tag = randomBytes(4).toString('hex');
      const stage = join(lake, STAGING, `${Date.now()}-${tag}`);
      mkdirSync(join(stage, 'new'), { recursive: true });
      const out = join(stage, 'new', `${first}-${last}-${tag}.parquet`);
      // Readers order same-timestamp rows by file name, then row in file: the one file keeps that order.
      const src = `read_parquet([${names.map((f) => sqlString(join(abs, f))).join(', ')}], union_by_name = true, hive_partitioning = false, filename = true, file_row_number = true)`;
      const timeCol = folder.startsWith('klines') ? 'open_time' : 'ts';
      await db.copyQuery(`SELECT * EXCLUDE (filename, file_row_number) FROM ${src} ORDER BY ${timeCol}, filename, file_row_number`, [], lakeFileTarget(out));
      const [{ n }] = await db.rows<{ n: bigint }>(`SELECT count(*) AS n FROM read_parquet(${sqlString(out)})`);
      const [{ m }] = await db.rows<{ m: bigint }>(`SELECT count(*) AS m FROM ${src}`);
      if (n !== m) throw new Error(`compaction of ${folder}: wrote ${n} rows of ${m}; nothing changed`);
      fsyncPath(out);
      fsyncPath(join(stage, 'new'));
      writeFileSync(join(stage, 'plan.json'), JSON.stringify({ folder: relative(lake, abs) }));
      fsyncPath(join(stage, 'plan.json'));
      fsyncPath(stage);
      renameSync(abs, join(stage, 'old'));
      renameSync(join(stage, 'new'), abs);
      fsyncPath(dirname(abs));
      rmSync(stage, { recursive: true, force: true });
      hours++;
      filesIn += names.length;
      rows += Number(n);
      o.onHour?.(folder, names.length, Number(n));
    }
  } finally {
    db.close();
  }
  return { hours, filesIn, rows, recovered };
}
