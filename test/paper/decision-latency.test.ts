/** Decision latency: receipt of the event a signal was made from -> the decision, an upper bound, only for events this process received. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { DecisionLatency } from '../../src/paper/decision-latency.ts';

describe('paper decision latency', () => {
  it('measures from the first receipt of an event stamped at or after the signal\'s time', () => {
    const l = new DecisionLatency();
    l.received(1000, 10); // binance at 1000
    l.received(1005, 12); // okx at 1005 (newest)
    l.received(1003, 13); // bybit late: the newest time does not move
    l.received(1010, 20);
    assert.equal(l.receiptOf(1000), 10);
    assert.equal(l.receiptOf(1003), 12, 'reached by the okx event received at 12: an upper bound of the latency');
    assert.equal(l.receiptOf(1010), 20);
    assert.ok(Number.isNaN(l.receiptOf(1011)), 'nothing received at or after it yet');
    l.produced(1005, 12.75);
    l.produced(1010, 21);
    assert.deepEqual(l.samples, [0.75, 1]);
    assert.deepEqual(l.summary(), { n: 2, p50: 1, p99: 1 });
  });

  it('does not measure a signal replayed from events older than anything this process received', () => {
    const l = new DecisionLatency();
    l.received(5000, 1);
    l.produced(4000, 2);
    assert.equal(l.summary().n, 0);
    assert.ok(Number.isNaN(l.summary().p99));
  });

  it('matches a linear scan for any receipt sequence, past the ring\'s wrap (unknown once a sample left it)', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 50 }), fc.integer({ min: 0, max: 3 })), { minLength: 1, maxLength: 300 }), fc.integer({ min: -10, max: 20_000 }), (steps, probe) => {
        const ring = 16;
        const l = new DecisionLatency(ring);
        const samples: [number, number][] = [];
        let ts = 0;
        let wall = 0;
        for (const [dt, dw] of steps) {
          ts += dt;
          wall += dw;
          l.received(ts, wall);
          if (samples.length === 0 || ts > samples[samples.length - 1][0]) samples.push([ts, wall]);
        }
        const t = Math.min(probe, ts + 1);
        const kept = samples.slice(-ring);
        const first = kept.find((s) => s[0] >= t);
        const lost = samples.length > ring && kept[0][0] > t;
        const want = t < samples[0][0] || !first || lost ? NaN : first[1];
        const got = l.receiptOf(t);
        assert.ok(Number.isNaN(want) ? Number.isNaN(got) : got === want, `receiptOf(${t}) = ${got}, want ${want}`);
      }),
    );
  });
});
