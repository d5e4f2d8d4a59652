/** The feature pipeline: rolling causal zones feed absorption; predicted zones are scored against later liquidations. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { columns } from '../features/trades.ts';
import type { LiquidationColumns, TradeColumns } from '../../src/core/columns.ts';
import { coverage, FeaturePipeline, type PipelineOutputs, type ZoneSet } from '../../src/engine/pipeline.ts';
import { replay } from '../../src/engine/replay.ts';
import type { AbsorptionEvent } from '../../src/features/absorption.ts';
import type { OpenInterestColumns } from '../../src/core/columns.ts';
import { createRng } from '../../src/engine/random.ts';
import { cvdBatch } from '../../src/features/cvd.ts';
import { divergenceBatch } from '../../src/features/divergence.ts';
import { sizeFlowBatch } from '../../src/features/sizes.ts';

const H = 3_600_000;
const D = Date.UTC(2024, 0, 1);
type Row = [ts: number, price: number, qty: number, side: 1 | -1];

const cols = (rows: readonly Row[]): TradeColumns => columns(rows);

/** Quiet two-sided flow at 101 every second, a long-liquidation cascade at 100 at 0:10, heavy selling held at 100 from 1:05. */
function story(cascadeAt = D + 10 * 60_000): { trades: Row[]; liqs: Row[] } {
  const trades: Row[] = [];
  const liqs: Row[] = [];
  for (let t = D; t < D + 2 * H; t += 1000) {
    const heavy = t >= D + H + 5 * 60_000 && t < D + H + 7 * 60_000;
    if (heavy) trades.push([t, 100, 5, -1]);
    else trades.push([t, 101, 1, (t / 1000) % 2 === 0 ? 1 : -1]);
  }
  for (let k = 0; k < 5; k++) liqs.push([cascadeAt + k * 1000 + 500, 100, 10, -1]);
  liqs.push([cascadeAt + 20_000, 95, 0.1, -1], [cascadeAt + 21_000, 96, 0.1, -1]);
  liqs.sort((a, b) => a[0] - b[0]);
  return { trades, liqs };
}

async function runPipeline(trades: Row[], liqs: Row[], oi?: OpenInterestColumns) {
  const out: { [K in keyof PipelineOutputs]?: PipelineOutputs[K][] } = {};
  const p = new FeaturePipeline({ withOpenInterest: oi !== undefined, absorptionLookback: 5 }, (name, x) => ((out[name] ??= []) as unknown[]).push(x));
  for await (const run of replay({ trades: [cols(trades)], liquidations: cols(liqs) as LiquidationColumns, openInterest: oi, timerEveryMs: H })) p.push(run);
  p.flush();
  return { out, p };
}

describe('feature pipeline', () => {
  it('a cluster found at the 1:00 snapshot becomes a zone, and held selling into it is absorption', async () => {
    const { trades, liqs } = story();
    const { out } = await runPipeline(trades, liqs);
    const zones = out.zones as ZoneSet[];
    assert.equal(zones.length, 1, 'one zone change: the 1:00 snapshot');
    assert.equal(zones[0].ts, D + H);
    const z = zones[0].zones.find((x) => x.low <= 100 && x.high >= 100)!;
    assert.ok(z && z.side === 'long' && z.from_ts === D + H);
    const ev = out.absorption as AbsorptionEvent[];
    assert.equal(ev.length, 1);
    assert.equal(ev[0].direction, 'buyers_absorb');
    assert.ok(ev[0].ts > D + H + 5 * 60_000 && ev[0].ts <= D + H + 7 * 60_000 + 5000, `event at ${ev[0].ts - D}`);
    assert.ok(out.cvd_1h && out.cvd_1h.length === 2);
  });

  it('is causal: a cascade after the last snapshot before the selling makes no zone for it', async () => {
    // The same cascade at 1:02 is after the 1:00 snapshot: no zone exists while the selling runs.
    const { trades, liqs } = story(D + H + 2 * 60_000);
    const { out } = await runPipeline(trades, liqs);
    assert.equal((out.absorption ?? []).length, 0);
    assert.ok((out.zones ?? []).every((s) => s.ts >= D + 2 * H || s.zones.length === 0));
  });

  it('scores predicted zones against the liquidations after them, beside chance', async () => {
    const trades: Row[] = [];
    for (let t = D; t < D + 3 * H; t += 10_000) trades.push([t, 100, 1, 1]);
    // Open interest grows by 1000 at 0:30 (price 100, all buyers: longs).
    const oi: OpenInterestColumns = {
      length: 2,
      ts: Float64Array.from([D + 29 * 60_000, D + 31 * 60_000]),
      openInterest: Float64Array.from([1000, 2000]),
      markPrice: Float64Array.from([100, 100]),
      market: new Uint16Array(2),
      markets: [{ venue: 'binance', symbol: 'BTCUSDT' }],
    };
    const first = await runPipeline(trades, [], oi);
    const zs = first.out.zones![0];
    const longZone = zs.zones.find((z) => z.side === 'long' && z.source === 'predicted')!;
    assert.ok(longZone, 'a predicted long zone below 100');
    const inside = (longZone.low + longZone.high) / 2;
    const liqs: Row[] = [
      [D + 2 * H, inside, 2, -1], // longs liquidated inside a predicted long zone: a hit
      [D + 2 * H + 1000, 60, 1, -1], // far from any zone: a miss
      [D + 2 * H + 2000, inside, 1, 1], // shorts liquidated there: wrong side, a miss
    ];
    const { p } = await runPipeline(trades, liqs, oi);
    const c = p.predictedCheck();
    assert.equal(c.liquidations, 3);
    assert.equal(c.hits, 1);
    assert.ok(Math.abs(c.hit_notional - inside * 2) < 1e-9);
    assert.ok(Math.abs(c.notional - (inside * 3 + 60)) < 1e-9);
    const longs = zs.zones.filter((z) => z.side === 'long');
    const shorts = zs.zones.filter((z) => z.side === 'short');
    const cov = (zones: typeof longs, px: number) => coverage(zones, px * 0.95, px * 1.05);
    const want = (inside * 2 * cov(longs, inside) + 60 * cov(longs, 60) + inside * cov(shorts, inside)) / c.notional;
    assert.ok(Math.abs(c.chance - want) < 1e-12);
  });

  it('its CVD bars (taken from the divergence pass) are cvdBatch\'s, its divergence events and size bars the batch ones, emitted CVD, sizes, divergence', () => {
    // Flow regimes of 1-6 h (a bias while price stays flat, or drifts), trades every 1-60 s over 6 days:
    // 15m/1h/1d CVD bars, divergence events past the 100-bar warm-up, 1h size bars.
    const rank: Record<string, number> = { cvd_15m: 0, cvd_1h: 1, cvd_1d: 2, sizes_1h: 3, divergence: 4 };
    let events = 0;
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), (seed) => {
        const r = createRng(seed);
        const rows: Row[] = [];
        let px = 100;
        let bias = 0;
        let drift = 0;
        let regimeEnd = D;
        for (let t = D; t < D + 6 * 24 * H; t += 1000 * (1 + r.nextInt(60))) {
          if (t >= regimeEnd) {
            regimeEnd = t + H * (1 + r.nextInt(6));
            bias = (r.nextFloat() - 0.5) * 0.8;
            drift = r.nextFloat() < 0.5 ? 0 : (r.nextFloat() - 0.5) * 2e-4;
          }
          px = Math.max(1, px * (1 + drift + (r.nextFloat() - 0.5) * 1e-3));
          const n = 1 + r.nextInt(3);
          for (let k = 0; k < n; k++) rows.push([t, Math.round(px * 100) / 100, Math.round((0.01 + r.nextFloat() * (r.nextFloat() < 0.02 ? 50 : 2)) * 1000) / 1000, r.nextFloat() < 0.5 + bias ? 1 : -1]);
        }
        const c = cols(rows);
        const out: { [K in keyof PipelineOutputs]?: PipelineOutputs[K][] } = {};
        let calls: string[] = [];
        const p = new FeaturePipeline({ withOpenInterest: false, sessions: false }, (name, x) => {
          ((out[name] ??= []) as unknown[]).push(x);
          if (name in rank) calls.push(name);
        });
        // As the engine pushes them: slices within one second; within a push, the order of the outputs' kinds.
        const ordered = () => {
          for (let k = 1; k < calls.length; k++) assert.ok(rank[calls[k - 1]] <= rank[calls[k]], `emitted ${calls.join(', ')}`);
          calls = [];
        };
        for (let i = 0; i < c.length; ) {
          let j = i + 1;
          while (j < c.length && Math.floor(c.ts[j] / 1000) === Math.floor(c.ts[i] / 1000)) j++;
          p.pushTrades(c, i, j);
          ordered();
          i = j;
        }
        p.flush();
        ordered();
        assert.deepStrictEqual(out.cvd_15m, cvdBatch(c, { timeframeMs: 15 * 60_000 }));
        assert.deepStrictEqual(out.cvd_1h, cvdBatch(c, { timeframeMs: H }));
        assert.deepStrictEqual(out.cvd_1d, cvdBatch(c, { timeframeMs: 24 * H }));
        assert.deepStrictEqual(out.divergence ?? [], divergenceBatch(c, {}));
        assert.deepStrictEqual(out.sizes_1h, sizeFlowBatch(c, { timeframeMs: H }));
        assert.equal(out.cvd_1d?.length, 6);
        events += (out.divergence ?? []).length;
      }),
      { numRuns: 4 },
    );
    assert.ok(events > 0, 'the markets made divergence events');
  });

  it('coverage is the share of the band under the union of zones', () => {
    const z = (low: number, high: number) => ({ low, high, side: 'long' as const, source: 'realized' as const });
    assert.equal(coverage([], 0, 10), 0);
    assert.equal(coverage([z(2, 4), z(3, 6), z(8, 20)], 0, 10), 0.6); // [2,6] + [8,10]
    assert.equal(coverage([z(-5, 50)], 0, 10), 1);
  });

  it('coverage of one side is that of the side\'s zones alone, for any zones (unsorted, overlapping, more than its scratch holds)', () => {
    const zone = fc.record({ a: fc.integer({ min: -20, max: 120 }), w: fc.integer({ min: 0, max: 60 }), long: fc.boolean() });
    fc.assert(
      fc.property(fc.array(zone, { maxLength: 40 }), fc.integer({ min: 0, max: 80 }), fc.integer({ min: 1, max: 50 }), (zs, lo, w) => {
        const zones = zs.map((x) => ({ low: x.a / 4, high: (x.a + x.w) / 4, side: x.long ? ('long' as const) : ('short' as const), source: 'realized' as const }));
        const hi = lo + w;
        // Reference: the union by a sweep over 1/4 units (every bound is a multiple of 1/4).
        const covered = (side: 'long' | 'short') => {
          let n = 0;
          for (let u = lo * 4; u < hi * 4; u++) if (zones.some((z) => z.side === side && z.low * 4 <= u && z.high * 4 >= u + 1)) n++;
          return n / (w * 4);
        };
        for (const side of ['long', 'short'] as const) {
          const got = coverage(zones, lo, hi, side);
          assert.ok(Math.abs(got - covered(side)) < 1e-12, `${side}: ${got} vs ${covered(side)}`);
          assert.equal(got, coverage(zones.filter((z) => z.side === side), lo, hi));
        }
      }),
    );
  });
});
