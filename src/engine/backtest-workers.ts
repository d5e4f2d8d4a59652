/**
 * Null-model runs and walk-forward in-sample sweeps on worker threads. Each job is plain data
 * (a config, a window, the real signals and the fork labels of its random stream) and so is its
 * result: a worker computes exactly what this thread would, and the results come back in the
 * order of the jobs, whatever thread finished first. The run is identical to a serial one.
 *
 * Each worker opens the store read-only and reads the market's streams once (so memory grows
 * with the worker count). A strategy given as a file is loaded in each worker from that file;
 * a strategy given only as a function cannot cross threads, so such a run is serial.
 *
 * Where the worker's code is: from the TypeScript sources (tests, a checkout with no fresh build)
 * the worker registers tsx and imports backtest-worker.ts; from the build (scripts/build.mjs) it
 * is dist/cli/backtest-worker.js, whose path the build writes into __ORDERFLOW_BACKTEST_WORKER__.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { Venue } from '../core/events.ts';
import type { Backtest, BacktestJob, JobResult, JobRunner } from './backtest.ts';
import type { BacktestConfig } from './config.ts';
import type { LakeScope } from '../lake/lake-store.ts';

/** Set by scripts/build.mjs: the built worker's path relative to this source file's URL. */
declare const __ORDERFLOW_BACKTEST_WORKER__: string | undefined;

/** What a worker needs to build the same Backtest as the main thread. */
export interface WorkerSource {
  readonly home: string;
  /** Read the lake instead of the store at `home` (src/lake/lake-store.ts). */
  readonly lake?: { readonly location: string; readonly scope: LakeScope };
  readonly config: BacktestConfig;
  readonly pairs: readonly [Venue, string][];
  readonly symbol: string;
  readonly fromMs?: number;
  readonly toMs?: number;
  readonly strategyFile?: string;
}

/** Default worker count: every core but one (for this thread), at least 1. */
export function defaultWorkerCount(): number {
  return Math.max(1, availableParallelism() - 1);
}

function startWorker(source: WorkerSource): Worker {
  if (typeof __ORDERFLOW_BACKTEST_WORKER__ === 'string') return new Worker(new URL(__ORDERFLOW_BACKTEST_WORKER__, import.meta.url), { workerData: source });
  // From the sources: tsx's loader is registered in the worker first (the main thread's, set up by
  // `node --import tsx` or bin/orderflow's register(), does not carry over to a worker thread).
  const api = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./backtest-worker.ts', import.meta.url).href;
  const boot = `import(${JSON.stringify(api)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(boot, { eval: true, workerData: source });
}

/** Runs jobs on up to `size` worker threads (started at the first jobs, ended by close()). */
export class WorkerPoolRunner implements JobRunner {
  private workers: Worker[] = [];
  private failed: Error | undefined;
  /** Worker threads started so far. */
  started = 0;

  constructor(
    private readonly source: WorkerSource,
    readonly size: number,
  ) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`workers must be a whole number >= 1, got ${size}`);
  }

  async run(jobs: readonly BacktestJob[], _bt: Backtest, onDone?: (done: number) => void): Promise<JobResult[]> {
    if (jobs.length === 0) return [];
    while (this.workers.length < Math.min(this.size, jobs.length)) {
      this.workers.push(startWorker(this.source));
      this.started++;
    }
    const results = new Array<JobResult>(jobs.length);
    let next = 0;
    let done = 0;
    await new Promise<void>((resolve, reject) => {
      const feed = (w: Worker): void => {
        if (next >= jobs.length) return;
        const id = next++;
        const onMessage = (m: { id: number; result?: JobResult; error?: { name: string; message: string; stack?: string } }): void => {
          if (m.id !== id) return;
          w.off('message', onMessage);
          w.off('error', onError);
          if (m.error) {
            const e = new Error(m.error.message);
            e.name = m.error.name;
            e.stack = m.error.stack;
            return reject(m.error.name === 'RangeError' ? Object.assign(new RangeError(m.error.message), { stack: m.error.stack }) : e);
          }
          results[id] = m.result!;
          onDone?.(++done);
          if (done === jobs.length) resolve();
          else feed(w);
        };
        const onError = (e: Error): void => {
          this.failed = e;
          reject(e);
        };
        w.on('message', onMessage);
        w.once('error', onError);
        w.postMessage({ id, job: jobs[id] });
      };
      if (this.failed) return reject(this.failed);
      for (const w of this.workers) feed(w);
    });
    return results;
  }

  /** Ends the workers (each closes its store). */
  async close(): Promise<void> {
    const ws = this.workers;
    this.workers = [];
    await Promise.all(
      ws.map(
        (w) =>
          new Promise<void>((resolve) => {
            const t = setTimeout(() => void w.terminate().then(() => resolve()), 5000);
            w.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
            w.postMessage({ close: true });
          }),
      ),
    );
  }
}
