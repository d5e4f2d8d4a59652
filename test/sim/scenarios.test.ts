import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LiquidationEvent, TradeEvent } from '../../src/core/events.ts';
import { simConfig, simulate } from '../../src/sim/simulate.ts';
import { SCENARIO_MODULES } from '../../src/sim/scenarios/index.ts';
import { SCENARIOS, type ScenarioName, type SimLabels } from '../../src/sim/types.ts';

interface Outcome {
  labels: SimLabels;
  liquidations: LiquidationEvent[];
  trades: TradeEvent[];
}

const cache = new Map<ScenarioName, Outcome>();
function outcome(scenario: ScenarioName): Outcome {
  let o = cache.get(scenario);
  if (!o) {
    const run = simulate(simConfig({ scenario, seed: 1 }));
    const liquidations: LiquidationEvent[] = [];
    const trades: TradeEvent[] = [];
    for (const e of run.events()) {
      if (e.type === 'liquidation') liquidations.push(e);
      else if (e.type === 'trade') trades.push(e);
    }
    o = { labels: run.labels(), liquidations, trades };
    cache.set(scenario, o);
  }
  return o;
}

/** Most liquidation prints in any 60 s window. */
function peakPerMinute(liqs: readonly LiquidationEvent[]): number {
  let best = 0;
  let j = 0;
  for (let i = 0; i < liqs.length; i++) {
    while (liqs[i].ts - liqs[j].ts > 60_000) j++;
    best = Math.max(best, i - j + 1);
  }
  return best;
}

test('every scenario name has a module with a one-line summary', () => {
  for (const s of SCENARIOS) {
    assert.equal(SCENARIO_MODULES[s].name, s);
    assert.ok(SCENARIO_MODULES[s].summary.length > 10 && !SCENARIO_MODULES[s].summary.includes('\n'));
  }
});

test('quiet plants nothing and has no cascade', () => {
  const o = outcome('quiet');
  assert.deepEqual(o.labels.labels, []);
  const peak = peakPerMinute(o.liquidations);
  assert.ok(peak < 40, `quiet: at most ${peak} liquidation prints in a minute`);
});

for (const [scenario, kind, side] of [
  ['long-cascade', 'long-cascade', 'sell'],
  ['short-squeeze', 'short-squeeze', 'buy'],
] as const) {
  test(`${scenario} plants a ${kind} of ${side} forced orders, printed on the labelled venues inside the label`, () => {
    const o = outcome(scenario);
    const labels = o.labels.labels.filter((l) => l.kind === kind);
    assert.equal(labels.length, 1, JSON.stringify(o.labels));
    const l = labels[0];
    assert.equal(l.side, side);
    assert.ok(l.end_ms > l.start_ms && l.price_high > l.price_low);
    for (const venue of l.venues) {
      const inside = o.liquidations.filter((e) => e.venue === venue && e.side === side && e.ts >= l.start_ms && e.ts <= l.end_ms);
      assert.ok(inside.length >= 3, `${venue}: ${inside.length} forced ${side} prints inside the label`);
    }
    const peakInside = peakPerMinute(o.liquidations.filter((e) => e.ts >= l.start_ms && e.ts <= l.end_ms));
    assert.ok(peakInside >= 100, `a cascade: ${peakInside} prints in its busiest minute`);
    // The forced orders moved price the way they push: the label's range spans at least 0.5 %.
    assert.ok(l.price_high / l.price_low > 1.005, `range ${l.price_low}..${l.price_high}`);
  });
}
