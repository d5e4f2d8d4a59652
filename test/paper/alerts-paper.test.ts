/**
 * Alerts in a paper session: the config's flow rule fires on the live trades, its signal and
 * outcome rules on the session's signals and resolved horizons, to a loopback webhook receiver
 * that checks the signature. The session stops and resumes (its stored events replayed through a
 * fresh kernel, as after a crash): the signals and outcomes it replays are not alerted again, the
 * ones new after the restart are, and every journaled signal and resolved horizon was alerted
 * exactly once across both runs.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { parseConfig } from '../../src/engine/config.ts';
import { PaperRun } from '../../src/paper/paper-run.ts';
import { Store } from '../../src/store/store.ts';
import { tempDir } from '../helpers/store.ts';
import { waitFor } from '../helpers/wait.ts';
import { json, receiver, signatureValid, type Receiver } from './alert-receivers.ts';
import { serveStory, useServers } from './serve-story.ts';
import { H, M, S, STORY_CONFIG, publish, storyEvents, storyStart } from './story.ts';

const SECRET = 'paper-alerts-secret';

interface Body {
  readonly rule: string;
  readonly kind: string;
  readonly fields: Record<string, number | string | boolean>;
}

describe('paper: alerts', () => {
  let hook: Receiver | undefined;
  after(async () => hook?.close());

  it('sends flow, signal and outcome alerts, and a resumed session does not re-send those it replays', async () => {
    hook = await receiver((_r, _n, res) => json(res, 200, { ok: true }));
    const config = parseConfig({
      ...STORY_CONFIG,
      alerts: {
        rules: [
          // The story's two minutes of heavy selling: 500 USDT/s on Binance (30,000 a minute);
          // ordinary minutes sell ~3,000 there. One venue: the story is served as fast as the
          // servers go, so on a loaded machine one venue's feed can run minutes of exchange time
          // ahead of another's, and a rule summing several venues in arrival order can see the
          // burst twice (docs/LIVE.md "Alerts", limits); live feeds are milliseconds apart.
          { name: 'sell-flow', kind: 'flow', side: 'sell', notional: 20_000, window: '1m', venues: ['binance'] },
          { name: 'signals', kind: 'signal' },
          { name: 'outcomes', kind: 'outcome', result: 'any' },
        ],
        channels: { webhook: { url: `${hook.url}/hook`, secretEnv: 'PAPER_TEST_SECRET' } },
      },
    });
    const home = tempDir('orderflow-paper-alerts-');
    const t0 = storyStart();
    const all = storyEvents({ t0, spanMs: H + 40 * M });
    const part = (from: number, to: number) => all.filter((e) => e.ts >= t0 + from && e.ts < t0 + to);
    const first = part(0, H + 20 * M);
    const story = await serveStory(first, t0);
    const restore = useServers(story.serving);
    const store = await Store.open(home);
    const start = () => PaperRun.start({ store, name: 'alerts', symbol: 'BTC', venues: ['binance', 'okx', 'bybit'], config, quietMs: 1000, settleMs: 300, log: () => {}, alertChannels: { env: { PAPER_TEST_SECRET: SECRET }, baseBackoffMs: 10 } });
    const bodies = () => hook!.received.map((r) => JSON.parse(r.body.toString('utf8')) as Body);
    try {
      const run1 = await start();
      try {
        await story.play();
        await waitFor(() => (run1.status().progress?.now ?? -Infinity) > first.at(-1)!.ts, 'run 1 past its last event', 20_000, 50);
        assert.match(run1.status().alerts ?? '', /^alerts: \d+ fired; webhook /);
      } finally {
        await run1.stop();
      }
      const sent1 = bodies();
      assert.ok(hook.received.every((r) => signatureValid(SECRET, r)), 'every alert signed with the secret');
      assert.equal(sent1.filter((b) => b.kind === 'flow').length, 1, 'one burst of heavy selling: one flow alert');
      const signals1 = sent1.filter((b) => b.kind === 'signal').map((b) => b.fields.id as number);
      const outcomes1 = sent1.filter((b) => b.kind === 'outcome').map((b) => `${b.fields.id}:${b.fields.horizonMs}`);
      assert.ok(signals1.length > 0, 'the story gives signals');
      assert.ok(outcomes1.length > 0, 'some horizon resolved in run 1');

      // The market goes on; the session resumes (replays run 1's events from its start).
      const second = part(H + 20 * M + 10 * S, H + 40 * M);
      const run2 = await start();
      try {
        await new Promise((r) => setTimeout(r, 500));
        publish(story.serving, second);
        await waitFor(() => (run2.status().progress?.now ?? -Infinity) > second.at(-1)!.ts, 'run 2 past its last event', 20_000, 50);
      } finally {
        await run2.stop();
      }
      const sent2 = bodies().slice(sent1.length);
      const signals2 = sent2.filter((b) => b.kind === 'signal').map((b) => b.fields.id as number);
      const outcomes2 = sent2.filter((b) => b.kind === 'outcome').map((b) => `${b.fields.id}:${b.fields.horizonMs}`);
      assert.deepEqual(signals2.filter((id) => signals1.includes(id)), [], 'no replayed signal alerted again');
      assert.deepEqual(outcomes2.filter((k) => outcomes1.includes(k)), [], 'no replayed outcome alerted again');
      assert.ok(outcomes2.length > 0, 'horizons resolving after the restart are alerted');

      // Across both runs: every journaled signal and resolved horizon exactly once.
      const journaled = await store.rows<{ id: number }>("SELECT id FROM paper_signals WHERE session = 'alerts' ORDER BY id");
      assert.deepEqual([...signals1, ...signals2].sort((a, b) => a - b), journaled.map((s) => s.id));
      const resolved = await store.rows<{ id: number; horizon_ms: number }>("SELECT id, horizon_ms FROM paper_predictions WHERE session = 'alerts' AND resolved");
      assert.deepEqual([...outcomes1, ...outcomes2].sort(), resolved.map((r) => `${r.id}:${r.horizon_ms}`).sort());
    } finally {
      store.close();
      await story.serving.close();
      restore();
    }
  });
});
