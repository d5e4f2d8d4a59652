/**
 * The simulator's output pinned byte for byte: the full event stream and labels of three short
 * runs, hashed. Speed work on src/sim (pooling, typed arrays, diff-based re-quotes) must leave
 * these unchanged; a change to what the agents DO (their decisions or parameters) changes them
 * on purpose, and then the constants below are updated in the same commit, with the reason.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { DEFAULT_SIM_START_MS, simulate } from '../../src/sim/simulate.ts';
import type { ScenarioName } from '../../src/sim/types.ts';

/** sha256 of every event and the labels, numbers in their shortest round-trip form (NaN and ±Infinity spelled out). */
function streamHash(scenario: ScenarioName, minutes: number): { hash: string; events: number } {
  const run = simulate({ scenario, seed: 1, startMs: DEFAULT_SIM_START_MS, durationMs: minutes * 60_000, symbol: 'BTC', venues: ['binance', 'okx', 'bybit'] });
  const h = createHash('sha256');
  const spell = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);
  let events = 0;
  for (const e of run.events()) {
    h.update(JSON.stringify(e, spell));
    h.update('\n');
    events++;
  }
  h.update(JSON.stringify(run.labels(), spell));
  return { hash: h.digest('hex'), events };
}

const GOLDEN: readonly { scenario: ScenarioName; minutes: number; events: number; hash: string }[] = [
  { scenario: 'long-cascade', minutes: 25, events: 73_806, hash: 'f049e8ef74e7e4894812a0db1f2814a0fca15cea97c198ff3c81fbb6dc17bc75' },
  { scenario: 'absorption', minutes: 25, events: 64_529, hash: 'beccfdbf36cef6a3e28a816f58dbd60e84e24e76a37f28ee10eebde6e1333807' },
  { scenario: 'bait', minutes: 20, events: 43_709, hash: '20a070705eb55d43ac52ddd9cd01780d1a7cdcd5bbf05bc6f16819be2be64393' },
];

for (const g of GOLDEN) {
  test(`sim ${g.scenario} seed 1, ${g.minutes} min: the event stream and labels are the pinned ones`, () => {
    const got = streamHash(g.scenario, g.minutes);
    assert.deepEqual(got, { hash: g.hash, events: g.events });
  });
}
