/** The raw capture: sync-flushed so an open (or killed) file reads back, hourly files, a bounded buffer. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { after, describe, it } from 'node:test';
import { constants, gunzipSync } from 'node:zlib';
import { RawCapture } from '../../src/store/raw-capture.ts';
import { tempDir } from '../helpers/store.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A gzip without its trailer, read as a reader after a crash would. */
const readCut = (path: string) => gunzipSync(readFileSync(path), { finishFlush: constants.Z_SYNC_FLUSH }).toString('utf8');
const complete = (path: string) => {
  try {
    gunzipSync(readFileSync(path));
    return true;
  } catch {
    return false;
  }
};
const line = (i: number) => `${1_000_000 + i} {"topic":"publicTrade.BTCUSDT","i":${i}}\n`;

const open: RawCapture[] = [];
after(async () => {
  for (const c of open) await c.close();
});

describe('raw capture', () => {
  it('sync-flushes: while the file is still open, every line handed over before the last flush decompresses', async () => {
    const dir = tempDir();
    const cap = new RawCapture(dir, { flushMs: 200 });
    open.push(cap);
    for (let i = 0; i < 500; i++) cap.add('bybit', line(i));
    await sleep(450);
    const [file] = cap.files();
    assert.throws(() => gunzipSync(readFileSync(file)), /unexpected end of file/, 'no trailer yet: the file is still open');
    const text = readCut(file);
    assert.equal(text, Array.from({ length: 500 }, (_, i) => line(i)).join(''));
    for (let i = 500; i < 520; i++) cap.add('bybit', line(i));
    await cap.close();
    assert.equal(gunzipSync(readFileSync(file)).toString('utf8').split('\n').length - 1, 520, 'closed: complete, with its trailer');
  });

  it('rotates hourly per venue: the old file is closed complete, the new one is named by its hour', async () => {
    const dir = tempDir();
    let now = Date.UTC(2026, 11, 5, 0, 59, 59, 900);
    const cap = new RawCapture(dir, { now: () => now });
    open.push(cap);
    cap.add('bybit', line(1));
    cap.add('okx', line(2));
    now += 200;
    cap.add('bybit', line(3));
    const [first, okx, second] = cap.files();
    // The hour before is closed in the background: wait for its trailer.
    for (let i = 0; i < 100 && !complete(first); i++) await sleep(20);
    assert.equal(basename(first), 'bybit-2026-12-05T00-59-59-900Z.jsonl.gz');
    assert.equal(basename(okx), 'okx-2026-12-05T00-59-59-900Z.jsonl.gz');
    assert.equal(basename(second), 'bybit-2026-12-05T01-00-00-000Z.jsonl.gz');
    assert.equal(gunzipSync(readFileSync(first)).toString('utf8'), line(1), 'the hour before is complete');
    await cap.close();
    assert.equal(gunzipSync(readFileSync(second)).toString('utf8'), line(3));
    assert.equal(gunzipSync(readFileSync(okx)).toString('utf8'), line(2));
    assert.deepEqual(readdirSync(dir).sort(), [first, okx, second].map((p) => basename(p)).sort());
  });

  it('bounds what waits for the disk: the newest frames are dropped, counted and said when it starts and ends', async () => {
    const dir = tempDir();
    const said: string[] = [];
    const cap = new RawCapture(dir, { maxBufferBytes: 4096, onError: (e) => said.push(e.message) });
    open.push(cap);
    let fits = 0;
    for (let bytes = 0; bytes + line(fits).length <= 4096; fits++) bytes += line(fits).length;
    let kept = 0;
    for (let i = 0; i < 1000; i++) if (cap.add('bybit', line(i))) kept++;
    assert.equal(kept, fits);
    assert.equal(cap.dropped, 1000 - kept);
    assert.equal(said.length, 1);
    assert.match(said[0], /^raw capture bybit: the disk is not keeping up .*dropping the newest frames/);
    await sleep(250);
    assert.equal(cap.add('bybit', line(1000)), true);
    assert.match(said[1], new RegExp(`writing again; ${1000 - kept} frames were dropped from .*bybit-`));
    await cap.close();
    const lines = gunzipSync(readFileSync(cap.files()[0])).toString('utf8');
    assert.equal(lines, [...Array.from({ length: kept }, (_, i) => line(i)), line(1000)].join(''), 'the file stays in order: what was kept, then what came after');
  });
});
