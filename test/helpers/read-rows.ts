/**
 * A reader in another process (DuckDB's lock is per process): opens the store under argv[2]
 * read-only, runs each query of argv[3] (JSON `[{sql, values}]`, bigint values as
 * {"$bigint":"n"}) and prints {writerPid, results: [{rows} | {error: {code, message}}]} with every
 * value tagged by its JS type.
 */
import { pathToFileURL } from 'node:url';
import { decodeValues } from '../../src/store/read-wire.ts';
import { Store } from '../../src/store/store.ts';

/** Row values with their JS type kept visible in JSON (a bigint is not a number, a Date not a string). */
export const tag = (v: unknown): unknown => {
  if (typeof v === 'bigint') return { bigint: v.toString() };
  if (v instanceof Date) return { date: v.toISOString() };
  if (Array.isArray(v)) return v.map(tag);
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, tag(x)]));
  return v;
};

const failure = (e: unknown) => ({ error: { code: (e as { code?: string }).code, message: (e as Error).message } });

async function main(home: string, queries: { sql: string; values?: unknown[] }[]): Promise<void> {
  let store: Store;
  try {
    store = await Store.open(home, { readOnly: true });
  } catch (e) {
    console.log(JSON.stringify(failure(e)));
    return;
  }
  const results: unknown[] = [];
  for (const q of queries) {
    try {
      results.push({ rows: tag(await store.rows(q.sql, decodeValues(q.values ?? []))) });
    } catch (e) {
      results.push(failure(e));
    }
  }
  console.log(JSON.stringify({ writerPid: store.writerPid ?? null, results }));
  store.close();
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv[2], JSON.parse(process.argv[3]));
