/**
 * ConnectPacer: connection slots shared by several sockets of one venue (OKX shards), so that
 * however many retry at once their connection requests stay `spacingMs` apart.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ConnectPacer } from '../../../src/venues/live/connect-pacer.ts';

describe('ConnectPacer', () => {
  it('sockets asking at the same instant open spacingMs apart; one asking after a quiet spell opens at once', () => {
    let now = 1000;
    const pacer = new ConnectPacer(350, () => now);
    assert.deepEqual([pacer.reserve(), pacer.reserve(), pacer.reserve()], [0, 350, 700]);
    now = 1200;
    assert.equal(pacer.reserve(), 1000 - 200 + 50, 'the slot after the third (at 2050)');
    now = 10_000;
    assert.equal(pacer.reserve(), 0);
  });

  it('property: any asks at rising times open in order, at least spacingMs apart, each as early as that allows', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1000 }), fc.array(fc.integer({ min: 0, max: 2000 }), { maxLength: 50 }), (spacing, gaps) => {
        let now = 0;
        const pacer = new ConnectPacer(spacing, () => now);
        let last = -Infinity;
        for (const g of gaps) {
          now += g;
          const opensAt = now + pacer.reserve();
          assert.ok(opensAt >= now);
          assert.equal(opensAt, Math.max(now, last + spacing));
          last = opensAt;
        }
      }),
    );
  });

  it('refuses a negative or NaN spacing', () => {
    assert.throws(() => new ConnectPacer(-1), /spacingMs must be >= 0, got -1/);
    assert.throws(() => new ConnectPacer(Number.NaN), /spacingMs must be >= 0/);
  });
});
