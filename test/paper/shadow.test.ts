/**
 * The push path's shadow check (docs/PAPER.md, "The push path"): each step, the stored rows of the
 * span memory released are counted and hashed against what memory pushed. A session on the
 * simulator's loopback exchanges checks span after span without a mismatch; then a trade is
 * planted in the store ahead of the kernel (a row memory never had: as if memory had dropped it),
 * and the step whose span covers it stops the session, saying so.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { parseConfig } from '../../src/engine/config.ts';
import { PaperRun } from '../../src/paper/paper-run.ts';
import { statusLine } from '../../src/paper/status-line.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/store.ts';
import { waitFor } from '../helpers/wait.ts';
import { serveStory, useServers } from './serve-story.ts';
import { M, STORY_CONFIG, SYMBOLS, storyEvents, storyStart } from './story.ts';

describe('paper: the push path\'s shadow check', () => {
  const closers: (() => unknown)[] = [];
  after(async () => {
    for (const c of closers.reverse()) await c();
  });

  it('checks every step\'s span against the store, and stops the session on a row the store has and memory did not push', async () => {
    const home = tempDir('orderflow-paper-shadow-');
    const t0 = storyStart();
    const events = storyEvents({ t0, spanMs: 60 * M });
    // An hour of the story in ~18 s: steps (250 ms) check spans of ~50 s of exchange time.
    const story = await serveStory(events, t0, 200);
    closers.push(() => story.serving.close());
    closers.push(useServers(story.serving));
    const store = await Store.open(home);
    closers.push(() => store.close());
    const logs: string[] = [];
    const run = await PaperRun.start({ store, name: 'shadow', symbol: 'BTC', venues: ['binance', 'okx', 'bybit'], config: parseConfig(STORY_CONFIG), quietMs: 1000, settleMs: 300, log: (l) => logs.push(l) });
    let stopped = false;
    closers.push(() => (stopped ? undefined : run.stop()));
    await waitFor(() => run.status().started, 'the session active', 30_000, 20);
    void story.play();

    // Spans checked and found equal while the story plays.
    await waitFor(() => run.status().shadow.checked >= 3 && (run.status().progress?.now ?? -Infinity) > t0 + 5 * M, 'three spans checked', 60_000, 20);
    assert.equal(run.failed, undefined, logs.join('\n'));
    assert.equal(run.status().shadow.mismatch, undefined);

    // A trade the venue never sent, stored 25 minutes of exchange time (7.5 s of wall time) ahead of the kernel.
    const at = Math.floor(run.status().progress!.now / 1000) * 1000 + 25 * M + 17;
    await store.rows(
      "INSERT INTO trades (venue, symbol, ts, local_ts, price, qty, side, trade_id, trade_uuid, import_id) VALUES ('binance', $1, make_timestamp($2::BIGINT), NULL, 101.5, 0.25, 'buy', 999999999, NULL, 0)",
      [SYMBOLS.binance, BigInt(at * 1000)],
    );
    assert.ok(run.status().progress!.now < at, 'planted ahead of the kernel');
    await waitFor(() => run.failed !== undefined, `the session failed on the planted row (${logs.join('; ')})`, 60_000, 20);
    const s = run.status();
    assert.match(run.failed!.message, /shadow check failed for .* memory pushed (\d+) rows \(hash \d+\), the store holds (\d+) \(hash \d+\); stopping/);
    const [, pushed, held] = /memory pushed (\d+) rows .* the store holds (\d+)/.exec(run.failed!.message)!;
    assert.equal(Number(held), Number(pushed) + 1, 'the store holds the planted row besides what memory pushed');
    // The failing span covers the planted row, and the kernel never went past the span before it.
    const [, from, to] = /failed for (\S+) to (\S+):/.exec(run.failed!.message)!;
    assert.ok(Date.parse(from) <= at && at < Date.parse(to), `${from} <= ${new Date(at).toISOString()} < ${to}`);
    assert.ok(logs.some((l) => /step failed: the push path's shadow check failed/.test(l)), logs.join('\n'));
    assert.match(statusLine(s), /\| SHADOW MISMATCH: the push path's shadow check failed/);
    // Nothing more is journaled past the mismatch: the journal's session time stays before the span's end.
    stopped = true;
    await run.stop();
    const [row] = await store.rows<{ processed_ts: number }>("SELECT processed_ts FROM paper_sessions WHERE name = 'shadow'");
    assert.ok(row.processed_ts <= Date.parse(from), `journaled to ${new Date(row.processed_ts).toISOString()}, the failing span from ${from}`);
  });
});
