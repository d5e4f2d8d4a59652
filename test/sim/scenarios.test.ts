import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LiquidationEvent, TradeEvent } from '../../src/core/events.ts';
import { plantTime, type SimWorld } from '../../src/sim/scenario.ts';
import { simConfig, simulate } from '../../src/sim/simulate.ts';
import { SCENARIO_MODULES } from '../../src/sim/scenarios/index.ts';
import { SCENARIOS, type ScenarioName, type SimLabels } from '../../src/sim/types.ts';

interface Outcome {
  labels: SimLabels;
  liquidations: LiquidationEvent[];
  trades: TradeEvent[];
}

/** Every scenario is tested over 2 h (the long ones' plants scale down into it: plantTime). */
const TEST_DURATION_MS = 2 * 3_600_000;

const cache = new Map<ScenarioName, Outcome>();
function outcome(scenario: ScenarioName): Outcome {
  let o = cache.get(scenario);
  if (!o) {
    const run = simulate(simConfig({ scenario, seed: 1, durationMs: TEST_DURATION_MS }));
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

test("a run without --duration lasts its scenario's default: a day for sessions, 25 h of 15 min bars and more for divergence", () => {
  for (const s of SCENARIOS) assert.equal(simConfig({ scenario: s }).durationMs, SCENARIO_MODULES[s].defaultDurationMs);
  assert.equal(SCENARIO_MODULES.sessions.defaultDurationMs, 24 * 3_600_000);
  // The divergence detector's default warm-up (100 bars of 15 min) and window (20 bars) fit before the run's end.
  assert.ok(SCENARIO_MODULES.divergence.defaultDurationMs >= (100 + 20) * 15 * 60_000);
  assert.equal(simConfig({ scenario: 'divergence', durationMs: 3_600_000 }).durationMs, 3_600_000);
});

test('plant offsets are fixed at the default duration or longer, scaled down in a shorter run', () => {
  const world = (durationMs: number) => ({ config: simConfig({ startMs: 1_000_000, durationMs }) }) as SimWorld;
  const H = 3_600_000;
  assert.equal(plantTime(world(3 * H), 70 * 60_000, 3 * H), 1_000_000 + 70 * 60_000);
  assert.equal(plantTime(world(30 * H), 70 * 60_000, 3 * H), 1_000_000 + 70 * 60_000);
  assert.equal(plantTime(world(1.5 * H), 70 * 60_000, 3 * H), 1_000_000 + 35 * 60_000);
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

test('absorption: a cascade stops at the passive buyer (no liquidation while it absorbs), and the zone is revisited without liquidations', () => {
  const o = outcome('absorption');
  const cascade = o.labels.labels.filter((l) => l.kind === 'long-cascade');
  const absorbed = o.labels.labels.filter((l) => l.kind === 'absorption');
  assert.equal(cascade.length, 1, JSON.stringify(o.labels));
  assert.equal(absorbed.length, 2, JSON.stringify(o.labels));
  const [stop, revisit] = absorbed;
  assert.ok(stop.start_ms >= cascade[0].start_ms && revisit.start_ms > stop.end_ms);
  for (const l of absorbed) {
    assert.equal(l.side, 'sell');
    // Aggressive selling printed inside the zone while it was absorbed; price held at the zone.
    const sells = o.trades.filter((t) => t.side === 'sell' && t.ts >= l.start_ms && t.ts <= l.end_ms && t.price >= l.price_low && t.price <= l.price_high);
    assert.ok(sells.length > 20, `${sells.length} sells hit the zone`);
    const below = o.trades.filter((t) => t.ts >= l.start_ms && t.ts <= l.end_ms && t.price < l.price_low * 0.999);
    assert.ok(below.length < sells.length / 10, `price held: ${below.length} trades well below the zone`);
  }
  // The longs above the zone are gone: the revisit prints (almost) no long liquidation.
  const revisitLiqs = o.liquidations.filter((e) => e.side === 'sell' && e.ts >= revisit.start_ms && e.ts <= revisit.end_ms);
  const cascadeLiqs = o.liquidations.filter((e) => e.side === 'sell' && e.ts >= cascade[0].start_ms && e.ts <= cascade[0].end_ms);
  assert.ok(revisitLiqs.length * 10 < cascadeLiqs.length, `revisit ${revisitLiqs.length} vs cascade ${cascadeLiqs.length} liquidation prints`);
});

test('divergence: persistent aggressive buying while price is held, then a breakout above the held range', () => {
  const o = outcome('divergence');
  assert.equal(o.labels.labels.length, 1, JSON.stringify(o.labels));
  const l = o.labels.labels[0];
  assert.equal(l.kind, 'divergence');
  assert.equal(l.side, 'buy');
  assert.ok(l.end_ms - l.start_ms >= 30 * 60_000, 'held for at least 30 minutes');
  let buy = 0;
  let sell = 0;
  for (const t of o.trades) if (t.ts >= l.start_ms && t.ts <= l.end_ms) t.side === 'buy' ? (buy += t.qty) : (sell += t.qty);
  assert.ok(buy > sell * 1.2, `aggressive buying dominates: ${buy.toFixed(1)} vs ${sell.toFixed(1)}`);
  // The passive seller caps price: (almost) nothing trades 0.1 % above where the buying began.
  const inWindow = o.trades.filter((t) => t.ts >= l.start_ms && t.ts <= l.end_ms);
  const cap = inWindow[0].price * 1.001;
  const above = inWindow.filter((t) => t.price > cap).length;
  assert.ok(above < inWindow.length / 100, `price held under ${cap}: ${above} of ${inWindow.length} trades above`);
  // The label ends at the patient buyer's last child; the seller leaves after it and the breakout
  // buyers (4 minutes of buying) can start up to ~8 minutes later: 20 minutes covers them.
  const after = o.trades.filter((t) => t.ts > l.end_ms && t.ts <= l.end_ms + 20 * 60_000);
  assert.ok(Math.max(...after.map((t) => t.price)) > l.price_high, 'price breaks out above the held range once the seller leaves');
});

test('bait: each planted wall is pulled as price approaches it, before anything trades at it', () => {
  const o = outcome('bait');
  const labels = o.labels.labels;
  assert.equal(labels.length, 2, JSON.stringify(o.labels));
  assert.deepEqual(labels.map((l) => l.side), ['buy', 'sell']);
  for (const l of labels) {
    assert.equal(l.price_low, l.price_high);
    const atWall = o.trades.filter((t) => t.venue === l.venues[0] && t.ts >= l.start_ms && t.ts <= l.end_ms && t.price === l.price_low);
    assert.equal(atWall.length, 0, 'nothing traded at the wall while it stood');
    // Price approached the wall between its placement and its pull.
    const during = o.trades.filter((t) => t.venue === l.venues[0] && t.ts >= l.start_ms && t.ts <= l.end_ms + 1000);
    const gapAtStart = Math.abs(during[0].price - l.price_low);
    const gapAtPull = Math.min(...during.slice(-5).map((t) => Math.abs(t.price - l.price_low)));
    assert.ok(gapAtPull < gapAtStart, `price came nearer: ${gapAtStart} -> ${gapAtPull}`);
  }
});

test('disagree: the labelled venue buys while the others sell over the window', () => {
  const o = outcome('disagree');
  assert.equal(o.labels.labels.length, 1, JSON.stringify(o.labels));
  const l = o.labels.labels[0];
  const net = new Map<string, number>();
  for (const t of o.trades) if (t.ts >= l.start_ms && t.ts <= l.end_ms) net.set(t.venue, (net.get(t.venue) ?? 0) + (t.side === 'buy' ? t.qty : -t.qty));
  for (const [venue, flow] of net) {
    if (l.venues.includes(venue as never)) assert.ok(flow > 0, `${venue} buys: ${flow}`);
    else assert.ok(flow < 0, `${venue} sells: ${flow}`);
  }
});

test('sessions: a day of it labels each session with its net flow, and Asia is thinner than the US', () => {
  const run = simulate(simConfig({ scenario: 'sessions', seed: 1, startMs: Date.UTC(2026, 0, 6), durationMs: 24 * 3_600_000, venues: ['binance'] }));
  const perHour = new Array(24).fill(0);
  for (const e of run.events()) if (e.type === 'trade') perHour[new Date(e.ts).getUTCHours()]++;
  const labels = run.labels().labels;
  assert.deepEqual(labels.map((l) => l.kind), ['session', 'session', 'session']);
  const asia = perHour.slice(0, 8).reduce((a, b) => a + b, 0) / 8;
  const us = perHour.slice(15, 21).reduce((a, b) => a + b, 0) / 6;
  assert.ok(us > 2 * asia, `US ${us.toFixed(0)} trades/h vs Asia ${asia.toFixed(0)}`);
});
