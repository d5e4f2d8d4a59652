/**
 * `orderflow record` against the OKX loopback server when OKX sends a trade id the store cannot
 * hold (the case): the recording goes on, the row is in the dead-letter file with its raw
 * frame and reason, and `orderflow info` counts it (text and --json).
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { MarketEvent, TradeEvent } from '../../src/core/events.ts';
import { DeadLetterLog, deadLetterDir } from '../../src/store/dead-letter.ts';
import { Store } from '../../src/store/store.ts';
import { startOkxMockServer } from '../../src/venues/okx/mock-server.ts';
import { tempDir } from '../helpers/store.ts';
import { waitFor } from '../helpers/wait.ts';
import { waitCommitted } from '../helpers/committed.ts';
import { BIN } from '../helpers/paths.ts';

const INST = 'BTC-USDT-SWAP';

const until = (cond: () => boolean, ms = 15_000) => waitFor(cond, 'condition', ms, 20);

function trade(i: number): MarketEvent {
  const ts = Date.now();
  // OKX sizes are whole contracts (0.01 BTC each for BTC-USDT-SWAP); the server numbers the trades.
  return { type: 'trade', venue: 'okx', symbol: INST, ts, localTs: ts, price: 65_000 + (i % 10), qty: 0.01 * (1 + (i % 3)), side: i % 2 ? 'buy' : 'sell', id: '' };
}

/**
 * A `trades` push shaped as test/fixtures/okx/trades-2022-05-13-head10.jsonl:1, with a trade id
 * the store cannot hold (neither an integer nor a UUID).
 */
function badFrame(): string {
  return JSON.stringify({ arg: { channel: 'trades', instId: INST }, data: [{ instId: INST, tradeId: 'T-17', px: '65001.5', sz: '2', side: 'buy', ts: String(Date.now()) }] });
}

describe('orderflow record: a row the store refuses', () => {
  it('keeps recording; the row, its frame and the reason are in the dead-letter file; info counts it', async () => {
    const server = await startOkxMockServer();
    const home = join(tempDir(), 'home');
    const child = spawn(BIN, ['record', '--symbol', INST, '--venues', 'okx', '--channels', 'trades', '--flush-ms', '200', '--home', home], {
      env: { ...process.env, ORDERFLOW_OKX_WS_URL: server.wsUrl, ORDERFLOW_OKX_REST_URL: server.restUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    await until(() => server.subscribers({ channel: 'trades', instId: INST }) > 0);
    for (let i = 0; i < 40; i++) {
      if (i === 17) server.replayRaw([badFrame()]);
      server.publish(trade(i));
      await new Promise((r) => setTimeout(r, 10));
    }
    await waitCommitted(home, 40);
    child.kill('SIGTERM');
    const [code] = await once(child, 'close');
    await server.close();
    assert.equal(code, 0);
    assert.match(out, /recorded 40 rows/);
    assert.match(out, /1 rows the store refused are in .*dead-letter/);

    const store = await Store.open(home, { readOnly: true });
    const [{ n }] = await store.rows<{ n: bigint }>('SELECT count(*) AS n FROM trades');
    store.close();
    assert.equal(Number(n), 40);

    const info = spawnSync(BIN, ['info', '--json', '--home', home], { encoding: 'utf8' });
    assert.equal(info.status, 0, info.stderr);
    const j = JSON.parse(info.stdout) as { dead_letter: number; dead_letter_files: string[] };
    assert.equal(j.dead_letter, 1);
    assert.equal(j.dead_letter_files.length, 1);
    const [line, ...rest] = readFileSync(j.dead_letter_files[0], 'utf8').trim().split('\n');
    assert.equal(rest.length, 0);
    const dl = JSON.parse(line) as { venue: string; symbol: string; type: string; stage: string; reason: string; frame: string };
    assert.deepEqual([dl.venue, dl.symbol, dl.type, dl.stage], ['okx', INST, 'trade', 'check']);
    assert.match(dl.reason, /"T-17" is neither an integer/);
    assert.equal((JSON.parse(dl.frame) as { data: { tradeId: string }[] }).data[0].tradeId, 'T-17', 'the frame exactly as OKX sent it');

    const text = spawnSync(BIN, ['info', '--home', home], { encoding: 'utf8' });
    assert.match(text.stdout, /1 row\(s\) the recorder could not store .* in .*dead-letter\/\d{4}-\d\d-\d\d\.jsonl/);
  });
});

describe('orderflow watch: a row the store refuses', () => {
  it('counts it in the venue\'s dead letter column, names the reason, and keeps it out of the flow; counts what record dead-lettered under --home', async () => {
    const server = await startOkxMockServer();
    const home = join(tempDir(), 'home');
    // A recorder beside watch has refused two rows (written as Recorder writes them).
    const refusedRow = (id: string) => ({ ...(trade(0) as TradeEvent), id });
    new DeadLetterLog(deadLetterDir(home)).append(['X-1', 'X-2'].map((id) => ({ row: refusedRow(id), frame: undefined, stage: 'check' as const, reason: 'id: not storable' })));
    const child = spawn(BIN, ['watch', '--symbol', INST, '--venues', 'okx', '--seconds', '3', '--every', '1', '--home', home], {
      env: { ...process.env, ORDERFLOW_OKX_WS_URL: server.wsUrl, ORDERFLOW_OKX_REST_URL: server.restUrl },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (d) => (out += d));
    await until(() => server.subscribers({ channel: 'trades', instId: INST }) > 0);
    for (let i = 0; i < 5; i++) {
      if (i === 2) server.replayRaw([badFrame()]);
      server.publish(trade(i));
    }
    const [code] = await once(child, 'close');
    await server.close();
    assert.equal(code, 0);
    const last = out.trim().split('orderflow watch:').at(-1)!;
    const [header, row] = last.split('\n').filter((l) => /^(venue|okx)\s/.test(l));
    const cells = (l: string) => l.split(/\s{2,}/);
    const at = cells(header).indexOf('dead letter');
    assert.ok(at > 0, header);
    assert.equal(cells(row)[at], '1', row);
    assert.equal(cells(row)[cells(header).indexOf('trades')], '5', 'the refused row is not counted as a trade');
    assert.match(last, /orderflow record has dead-lettered 2 row\(s\) under \S+ \(in \S+dead-letter;/);
    assert.match(last, /okx: 1 row\(s\) the store would refuse \(record dead-letters them\); last: trade BTC-USDT-SWAP: id: trade id "T-17" is neither an integer/);
  });
});
