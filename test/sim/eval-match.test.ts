/** The matching rule's invariants over arbitrary detections and labels, sessions, and the table text. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { Side, Venue } from '../../src/core/events.ts';
import { DETECTOR_NAMES, DETECTORS, type Detection, type DetectorName } from '../../src/sim/eval/detections.ts';
import { byTime } from '../../src/sim/eval/detect.ts';
import type { EvalReport } from '../../src/sim/eval/evaluate.ts';
import { EVAL_HEADERS, evalTableCells, latencyText } from '../../src/sim/eval/format.ts';
import { fits, matchRun } from '../../src/sim/eval/match.ts';
import { LABEL_KINDS, type SimLabel } from '../../src/sim/types.ts';
import { label } from './runs.ts';

const H = 3_600_000;

const venueArb = fc.constantFrom<Venue>('binance', 'okx', 'bybit');
const sideArb = fc.constantFrom<Side>('buy', 'sell');
const span = fc.tuple(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 20_000 }));
const prices = fc.tuple(fc.integer({ min: 9_900, max: 10_100 }), fc.integer({ min: 0, max: 30 }));

const labelArb: fc.Arbitrary<SimLabel> = fc
  .record({ kind: fc.constantFrom(...LABEL_KINDS), side: sideArb, t: span, p: prices, venues: fc.uniqueArray(venueArb, { maxLength: 3 }) })
  .map(({ kind, side, t, p, venues }) => ({ kind, side, start_ms: t[0], end_ms: t[0] + t[1], price_low: p[0], price_high: p[0] + p[1], venues }));

const detectionArb = (detector: DetectorName): fc.Arbitrary<Detection> =>
  fc
    .record({ kind: fc.constantFrom(...DETECTORS[detector]), side: sideArb, t: span, lag: fc.integer({ min: -5_000, max: 30_000 }), p: prices, venues: fc.uniqueArray(venueArb, { maxLength: 3 }) })
    .map(({ kind, side, t, lag, p, venues }) => ({
      detector,
      kind,
      side: detector === 'venue-disagreement' ? null : side,
      venue_sides: detector === 'venue-disagreement' ? Object.fromEntries(venues.map((v, i) => [v, i % 2 ? 'sell' : side])) : undefined,
      ts: t[0] + t[1] + lag,
      start_ms: t[0],
      end_ms: t[0] + t[1],
      price_low: detector === 'venue-disagreement' ? NaN : p[0],
      price_high: detector === 'venue-disagreement' ? NaN : p[0] + p[1],
      venues,
    }));

describe('sim eval: matching invariants (any detections, any labels)', () => {
  it('true positives <= found and planted; each label taken once; each match fits; latencies are never negative', () => {
    const arb = fc.constantFrom(...DETECTOR_NAMES).chain((det) => fc.tuple(fc.constant(det), fc.array(detectionArb(det), { maxLength: 12 }), fc.array(labelArb, { maxLength: 12 })));
    fc.assert(
      fc.property(arb, ([det, ds, labels]) => {
        const sorted = [...ds].sort(byTime);
        const m = matchRun(det, sorted, labels);
        assert.equal(m.found, ds.length);
        assert.equal(m.planted, labels.filter((l) => (DETECTORS[det] as readonly string[]).includes(l.kind)).length);
        assert.ok(m.truePositives <= Math.min(m.found, m.planted));
        const taken = m.matchedLabel.filter((i) => i >= 0);
        assert.equal(new Set(taken).size, taken.length);
        assert.equal(taken.length, m.truePositives);
        m.matchedLabel.forEach((i, k) => {
          if (i >= 0) assert.ok(fits(sorted[k], labels[i]));
        });
        for (const x of m.latenciesMs) assert.ok(x >= 0);
        // A miss is a label no detection fitted after the earlier ones took theirs: a free label
        // that a false positive fits would contradict "takes a free label it fits".
        m.matchedLabel.forEach((i, k) => {
          if (i >= 0) return;
          const free = labels.filter((_, j) => !taken.includes(j));
          assert.ok(!free.some((l) => fits(sorted[k], l)));
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('sim eval: sessions', () => {
  // Summer: Europe 07:00-15:30 UTC, US 13:30-20:00 UTC.
  const day = Date.UTC(2026, 6, 6);
  const occurrence = (start: number, end: number, side: Side): Detection => ({ detector: 'sessions', kind: 'session', side, ts: end, start_ms: start, end_ms: end, price_low: 100, price_high: 102, venues: [] });
  const europe = occurrence(day + 7 * H, day + 15.5 * H, 'sell');
  const us = occurrence(day + 13.5 * H, day + 20 * H, 'sell');

  it('an occurrence that only touches the labelled session does not take its label; the one that covers it does', () => {
    const usLabel = label('session', 'sell', day + 13.5 * H, day + 20 * H, 100, 102, []);
    const m = matchRun('sessions', [europe, us], [usLabel]);
    assert.deepEqual(m.matchedLabel, [-1, 0]);
    assert.deepEqual(m.latenciesMs, [6.5 * H]);
  });
});

describe('sim eval: table text', () => {
  it('prints one row per report row, undefined ratios and latencies as -', () => {
    const report: EvalReport = {
      rows: [
        { detector: 'liquidation-clusters', scenario: 'long-cascade', planted: 20, found: 25, precision: 0.72, recall: 0.9, median_latency_ms: 75_000, true_positives: 18, runs: 20 },
        { detector: 'liquidation-clusters', scenario: 'quiet', planted: 0, found: 0, precision: null, recall: null, median_latency_ms: null, true_positives: 0, runs: 20 },
      ],
    };
    const cells = evalTableCells(report);
    assert.equal(cells.length, 2);
    for (const c of cells) assert.equal(c.length, EVAL_HEADERS.length);
    assert.deepEqual(cells[0], ['liquidation-clusters', 'long-cascade', '20', '20', '25', '18', '0.72', '0.90', '1.3m']);
    assert.deepEqual(cells[1].slice(6), ['-', '-', '-']);
  });

  it('writes latencies in the shortest readable unit', () => {
    assert.deepEqual([latencyText(850), latencyText(42_000), latencyText(12.5 * 60_000), latencyText(3.2 * H), latencyText(null)], ['850ms', '42.0s', '12.5m', '3.20h', '-']);
  });
});
