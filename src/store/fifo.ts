/**
 * A named pipe DuckDB reads as a file while we write into it: how a zip entry reaches DuckDB's
 * CSV reader as it is inflated, with nothing written to disk.
 *
 * The write end is opened only once the reader has opened the pipe (a non-blocking open fails
 * with ENXIO until then), so closing it always ends the reader's file: a writer that gave up
 * before DuckDB opened the pipe would otherwise leave DuckDB blocked in open() for ever.
 */
import { execFileSync } from 'node:child_process';
import { constants, openSync } from 'node:fs';
import { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** Create the pipe; false where the system has none (Windows), and the caller takes another path. */
export function makeFifo(path: string): boolean {
  try {
    execFileSync('mkfifo', ['-m', '600', path], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The pipe's writer, once its reader opened it; undefined when `readerDone` settled first. */
export async function openFifoWriter(path: string, readerDone: Promise<unknown>): Promise<FifoWriter | undefined> {
  let done = false;
  void readerDone.then(() => (done = true));
  for (;;) {
    try {
      const fd = openSync(path, constants.O_WRONLY | constants.O_NONBLOCK);
      return new FifoWriter(new Socket({ fd, readable: false, writable: true }), readerDone);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENXIO') throw e;
    }
    if (done) return undefined;
    await sleep(1);
  }
}

export class FifoWriter {
  private failed = false;
  /** Resolves when the reader's load ended (done, or failed and no longer reading). */
  private readonly stopped: Promise<'stopped'>;

  constructor(
    private readonly out: Socket,
    readerDone: Promise<unknown>,
  ) {
    // The reader closing early shows up as EPIPE; the load's own error says why.
    out.on('error', () => (this.failed = true));
    this.stopped = readerDone.then(() => 'stopped' as const);
  }

  /** Write a chunk, waiting while the pipe is full; false once the reader stopped reading. */
  async write(chunk: Buffer): Promise<boolean> {
    if (this.failed || this.out.destroyed) return false;
    if (this.out.write(chunk)) return true;
    return (await Promise.race([this.event('drain'), this.stopped])) === 'drain' && !this.failed;
  }

  /** Flush and close, so the reader sees the end of the file (at once if it stopped reading). */
  async end(): Promise<void> {
    if (!this.failed && !this.out.destroyed) {
      const closed = this.event('close');
      this.out.end();
      if ((await Promise.race([closed, this.stopped])) === 'close') return;
    }
    this.out.destroy();
  }

  /** Close at once (an error on our side): the reader sees the file end where it is. */
  destroy(): void {
    this.out.destroy();
  }

  /** The next `name` event, or 'close' if the socket closes first. */
  private event<T extends 'drain' | 'close'>(name: T): Promise<T | 'close'> {
    return new Promise((resolve) => {
      const on = () => (this.out.off('close', onClose), resolve(name));
      const onClose = () => (this.out.off(name, on), resolve('close'));
      this.out.once(name, on);
      if (name !== 'close') this.out.once('close', onClose);
    });
  }
}
