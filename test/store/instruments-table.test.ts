/**
 * The store's instruments table: a v1 store (before `status`/`source`/`fetched_at`) migrates with
 * its rows kept; rows fetched from a venue read back as they were saved, tiers included.
 */
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DuckDBInstance } from '@duckdb/node-api';
import { loadFetchedInstruments, saveInstruments } from '../../src/store/instruments-table.ts';
import { MIGRATIONS } from '../../src/store/schema.ts';
import { DB_FILE, Store } from '../../src/store/store.ts';
import { loadBundledInstruments } from '../../src/venues/bundled-instruments.ts';
import { openTempStore, tempDir } from '../helpers/store.ts';

describe('instruments table', () => {
  it('a v1 store migrates to v2 keeping its instrument rows (source unknown until saved again)', async () => {
    const home = join(tempDir(), 'home');
    // A store as orderflow wrote it before v2: migration 1 only, one snapshot row.
    mkdirSync(home, { recursive: true });
    const db = await DuckDBInstance.create(join(home, DB_FILE));
    const conn = await db.connect();
    await conn.run('CREATE TABLE schema_version (version INTEGER NOT NULL)');
    await conn.run(MIGRATIONS[0]);
    await conn.run('INSERT INTO schema_version VALUES (1)');
    await conn.run(`INSERT INTO instruments VALUES ('okx', 'BTC-USDT-SWAP', 'BTC', 'USDT', 'perpetual', 'linear', 0.1, 0.01, 0.01, 'NaN', 100, 0.0002, 0.0005, '[]')`);
    conn.closeSync();
    db.closeSync();

    const store = await Store.open(home);
    try {
      const rows = await store.rows<{ symbol: string; source: string | null; fetched_at: unknown }>('SELECT symbol, source, fetched_at FROM instruments');
      assert.deepEqual(rows, [{ symbol: 'BTC-USDT-SWAP', source: null, fetched_at: null }]);
      assert.equal(await loadFetchedInstruments(store, 'okx'), undefined, 'a row of unknown source is no venue fallback');
      await saveInstruments(store, loadBundledInstruments());
      const [{ source }] = await store.rows<{ source: string }>("SELECT source FROM instruments WHERE symbol = 'BTC-USDT-SWAP'");
      assert.equal(source, 'snapshot');
    } finally {
      store.close();
    }
  });

  it('rows fetched from a venue read back with status, fetch time and tiers (the last cap unbounded)', async () => {
    const store = await openTempStore();
    const okx = loadBundledInstruments().all().filter((i) => i.venue === 'okx' && i.kind === 'perpetual');
    const at = Date.UTC(2026, 11, 4, 22, 10, 0, 123);
    const withOpenCap = okx.map((i) => (i.tiers.length ? { ...i, tiers: [...i.tiers.slice(0, -1), { ...i.tiers.at(-1)!, notionalCap: Infinity }] } : i));
    await saveInstruments(store, withOpenCap, { source: 'venue', fetchedAt: at, statuses: new Map([['ETH-USDT-SWAP', 'suspend']]), complete: true });
    const back = (await loadFetchedInstruments(store, 'okx'))!;
    assert.equal(back.fetchedAt, at);
    assert.equal(back.statuses.get('ETH-USDT-SWAP'), 'suspend');
    const norm = (list: readonly { symbol: string }[]) => [...list].sort((a, b) => (a.symbol < b.symbol ? -1 : 1));
    assert.deepEqual(norm(back.instruments), norm(withOpenCap));
  });
});
