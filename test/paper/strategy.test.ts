/**
 * `orderflow paper --strategy FILE`: a paper session on the story (test/paper/story.ts) with a
 * strategy module that fades the absorption the seed strategy buys. The session records the file
 * (path and SHA-256); `backtest --session` replays it with the same module and gives the same
 * orders; a resume or a replay refuses a changed file, and a resume refuses another --strategy.
 */
import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { parseConfig } from '../../src/engine/config.ts';
import { PaperRun } from '../../src/paper/paper-run.ts';
import { fileSha256 } from '../../src/paper/session-strategy.ts';
import { Store } from '../../src/store/store.ts';
import { BIN } from '../helpers/paths.ts';
import { runProcess } from '../helpers/process.ts';
import { tempDir } from '../helpers/store.ts';
import { waitFor } from '../helpers/wait.ts';
import { serveStory, useServers } from './serve-story.ts';
import { H, M, STORY_CONFIG, storyEvents, storyStart } from './story.ts';

/** Fades every absorption with a 1% stop and no target (the opposite of the seed strategy). */
const CONTRARIAN = `import type { Strategy } from ${JSON.stringify(fileURLToPath(new URL('../../src/engine/strategy.ts', import.meta.url)))};
export default (): Strategy => ({
  name: 'contrarian',
  onSignal(s, ctx) {
    if (s.type !== 'absorption') return 'not absorption';
    const side = s.direction === 'long' ? 'short' : 'long';
    const stop = ctx.lastPrice * (side === 'long' ? 0.99 : 1.01);
    return ctx.enter(s, { side, stop, target: null, timeStopMs: 600_000, riskMultiplier: 1 }).reason;
  },
});
`;

type Row = Record<string, unknown>;

describe('paper --strategy', () => {
  it('runs the module, records it for resume and backtest --session, and refuses a changed or different file', async () => {
    const home = tempDir('orderflow-paper-strategy-');
    const dir = tempDir();
    const file = join(dir, 'contrarian.ts');
    writeFileSync(file, CONTRARIAN);
    const other = join(dir, 'other.ts');
    writeFileSync(other, CONTRARIAN.replace("'contrarian'", "'other'"));
    const t0 = storyStart();
    const events = storyEvents({ t0, spanMs: H + 30 * M });
    const story = await serveStory(events, t0);
    const restore = useServers(story.serving);
    const store = await Store.open(home);
    const config = parseConfig(STORY_CONFIG);
    const start = (o: { strategyFile?: string } = {}) => PaperRun.start({ store, name: 'mine', symbol: 'BTC', venues: ['binance', 'okx', 'bybit'], config, quietMs: 1000, settleMs: 300, log: () => {}, ...o });
    let orders: Row[];
    try {
      const run = await start({ strategyFile: file });
      try {
        await story.play();
        await waitFor(() => (run.status().progress?.now ?? -Infinity) > events.at(-1)!.ts, 'the session past the last event', 60_000, 50);
      } finally {
        await run.stop();
      }
      orders = await store.rows<Row>("SELECT id, side, reason, status, fill_ts, fill_price FROM paper_orders WHERE session = 'mine' ORDER BY id");
      // The seed strategy buys the story's absorption; the module sells it.
      assert.deepEqual(orders.map((o) => [o.side, o.reason]).slice(0, 1), [['sell', 'entry']]);
      assert.deepEqual(await store.rows<Row>("SELECT file, sha256 FROM paper_strategies WHERE session = 'mine'"), [{ file, sha256: fileSha256(file) }]);

      // A resume names another module: refused before anything connects.
      await assert.rejects(start({ strategyFile: other }), /paper session mine runs with the strategy module .*contrarian\.ts; --strategy .*other\.ts differs from it/);
      // The same file, unchanged: the session resumes (with or without --strategy).
      const again = await start({ strategyFile: file });
      await again.stop();
    } finally {
      store.close();
      await story.serving.close();
      restore();
    }

    // backtest --session loads the recorded module: the same orders.
    const out = join(home, 'replay');
    const bt = await runProcess(BIN, ['backtest', '--session', 'mine', '--home', home, '--out', out]);
    assert.equal(bt.code, 0, bt.stderr);
    const csv = readFileSync(join(out, 'orders.csv'), 'utf8').trim().split('\n');
    const head = csv[0].split(',');
    const rows = csv.slice(1).map((l) => l.split(','));
    assert.deepEqual(rows.map((r) => [r[head.indexOf('side')], r[head.indexOf('reason')], r[head.indexOf('status')]]), orders.map((o) => [o.side, o.reason, o.status]));

    // The file changes: a replay and a resume refuse it, saying why and what to do.
    appendFileSync(file, '// edited\n');
    const changed = await runProcess(BIN, ['backtest', '--session', 'mine', '--home', home]);
    assert.equal(changed.code, 2);
    assert.match(changed.stderr, /strategy module .*contrarian\.ts changed since the session started \(sha256 [0-9a-f]{12}\.\.\. then, [0-9a-f]{12}\.\.\. now\).*Restore the file, or start a new --session/);
    const store2 = await Store.open(home);
    try {
      await assert.rejects(PaperRun.start({ store: store2, name: 'mine', symbol: 'BTC', venues: ['binance'], config, log: () => {} }), /changed since the session started/);
    } finally {
      store2.close();
    }
  });
});
