/**
 * Commit a batch so that rows the store refuses cannot hold the rest back: when the whole batch
 * fails, it is split in halves, recursively, each committed in its own transaction, until the
 * refused rows stand alone. A batch of N with one refused row costs O(log N) extra commits.
 *
 * A failure is blamed on a row only while the store is proven to accept writes: after every
 * failed commit an empty commit (the ledger row's counters, no rows) must succeed, and a row is
 * refused only when it fails alone twice. When the empty commit fails too, the store itself is
 * down (disk full, locked, I/O error): nothing is blamed, and what was not committed yet is
 * handed back, in order, for the next flush.
 */

/** Commit rows `[from, to)` in one transaction (`from === to`: an empty commit, the health probe). */
export type CommitRange = (from: number, to: number) => Promise<void>;

export interface Isolation {
  /** Rows the store refused alone, with its reason, in index order. */
  readonly refused: { readonly index: number; readonly reason: string }[];
  /** Ranges not committed because the store stopped accepting writes, in order. */
  readonly unresolved: [number, number][];
  /** The store-level error when the store stopped accepting writes. */
  readonly storeError: Error | undefined;
  /** Transactions attempted (the probes included). */
  readonly commits: number;
}

export async function commitIsolating(n: number, commit: CommitRange): Promise<Isolation> {
  const refused: { index: number; reason: string }[] = [];
  const unresolved: [number, number][] = [];
  let storeError: Error | undefined;
  let commits = 0;

  const attempt = async (from: number, to: number): Promise<Error | undefined> => {
    commits++;
    try {
      await commit(from, to);
      return undefined;
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  };
  /** After a failed commit: does the store accept an empty one? If not, stop blaming rows. */
  const storeWrites = async (failure: Error): Promise<boolean> => {
    if ((await attempt(0, 0)) === undefined) return true;
    storeError = failure;
    return false;
  };

  /**
   * Commit `[from, to)`; `failed` is set when this range is already known to fail (its sibling
   * committed while their parent failed), which saves one attempt per level.
   * Returns true when the whole range was committed.
   */
  const go = async (from: number, to: number, failed: Error | undefined): Promise<boolean> => {
    if (storeError) {
      unresolved.push([from, to]);
      return false;
    }
    if (to - from === 1) {
      for (let tries = 0; tries < 2; tries++) {
        const err = await attempt(from, to);
        if (!err) return true;
        if (!(await storeWrites(err))) {
          unresolved.push([from, to]);
          return false;
        }
        if (tries === 1) refused.push({ index: from, reason: err.message });
      }
      return false;
    }
    if (!failed) {
      const err = await attempt(from, to);
      if (!err) return true;
      if (!(await storeWrites(err))) {
        unresolved.push([from, to]);
        return false;
      }
      failed = err;
    }
    const mid = (from + to) >>> 1;
    const left = await go(from, mid, undefined);
    await go(mid, to, left ? failed : undefined);
    return false;
  };

  if (n > 0) await go(0, n, undefined);
  return { refused, unresolved, storeError, commits };
}
