/**
 * A lake sink starting on a lake where another was killed mid-write removes the `.parquet.tmp`
 * files that sink left, and nothing else: not a running sink's, not another host's, not a name no
 * sink made, not a data file; its own files are renamed to the layout's names.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { LakeWriter } from '../../src/bus/lake-writer.ts';
import { tmpOwner } from '../../src/bus/lake-orphans.ts';
import { tempDir } from '../helpers/store.ts';
import { trade } from './events.ts';

/** A process that writes `<prefix>.<its owner>.parquet.tmp` as a sink does, then waits. */
async function writerProcess(prefix: string, host: string): Promise<{ child: ChildProcess; file: string }> {
  const child = spawn(process.execPath, ['-e', `const f = process.argv[1] + '.' + process.argv[2] + '-' + process.pid + '.parquet.tmp'; require('fs').writeFileSync(f, 'PAR1 half a file'); console.log(f); setInterval(() => {}, 1000);`, prefix, host], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return { child, file: String(line).trim() };
}

describe('lake sink: orphaned .parquet.tmp files', () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  });

  it('are removed at the start when their writer is gone from this host; a live writer\'s, another host\'s and unowned ones stay', async () => {
    const dir = tempDir();
    const host = tmpOwner().replace(/-\d+$/, '');
    const today = new Date().toISOString().slice(0, 10);
    const old = new Date(Date.now() - 10 * 86_400_000).toISOString().slice(0, 10);
    const hour = (date: string) => {
      const p = join(dir, 'trades/venue=bybit/symbol=ETHUSDT', `date=${date}`, 'hour=3');
      mkdirSync(p, { recursive: true });
      return p;
    };
    const killed = await writerProcess(join(hour(today), '00000000000000000007-00000000000000000009-0badc0de'), host);
    const killedOld = await writerProcess(join(hour(old), '00000000000000000001-00000000000000000002-0badc0de'), host);
    const running = await writerProcess(join(hour(today), '00000000000000000010-00000000000000000011-cafef00d'), host);
    children.push(killed.child, killedOld.child, running.child);
    for (const k of [killed.child, killedOld.child]) {
      const exited = once(k, 'close');
      k.kill('SIGKILL');
      await exited;
    }
    const otherHost = join(hour(today), '00000000000000000003-00000000000000000004-12345678.other-host-4242.parquet.tmp');
    const unowned = join(hour(today), 'notes.parquet.tmp');
    const data = join(hour(today), '00000000000000000001-00000000000000000002-abcdef01.parquet');
    for (const f of [otherHost, unowned, data]) writeFileSync(f, 'x');

    const w = await LakeWriter.open(dir);
    try {
      assert.deepEqual(w.orphans.removed, [killed.file]);
      assert.ok(!existsSync(killed.file), 'the killed sink\'s tmp is gone');
      assert.deepEqual(new Set(w.orphans.left), new Set([running.file, otherHost, unowned]));
      for (const f of [running.file, otherHost, unowned, data, killedOld.file]) assert.ok(existsSync(f), `${f} kept`);
      // Its own files: written as <name>.<owner>.parquet.tmp, renamed to the layout's <name>.parquet.
      await w.write([{ msgId: 'binance.BTCUSDT.trade.5000000-5000009.10', seq: 12, redelivered: false, batch: { venue: 'binance', symbol: 'BTCUSDT', type: 'trade', events: Array.from({ length: 10 }, (_, k) => trade(k)) } }]);
      const files = readdirSync(join(dir, 'trades/venue=binance/symbol=BTCUSDT/date=2026-12-05/hour=7'));
      assert.equal(files.length, 1);
      assert.match(files[0], /^0{18}12-0{18}12-[0-9a-f]{8}\.parquet$/);
    } finally {
      await w.close();
    }
  });
});
