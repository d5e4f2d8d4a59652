/** Detectors against planted labels: what counts as found, missed, false and how late. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LiquidationColumns } from '../../src/core/columns.ts';
import { liquidationSnapshots } from '../../src/features/liquidations.ts';
import { detect } from '../../src/sim/eval/detect.ts';
import { evaluateDetectors, type EvalRow } from '../../src/sim/eval/evaluate.ts';
import { matchRun } from '../../src/sim/eval/match.ts';
import type { SimLabel } from '../../src/sim/types.ts';
import { BIN, BINS, cascade, type LiqRow } from '../features/cascades.ts';
import { columns } from '../features/trades.ts';
import { label, liquidations, mergeEvents, simRun, trades } from './runs.ts';

const MIN = 60_000;
const T0 = Date.UTC(2026, 0, 5, 2, 0, 0);
const TOP = 10_000;

/** 30 minutes of two-sided trades each second above the zone, and a long cascade over 4 bins down from TOP at 0:10:20. */
function cascadeStory() {
  const tape: [number, number, number, number][] = [];
  for (let t = T0; t < T0 + 30 * MIN; t += 1000) tape.push([t, BIN.price(TOP + 30), 0.5, (t / 1000) % 2 === 0 ? 1 : -1]);
  const rows: LiqRow[] = cascade({ t0: T0 + 10 * MIN + 20_000, durationMs: 60_000, fromIndex: TOP, bins: 4, n: 40, side: -1, qty: 0.2 });
  const events = mergeEvents(trades(tape), liquidations(rows));
  const prices = rows.map((r) => r[1]);
  const planted = label('long-cascade', 'sell', rows[0][0], rows[rows.length - 1][0], Math.min(...prices), Math.max(...prices));
  return { tape, rows, events, planted };
}

/** The first minute boundary whose snapshot (the batch path, independent of the evaluation's stream) holds a long cluster. */
function firstLongClusterMinute(rows: readonly LiqRow[], tape: readonly [number, number, number, number][]): number {
  const times: number[] = [];
  for (let t = T0 + MIN; t <= T0 + 30 * MIN; t += MIN) times.push(t);
  const snaps = liquidationSnapshots(columns(rows) as LiquidationColumns, columns(tape), times, { bins: BINS });
  const k = snaps.findIndex((s) => s.clusters.some((c) => c.side === 'long'));
  assert.ok(k >= 0, 'the story must make a long cluster');
  return times[k];
}

const row = (rows: readonly EvalRow[], detector: string) => rows.find((r) => r.detector === detector)!;

describe('sim eval: clusters against planted cascades', () => {
  it('a planted cascade the cluster detector finds is a true positive, timed at the first snapshot that shows it', () => {
    const { tape, rows, events, planted } = cascadeStory();
    const r = row(evaluateDetectors([simRun('long-cascade', events, [planted])]).rows, 'liquidation-clusters');
    const expected = firstLongClusterMinute(rows, tape);
    assert.equal(r.planted, 1);
    assert.equal(r.found, 1);
    assert.equal(r.true_positives, 1);
    assert.equal(r.precision, 1);
    assert.equal(r.recall, 1);
    assert.equal(r.median_latency_ms, expected - planted.start_ms);
    // Known at a minute boundary after the liquidation that made it: never before its start.
    assert.ok(expected > planted.start_ms && expected % MIN === 0);
  });

  it('a cascade that ends the stream is still found, at the boundary after its last liquidation (as a live timer would)', () => {
    const { rows, planted } = cascadeStory();
    const ds = detect(liquidations(rows)).filter((d) => d.detector === 'liquidation-clusters');
    const last = rows[rows.length - 1][0];
    assert.equal(ds.length, 1);
    assert.ok(ds[0].ts > planted.start_ms && ds[0].ts <= Math.floor(last / MIN) * MIN + MIN);
  });

  it('a detection in the wrong place is a false positive and the label a miss', () => {
    const { events, planted } = cascadeStory();
    const elsewhere = { ...planted, price_low: planted.price_low * 1.05, price_high: planted.price_high * 1.05 };
    const r = row(evaluateDetectors([simRun('long-cascade', events, [elsewhere])]).rows, 'liquidation-clusters');
    assert.deepEqual([r.planted, r.found, r.true_positives, r.precision, r.recall, r.median_latency_ms], [1, 1, 0, 0, 0, null]);
  });

  it('a detection at another time is a false positive', () => {
    const { events, planted } = cascadeStory();
    const later = { ...planted, start_ms: planted.start_ms + 15 * MIN, end_ms: planted.end_ms + 15 * MIN };
    const r = row(evaluateDetectors([simRun('long-cascade', events, [later])]).rows, 'liquidation-clusters');
    assert.deepEqual([r.found, r.true_positives], [1, 0]);
  });

  it('a side mismatch does not match: a long cluster (forced sells) is not a buy-side label, nor a short squeeze', () => {
    const { events, planted } = cascadeStory();
    for (const wrong of [{ ...planted, side: 'buy' as const }, { ...planted, kind: 'short-squeeze' as const, side: 'buy' as const }]) {
      const r = row(evaluateDetectors([simRun('long-cascade', events, [wrong])]).rows, 'liquidation-clusters');
      assert.deepEqual([r.planted, r.found, r.true_positives], [1, 1, 0], JSON.stringify(wrong));
    }
  });

  it('one detection cannot match two labels', () => {
    const { events, planted } = cascadeStory();
    const r = row(evaluateDetectors([simRun('long-cascade', events, [planted, { ...planted }])]).rows, 'liquidation-clusters');
    assert.deepEqual([r.planted, r.found, r.true_positives, r.precision, r.recall], [2, 1, 1, 1, 0.5]);
  });

  it('a label with no detection is a miss: nothing found, recall 0, precision undefined (null)', () => {
    const { tape, planted } = cascadeStory();
    // The tape alone: no liquidation, so no cluster.
    const r = row(evaluateDetectors([simRun('long-cascade', trades(tape), [planted])]).rows, 'liquidation-clusters');
    assert.deepEqual([r.planted, r.found, r.true_positives, r.precision, r.recall, r.median_latency_ms], [1, 0, 0, null, 0, null]);
  });

  it('a quiet run (no labels) makes every detection a false positive and recall undefined', () => {
    const { events } = cascadeStory();
    const rows = evaluateDetectors([simRun('quiet', events, [])]).rows;
    const clusters = row(rows, 'liquidation-clusters');
    assert.deepEqual([clusters.planted, clusters.found, clusters.true_positives, clusters.precision, clusters.recall], [0, 1, 0, 0, null]);
    for (const r of rows) {
      assert.equal(r.scenario, 'quiet');
      assert.equal(r.recall, null);
      assert.equal(r.true_positives, 0);
      assert.equal(r.precision, r.found > 0 ? 0 : null);
    }
  });

  it('aggregates runs of one scenario: counts add up, latency is the median over all true positives', () => {
    const a = cascadeStory();
    const shifted = (ms: number) => mergeEvents(a.events.map((e) => ({ ...e, ts: e.ts + ms })));
    const labelAt = (ms: number): SimLabel => ({ ...a.planted, start_ms: a.planted.start_ms + ms, end_ms: a.planted.end_ms + ms });
    // A run shifted by 30 s: the cascade's cluster is first seen 30 s closer to its start (or a minute later).
    const runs = [simRun('long-cascade', a.events, [a.planted], 1), simRun('long-cascade', shifted(30_000), [labelAt(30_000)], 2), simRun('long-cascade', a.events, [], 3)];
    const lat = [0, 30_000, 0].map((ms, i) => {
      if (i === 2) return undefined;
      const ds = detect(i === 0 ? a.events : shifted(ms)).filter((d) => d.detector === 'liquidation-clusters');
      return ds[0].ts - (a.planted.start_ms + ms);
    });
    const r = row(evaluateDetectors(runs).rows, 'liquidation-clusters');
    assert.deepEqual([r.runs, r.planted, r.found, r.true_positives], [3, 2, 3, 2]);
    assert.equal(r.median_latency_ms, (lat[0]! + lat[1]!) / 2);
  });
});

describe('sim eval: the report', () => {
  it('has exactly the contract keys first, in order, and one row per detector and scenario seen', () => {
    const { events, planted } = cascadeStory();
    const report = evaluateDetectors([simRun('long-cascade', events, [planted]), simRun('quiet', events, [])]);
    const json = JSON.parse(JSON.stringify(report)) as { rows: Record<string, unknown>[] };
    assert.deepEqual(Object.keys(json), ['rows']);
    for (const r of json.rows) assert.deepEqual(Object.keys(r).slice(0, 7), ['detector', 'scenario', 'planted', 'found', 'precision', 'recall', 'median_latency_ms']);
    assert.deepEqual(
      json.rows.map((r) => `${r.detector}/${r.scenario}`),
      ['liquidation-clusters', 'absorption', 'divergence', 'book-bait', 'venue-disagreement', 'sessions'].flatMap((d) => [`${d}/long-cascade`, `${d}/quiet`]),
    );
    // Nothing found: precision is null in JSON, never NaN (which JSON cannot carry).
    assert.ok(json.rows.some((r) => r.found === 0 && r.precision === null));
  });

  it('reads a run\'s labels only once its events are exhausted', () => {
    const { events, planted } = cascadeStory();
    // simRun's labels() throws when asked early: this passing is the check.
    assert.equal(evaluateDetectors([simRun('long-cascade', events, [planted])]).rows.length, 6);
  });

  it('refuses events out of time order', () => {
    const { events } = cascadeStory();
    const swapped = [...events];
    [swapped[10], swapped[11]] = [swapped[11], swapped[10]];
    assert.throws(() => detect(swapped), /time order/);
  });
});

describe('sim eval: matching rules', () => {
  const d = { detector: 'liquidation-clusters' as const, kind: 'long-cascade' as const, side: 'sell' as const, ts: 1000, start_ms: 0, end_ms: 900, price_low: 100, price_high: 101, venues: ['okx' as const] };

  it('needs a venue in common when both name venues', () => {
    assert.equal(matchRun('liquidation-clusters', [d], [label('long-cascade', 'sell', 0, 900, 100, 101, ['binance'])]).truePositives, 0);
    assert.equal(matchRun('liquidation-clusters', [d], [label('long-cascade', 'sell', 0, 900, 100, 101, ['binance', 'okx'])]).truePositives, 1);
    assert.equal(matchRun('liquidation-clusters', [{ ...d, venues: [] }], [label('long-cascade', 'sell', 0, 900, 100, 101, ['binance'])]).truePositives, 1);
  });

  it('never matches a label that starts after the detection was known: latency is never negative', () => {
    // Within the time tolerance of the detection's span, but starting after its ts.
    const m = matchRun('liquidation-clusters', [d], [label('long-cascade', 'sell', 1001, 2000, 100, 101, ['okx'])]);
    assert.deepEqual([m.truePositives, m.matchedLabel], [0, [-1]]);
  });

  it('takes the earliest free label it fits, so a second detection takes the next one', () => {
    const labels = [label('long-cascade', 'sell', 500, 900, 100, 101, ['okx']), label('long-cascade', 'sell', 0, 900, 100, 101, ['okx'])];
    const m = matchRun('liquidation-clusters', [d, { ...d, ts: 2000 }, { ...d, ts: 3000 }], labels);
    assert.deepEqual(m.matchedLabel, [1, 0, -1]);
    assert.deepEqual(m.latenciesMs, [1000, 1500]);
  });
});
