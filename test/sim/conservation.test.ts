import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildSimulation, simConfig } from '../../src/sim/simulate.ts';
import type { SimVenue } from '../../src/sim/venue.ts';

/** Cash across every account plus what left the market (fees, withdrawals) minus what came in (deposits). */
function ledger(v: SimVenue): number {
  let cash = 0;
  for (let a = 0; a < v.accountCount; a++) cash += v.cash[a];
  return cash + v.fees + v.withdrawals - v.deposits;
}

function netPosition(v: SimVenue): number {
  let lots = 0;
  for (let a = 0; a < v.accountCount; a++) lots += v.pos[a];
  return lots;
}

test('positions net to zero and cash is conserved on every venue through a cascade and a funding settlement', () => {
  // 15:00 to 16:30 UTC: the 16:00 funding settlement falls inside; the cascade at 0.4 of it.
  const sim = buildSimulation(simConfig({ scenario: 'long-cascade', seed: 7, startMs: Date.UTC(2026, 0, 6, 15), durationMs: 90 * 60_000 }));
  const m = sim.market;
  m.liquidatedLog = [];
  const before = m.venues.map(ledger);
  for (const v of m.venues) assert.equal(netPosition(v), 0);
  let funding = 0;
  let lastRate = NaN;
  for (const e of m.run()) {
    if (e.type === 'ticker' && e.venue === 'binance') {
      if (e.ts > Date.UTC(2026, 0, 6, 16) && funding === 0) funding = lastRate;
      lastRate = e.fundingRate;
    }
  }
  assert.ok(Number.isFinite(funding) && funding !== 0, 'a funding rate was settled');
  m.venues.forEach((v, i) => {
    assert.equal(netPosition(v), 0, `${v.venue}: every fill moved lots from a maker to a taker`);
    const scale = Math.abs(before[i]) + 1e6;
    assert.ok(Math.abs(ledger(v) - before[i]) < scale * 1e-9, `${v.venue}: cash drifted by ${ledger(v) - before[i]}`);
    assert.ok(v.fees > 0);
  });
  assert.ok(m.liquidatedLog.length > 50, `a cascade liquidated holders: ${m.liquidatedLog.length}`);
  for (const l of m.liquidatedLog) {
    // Isolated margin: the holder loses exactly its margin (its deposit net of the open fee).
    assert.ok(Math.abs(l.realizedPnl + l.margin) < 1e-9 * l.margin);
    assert.ok(Math.abs(l.equityAfter) < 1e-6 * Math.max(1, l.margin), `equity left after liquidation: ${l.equityAfter}`);
    // Liquidated at or beyond its liquidation price, with margin balance at or below maintenance (not yet bankrupt on average).
    assert.ok(l.equityBefore < l.margin, 'liquidated only after losing part of its margin');
  }
});
