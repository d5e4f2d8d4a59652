/**
 * `orderflow demo`: a short simulated absorption scenario through the real import path into a
 * fresh store, and every section of the method's output on it; its folder rules (a demo folder
 * is rebuilt, any other non-empty folder refused).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.ts';
import { prepareHome } from '../../src/demo/sim-demo.ts';
import { isoTime } from '../../src/cli/format.ts';
import type { SimLabels } from '../../src/sim/types.ts';
import { Store } from '../../src/store/store.ts';
import { BIN } from '../helpers/paths.ts';
import { tempDir } from '../helpers/store.ts';

const run = (args: string[]) => spawnSync(BIN, args, { encoding: 'utf8', env: { ...process.env, CI: 'true' } });

/** The text of section `n` ("5. ..." up to the next numbered section or the end). */
function section(out: string, n: number): string {
  const m = new RegExp(`^${n}\\. [\\s\\S]*?(?=^\\d\\. |^report: |(?![\\s\\S]))`, 'm').exec(out);
  assert.ok(m, `section ${n} missing in:\n${out}`);
  return m[0];
}

describe('orderflow demo', () => {
  it('simulates a 1h absorption run, imports it into a fresh store and shows clusters, absorption, divergence and a backtest with trades', async () => {
    const home = join(tempDir(), 'demo');
    const r = run(['demo', '--home', home, '--duration', '1h', '--null-seeds', '3']);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const out = r.stdout;

    // The store holds what the importer stored from the capture, on every venue.
    const store = await Store.open(home, { readOnly: true });
    try {
      const trades = await store.rows<{ venue: string; n: bigint }>('SELECT venue::VARCHAR AS venue, count(*) AS n FROM trades GROUP BY ALL ORDER BY venue');
      assert.deepEqual(trades.map((t) => t.venue), ['binance', 'bybit', 'okx']);
      assert.ok(trades.every((t) => t.n > 1000n), JSON.stringify(trades, (_, v) => (typeof v === 'bigint' ? Number(v) : v)));
      const [liqs] = await store.rows<{ n: bigint }>('SELECT count(*) AS n FROM liquidations');
      assert.ok(liqs.n > 0n, 'the planted cascade printed liquidations');
    } finally {
      store.close();
    }
    assert.match(section(out, 2), /\[3\/3\] okx-.*rows as okx-ws-capture/);

    // What was planted is printed from labels.json, and the cluster detector finds the cascade.
    const labels = (JSON.parse(readFileSync(join(home, 'capture', 'labels.json'), 'utf8')) as SimLabels).labels;
    const cascade = labels.find((l) => l.kind === 'long-cascade');
    assert.ok(cascade, JSON.stringify(labels));
    const at = isoTime(cascade.start_ms).slice(11, 19);
    assert.match(section(out, 3), new RegExp(`long-cascade\\s+sell ${at}-`));
    assert.match(section(out, 5), new RegExp(`^\\s+long .*yes: the long-cascade at ${at}$`, 'm'));

    const absorption = section(out, 6);
    const absorbed = Number(/zones every 15m\): (\d+)/.exec(absorption)?.[1]);
    assert.ok(absorbed >= 1, absorption);
    assert.match(absorption, /(revisit|cascade-stop)\s+buyers absorb .*yes: the absorption at/);
    assert.match(section(out, 7), /delta divergence on 1m bars .*: \d+/);

    const backtest = section(out, 8);
    assert.match(backtest, /no 1h large-print veto/, 'the settings scaled to a short market are said');
    const trades = Number(/acted on; (\d+) trades?,/.exec(backtest)?.[1]);
    assert.ok(trades >= 1, backtest);
    assert.equal(backtest.split('\n').filter((l) => /^\s+(long|short)\s+\d/.test(l)).length, trades, 'one row per trade');
    assert.match(backtest, /null model: .*3 null runs/);
    const report = /^report: (\S+)/m.exec(out)?.[1];
    assert.ok(report && existsSync(report), out);
    assert.match(out, /^real data: the \d+ bundled samples .* \d+ rows; /m);
  });

  it('rebuilds its own folder on every run and refuses a folder it did not make', () => {
    const home = join(tempDir(), 'demo');
    prepareHome(home);
    writeFileSync(join(home, 'orderflow.duckdb'), 'an earlier demo store');
    prepareHome(home);
    assert.equal(existsSync(join(home, 'orderflow.duckdb')), false, 'the earlier store is gone: no data doubles on a re-run');

    const other = join(tempDir(), 'mine');
    mkdirSync(other);
    writeFileSync(join(other, 'orderflow.duckdb'), 'a user store');
    assert.throws(() => prepareHome(other), (e) => e instanceof UsageError && /not made by the demo/.test(e.message));
    assert.equal(readFileSync(join(other, 'orderflow.duckdb'), 'utf8'), 'a user store', 'left untouched');
  });

  it('an unknown scenario is a usage error naming the known ones', () => {
    const r = run(['demo', '--scenario', 'moon', '--home', join(tempDir(), 'demo')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /--scenario: unknown scenario "moon"; known: .*absorption/);
  });
});
