/** Temporary stores and archive files for store and CLI tests. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, deflateRawSync } from 'node:zlib';
import { after } from 'node:test';
import { importFile, type ImportOptions, type ImportResult } from '../../src/store/importer.ts';
import { Store } from '../../src/store/store.ts';
import { allFormats } from '../../src/venues/formats.ts';
import { loadBundledInstruments } from '../../src/venues/instruments.ts';

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

/**
 * A minimal zip writer (deflate, one or more entries), as data.binance.vision publishes them:
 * enough to test the importer's zip path without a zip dependency.
 */
export function writeZip(path: string, entries: Record<string, string | Buffer>): void {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of Object.entries(entries)) {
    const data = Buffer.isBuffer(content) ? content : Buffer.from(content);
    const deflated = deflateRawSync(data);
    const nameBuf = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(deflated.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(deflated.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, deflated);
    centrals.push(central, nameBuf);
    offset += local.length + nameBuf.length + deflated.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(entries).length, 8);
  end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  writeFileSync(path, Buffer.concat([...locals, cd, end]));
}
