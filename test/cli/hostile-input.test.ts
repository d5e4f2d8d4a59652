/**
 * Hostile files through `bin/orderflow` as a user runs it: a batch keeps going past a bad file,
 * folders list what they skip, and nothing from a file reaches the terminal as a control sequence.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Store } from '../../src/store/store.ts';
import { importInto, tempDir } from '../helpers/store.ts';
import { BIN, ROOT } from '../helpers/paths.ts';

const CAPTURE = readFileSync(join(ROOT, 'test/fixtures/binance/binance-um-ws-aggTrade-2021-07-22-head30.jsonl'), 'utf8').trimEnd().split('\n');
/** C0 and C1 controls but newline; what a terminal would act on. */
const CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;

function run(args: string[]) {
  const r = spawnSync(BIN, args, { encoding: 'utf8', env: { ...process.env, CI: 'true' } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe('orderflow import with hostile input', () => {
  it('walks a folder past READMEs, link loops and a stack-overflowing frame, importing the rest', () => {
    const dir = tempDir();
    const folder = join(dir, 'captures');
    mkdirSync(folder);
    writeFileSync(join(folder, 'README.md'), '# captures\n');
    writeFileSync(join(folder, 'labels.json'), '[{"label":"cluster"}]\n');
    symlinkSync('.', join(folder, 'loop'));
    writeFileSync(join(folder, 'a-deep.jsonl'), `${CAPTURE[0]}\n{"stream":"btcusdt@aggTrade","data":${'['.repeat(200_000)}${']'.repeat(200_000)}}\n`);
    writeFileSync(join(folder, 'b-good.jsonl'), `${CAPTURE.slice(1, 11).join('\n')}\n`);
    const home = join(dir, 'home');
    const r = run(['import', folder, '--home', home]);
    assert.equal(r.code, 1, 'a file failed');
    assert.doesNotMatch(r.err, /Maximum call stack|at .*\.ts:\d+/);
    assert.match(r.err, /skip   .*README\.md: documentation, not market data/);
    assert.match(r.err, /skip   .*labels\.json: no format reads/);
    assert.match(r.err, /skip   .*loop: symbolic link loop/);
    assert.match(r.err, /FAILED .*a-deep\.jsonl:2: JSON nested too deeply to read/);
    assert.match(r.err, /ok     .*b-good\.jsonl: 10 rows/);
    assert.match(r.out, /1 imported, 0 already imported, 1 failed, 3 skipped; 10 rows added/);
  });

  it('never writes control characters from a stored symbol or a bad --symbol to the terminal', async () => {
    const dir = tempDir();
    const home = join(dir, 'home');
    const seed = join(dir, 'seed.jsonl');
    writeFileSync(seed, `${CAPTURE.slice(0, 3).join('\n')}\n`);
    // A store written before symbols were checked may hold anything.
    const evil = 'EVIL\u001b]0;pwned\u0007\u001b[2J\u009b31m\u202eUSDT';
    const store = await Store.open(home);
    try {
      await importInto(store, seed);
      await store.run('UPDATE trades SET symbol = $1', [evil]);
    } finally {
      store.close();
    }
    const text = run(['info', '--home', home]);
    assert.equal(text.code, 0, text.err);
    assert.doesNotMatch(text.out, CONTROL);
    assert.match(text.out, /EVIL\\u001b\]0;pwned\\u0007\\u001b\[2J\\u009b31m\\u202eUSDT/);
    const json = run(['info', '--json', '--home', home]);
    assert.doesNotMatch(json.out, CONTROL);
    assert.ok(!json.out.includes('\u202e'));
    const parsed = JSON.parse(json.out) as { datasets: { symbol: string }[] };
    assert.equal(parsed.datasets[0].symbol, evil, '--json keeps the value: only its spelling is escaped');

    const bad = run(['import', seed, '--symbol', 'BTC\u001b[2J', '--home', home]);
    assert.equal(bad.code, 2);
    assert.doesNotMatch(bad.err, CONTROL);
    assert.match(bad.err, /--symbol: "BTC\\u001b\[2J" is not a symbol/);
  });
});
