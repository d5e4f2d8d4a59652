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
  { scenario: 'long-cascade', minutes: 25, events: 83_206, hash: '95aad5a114b3c1d5311af32bb40002d12692e602c59cd6092a312aa250e1c8dd' },
  { scenario: 'absorption', minutes: 25, events: 49_020, hash: 'a26d5530a92aed686092a2f8cdcf252b7da3a7e3234651b2b265f5e7405710f3' },
  { scenario: 'bait', minutes: 20, events: 47_487, hash: '4b6d108efcee6a870a1640e984063ec0ef11260b37f90db73c5ab595dc45c157' },
];

for (const g of GOLDEN) {
  test(`sim ${g.scenario} seed 1, ${g.minutes} min: the event stream and labels are the pinned ones`, () => {
    const got = streamHash(g.scenario, g.minutes);
    assert.deepEqual(got, { hash: g.hash, events: g.events });
  });
}
