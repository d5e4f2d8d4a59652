/**
 * The lake writer alone (no bus): a redelivered batch is written only where the lake lacks it,
 * down to the hour, so a crash between the renames of one group's files never loses or doubles.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LakeWriter } from '../../src/bus/lake-writer.ts';
import { openLake } from '../../src/lake/lake-store.ts';
import type { ReceivedBatch } from '../../src/bus/sink.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/store.ts';
import { trade } from './events.ts';

const batch = (from: number, to: number, seq: number, redelivered: boolean): ReceivedBatch => ({
  msgId: `binance.BTCUSDT.trade.${5_000_000 + from}-${5_000_000 + to - 1}.${to - from}`,
  seq,
  redelivered,
  batch: { venue: 'binance', symbol: 'BTCUSDT', type: 'trade', events: Array.from({ length: to - from }, (_, k) => trade(from + k)) },
});

describe('lake writer', () => {
  let scratch: Store;
  before(async () => (scratch = await Store.openMemory()));
  after(() => scratch.close());
  const ids = async (dir: string) =>
    (await scratch.rows<{ id: bigint }>(`SELECT trade_id AS id FROM read_parquet('${dir}/trades/**/*.parquet', hive_partitioning = true) ORDER BY id`)).map((r) => Number(r.id) - 5_000_000);

  it('rewrites only the hour a batch is missing from after a crash between two renames', async () => {
    const dir = tempDir();
    const w = await LakeWriter.open(dir);
    // Trades 30..89 span 07:59:30 to 08:00:29: hours 07 and 08.
    assert.deepEqual(await w.write([batch(30, 90, 7, false)]), { written: 1, skipped: 0, events: 60 });
    const hour8 = join(dir, 'trades/venue=binance/symbol=BTCUSDT/date=2026-12-05/hour=8');
    for (const f of readdirSync(hour8)) rmSync(join(hour8, f)); // the crash came before this rename
    assert.deepEqual(await w.write([batch(30, 90, 7, true)]), { written: 1, skipped: 0, events: 30 });
    assert.deepEqual(await ids(dir), Array.from({ length: 60 }, (_, i) => 30 + i));
    // Everywhere already: skipped, nothing written.
    assert.deepEqual(await w.write([batch(30, 90, 7, true), batch(30, 90, 7, true)]), { written: 0, skipped: 2, events: 0 });
    assert.equal((await ids(dir)).length, 60);
    await w.close();
  });

  it('same-timestamp rows of several groups in one partition read back in stream order through --lake', async () => {
    const dir = tempDir();
    const w = await LakeWriter.open(dir);
    // Seqs 8..12: 9 and 10 sort wrongly as plain numbers in text. Every trade at the same millisecond.
    const tied = (seq: number): ReceivedBatch => ({ msgId: `tied.${seq}`, seq, redelivered: false, batch: { venue: 'binance', symbol: 'BTCUSDT', type: 'trade', events: [0, 1].map((k) => ({ ...trade(0), id: String(seq * 10 + k) })) } });
    for (const seq of [8, 9, 10, 11, 12]) await w.write([tied(seq)]);
    await w.close();
    const lake = await openLake(dir, { venues: ['binance'], symbols: ['BTCUSDT'] });
    try {
      const rows = await lake.rows<{ id: bigint }>('SELECT trade_id AS id FROM trades ORDER BY ts, rowid');
      assert.deepEqual(rows.map((r) => Number(r.id)), [80, 81, 90, 91, 100, 101, 110, 111, 120, 121]);
    } finally {
      lake.close();
    }
  });

  it('20,000 same-millisecond trades in one group read back through --lake in arrival order', async () => {
    const dir = tempDir();
    const w = await LakeWriter.open(dir);
    const n = 20_000;
    const events = Array.from({ length: n }, (_, k) => ({ ...trade(0), id: String(k) }));
    await w.write([{ msgId: 'big', seq: 1, redelivered: false, batch: { venue: 'binance', symbol: 'BTCUSDT', type: 'trade', events } }]);
    await w.close();
    const lake = await openLake(dir, { venues: ['binance'], symbols: ['BTCUSDT'] });
    try {
      const rows = await lake.rows<{ id: bigint }>('SELECT trade_id AS id FROM trades ORDER BY ts, rowid');
      assert.deepEqual(rows.map((r) => Number(r.id)), Array.from({ length: n }, (_, k) => k));
    } finally {
      lake.close();
    }
  });

  it('a redelivered batch meeting only files without batch_id (written by export --layout lake) is written', async () => {
    const dir = tempDir();
    const hour7 = join(dir, 'trades/venue=binance/symbol=BTCUSDT/date=2026-12-05/hour=7');
    mkdirSync(hour7, { recursive: true });
    await scratch.run(`COPY (SELECT 1 AS import_id) TO '${hour7}/data_0.parquet' (FORMAT parquet)`);
    const w = await LakeWriter.open(dir);
    assert.deepEqual(await w.write([batch(0, 10, 3, true)]), { written: 1, skipped: 0, events: 10 });
    assert.deepEqual(await w.write([batch(0, 10, 3, true)]), { written: 0, skipped: 1, events: 0 });
    await w.close();
    const files = readdirSync(hour7).sort();
    assert.equal(files.length, 2);
    assert.match(files[0], /^0{19}3-0{19}3-[0-9a-f]{8}\.parquet$/, 'zero-padded sequences sort before data_0');
  });
});
