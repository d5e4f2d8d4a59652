/** Bisecting a refused batch: O(log N) commits for one bad row, and a store that is down blames nobody. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { commitIsolating } from '../../src/store/commit-isolating.ts';

/** A store that refuses any range holding a bad index, and keeps what it committed. */
function refusing(bad: ReadonlySet<number>) {
  const committed: number[] = [];
  const commit = async (from: number, to: number) => {
    for (let i = from; i < to; i++) if (bad.has(i)) throw new Error(`row ${i} refused`);
    for (let i = from; i < to; i++) committed.push(i);
  };
  return { committed, commit };
}

describe('commitIsolating', () => {
  it('one refused row among a million costs at most 3 log2 N + 4 commits', async () => {
    const N = 1 << 20;
    const s = refusing(new Set([777_777]));
    const r = await commitIsolating(N, s.commit);
    assert.deepEqual(r.refused, [{ index: 777_777, reason: 'row 777777 refused' }]);
    assert.equal(s.committed.length, N - 1);
    assert.ok(r.commits <= 3 * 20 + 4, `${r.commits} commits`);
    assert.equal(r.storeError, undefined);
  });

  it('a store that refuses every commit, the empty one too, blames no row and hands the batch back', async () => {
    const r = await commitIsolating(1000, async () => {
      throw new Error('IO Error: No space left on device');
    });
    assert.deepEqual(r.refused, []);
    assert.deepEqual(r.unresolved, [[0, 1000]]);
    assert.match(r.storeError!.message, /No space left/);
  });

  it('property: committed and refused partition the batch, every range committed once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 3000 }).chain((n) => fc.tuple(fc.constant(n), fc.uniqueArray(fc.nat(n - 1), { maxLength: 20 }))), async ([n, bad]) => {
        const s = refusing(new Set(bad));
        const r = await commitIsolating(n, s.commit);
        assert.deepEqual(r.refused.map((x) => x.index), [...bad].sort((a, b) => a - b));
        assert.deepEqual([...s.committed, ...bad].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
        assert.deepEqual(r.unresolved, []);
      }),
      { numRuns: 200 },
    );
  });
});
