/** The dead-letter file: one JSON line per refused row, appended per UTC day; info's count, per symbol. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { DeadLetterLog, deadLetterDir, deadLetterSummary } from '../../src/store/dead-letter.ts';
import { tempDir } from '../helpers/store.ts';

const T = Date.UTC(2026, 7, 9, 23, 59, 59, 500);

describe('dead-letter file', () => {
  it('appends one line per row under <home>/dead-letter/<UTC date>.jsonl, and counts them per symbol', async () => {
    const home = tempDir();
    const log = new DeadLetterLog(deadLetterDir(home));
    log.append(
      [
        { row: { type: 'trade', venue: 'okx', symbol: 'BTC-USDT-SWAP', ts: T, localTs: T + 2, price: 1, qty: 1, side: 'buy', id: 'x' }, frame: '{"arg":{}}', stage: 'check', reason: 'id: bad' },
        { row: { type: 'gap', gap: { venue: 'bybit', symbol: 'ETHUSDT', kind: 'disconnect', fromTs: NaN, toTs: T, backfilled: false, detail: 'closed' } }, frame: undefined, stage: 'check', reason: 'gap.fromTs/toTs: bad' },
      ],
      T,
    );
    // The next UTC day goes to the next file.
    log.append([{ row: { type: 'trade', venue: 'okx', symbol: 'BTC-USDT-SWAP', ts: T, localTs: T, price: 1, qty: 1, side: 'sell', id: 'y' }, frame: undefined, stage: 'store', reason: 'Duplicate key' }], T + 1000);
    const day1 = join(home, 'dead-letter', '2026-08-09.jsonl');
    const day2 = join(home, 'dead-letter', '2026-08-10.jsonl');
    assert.deepEqual(log.files(), [day1, day2]);
    assert.equal(log.written, 3);
    const [a, b] = readFileSync(day1, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(
      { ...a, event: undefined },
      { at: new Date(T).toISOString(), venue: 'okx', symbol: 'BTC-USDT-SWAP', type: 'trade', ts: T, time: new Date(T).toISOString(), stage: 'check', reason: 'id: bad', event: undefined, frame: '{"arg":{}}' },
    );
    assert.equal(a.event.id, 'x');
    assert.deepEqual([b.type, b.symbol, b.ts, b.time, 'frame' in b], ['gap', 'ETHUSDT', null, null, false], 'a NaN time is null, not a crash');
    assert.deepEqual(await deadLetterSummary(home), { rows: 3, files: [day1, day2] });
    assert.deepEqual(await deadLetterSummary(home, new Set(['ETHUSDT'])), { rows: 1, files: [day1] });
    assert.deepEqual(await deadLetterSummary(join(home, 'elsewhere')), { rows: 0, files: [] });
  });
});
