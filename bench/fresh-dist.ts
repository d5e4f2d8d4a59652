/**
 * Benches that time `bin/orderflow` must time what a user runs after `npm ci`: the compiled
 * dist/. bin/orderflow silently falls back to the sources through tsx when dist/ is missing or
 * older than src/ (several times slower to start), so build it first when needed, and say so.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from '../scripts/build.mjs';
import { distIsFresh } from '../scripts/dist-stamp.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');

export async function ensureFreshDist(bench: string): Promise<void> {
  if (distIsFresh(ROOT)) return;
  const b = await build();
  console.error(`${bench} bench: dist/ was missing or stale; built from ${b.inputs} files in ${b.ms} ms`);
}
