import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { HELD_MAX, OkxBookSync, WireBook } from '../../../src/venues/okx/book-sync.ts';

/** One venue-side update: absolute sizes ("0" deletes), linked by prevSeqId -> seqId. */
interface Update {
  readonly bids: string[][];
  readonly asks: string[][];
  readonly prevSeqId: number;
  readonly seqId: number;
}

/** The venue: a book and its updates, with the book as it was after each seqId (what REST serves). */
function venue(steps: readonly { bids: [number, number][]; asks: [number, number][]; step: number }[], firstSeq = 1000) {
  const book = new WireBook();
  book.apply([['100', '5']], [['101', '5']]);
  const at = new Map<number, { bids: readonly (readonly string[])[]; asks: readonly (readonly string[])[] }>([[firstSeq, { bids: book.bids.top(), asks: book.asks.top() }]]);
  const updates: Update[] = [];
  let seq = firstSeq;
  for (const s of steps) {
    const bids = s.bids.map(([p, q]) => [String(p), String(q)]);
    const asks = s.asks.map(([p, q]) => [String(p), String(q)]);
    book.apply(bids, asks);
    const prev = seq;
    seq += s.step;
    updates.push({ bids, asks, prevSeqId: prev, seqId: seq });
    at.set(seq, { bids: book.bids.top(), asks: book.asks.top() });
  }
  return { updates, at, final: { bids: book.bids.top(), asks: book.asks.top() } };
}

const hold = (sync: OkxBookSync<number>, u: Update, i: number) => sync.apply('update', u.bids, u.asks, { seqId: u.seqId, prevSeqId: u.prevSeqId }, i);
const steps = (n: number) => Array.from({ length: n }, (_, i) => ({ bids: [[100 - (i % 4), i % 3]] as [number, number][], asks: [[101 + (i % 5), (i * 7) % 4]] as [number, number][], step: 1 + (i % 4) }));

describe('OkxBookSync: REST snapshot joined by seqId', () => {
  it('drops held updates up to the REST seqId and applies the rest: the book equals the venue', () => {
    const v = venue(steps(20));
    const sync = new OkxBookSync<number>();
    v.updates.forEach((u, i) => assert.equal(hold(sync, u, i).kind, 'waiting'));
    const rest = v.updates[7];
    const r = sync.fromRest(v.at.get(rest.seqId)!.bids, v.at.get(rest.seqId)!.asks, rest.seqId);
    assert.equal(r.kind, 'synced');
    assert.deepEqual(r.kind === 'synced' && r.applied, Array.from({ length: 12 }, (_, i) => 8 + i));
    assert.deepEqual({ bids: sync.book.bids.top(), asks: sync.book.asks.top() }, v.final);
    assert.equal(sync.seqId, v.updates[19].seqId);
  });

  it('with nothing held, the first live update joins by prevSeqId <= S < seqId; an older one is dropped, a later one is a gap', () => {
    const v = venue(steps(6));
    const sync = new OkxBookSync<number>();
    const s = v.updates[2].seqId;
    assert.equal(sync.fromRest(v.at.get(s)!.bids, v.at.get(s)!.asks, s).kind, 'synced');
    assert.equal(hold(sync, v.updates[1], 1).kind, 'duplicate', 'already in the REST book');
    assert.equal(hold(sync, v.updates[3], 3).kind, 'update');
    assert.equal(hold(sync, v.updates[5], 5).kind, 'sequence_gap', 'update 4 is missing');
    assert.equal(sync.isSynced, false);

    const late = new OkxBookSync<number>();
    assert.equal(late.fromRest(v.at.get(s)!.bids, v.at.get(s)!.asks, s).kind, 'synced');
    const r = hold(late, v.updates[4], 4);
    assert.equal(r.kind, 'sequence_gap');
    assert.match(r.kind === 'sequence_gap' ? r.detail : '', /prevSeqId \d+ is after the REST book's seqId \d+/);
  });

  it('a REST seqId between an update\'s prevSeqId and seqId still joins (sizes are absolute)', () => {
    const v = venue(steps(4));
    const u = v.updates[2];
    const sync = new OkxBookSync<number>();
    v.updates.forEach((x, i) => hold(sync, x, i));
    // The venue state at prevSeqId, then half of update 2 applied: a point strictly inside the link.
    const mid = new WireBook();
    const before = v.at.get(u.prevSeqId)!;
    mid.apply(before.bids, before.asks);
    mid.apply(u.bids.slice(0, 1), []);
    const r = sync.fromRest(mid.bids.top(), mid.asks.top(), u.prevSeqId + 0.5);
    assert.equal(r.kind, 'synced');
    assert.deepEqual({ bids: sync.book.bids.top(), asks: sync.book.asks.top() }, v.final);
  });

  it('a REST book older than the held updates is a gap; the held ones stay, and a newer REST book joins them', () => {
    const v = venue(steps(10));
    const sync = new OkxBookSync<number>();
    v.updates.slice(5).forEach((u, i) => hold(sync, u, 5 + i));
    const old = v.updates[1].seqId;
    const r = sync.fromRest(v.at.get(old)!.bids, v.at.get(old)!.asks, old);
    assert.equal(r.kind, 'sequence_gap');
    assert.equal(sync.isSynced, false);
    assert.equal(sync.heldCount, 5);
    const s = v.updates[6].seqId;
    const again = sync.fromRest(v.at.get(s)!.bids, v.at.get(s)!.asks, s);
    assert.deepEqual(again.kind === 'synced' && again.applied, [7, 8, 9]);
    assert.deepEqual({ bids: sync.book.bids.top(), asks: sync.book.asks.top() }, v.final);
  });

  it(`holds at most ${HELD_MAX} updates, dropping the oldest; desync forgets them`, () => {
    const v = venue(steps(HELD_MAX + 5));
    const sync = new OkxBookSync<number>();
    v.updates.forEach((u, i) => hold(sync, u, i));
    assert.equal(sync.heldCount, HELD_MAX);
    sync.desync();
    assert.equal(sync.heldCount, 0);
  });

  it('a WebSocket snapshot still works and drops what was held', () => {
    const v = venue(steps(3));
    const sync = new OkxBookSync<number>();
    v.updates.forEach((u, i) => hold(sync, u, i));
    const s = v.updates[2].seqId;
    assert.equal(sync.apply('snapshot', v.at.get(s)!.bids, v.at.get(s)!.asks, { seqId: s, prevSeqId: -1 }).kind, 'snapshot');
    assert.equal(sync.heldCount, 0);
    assert.deepEqual({ bids: sync.book.bids.top(), asks: sync.book.asks.top() }, v.final);
  });

  it('property: any REST point within the held updates, then the live rest, gives the venue book', () => {
    const level = fc.tuple(fc.integer({ min: 90, max: 110 }), fc.integer({ min: 0, max: 3 }));
    const step = fc.record({ bids: fc.array(level, { maxLength: 3 }), asks: fc.array(level, { maxLength: 3 }), step: fc.integer({ min: 1, max: 50 }) });
    fc.assert(
      fc.property(fc.array(step, { minLength: 2, maxLength: 40 }), fc.nat(), fc.nat(), (ss, a, b) => {
        const v = venue(ss);
        const heldUpTo = a % v.updates.length;
        const restAt = b % (heldUpTo + 1);
        const sync = new OkxBookSync<number>();
        for (let i = 0; i <= heldUpTo; i++) hold(sync, v.updates[i], i);
        const s = v.updates[restAt].seqId;
        const r = sync.fromRest(v.at.get(s)!.bids, v.at.get(s)!.asks, s);
        assert.equal(r.kind, 'synced');
        for (let i = heldUpTo + 1; i < v.updates.length; i++) assert.equal(hold(sync, v.updates[i], i).kind, 'update');
        assert.deepEqual({ bids: sync.book.bids.top(), asks: sync.book.asks.top() }, v.final);
      }),
      { numRuns: 200 },
    );
  });
});
