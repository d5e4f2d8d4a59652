/**
 * The test side of writer-process.ts: a recorder in a process of its own, holding `home`'s store,
 * driven one stdin line at a time (each answered `ok` once committed).
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export class RecorderProcess {
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    private readonly lines: AsyncIterator<string>,
  ) {}

  /** Starts it and waits until it holds the store and serves reads. */
  static async start(home: string): Promise<RecorderProcess> {
    const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('./writer-process.ts', import.meta.url)), home], { stdio: ['pipe', 'pipe', 'pipe'] });
    const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    assert.equal((await lines.next()).value, 'ready');
    return new RecorderProcess(child, lines);
  }

  /** Records the fixture's events of [fromMs, toMs) and waits for the commit. */
  record(fromMs: number, toMs: number): Promise<void> {
    return this.send(`${fromMs} ${toMs}`);
  }

  /** Commits a paper session's journal row at `equity`. */
  paper(equity: number): Promise<void> {
    return this.send(`paper ${equity}`);
  }

  async stop(): Promise<void> {
    this.child.stdin.end();
    if (this.child.exitCode === null) await once(this.child, 'close');
  }

  private async send(line: string): Promise<void> {
    this.child.stdin.write(`${line}\n`);
    assert.equal((await this.lines.next()).value, 'ok');
  }
}
