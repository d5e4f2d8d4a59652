/**
 * Waiting on what a running `orderflow record` has committed, read through it (reading while
 * recording), instead of sleeping a fixed time a loaded machine can outrun.
 */
import { Store } from '../../src/store/store.ts';
import { waitFor } from './wait.ts';

/** Rows of `table` in the store at `home` (through its writer while one runs); -1 when it could not answer yet. */
export async function committedRows(home: string, table = 'trades'): Promise<number> {
  try {
    const store = await Store.open(home, { readOnly: true });
    try {
      return Number((await store.rows<{ n: bigint }>(`SELECT count(*) AS n FROM ${table}`))[0].n);
    } finally {
      store.close();
    }
  } catch {
    return -1;
  }
}

/** Wait until the store at `home` holds at least `n` rows of `table`; after `ms`, fail saying so. */
export async function waitCommitted(home: string, n: number, table = 'trades', ms = 20_000): Promise<void> {
  await waitFor(async () => (await committedRows(home, table)) >= n, `${n} ${table} rows committed in ${home}`, ms, 100);
}
