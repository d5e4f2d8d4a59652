/**
 * Which files an `import` of some paths reads. A file named on the command line is always read
 * (one that is not market data then fails with the reason). A folder is walked (sorted, hidden
 * entries skipped) and keeps only market data: a README, a checksum, the simulator's
 * `labels.json` or anything else no format reads is listed as skipped with the reason, never
 * imported and never a failure. Symbolic links are followed; a link loop, a broken link or an
 * unreadable folder is skipped and listed too, so one odd entry never ends the walk.
 */
import { readdirSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { FileError } from '../core/errors.ts';
import type { FileFormat } from '../core/format.ts';
import { peekFirstLine } from './detect.ts';

export interface SkippedPath {
  readonly path: string;
  /** Why it is not imported, in words (`documentation`, `symbolic link loop`...). */
  readonly reason: string;
}

export interface ImportPaths {
  /** Files to import, in walk order. */
  readonly files: readonly string[];
  readonly skipped: readonly SkippedPath[];
}

/** Names of documentation and licence files, whatever their extension. */
const DOCUMENT = /^(readme|licen[cs]e|notice|copying|authors|changelog|changes|sources|manifest)([._ -].*)?$/i;
/** Checksums and signatures: each is verified with the file it sits beside, never imported. */
const CHECKSUM = /(\.checksum|\.sha256|\.sha256sum|\.sha512|\.md5|\.asc|\.sig)$|^(sha256sums|md5sums)(\.txt)?$/i;
/** Extensions some format reads (`.gz` of anything: hftbacktest names its captures `<sym>_<date>.gz`). */
const DATA = /\.(csv|jsonl|txt|json|data|parquet|zip|gz)$/i;
/** Data extensions that plain notes and label files share: read only when a format knows line 1. */
const AMBIGUOUS = /\.(txt|json)$/i;

export async function importPaths(paths: readonly string[], formats: readonly FileFormat[]): Promise<ImportPaths> {
  const files: string[] = [];
  const skipped: SkippedPath[] = [];
  // Real path of every folder walked -> the path it was first walked as; `open` holds the real
  // paths of the folders being walked now (a link to one of them is a loop).
  const walked = new Map<string, string>();
  const open = new Set<string>();

  const walkDir = async (dir: string): Promise<void> => {
    let real: string;
    let names: string[];
    try {
      real = realpathSync(dir);
      names = readdirSync(dir).sort();
    } catch (e) {
      skipped.push({ path: dir, reason: unreadable(e) });
      return;
    }
    const first = walked.get(real);
    if (first !== undefined) {
      skipped.push({ path: dir, reason: open.has(real) ? `symbolic link loop (back to ${first})` : `same folder as ${first}, already walked` });
      return;
    }
    walked.set(real, dir);
    open.add(real);
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const p = join(dir, name);
      let st: Stats;
      try {
        st = statSync(p);
      } catch (e) {
        skipped.push({ path: p, reason: unreadable(e) });
        continue;
      }
      if (st.isDirectory()) await walkDir(p);
      else if (!st.isFile()) skipped.push({ path: p, reason: 'not a regular file' });
      else {
        const why = await notMarketData(p, formats);
        if (why === undefined) files.push(p);
        else skipped.push({ path: p, reason: why });
      }
    }
    open.delete(real);
  };

  for (const p of paths) {
    let st: Stats;
    try {
      st = statSync(p);
    } catch (e) {
      throw new FileError('E_IO', p, unreadable(e));
    }
    if (st.isDirectory()) await walkDir(p);
    else if (CHECKSUM.test(basename(p))) skipped.push({ path: p, reason: 'checksum: verified with the file it sits beside' });
    else files.push(p);
  }
  return { files, skipped };
}

/** Why a file found in a folder is not market data, or undefined when some format may read it. */
async function notMarketData(path: string, formats: readonly FileFormat[]): Promise<string | undefined> {
  const name = basename(path);
  if (CHECKSUM.test(name)) return 'checksum: verified with the file it sits beside';
  if (DOCUMENT.test(name)) return 'documentation, not market data';
  if (!DATA.test(name)) return `not a market-data file type (${extname(name) || 'no extension'})`;
  if (AMBIGUOUS.test(name)) {
    const first = await peekFirstLine(path);
    if (first === undefined) return 'empty';
    if (!formats.some((f) => f.detect(name, first) > 0)) return 'no format reads its name and line 1 (name the file to import it anyway)';
  }
  return undefined;
}

/** A stat/readdir failure in words: link loops and broken links named as such. */
function unreadable(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (err.code === 'ELOOP') return 'symbolic link loop';
  if (err.code === 'ENOENT') return 'no such file or directory (or a broken symbolic link)';
  if (err.code === 'EACCES' || err.code === 'EPERM') return 'permission denied';
  if (err.code === 'ENAMETOOLONG') return 'path too long (a symbolic link loop?)';
  return err.message;
}
