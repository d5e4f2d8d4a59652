import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { DetectorEvent } from '../../../../src/server/api.ts';
import { toMarkers } from '../../../../src/server/web/plugins/markers/data.ts';
import { anyNumber } from './arbitraries.ts';

describe('markers data', () => {
  it('places each event on its bar at its price, shaped by kind and direction, sorted by time', () => {
    const events: DetectorEvent[] = [
      { t: 185_000, kind: 'divergence', direction: 'down', price: 101, text: 'sell-flow divergence' },
      { t: 61_000, kind: 'absorption', direction: 'up', price: 99, text: 'buyers absorbing' },
      { t: 125_000, kind: 'bait', direction: 'up', price: 100, text: 'bid bait' },
    ];
    const m = toMarkers(events, 60_000);
    assert.deepEqual(m.map((x) => [x.time, x.shape, x.position, x.price, x.text]), [
      [60, 'circle', 'atPriceBottom', 99, 'ABS'],
      [120, 'square', 'atPriceBottom', 100, 'BAIT'],
      [180, 'arrowDown', 'atPriceTop', 101, 'DIV'],
    ]);
  });

  it('drops events with a bad time, price, kind or direction and never throws', () => {
    fc.assert(
      fc.property(fc.array(fc.record({ t: anyNumber, price: anyNumber, kind: fc.constantFrom('absorption', 'divergence', 'bait', 'toString', '__proto__'), direction: fc.constantFrom('up', 'down', 'left'), text: fc.string() }), { maxLength: 10 }), anyNumber, (events, tf) => {
        const m = toMarkers(events as DetectorEvent[], tf);
        for (let i = 0; i < m.length; i++) {
          assert.ok(Number.isFinite(m[i].time as number) && Number.isFinite(m[i].price));
          if (i > 0) assert.ok((m[i].time as number) >= (m[i - 1].time as number));
        }
      }),
    );
  });
});
