/**
 * The evaluation's detector runs: timed when they could first be known, the same outputs as
 * analyze's replay path, and no look-ahead (a truncated stream reproduces every earlier detection).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LiquidationColumns } from '../../src/core/columns.ts';
import type { Venue } from '../../src/core/events.ts';
import { FeaturePipeline } from '../../src/engine/pipeline.ts';
import { replay } from '../../src/engine/replay.ts';
import { absorptionDetection, disagreementDetection, divergenceDetection, sessionDetection, type Detection } from '../../src/sim/eval/detections.ts';
import { Command } from 'commander';
import { registerAnalyze } from '../../src/cli/analyze.ts';
import { parseTimeframe } from '../../src/features/timeframe.ts';
import { ANALYZE_DEFAULTS, byTime, detect } from '../../src/sim/eval/detect.ts';
import { evaluateDetectors } from '../../src/sim/eval/evaluate.ts';
import { columns, type Row } from '../features/trades.ts';
import { label, liquidations, mergeEvents, simRun, trades } from './runs.ts';
import { richStory } from './stories.ts';

const S = 1000;
const MIN = 60_000;
const H = 3_600_000;

describe('sim eval: parameters', () => {
  it('are orderflow analyze\'s own defaults (read from the command, so they cannot drift apart)', () => {
    const program = new Command();
    registerAnalyze(program);
    const opt = (flag: string) => String(program.commands[0].options.find((o) => o.long === flag)!.defaultValue);
    assert.equal(Number(opt('--bps')), ANALYZE_DEFAULTS.bps);
    assert.equal(parseTimeframe(opt('--zones-every'), '--zones-every'), ANALYZE_DEFAULTS.zonesEveryMs);
    assert.equal(Number(opt('--lookback')), ANALYZE_DEFAULTS.absorptionLookback);
  });
});

describe('sim eval: detection times', () => {
  // Binance buys while OKX sells through one 5 m window; a trade in the next window closes it.
  const W = Date.UTC(2026, 0, 5, 3, 0, 0);
  const binance: Row[] = [];
  const okx: Row[] = [];
  for (let t = W + 10 * S; t < W + 5 * MIN; t += 2 * S) {
    binance.push([t, 100, 1, 1]);
    okx.push([t + 500, 100, 1, -1]);
  }
  const events = mergeEvents(trades(binance as never), trades(okx as never, 'okx'), trades([[W + 5 * MIN + 7 * S, 100, 0.01, 1]]));
  const lastInWindow = okx[okx.length - 1][0];

  it('a window detector is timed at its close, not at the trade that closed it nor before its last trade', () => {
    const ds = detect(events).filter((d) => d.detector === 'venue-disagreement');
    assert.equal(ds.length, 1);
    assert.equal(ds[0].ts, W + 5 * MIN);
    assert.ok(ds[0].ts >= lastInWindow);
    assert.deepEqual(ds[0].venue_sides, { binance: 'buy', okx: 'sell' });
  });

  it('matches the side of the label\'s venues, with latency = window close - label start', () => {
    const buy = label('disagree', 'buy', W + 10 * S, lastInWindow, 100, 100, ['binance']);
    const r = evaluateDetectors([simRun('disagree', events, [buy])]).rows.find((x) => x.detector === 'venue-disagreement')!;
    assert.deepEqual([r.true_positives, r.median_latency_ms], [1, W + 5 * MIN - (W + 10 * S)]);
    for (const wrong of [{ ...buy, side: 'sell' as const }, { ...buy, venues: ['okx' as Venue] }]) {
      const x = evaluateDetectors([simRun('disagree', events, [wrong])]).rows.find((y) => y.detector === 'venue-disagreement')!;
      assert.deepEqual([x.found, x.true_positives], [1, 0], JSON.stringify(wrong));
    }
    const okxSells = { ...buy, side: 'sell' as const, venues: ['okx' as Venue] };
    const y = evaluateDetectors([simRun('disagree', events, [okxSells])]).rows.find((x) => x.detector === 'venue-disagreement')!;
    assert.equal(y.true_positives, 1);
  });

  it('a label starting after the window closed is not matched, even within the time tolerance', () => {
    const late = label('disagree', 'buy', W + 5 * MIN + 30 * S, W + 6 * MIN, 100, 100, ['binance']);
    const r = evaluateDetectors([simRun('disagree', events, [late])]).rows.find((x) => x.detector === 'venue-disagreement')!;
    assert.deepEqual([r.found, r.true_positives, r.median_latency_ms], [1, 0, null]);
  });
});

/**
 * pipeline.test's story at analyze's defaults: quiet two-sided flow at 101 each second for two
 * hours, longs liquidated at 100 at 0:10, heavy selling held at 100 from 1:05 to 1:07.
 */
function absorptionStory(d0: number) {
  const tape: Row[] = [];
  for (let t = d0; t < d0 + 2 * H; t += S) {
    const heavy = t >= d0 + H + 5 * MIN && t < d0 + H + 7 * MIN;
    tape.push(heavy ? [t, 100, 5, -1] : [t, 101, 1, (t / S) % 2 === 0 ? 1 : -1]);
  }
  const liqs: Row[] = [];
  for (let k = 0; k < 5; k++) liqs.push([d0 + 10 * MIN + k * S + 500, 100, 10, -1]);
  liqs.push([d0 + 10 * MIN + 20 * S, 95, 0.1, -1], [d0 + 10 * MIN + 21 * S, 96, 0.1, -1]);
  return { tape, liqs };
}

describe('sim eval: absorption at zones refreshed as analyze does', () => {
  const d0 = Date.UTC(2026, 0, 5, 4, 0, 0);
  const { tape, liqs } = absorptionStory(d0);
  const events = mergeEvents(trades(tape as never), liquidations(liqs as never));

  it('finds selling absorbed at the cluster of the hour before, as a true positive with its latency', () => {
    const planted = label('absorption', 'sell', d0 + H + 5 * MIN, d0 + H + 7 * MIN, 100, 100);
    const ds = detect(events).filter((d) => d.detector === 'absorption');
    assert.ok(ds.length >= 1);
    const r = evaluateDetectors([simRun('absorption', events, [planted])]).rows.find((x) => x.detector === 'absorption')!;
    assert.equal(r.true_positives, 1);
    assert.equal(r.median_latency_ms, ds[0].ts - planted.start_ms);
    assert.ok(r.median_latency_ms! > 0 && r.median_latency_ms! <= 2 * MIN);
    // Buyers absorbed sellers: the label of the other side is not it.
    const other = evaluateDetectors([simRun('absorption', events, [{ ...planted, side: 'buy' }])]).rows.find((x) => x.detector === 'absorption')!;
    assert.equal(other.true_positives, 0);
  });

  it('gives the same outputs as the analyze path (FeaturePipeline over the replay merge, timers every hour)', async () => {
    const fromReplay: Detection[] = [];
    const p = new FeaturePipeline({ bins: { bps: 10 }, withOpenInterest: true, absorptionLookback: 60 }, (name, x) => {
      const d =
        name === 'absorption' ? absorptionDetection(x as never) : name === 'divergence' ? divergenceDetection(x as never) : name === 'venues_5m' ? disagreementDetection(x as never) : name === 'sessions' ? sessionDetection(x as never) : undefined;
      if (d) fromReplay.push(d);
    });
    for await (const run of replay({ trades: [columns(tape)], liquidations: columns(liqs) as LiquidationColumns, timerEveryMs: H })) p.push(run);
    p.flush();
    const ours = detect(events).filter((d) => d.detector !== 'liquidation-clusters');
    assert.ok(fromReplay.some((d) => d.detector === 'absorption'));
    assert.deepEqual(ours, fromReplay.sort(byTime));
  });
});

describe('sim eval: bait walls', () => {
  const t0 = Date.UTC(2026, 0, 5, 12, 0, 0);
  const { events, wall } = richStory(t0);
  const bait = label('bait', 'buy', wall.fromMs, wall.toMs, wall.price, wall.price);

  it('a bid wall pulled as price fell toward it is a true positive of the book detector on its venue', () => {
    const r = evaluateDetectors([simRun('bait', events, [bait])]).rows.find((x) => x.detector === 'book-bait')!;
    const found = detect(events).filter((d) => d.detector === 'book-bait');
    assert.deepEqual([r.planted, r.found, r.true_positives], [1, found.length, 1]);
    // Decided when it was pulled (the wall's last second), not when it appeared.
    assert.equal(r.median_latency_ms, found[0].ts - wall.fromMs);
    assert.ok(found[0].ts >= wall.toMs - S);
  });

  it('is not matched by a label on another venue, nor by an ask-side label', () => {
    for (const wrong of [{ ...bait, venues: ['okx' as Venue] }, { ...bait, side: 'sell' as const }]) {
      const r = evaluateDetectors([simRun('bait', events, [wrong])]).rows.find((x) => x.detector === 'book-bait')!;
      assert.equal(r.true_positives, 0, JSON.stringify(wrong));
    }
  });
});

describe('sim eval: no look-ahead', () => {
  const t0 = Date.UTC(2026, 0, 5, 12, 0, 0);
  const { events } = richStory(t0);
  const full = detect(events);

  it('the story gives detections of several detectors (the check below is not vacuous)', () => {
    const seen = new Set(full.map((d) => d.detector));
    for (const d of ['liquidation-clusters', 'book-bait', 'venue-disagreement', 'sessions']) assert.ok(seen.has(d as never), `${d} found nothing: ${[...seen]}`);
  });

  for (const cut of [t0 + 21 * MIN + 13 * S, t0 + 40 * MIN + 45 * S, t0 + 2 * H + 30 * S, t0 + 2 * H + 47 * MIN]) {
    it(`every detection known before ${new Date(cut).toISOString().slice(11, 19)} comes from the events before it`, () => {
      const truncated = detect(events.filter((e) => e.ts < cut));
      const before = (ds: Detection[]) => ds.filter((d) => d.ts < cut);
      assert.ok(before(full).length > 0);
      assert.deepEqual(before(truncated), before(full));
    });
  }
});
