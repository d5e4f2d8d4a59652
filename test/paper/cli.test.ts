/**
 * `orderflow paper`, `journal list` and `backtest --session` refuse what they cannot do, with a
 * message naming the option, before anything connects.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PAPER_SCHEMA } from '../../src/paper/journal-schema.ts';
import { Store } from '../../src/store/store.ts';
import { BIN } from '../helpers/paths.ts';
import { runProcess } from '../helpers/process.ts';
import { tempDir } from '../helpers/store.ts';

const run = (args: string[]) => runProcess(BIN, args, { ...process.env, ORDERFLOW_BINANCE_REST_URL: 'http://127.0.0.1:9', ORDERFLOW_OKX_REST_URL: 'http://127.0.0.1:9', ORDERFLOW_BYBIT_REST_URL: 'http://127.0.0.1:9' });

describe('paper and journal commands', () => {
  it('paper: a new session needs --symbol; a session name is checked; one market only', async () => {
    const home = tempDir('orderflow-paper-cli-');
    const none = await run(['paper', '--home', home]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /--symbol: required for a new session/);
    const bad = await run(['paper', '--symbol', 'BTC', '--session', '../x', '--home', home]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--session: letters, digits/);
    const two = await run(['paper', '--symbol', 'BTC,ETH', '--home', home]);
    assert.equal(two.code, 2);
    assert.match(two.stderr, /one market/);
    const quiet = await run(['paper', '--symbol', 'BTC', '--quiet-ms', '0', '--home', home]);
    assert.equal(quiet.code, 2);
    assert.match(quiet.stderr, /--quiet-ms/);
    const grace = await run(['paper', '--symbol', 'BTC', '--grace-ms', '-5', '--home', home]);
    assert.equal(grace.code, 2);
    assert.match(grace.stderr, /--grace-ms: expected ms >= 0, got -5/);
    // The recorder's memory bound, as record takes it (the shared option): at least 1 MiB.
    for (const cmd of ['paper', 'record']) {
      const pending = await run([cmd, '--symbol', 'BTC', '--max-pending-mb', '0.5', '--home', home]);
      assert.equal(pending.code, 2, `${cmd}: ${pending.stderr}`);
      assert.match(pending.stderr, /--max-pending-mb: expected MiB, at least 1, got "0\.5"/);
    }
    const cfg = join(home, 'alerts.json');
    writeFileSync(cfg, JSON.stringify({ alerts: { rules: [{ name: 's', kind: 'signal' }], channels: { webhook: { url: 'http://127.0.0.1:9/hook', secretEnv: 'ORDERFLOW_TEST_UNSET_SECRET' } } } }));
    const secret = await run(['paper', '--symbol', 'BTC', '--config', cfg, '--home', home]);
    assert.equal(secret.code, 2);
    assert.match(secret.stderr, /alerts\.channels\.webhook\.secretEnv: the environment variable ORDERFLOW_TEST_UNSET_SECRET is not set/);
    assert.equal(existsSync(join(home, 'orderflow.duckdb')), false, 'refused before the store opened');
  });

  it('journal list: none in a store that never paper-traded; backtest --session names the sessions there are', async () => {
    const home = tempDir('orderflow-paper-cli-');
    const store = await Store.open(home);
    store.close();
    const empty = await run(['journal', 'list', '--home', home]);
    assert.equal(empty.code, 0, empty.stderr);
    assert.match(empty.stdout, /no paper sessions/);
    const missing = await run(['backtest', '--session', 'nope', '--home', home]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no paper session "nope": this store has no paper journal/);
    const s = await Store.open(home);
    const conn = await s.connect();
    await conn.run(PAPER_SCHEMA);
    await conn.run(`INSERT INTO paper_sessions VALUES ('akt-2w', 'AKT', 'binance', '[["binance","AKTUSDT"]]', 'binance', 'AKTUSDT', '{}', '{"risk":{"initialEquity":10000}}', 1, 1000, 0, 1000, 1000, 'stopped', 1, 'h', now()::TIMESTAMP, now()::TIMESTAMP, now()::TIMESTAMP, 0, 0, 10000, NULL)`);
    conn.closeSync();
    s.close();
    const other = await run(['backtest', '--session', 'nope', '--home', home]);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /no paper session "nope" in this store; sessions: akt-2w/);
    const nothing = await run(['backtest', '--session', 'akt-2w', '--home', home]);
    assert.equal(nothing.code, 2);
    assert.match(nothing.stderr, /has processed nothing yet/);
    const listed = await run(['journal', 'list', '--home', home]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /akt-2w/);
    assert.match(listed.stdout, /stopped/);
  });
});
