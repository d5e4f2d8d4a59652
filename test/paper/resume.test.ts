/**
 * Crash-only: `orderflow paper` against the simulator's loopback exchanges, kill -9 with the long
 * open, the market goes on while it is down, `orderflow paper --session NAME` again. The first
 * restart finds nothing crossed: the same position and pending predictions, a downtime gap row.
 * The second downtime crosses the stop: the restart settles it on the trades the venues back-fill,
 * journals the fill as settled on resume, and says so.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Store } from '../../src/store/store.ts';
import { BIN } from '../helpers/paths.ts';
import { runProcess } from '../helpers/process.ts';
import { tempDir } from '../helpers/store.ts';
import { waitFor } from '../helpers/wait.ts';
import { serveStory } from './serve-story.ts';
import { H, M, S, STORY_CONFIG, publish, storyEvents, storyStart } from './story.ts';

type Row = Record<string, unknown>;

interface Child {
  readonly proc: ChildProcess;
  stderr: string;
}

function paper(home: string, env: Record<string, string>, args: string[]): Child {
  const proc = spawn(BIN, ['paper', '--session', 'crash', '--home', home, '--quiet-ms', '1000', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const c: Child = { proc, stderr: '' };
  proc.stderr!.on('data', (d) => (c.stderr += d));
  proc.stdout!.resume();
  return c;
}

async function kill9(c: Child): Promise<void> {
  const exited = once(c.proc, 'close');
  c.proc.kill('SIGKILL');
  await exited;
}

/** Rows read through the running session (its read endpoint), or from the file once it is gone. */
async function read(home: string, sql: string): Promise<Row[]> {
  const store = await Store.open(home, { readOnly: true });
  try {
    return await store.rows<Row>(sql);
  } finally {
    store.close();
  }
}

describe('paper: kill -9 and resume', () => {
  const children: Child[] = [];
  after(() => {
    for (const c of children) if (c.proc.exitCode === null) c.proc.kill('SIGKILL');
  });

  it('resumes the same position and predictions, journals the downtime, and settles a stop crossed while down', async () => {
    const home = tempDir('orderflow-paper-crash-');
    const config = join(home, 'strategy.json');
    writeFileSync(config, JSON.stringify(STORY_CONFIG));
    const t0 = storyStart();
    // The long opens at 1:05:16; the price falls from 1:07 and crosses its stop at 1:07:16.
    const all = storyEvents({ t0, spanMs: H + 20 * M, after: 'down' });
    const part = (from: number, to: number) => all.filter((e) => e.ts >= t0 + from && e.ts < t0 + to);
    const story = await serveStory(part(0, H + 6 * M + 30 * S), t0);
    const env = story.serving.env;
    try {
      // Run 1: the story up to the open long, then kill -9.
      const run1 = paper(home, env, ['--symbol', 'BTC', '--config', config, '--settle-ms', '300']);
      children.push(run1);
      await story.play();
      await waitFor(async () => (await read(home, "SELECT position FROM paper_sessions WHERE position IS NOT NULL")).length > 0, 'the long journaled as open', 25_000, 200);
      await kill9(run1);
      // What the session had at its last commit before the kill.
      const [before] = await read(home, "SELECT position, kernel_ts FROM paper_sessions WHERE name = 'crash'");
      const pendingBefore = await read(home, 'SELECT DISTINCT id FROM paper_predictions WHERE NOT resolved ORDER BY id');
      const [crashed] = await read(home, "SELECT status FROM paper_sessions WHERE name = 'crash'");
      assert.equal(crashed.status, 'running', 'a kill -9 leaves the session marked running');
      const listed1 = await runProcess(BIN, ['journal', 'list', '--json', '--home', home]);
      const [l1] = JSON.parse(listed1.stdout) as { status: string; position: { side: string } | null }[];
      assert.deepEqual([l1.status, l1.position?.side], ['crashed', 'long']);
      const listed = await read(home, "SELECT count(*) AS n FROM paper_gaps");
      assert.equal(Number(listed[0].n), 0);

      // Down for a while; the market goes on at 100 (no stop or target crossed).
      publish(story.serving, part(H + 6 * M + 40 * S, H + 6 * M + 55 * S));
      const run2 = paper(home, env, ['--settle-ms', '3000']);
      children.push(run2);
      await waitFor(() => /paper: resumed:/.test(run2.stderr), 'the resume report', 25_000, 100);
      assert.match(run2.stderr, /resuming session crash \(crashed/);
      assert.match(run2.stderr, /no stop, target or liquidation price was crossed while down/);
      const [again] = await read(home, "SELECT position FROM paper_sessions WHERE name = 'crash'");
      const pos = (x: Row) => JSON.parse(x.position as string) as Record<string, number | string | null>;
      assert.deepEqual(pos(again), pos(before), 'the same open position after the resume');
      assert.match(run2.stderr, new RegExp(`, ${pendingBefore.length} predictions open,`));
      const gaps1 = await read(home, 'SELECT from_ts, to_ts, kind, detail FROM paper_gaps');
      assert.equal(gaps1.length, 1);
      assert.equal(gaps1[0].kind, 'downtime');
      assert.equal(gaps1[0].from_ts, before.kernel_ts);
      assert.ok((gaps1[0].to_ts as number) >= t0 + H + 6 * M + 54 * S, 'the gap ends after the events of the downtime');
      await kill9(run2);

      // Down again: the price falls through the stop; the venues keep the trades for the back-fill.
      publish(story.serving, part(H + 6 * M + 55 * S, H + 12 * M));
      const run3 = paper(home, env, ['--settle-ms', '3000']);
      children.push(run3);
      await waitFor(() => /paper: resumed:/.test(run3.stderr), 'the second resume report', 25_000, 100);
      assert.match(run3.stderr, /settled on resume from the back-filled trades: the stop order \d+ \(sell [\d.]+\) filled at [\d.]+ at /);
      assert.match(run3.stderr, /paper: resumed: flat/);
      const fills = await read(home, "SELECT reason, settled_on_resume, ts FROM paper_fills WHERE session = 'crash' ORDER BY ts");
      assert.deepEqual(fills.map((f) => [f.reason, f.settled_on_resume]), [['entry', false], ['stop', true]]);
      assert.ok((fills[1].ts as number) > t0 + H + 7 * M && (fills[1].ts as number) < t0 + H + 8 * M, 'stopped out when the price crossed the stop, during the downtime');
      const [trade] = await read(home, "SELECT exit_reason, pnl FROM paper_positions WHERE session = 'crash'");
      assert.equal(trade.exit_reason, 'stop');
      assert.ok((trade.pnl as number) < 0);
      const gaps2 = await read(home, 'SELECT detail FROM paper_gaps ORDER BY from_wall');
      assert.equal(gaps2.length, 2);
      assert.match(gaps2[1].detail as string, /settled on resume from the back-filled trades: the stop order/);
      // Graceful stop: SIGTERM, the session is marked stopped.
      const exited = once(run3.proc, 'close');
      run3.proc.kill('SIGTERM');
      const [code] = await exited;
      assert.equal(code, 0, run3.stderr);
      const [done] = await read(home, "SELECT status, restarts FROM paper_sessions WHERE name = 'crash'");
      assert.deepEqual([done.status, done.restarts], ['stopped', 2]);
    } finally {
      await story.serving.close();
    }
  });
});
