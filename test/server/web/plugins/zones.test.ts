import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { LiquidationsResponse, PredictedLiquidationsResponse } from '../../../../src/server/api.ts';
import { toPredictedLevels, toRealizedZones } from '../../../../src/server/web/plugins/zones/data.ts';
import { compact } from '../../../../src/server/web/plugins/zones/zones-primitive.ts';
import { anyNumber } from './arbitraries.ts';

type Cluster = LiquidationsResponse['clusters'][number];
const cluster = (c: Partial<Cluster>): Cluster => ({ side: 'long', low: 100, high: 110, peak: 105, notional: 1e6, count: 3, firstMs: 1000, lastMs: 2000, revisited: false, venues: ['binance'], ...c });

describe('zones data', () => {
  it('keeps realized clusters as bands with their start and revisited state', () => {
    const z = toRealizedZones({ clusters: [cluster({}), cluster({ side: 'short', revisited: true, low: 120, high: 125 })] });
    assert.deepEqual(z, [
      { side: 'long', low: 100, high: 110, notional: 1e6, firstMs: 1000, revisited: false },
      { side: 'short', low: 120, high: 125, notional: 1e6, firstMs: 1000, revisited: true },
    ]);
  });

  it('drops clusters with low above high, NaN bounds or an unknown side', () => {
    const z = toRealizedZones({ clusters: [cluster({ low: 120 }), cluster({ high: NaN }), cluster({ side: 'flat' as 'long' }), cluster({ firstMs: Infinity }), null as unknown as Cluster] });
    assert.equal(z.length, 0);
  });

  it('keeps predicted levels apart, with finite positive prices only', () => {
    const r: PredictedLiquidationsResponse = { atMs: 0, assumptions: '', levels: [{ side: 'short', price: 101, notional: 5, leverage: 25 }, { side: 'long', price: NaN, notional: 5, leverage: 10 }, { side: 'long', price: -3, notional: 5, leverage: 10 }] };
    assert.deepEqual(toPredictedLevels(r), [{ side: 'short', price: 101, notional: 5, leverage: 25 }]);
  });

  it('never throws on broken input and keeps only drawable bands and levels', () => {
    const c = fc.record({ side: fc.constantFrom('long', 'short', 'x'), low: anyNumber, high: anyNumber, notional: anyNumber, firstMs: anyNumber, revisited: fc.boolean() });
    fc.assert(
      fc.property(fc.array(c, { maxLength: 8 }), fc.array(fc.record({ side: fc.constantFrom('long', 'short'), price: anyNumber, notional: anyNumber, leverage: anyNumber }), { maxLength: 8 }), (clusters, levels) => {
        for (const z of toRealizedZones({ clusters } as unknown as LiquidationsResponse)) assert.ok(Number.isFinite(z.low) && z.high >= z.low && Number.isFinite(z.firstMs));
        for (const l of toPredictedLevels({ atMs: 0, assumptions: '', levels } as unknown as PredictedLiquidationsResponse)) assert.ok(Number.isFinite(l.price) && l.price > 0);
      }),
    );
  });

  it('labels notionals compactly', () => {
    assert.deepEqual([950, 12_400, 3_450_000, 2.1e9].map(compact), ['950', '12k', '3.5M', '2.1B']);
  });
});
