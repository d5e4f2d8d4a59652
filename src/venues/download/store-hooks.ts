/**
 * The store wired into the downloader (downloader.ts DownloadHooks): what is already imported,
 * and importing a fetched file.
 */
import type { InstrumentRegistry } from '../../core/instruments.ts';
import { importFile } from '../../store/importer.ts';
import type { Store } from '../../store/store.ts';
import { allFormats } from '../formats.ts';
import type { DownloadHooks } from './downloader.ts';

/**
 * The store as downloader hooks. Store calls are serialized (one DuckDB connection): a ledger
 * lookup waits for an import in progress.
 */
export function storeHooks(store: Store, instruments: InstrumentRegistry): DownloadHooks {
  const formats = allFormats();
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn, fn);
    chain = p.catch(() => {});
    return p;
  };
  return {
    alreadyImported: (file, sha256, size) =>
      serial(async () => {
        if (sha256 !== undefined) return (await store.rows('SELECT 1 FROM imports WHERE sha256 = $1', [sha256])).length > 0;
        if (size === undefined) return false;
        const rows = await store.rows('SELECT 1 FROM imports WHERE size = $1 AND (path = $2 OR ends_with(path, $3))', [size, file.name, `/${file.name}`]);
        return rows.length > 0;
      }),
    importFile: (path, file) =>
      serial(async () => {
        const r = await importFile(store, path, { formats, instruments, format: file.format });
        return { status: r.status, rows: r.rows, format: r.format, importId: r.importId };
      }),
  };
}
