/**
 * Is `dist/` the build of the files as they are now? bin/orderflow asks this on every start, so
 * it must be cheap: the build writes a stamp listing the files it depends on (every source, and
 * each bundled package's package.json, relative to the package root) with mtime and size; dist is fresh
 * when the stamp exists and every listed file still has both. A file added since can only matter
 * once an edited (so changed) file imports it, so the listed files are enough. Plain JavaScript:
 * it runs before any TypeScript loader exists.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export const STAMP_FILE = '.build-stamp.json';

export function distIsFresh(root, outDir = join(root, 'dist')) {
  let stamp;
  try {
    stamp = JSON.parse(readFileSync(join(outDir, STAMP_FILE), 'utf8'));
  } catch {
    return false;
  }
  if (!Array.isArray(stamp?.inputs) || stamp.inputs.length === 0) return false;
  for (const [rel, mtimeMs, size] of stamp.inputs) {
    const st = statSync(join(root, rel), { throwIfNoEntry: false });
    if (st === undefined || st.mtimeMs !== mtimeMs || st.size !== size) return false;
  }
  return true;
}
