/**
 * `orderflow compact` over the lake a sink writes: a closed hour's files become one with the
 * same rows in the order readers see them (same-timestamp rows of several groups included), the
 * open hours are left, a redelivery after compaction is still recognised, and an interrupted
 * compaction is finished or dropped without losing or doubling a row.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { LakeWriter } from '../../src/bus/lake-writer.ts';
import type { ReceivedBatch } from '../../src/bus/sink.ts';
import type { TradeEvent } from '../../src/core/events.ts';
import { compactLake } from '../../src/lake/compact.ts';
import { Store } from '../../src/store/store.ts';
import { BIN } from '../helpers/paths.ts';
import { runProcess } from '../helpers/process.ts';
import { tempDir } from '../helpers/store.ts';
import { T0, trade } from './events.ts';

const H = 3_600_000;
const HOUR7 = 'trades/venue=binance/symbol=BTCUSDT/date=2026-12-05/hour=7';
const HOUR8 = 'trades/venue=binance/symbol=BTCUSDT/date=2026-12-05/hour=8';

/** Group g: trades i in [from, to), plus one trade at T0 + 30 s (the same time in every group: ties across files). */
function group(g: number, from: number, to: number): ReceivedBatch[] {
  const tie: TradeEvent = { ...trade(30), id: String(6_000_000 + g) };
  const events = [...Array.from({ length: to - from }, (_, k) => trade(from + k)), tie].sort((a, b) => a.ts - b.ts);
  return [{ msgId: `g${g}`, seq: 10 * g + 1, redelivered: false, batch: { venue: 'binance', symbol: 'BTCUSDT', type: 'trade', events } }];
}

describe('lake compaction', () => {
  let scratch: Store;
  before(async () => (scratch = await Store.openMemory()));
  after(() => scratch.close());
  /** Every row as readers order them: time, file name, row in file. */
  const rows = async (dir: string) =>
    (
      await scratch.rows<Record<string, unknown>>(
        `SELECT * EXCLUDE (filename, file_row_number) FROM read_parquet('${dir}/trades/**/*.parquet', hive_partitioning = false, filename = true, file_row_number = true) ORDER BY ts, filename, file_row_number`,
      )
    ).map((r) => JSON.stringify(r, (_k, v) => (typeof v === 'bigint' ? String(v) : v)));

  it('makes each closed hour one file with the same rows in the readers\' order; open hours stay; a redelivery is still found', async () => {
    const dir = tempDir();
    const w = await LakeWriter.open(dir);
    // Four groups over hours 7 and 8, each with a trade at the same time.
    for (const [g, from, to] of [[1, 0, 40], [2, 40, 70], [3, 70, 100], [4, 100, 120]] as const) await w.write(group(g, from, to));
    const before = await rows(dir);
    assert.equal(before.length, 120 + 4);
    assert.equal(readdirSync(join(dir, HOUR7)).length, 4, 'every group has a file in hour 7 (its tie)');
    // Hour 8 ended at 09:00; 95 h later only hour 7 is 96 h past its end.
    const r = await compactLake(dir, { now: T0 + H + 60_000 + 95 * H });
    assert.deepEqual(r, { hours: 1, filesIn: 4, rows: 60 + 4, recovered: 0 });
    assert.equal(readdirSync(join(dir, HOUR7)).length, 1);
    assert.match(readdirSync(join(dir, HOUR7))[0], /^0{18}11-0{18}41-[0-9a-f]{8}\.parquet$/);
    assert.equal(readdirSync(join(dir, HOUR8)).length, 3, 'the open hour is left');
    assert.deepEqual(await rows(dir), before);
    assert.deepEqual(readdirSync(join(dir, '_compact')), [], 'nothing staged left');
    // A batch redelivered after compaction is found in the compacted file.
    assert.deepEqual(await w.write([{ ...group(2, 40, 70)[0], redelivered: true }]), { written: 0, skipped: 1, events: 0 });
    await w.close();
    // The command: the rest, once every hour is closed.
    const out = await runProcess(BIN, ['compact', '--lake', dir, '--older-than', '1', '--quiet']);
    assert.equal(out.code, 0, out.stderr);
    assert.match(out.stdout, /compacted 1 hour partitions: 3 files into 1 \(60 rows\)/);
    assert.deepEqual(await rows(dir), before);
  });

  it('finishes or drops an interrupted compaction: no row lost or doubled', async () => {
    const dir = tempDir();
    const w = await LakeWriter.open(dir);
    for (const [g, from, to] of [[1, 0, 20], [2, 20, 40]] as const) await w.write(group(g, from, to));
    await w.close();
    const before = await rows(dir);
    // Killed between moving the hour out and moving the compacted file in: the hour is absent.
    const stage = join(dir, '_compact', '1-deadbeef');
    mkdirSync(stage, { recursive: true });
    writeFileSync(join(stage, 'plan.json'), JSON.stringify({ folder: HOUR7 }));
    renameSync(join(dir, HOUR7), join(stage, 'old'));
    assert.equal(existsSync(join(dir, HOUR7)), false);
    // Killed after writing a staged file for an hour still in place: dropped.
    const stage2 = join(dir, '_compact', '2-cafef00d');
    mkdirSync(join(stage2, 'new'), { recursive: true });
    writeFileSync(join(stage2, 'new', 'x.parquet'), 'half');
    writeFileSync(join(stage2, 'plan.json'), JSON.stringify({ folder: HOUR7 }));
    const r = await compactLake(dir, { now: T0 + 1000 * H });
    assert.equal(r.recovered, 2);
    assert.equal(r.hours, 1);
    assert.deepEqual(await rows(dir), before);
    assert.deepEqual(readdirSync(join(dir, '_compact')), []);
  });
});
