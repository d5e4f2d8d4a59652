/**
 * Readers of one store file side by side (a backtest's worker threads, two commands): each spills
 * its big sorts to its own folder, so one reader's spill never overwrites another's.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DB_FILE, Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/store.ts';

describe('store readers', () => {
  it('two readers of one file sorting more than their memory at once both get their rows', async () => {
    const home = join(tempDir(), 'home');
    (await Store.open(home)).close();
    const before = process.env.ORDERFLOW_MEMORY_LIMIT;
    process.env.ORDERFLOW_MEMORY_LIMIT = '64MB';
    const [a, b] = [await Store.open(home, { readOnly: true }), await Store.open(home, { readOnly: true })];
    process.env.ORDERFLOW_MEMORY_LIMIT = before;
    if (before === undefined) delete process.env.ORDERFLOW_MEMORY_LIMIT;
    const dirs: string[] = [];
    try {
      for (const s of [a, b]) dirs.push(String((await s.rows<{ d: string }>("SELECT current_setting('temp_directory') AS d"))[0].d));
      assert.notEqual(dirs[0], dirs[1]);
      for (const d of dirs) assert.ok(d.startsWith(join(home, `${DB_FILE}.tmp`)), d);
      // 4M rows of 3 numbers (96 MB) sorted under 64 MB spill; both sorts are open before either is read.
      const sql = 'SELECT i, hash(i)::DOUBLE AS h, i * 0.5 AS x FROM range(4000000) t(i) ORDER BY h';
      const streams = [await a.stream(sql), await b.stream(sql)];
      const firsts = [await streams[0].fetchChunk(), await streams[1].fetchChunk()];
      const counts = firsts.map((c) => c?.rowCount ?? 0);
      for (const [k, s] of streams.entries()) for (let c = await s.fetchChunk(); c && c.rowCount > 0; c = await s.fetchChunk()) counts[k] += c.rowCount;
      assert.deepEqual(counts, [4_000_000, 4_000_000]);
    } finally {
      a.close();
      b.close();
    }
    for (const d of dirs) assert.ok(!existsSync(d), `${d} is removed at close`);
  });
});
