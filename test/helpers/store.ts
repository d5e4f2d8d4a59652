/** Temporary stores and archive files for store and CLI tests. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { importFile, type ImportOptions, type ImportResult } from '../../src/store/importer.ts';
import { Store } from '../../src/store/store.ts';
import { allFormats } from '../../src/venues/formats.ts';
import { loadBundledInstruments } from '../../src/venues/bundled-instruments.ts';

/** A fresh folder removed when the test file ends. */
export function tempDir(prefix = 'orderflow-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export async function openTempStore(): Promise<Store> {
  const store = await Store.open(join(tempDir(), 'home'));
  after(() => store.close());
  return store;
}

const instruments = loadBundledInstruments();

export function importOpts(over: Partial<ImportOptions> = {}): ImportOptions {
  return { formats: allFormats(), instruments, ...over };
}

export function importInto(store: Store, path: string, over: Partial<ImportOptions> = {}): Promise<ImportResult> {
  return importFile(store, path, importOpts(over));
}

/** Row counts of every data table. */
export async function tableCounts(store: Store): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ['trades', 'liquidations', 'book', 'tickers', 'klines', 'depth_bands', 'imports']) {
    const [{ n }] = await store.rows<{ n: bigint }>(`SELECT count(*) AS n FROM ${t}`);
    out[t] = Number(n);
  }
  return out;
}

export { writeZip } from './zip.ts';
