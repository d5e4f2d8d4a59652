/**
 * Poll `cond` every `everyMs` until it holds; after `ms` fail naming `what`. Timed on the
 * monotonic clock: the wall clock of a shared machine can step, which would end a wait early or
 * stretch it for minutes.
 */
import { performance } from 'node:perf_hooks';

export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, ms: number, everyMs = 5): Promise<void> {
  const end = performance.now() + ms;
  while (!(await cond())) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
