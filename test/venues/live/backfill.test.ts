/** The back-fill planners of the three venues, without a network: what each asks next and when it stops. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BinanceBackfillPlanner } from '../../../src/venues/binance/backfill.ts';
import { BybitBackfillPlanner } from '../../../src/venues/bybit/backfill.ts';
import { DEFAULT_BACKFILL_TIME_MS, pageOf, sizeBackfill, type BackfillGap, type BackfillPage, type BackfillPlanner, type BackfillStep } from '../../../src/venues/live/backfill.ts';
import { OkxBackfillPlanner } from '../../../src/venues/okx/backfill.ts';

const BASE = 'http://127.0.0.1:1';

/** Drive a planner against a venue simulated by `serve` (url -> the ids on the page); returns the ids got and the last step. */
function drive(p: BackfillPlanner, gap: BackfillGap, maxRequests: number, serve: (url: URL) => number[]): { ids: number[]; steps: number; last: BackfillStep } {
  const pages: BackfillPage[] = [];
  const ids: number[] = [];
  for (;;) {
    const step = p.next(gap, pages, { maxRequests }, 0);
    if (step.kind === 'done') return { ids, steps: pages.length, last: step };
    const got = serve(new URL(step.url));
    ids.push(...got);
    pages.push(pageOf(got, got.map((id) => 1_000 + id)));
  }
}

describe('BinanceBackfillPlanner (aggTrades fromId, upwards)', () => {
  const history = (ids: number[]) => (u: URL) => {
    const from = Number(u.searchParams.get('fromId'));
    const limit = Number(u.searchParams.get('limit'));
    return ids.filter((id) => id >= from).slice(0, limit);
  };

  it('pages upwards to the last missing id, the last page asking only for what is left', () => {
    const steps: string[] = [];
    const p = new BinanceBackfillPlanner(BASE);
    const serve = history(Array.from({ length: 5000 }, (_, i) => i + 1));
    const r = drive(p, { symbol: 'BTCUSDT', fromId: 101, toId: 2600, fromTs: NaN }, 10, (u) => (steps.push(`${u.searchParams.get('fromId')}/${u.searchParams.get('limit')}`), serve(u)));
    assert.deepEqual(steps, ['101/1000', '1101/1000', '2101/500']);
    assert.deepEqual(r.last, { kind: 'done', reason: 'covered' });
  });

  it('a catch-up (no upper id) stops at the first short page; an empty page for a known hole is exhausted', () => {
    const p = new BinanceBackfillPlanner(BASE);
    const r = drive(p, { symbol: 'BTCUSDT', fromId: 1, toId: undefined, fromTs: NaN }, 10, history(Array.from({ length: 1500 }, (_, i) => i + 1)));
    assert.deepEqual([r.ids.length, r.steps, r.last], [1500, 2, { kind: 'done', reason: 'covered' }]);
    const gone = drive(p, { symbol: 'BTCUSDT', fromId: 10, toId: 20, fromTs: NaN }, 10, () => []);
    assert.deepEqual(gone.last, { kind: 'done', reason: 'exhausted' });
  });

  it('never exceeds its request budget, and gets every existing id of the hole within it', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5000 }), fc.integer({ min: 0, max: 4000 }), fc.integer({ min: 1, max: 6 }), (from, len, budget) => {
        const all = Array.from({ length: 9000 }, (_, i) => i + 1);
        const r = drive(new BinanceBackfillPlanner(BASE), { symbol: 'X', fromId: from, toId: from + len, fromTs: NaN }, budget, history(all));
        assert.ok(r.steps <= budget);
        const want = all.filter((id) => id >= from && id <= from + len);
        if (r.last.kind === 'done' && r.last.reason === 'covered') assert.deepEqual(r.ids, want);
        else assert.equal(r.steps, budget);
      }),
    );
  });
});

describe('OkxBackfillPlanner (history-trades after, downwards)', () => {
  const history = (ids: number[]) => (u: URL) => {
    const after = Number(u.searchParams.get('after'));
    return ids.filter((id) => id < after).sort((a, b) => b - a).slice(0, Number(u.searchParams.get('limit')));
  };

  it('pages down from the id above the hole until a page reaches its lowest id', () => {
    const afters: string[] = [];
    const ids = Array.from({ length: 1000 }, (_, i) => 2 * i + 1); // odd ids only: OKX ids are not consecutive
    const r = drive(new OkxBackfillPlanner(BASE), { symbol: 'BTC-USDT-SWAP', fromId: 1500, toId: 1900, fromTs: NaN }, 20, (u) => (afters.push(u.searchParams.get('after')!), history(ids)(u)));
    assert.deepEqual(afters, ['1901', '1701', '1501']);
    assert.deepEqual(r.last, { kind: 'done', reason: 'covered' });
    assert.ok(ids.filter((id) => id >= 1500 && id <= 1900).every((id) => r.ids.includes(id)));
  });

  it('stops as exhausted when the venue has nothing older, and on budget', () => {
    const ids = Array.from({ length: 50 }, (_, i) => 1000 + i);
    const r = drive(new OkxBackfillPlanner(BASE), { symbol: 'X', fromId: 500, toId: 1040, fromTs: NaN }, 20, history(ids));
    assert.deepEqual(r.last, { kind: 'done', reason: 'exhausted' });
    const b = drive(new OkxBackfillPlanner(BASE), { symbol: 'X', fromId: 1, toId: 100_000, fromTs: NaN }, 3, history(Array.from({ length: 100_000 }, (_, i) => i + 1)));
    assert.deepEqual([b.steps, b.last], [3, { kind: 'done', reason: 'budget' }]);
  });
});

describe('BybitBackfillPlanner (recent-trade only)', () => {
  it('one request; covered when the oldest trade returned is not newer than the last one seen', () => {
    const p = new BybitBackfillPlanner(BASE, 1000);
    const gap: BackfillGap = { symbol: 'BTCUSDT', fromId: NaN, toId: undefined, fromTs: 5_000 };
    const first = p.next(gap, [], { maxRequests: 1 }, 0);
    assert.equal(first.kind, 'fetch');
    assert.match((first as { url: string }).url, /\/v5\/market\/recent-trade\?category=linear&symbol=BTCUSDT&limit=1000$/);
    assert.deepEqual(p.next(gap, [pageOf([], [4_000, 6_000])], { maxRequests: 1 }, 0), { kind: 'done', reason: 'covered' });
    assert.deepEqual(p.next(gap, [pageOf([], [5_500, 6_000])], { maxRequests: 1 }, 0), { kind: 'done', reason: 'exhausted' });
    assert.deepEqual(p.next(gap, [], { maxRequests: 0 }, 0), { kind: 'done', reason: 'budget' });
    assert.deepEqual(p.next(gap, [], { maxRequests: 5, deadline: 10 }, 10), { kind: 'done', reason: 'budget' });
  });
});

describe('sizeBackfill (time and the venue rate limit, not a fixed count)', () => {
  it('allows the requests the venue share of its limit makes in the time, and a deadline', () => {
    assert.deepEqual(sizeBackfill({}, 60, 1000), { maxRequests: 60, deadline: 1000 + DEFAULT_BACKFILL_TIME_MS });
    assert.deepEqual(sizeBackfill({ backfillTimeMs: 120_000 }, 300, 0), { maxRequests: 600, deadline: 120_000 });
    assert.deepEqual(sizeBackfill({ backfillTimeMs: 1000 }, 60, 0), { maxRequests: 1, deadline: 1000 }, 'at least one request');
    assert.deepEqual(sizeBackfill({ backfillMaxRequests: 7 }, 60, 0), { maxRequests: 7, deadline: DEFAULT_BACKFILL_TIME_MS });
    assert.throws(() => sizeBackfill({ backfillTimeMs: 0 }, 60, 0), /backfillTimeMs must be > 0/);
  });

  it('a planner stops at the deadline whatever requests are left', () => {
    const p = new BinanceBackfillPlanner('http://127.0.0.1:1');
    const budget = sizeBackfill({ backfillTimeMs: 1000 }, 6000, 0);
    const gap: BackfillGap = { symbol: 'BTCUSDT', fromId: 1, toId: 5000, fromTs: 0 };
    assert.equal(p.next(gap, [], budget, 999).kind, 'fetch');
    assert.deepEqual(p.next(gap, [], budget, 1000), { kind: 'done', reason: 'budget' });
  });
});
