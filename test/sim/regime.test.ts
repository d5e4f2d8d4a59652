import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ActivityRegime } from '../../src/sim/agents.ts';
import { createRng } from '../../src/engine/random.ts';

const regime = () => new ActivityRegime(createRng(5).fork('regime'), 1_000, 0.8, 20 * 60_000, 10_000);

test('the mood is a function of the step: the same whichever order agents read it in', () => {
  const a = regime();
  const b = regime();
  const times = Array.from({ length: 200 }, (_, i) => 1_000 + i * 7_919);
  const forward = times.map((t) => a.at(t));
  const backward = [...times].reverse().map((t) => b.at(t)).reverse();
  assert.deepEqual(backward, forward);
  // Constant within a step, changing across steps.
  assert.equal(a.at(1_000), a.at(10_999));
  assert.notEqual(a.at(10_999), a.at(11_000));
  assert.equal(a.stepEnd(1_000), 11_000);
  assert.equal(a.stepEnd(10_999), 11_000);
});

test('the mood averages 1 and wanders slowly: neighbouring steps close, distant ones independent', () => {
  const r = regime();
  const n = 200_000;
  const logs: number[] = [];
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const m = r.at(1_000 + i * 10_000);
    assert.ok(m > 0);
    sum += m;
    logs.push(Math.log(m));
  }
  // About 800 independent stretches: the mean is 1 within a few standard errors (without the
  // -sigma^2/2 centring it would be exp(0.32) = 1.38).
  assert.ok(Math.abs(sum / n - 1) < 0.1, `mean multiplier ${sum / n}`);
  const mean = logs.reduce((a, x) => a + x, 0) / n;
  const acf = (lag: number) => {
    let num = 0;
    let den = 0;
    for (let i = 0; i < n; i++) den += (logs[i] - mean) ** 2;
    for (let i = 0; i + lag < n; i++) num += (logs[i] - mean) * (logs[i + lag] - mean);
    return num / den;
  };
  // 10 s steps reverting over 20 min: the log ACF is exp(-lag / 120).
  assert.ok(Math.abs(acf(1) - Math.exp(-1 / 120)) < 0.01, `lag 1: ${acf(1)}`);
  assert.ok(Math.abs(acf(120) - Math.exp(-1)) < 0.08, `lag 120: ${acf(120)}`);
  assert.ok(Math.abs(acf(2400)) < 0.08, `lag 2400: ${acf(2400)}`);
});
