/** The replay merge: every row once, time order, the tie order, causal timers, chunking-blind. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { BookColumns, LiquidationColumns, TradeColumns } from '../../src/core/columns.ts';
import { replay, replayBatches, replayTo, type ReplayRun, type ReplaySink } from '../../src/engine/replay.ts';
import type { MarkColumns, OpenInterestColumns, QuoteColumns } from '../../src/core/columns.ts';

const RANK = { timer: 0, trades: 1, liquidations: 2, open_interest: 3, marks: 4, quotes: 5, book: 6 } as const;

function priceCols(ts: readonly number[]): TradeColumns {
  const n = ts.length;
  return { length: n, ts: Float64Array.from(ts), price: new Float64Array(n).fill(100), qty: new Float64Array(n).fill(1), side: new Int8Array(n).fill(1), venue: new Uint8Array(n), venues: ['binance'] };
}

function oiCols(ts: readonly number[]): OpenInterestColumns {
  const n = ts.length;
  return { length: n, ts: Float64Array.from(ts), openInterest: new Float64Array(n).fill(1), markPrice: new Float64Array(n).fill(NaN), market: new Uint16Array(n), markets: [{ venue: 'binance', symbol: 'X' }] };
}

function markCols(ts: readonly number[]): MarkColumns {
  const n = ts.length;
  const nan = () => new Float64Array(n).fill(NaN);
  return { length: n, ts: Float64Array.from(ts), markPrice: nan(), fundingRate: nan(), nextFundingTs: nan(), market: new Uint16Array(n), markets: [{ venue: 'binance', symbol: 'X' }] };
}

function quoteCols(ts: readonly number[]): QuoteColumns {
  const n = ts.length;
  return { length: n, ts: Float64Array.from(ts), bid: new Float64Array(n).fill(99), ask: new Float64Array(n).fill(101), market: new Uint16Array(n), markets: [{ venue: 'binance', symbol: 'X' }] };
}

function bookCols(ts: readonly number[]): BookColumns {
  const n = ts.length;
  return { length: n, ts: Float64Array.from(ts), isSnapshot: new Uint8Array(n), seq: new Float64Array(n), levelStart: new Uint32Array(n + 1), side: new Int8Array(0), price: new Float64Array(0), qty: new Float64Array(0) };
}

function chunked(ts: readonly number[], cuts: readonly number[]): TradeColumns[] {
  const bounds = [0, ...[...new Set(cuts)].filter((c) => c > 0 && c < ts.length).sort((a, b) => a - b), ts.length];
  const out: TradeColumns[] = [];
  for (let b = 0; b + 1 < bounds.length; b++) if (bounds[b + 1] > bounds[b]) out.push(priceCols(ts.slice(bounds[b], bounds[b + 1])));
  return out;
}

/** Flattened (ts, kind) of every row and timer. */
async function flatten(runs: AsyncIterable<ReplayRun>): Promise<[number, keyof typeof RANK][]> {
  const out: [number, keyof typeof RANK][] = [];
  for await (const r of runs) {
    if (r.kind === 'timer') out.push([r.ts, 'timer']);
    else {
      assert.ok(r.to > r.from, 'a run holds at least one row');
      for (let i = r.from; i < r.to; i++) out.push([r.cols.ts[i], r.kind]);
    }
  }
  return out;
}

const times = fc.array(fc.integer({ min: 0, max: 60 }), { maxLength: 40 }).map((a) => a.sort((x, y) => x - y));

describe('replay merge', () => {
  it('hand case: ties go timer, trades, liquidations, open interest; timers only between events', async () => {
    const got = await flatten(
      replay({ trades: [priceCols([5, 10, 10, 25])], liquidations: priceCols([10, 12]) as LiquidationColumns, openInterest: oiCols([10, 30]), timerEveryMs: 10 }),
    );
    assert.deepStrictEqual(got, [
      [5, 'trades'],
      [10, 'timer'],
      [10, 'trades'],
      [10, 'trades'],
      [10, 'liquidations'],
      [10, 'open_interest'],
      [12, 'liquidations'],
      [20, 'timer'],
      [25, 'trades'],
      [30, 'timer'],
      [30, 'open_interest'],
    ]);
  });

  it('every row once, in (ts, tie rank) order, timers exactly at the crossed multiples, whatever the chunking', async () => {
    await fc.assert(
      fc.asyncProperty(times, times, times, times, times, times, fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 6 }), fc.option(fc.integer({ min: 1, max: 25 })), async (tr, lq, oi, mk, qt, bk, cuts, every) => {
        const src = { liquidations: priceCols(lq) as LiquidationColumns, openInterest: oiCols(oi), marks: markCols(mk), quotes: quoteCols(qt), books: [{ venue: 'bybit' as const, cols: bookCols(bk) }], timerEveryMs: every ?? undefined };
        const got = await flatten(replay({ ...src, trades: chunked(tr, cuts) }));
        assert.deepStrictEqual(got, await flatten(replay({ ...src, trades: [priceCols(tr)] })), 'chunking changes nothing');
        for (let k = 1; k < got.length; k++) {
          const [a, ka] = got[k - 1];
          const [b, kb] = got[k];
          assert.ok(a < b || (a === b && RANK[ka] <= RANK[kb]), `order at ${k}: ${a} ${ka} then ${b} ${kb}`);
        }
        const rows = (kind: string) => got.filter(([, k]) => k === kind).map(([t]) => t);
        assert.deepStrictEqual(rows('trades'), tr);
        assert.deepStrictEqual(rows('liquidations'), lq);
        assert.deepStrictEqual(rows('open_interest'), oi);
        assert.deepStrictEqual(rows('marks'), mk);
        assert.deepStrictEqual(rows('quotes'), qt);
        assert.deepStrictEqual(rows('book'), bk);
        const all = [...tr, ...lq, ...oi, ...mk, ...qt, ...bk];
        const want: number[] = [];
        if (every && all.length > 0) {
          const lo = Math.min(...all);
          const hi = Math.max(...all);
          for (let t = Math.floor(lo / every) * every + every; t <= hi; t += every) want.push(t);
        }
        assert.deepStrictEqual(rows('timer'), want);
      }),
      { numRuns: 300 },
    );
  });

  it('a sink gets the same runs as calls as the batches give as objects (the replay driver path)', async () => {
    await fc.assert(
      fc.asyncProperty(times, times, times, times, times, times, fc.array(fc.integer({ min: 1, max: 40 }), { maxLength: 6 }), fc.option(fc.integer({ min: 1, max: 25 })), async (tr, lq, oi, mk, qt, bk, cuts, every) => {
        const src = { liquidations: priceCols(lq) as LiquidationColumns, openInterest: oiCols(oi), marks: markCols(mk), quotes: quoteCols(qt), books: [{ venue: 'bybit' as const, cols: bookCols(bk) }], timerEveryMs: every ?? undefined };
        const trades = chunked(tr, cuts);
        const calls: unknown[] = [];
        const sink: ReplaySink = {
          timer: (ts) => calls.push({ kind: 'timer', ts }),
          trades: (cols, from, to) => calls.push({ kind: 'trades', cols, from, to }),
          liquidations: (cols, from, to) => calls.push({ kind: 'liquidations', cols, from, to }),
          openInterest: (cols, from, to) => calls.push({ kind: 'open_interest', cols, from, to }),
          marks: (cols, from, to) => calls.push({ kind: 'marks', cols, from, to }),
          quotes: (cols, from, to) => calls.push({ kind: 'quotes', cols, from, to }),
          book: (venue, cols, from, to) => calls.push({ kind: 'book', venue, cols, from, to }),
        };
        await replayTo({ ...src, trades }, sink);
        const runs: ReplayRun[] = [];
        for await (const batch of replayBatches({ ...src, trades })) runs.push(...batch);
        assert.strictEqual(calls.length, runs.length);
        for (let k = 0; k < runs.length; k++) {
          const [a, b] = [calls[k] as Record<string, unknown>, runs[k] as unknown as Record<string, unknown>];
          assert.deepStrictEqual(Object.keys(a), Object.keys(b), `run ${k}`);
          // The same columns (identity, not a copy) and the same bounds.
          for (const key of Object.keys(b)) assert.strictEqual(a[key], b[key], `run ${k} ${key}`);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('refuses rows out of time order, naming them', async () => {
    await assert.rejects(flatten(replay({ trades: [priceCols([5, 3])] })), /trade at 3 ms after one at 5 ms/);
    await assert.rejects(flatten(replay({ trades: [priceCols([5]), priceCols([3])] })), /trade at 3 ms/);
    await assert.rejects(flatten(replay({ trades: [], liquidations: priceCols([2, 1]) })), /liquidation row 1/);
    await assert.rejects(flatten(replay({ trades: [], timerEveryMs: 0 })), /timerEveryMs/);
  });
});
