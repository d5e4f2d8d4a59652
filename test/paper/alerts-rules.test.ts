/**
 * The alert rules on normalized events: one alert per burst, re-armed below the threshold,
 * venue and side filters, the window's edges (against a brute-force recomputation), and the
 * engine-output rules.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { BookEvent, CaptureRecord, LiquidationEvent, Side, TradeEvent } from '../../src/core/events.ts';
import { alertsSchema } from '../../src/engine/alerts-config.ts';
import type { Alert } from '../../src/paper/alerts/alert.ts';
import { AlertRules } from '../../src/paper/alerts/rules.ts';
import { RollingSum } from '../../src/paper/alerts/rolling-sum.ts';
import { LiveAlerts, marketAlerts } from '../../src/paper/alerts/live-alerts.ts';
import { tempDir } from '../helpers/store.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

type V = 'binance' | 'okx' | 'bybit';
const trade = (venue: V, ts: number, side: Side, price: number, qty: number): TradeEvent => ({ type: 'trade', venue, symbol: 'BTCUSDT', ts, localTs: ts, price, qty, side, id: String(ts) });
const liq = (venue: V, ts: number, side: Side, price: number, qty: number): LiquidationEvent => ({ type: 'liquidation', venue, symbol: 'BTCUSDT', ts, localTs: ts, price, qty, side, id: '' });
const book = (venue: V, ts: number): BookEvent => ({ type: 'book', venue, symbol: 'BTCUSDT', ts, localTs: ts, isSnapshot: false, bids: [[99, 1]], asks: [[101, 1]], seq: NaN });

function rules(raw: unknown[]): { engine: AlertRules; alerts: Alert[] } {
  const alerts: Alert[] = [];
  const parsed = alertsSchema.parse({ rules: raw }).rules;
  return { engine: new AlertRules(parsed, (a) => alerts.push(a)), alerts };
}

const sellFlow = { name: 'sells', kind: 'flow', side: 'sell', notional: 1_000_000, window: '1m', venues: 'all' };

describe('alert rules: flow', () => {
  it('a burst of many trades fires once, not once per trade', () => {
    const { engine, alerts } = rules([sellFlow]);
    // 50 sells of 100k each within 10 s: the sum crosses 1M at the 10th and stays above.
    for (let i = 0; i < 50; i++) engine.onEvent(trade('binance', 1_000_000 + i * 200, 'sell', 50_000, 2));
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].rule, 'sells');
    assert.equal(alerts[0].ts, 1_000_000 + 9 * 200, 'fired at the trade that reached the threshold');
    assert.equal(alerts[0].fields.notional, 1_000_000);
    assert.match(alerts[0].text, /aggressive sells 1\.00M \(quote\) within 1m/);
  });

  it('re-arms once the window falls back below the threshold, and fires on the next burst', () => {
    const { engine, alerts } = rules([sellFlow]);
    for (let i = 0; i < 12; i++) engine.onEvent(trade('okx', 1_000_000 + i * 1000, 'sell', 100_000, 1));
    assert.equal(alerts.length, 1);
    // Still inside the first burst's window: no second alert.
    engine.onEvent(trade('okx', 1_030_000, 'sell', 100_000, 1));
    assert.equal(alerts.length, 1);
    // Two minutes later the window has emptied (re-armed on this event), then a new burst.
    for (let i = 0; i < 10; i++) engine.onEvent(trade('okx', 1_200_000 + i * 1000, 'sell', 100_000, 1));
    assert.equal(alerts.length, 2);
    assert.equal(alerts[1].ts, 1_209_000);
  });

  it('re-arms on the clock alone (advanceTo) when the market goes quiet', () => {
    const { engine, alerts } = rules([sellFlow]);
    engine.onEvent(trade('bybit', 1_000_000, 'sell', 1_000_000, 1));
    assert.equal(alerts.length, 1);
    engine.advanceTo(1_060_000);
    engine.onEvent(trade('bybit', 1_060_001, 'sell', 1_000_000, 1));
    assert.equal(alerts.length, 2);
  });

  it('counts only the rule venues and only its aggressor side', () => {
    const { engine, alerts } = rules([{ ...sellFlow, venues: ['binance', 'bybit'] }]);
    for (let i = 0; i < 20; i++) engine.onEvent(trade('okx', 1_000_000 + i, 'sell', 100_000, 1));
    for (let i = 0; i < 20; i++) engine.onEvent(trade('binance', 1_000_100 + i, 'buy', 100_000, 1));
    // Liquidations are not aggressive flow, even as forced sells.
    for (let i = 0; i < 20; i++) engine.onEvent(liq('binance', 1_000_200 + i, 'sell', 100_000, 1));
    assert.equal(alerts.length, 0);
    for (let i = 0; i < 5; i++) engine.onEvent(trade('binance', 1_000_300 + i, 'sell', 100_000, 1));
    for (let i = 0; i < 5; i++) engine.onEvent(trade('bybit', 1_000_400 + i, 'sell', 100_000, 1));
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].fields.notional_binance, 500_000);
    assert.equal(alerts[0].fields.notional_bybit, 500_000);
    assert.match(alerts[0].text, /\[binance 500\.0k, bybit 500\.0k\]/);
  });

  it("a venue's book running minutes ahead of its trades (another connection) does not push them out of the window", () => {
    const { engine, alerts } = rules([{ ...sellFlow, venues: ['binance'] }]);
    // Binance serves depth on another route than aggTrade: at replay speed its book can arrive
    // minutes of exchange time ahead of the trades still on their way.
    engine.onEvent(book('binance', 1_000_000 + 180_000));
    for (let i = 0; i < 12; i++) engine.onEvent(trade('binance', 1_000_000 + i * 1000, 'sell', 100_000, 1));
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0].ts, 1_009_000, "at the trades' own time");
  });

  it('ignores rows with no price (the store refuses them) instead of poisoning the sum', () => {
    const { engine, alerts } = rules([sellFlow]);
    engine.onEvent(trade('binance', 1_000_000, 'sell', NaN, 1));
    engine.onEvent(trade('binance', 1_000_001, 'sell', 1_000_000, 1));
    assert.equal(alerts.length, 1);
  });
});

describe('alert rules: liquidations', () => {
  it('side long counts forced sells (longs liquidated), side short forced buys', () => {
    const { engine, alerts } = rules([
      { name: 'longs', kind: 'liquidations', side: 'long', notional: 300_000, window: '30s' },
      { name: 'shorts', kind: 'liquidations', side: 'short', notional: 300_000, window: '30s' },
    ]);
    for (let i = 0; i < 3; i++) engine.onEvent(liq('bybit', 1_000_000 + i, 'sell', 100_000, 1));
    assert.deepEqual(alerts.map((a) => a.rule), ['longs']);
    assert.match(alerts[0].text, /longs liquidated 300\.0k/);
    // Aggressive buys are not liquidations.
    for (let i = 0; i < 3; i++) engine.onEvent(trade('bybit', 1_000_010 + i, 'buy', 100_000, 1));
    for (let i = 0; i < 3; i++) engine.onEvent(liq('okx', 1_000_020 + i, 'buy', 100_000, 1));
    assert.deepEqual(alerts.map((a) => a.rule), ['longs', 'shorts']);
  });

  it('a second burst after a quiet spell fires again though no other event drained the window', () => {
    const { engine, alerts } = rules([{ name: 'longs', kind: 'liquidations', side: 'long', notional: 300_000, window: '30s' }]);
    // Trades and books do not move a liquidations rule's clock (their feeds are not ordered
    // against the liquidations'): the liquidation stream's own next event does.
    engine.onEvent(liq('okx', 1_000_000, 'sell', 400_000, 1));
    engine.onEvent(trade('okx', 1_100_000, 'sell', 1, 1));
    engine.onEvent(liq('okx', 1_200_000, 'sell', 400_000, 1));
    assert.deepEqual(alerts.map((a) => a.ts), [1_000_000, 1_200_000]);
  });
});

/** What the rule should do, recomputed from scratch after every event. */
function bruteForce(rule: { side: Side; venues: readonly V[]; notional: number; windowMs: number }, events: readonly TradeEvent[]): { ts: number; sum: number }[] {
  const fired: { ts: number; sum: number }[] = [];
  let now = -Infinity;
  let armed = true;
  const seen: TradeEvent[] = [];
  const sumNow = () => {
    let sum = 0;
    for (const s of seen) if (s.side === rule.side && rule.venues.includes(s.venue as V) && s.ts > now - rule.windowMs && s.ts <= now) sum += s.price * s.qty;
    return sum;
  };
  for (const e of events) {
    // The rule's clock is the latest time of the trades of its venues (rules.ts); where it moves,
    // the window is seen before the trade joins it (it may have fallen below meanwhile).
    if (rule.venues.includes(e.venue as V) && e.ts > now) {
      now = e.ts;
      if (sumNow() < rule.notional) armed = true;
    }
    seen.push(e);
    const sum = sumNow();
    if (sum >= rule.notional) {
      if (armed) fired.push({ ts: now, sum });
      armed = false;
    } else armed = true;
  }
  return fired;
}

describe('alert rules: window edges', () => {
  it('an event exactly one window old is out of the window; one ms younger is in', () => {
    const { engine, alerts } = rules([{ ...sellFlow, notional: 2_000_000 }]);
    engine.onEvent(trade('binance', 1_000_000, 'sell', 1_000_000, 1));
    engine.onEvent(trade('binance', 1_060_000, 'sell', 1_000_000, 1));
    assert.equal(alerts.length, 0, '(t - 60 s, t]: the first trade has just left');
    engine.onEvent(trade('binance', 1_060_000 + 59_999, 'sell', 1_000_000, 1));
    assert.equal(alerts.length, 1);
  });

  it("fires exactly when a from-scratch recomputation of every window says so, late trades and books running ahead included", () => {
    const venues: V[] = ['binance', 'okx', 'bybit'];
    const event = fc.record({
      dt: fc.integer({ min: 0, max: 4000 }),
      // Venues' feeds arrive out of exchange-time order by up to a few seconds.
      late: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 15_000 })),
      venue: fc.constantFrom(...venues),
      side: fc.constantFrom<Side>('buy', 'sell'),
      price: fc.integer({ min: 1, max: 1000 }),
      qty: fc.integer({ min: 1, max: 50 }),
      // The venue's book (another connection) stamped this far ahead of the trades, or none.
      bookAhead: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 300_000 })),
    });
    fc.assert(
      fc.property(
        fc.array(event, { minLength: 1, maxLength: 300 }),
        fc.subarray(venues, { minLength: 1 }),
        fc.constantFrom<Side>('buy', 'sell'),
        fc.integer({ min: 1, max: 60 }),
        fc.integer({ min: 1000, max: 100_000 }),
        (steps, ruleVenues, side, windowSec, notional) => {
          let t = 1_700_000_000_000;
          const events = steps.map((s) => {
            t += s.dt;
            return trade(s.venue, t - s.late, s.side, s.price, s.qty);
          });
          const fed: CaptureRecord[] = [];
          for (const [i, s] of steps.entries()) {
            if (s.bookAhead >= 0) fed.push(book(s.venue, events[i].ts + s.bookAhead));
            fed.push(events[i]);
          }
          const { engine, alerts } = rules([{ name: 'r', kind: 'flow', side, notional, window: windowSec * 1000, venues: ruleVenues }]);
          engine.onEvents(fed);
          const expected = bruteForce({ side, venues: ruleVenues, notional, windowMs: windowSec * 1000 }, events);
          assert.deepEqual(alerts.map((a) => ({ ts: a.ts, sum: a.fields.notional })), expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('rolling sum', () => {
  it('holds, after every entry, the sum and per-venue sums of the entries inside (now - window, now]', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ dt: fc.integer({ min: 0, max: 3000 }), late: fc.integer({ min: 0, max: 20_000 }), venue: fc.integer({ min: 0, max: 2 }), value: fc.integer({ min: 1, max: 1e6 }) }), { maxLength: 400 }),
        fc.integer({ min: 1, max: 30_000 }),
        (steps, windowMs) => {
          const w = new RollingSum(windowMs, 3);
          const all: { ts: number; venue: number; value: number }[] = [];
          let t = 0;
          let now = -Infinity;
          for (const s of steps) {
            t += s.dt;
            const ts = t - s.late;
            now = Math.max(now, ts);
            w.add(ts, s.value, s.venue, now);
            w.evict(now);
            all.push({ ts, venue: s.venue, value: s.value });
            const inside = all.filter((e) => e.ts > now - windowMs);
            assert.equal(w.sum, inside.reduce((a, e) => a + e.value, 0));
            assert.equal(w.size, inside.length);
            for (let v = 0; v < 3; v++) assert.equal(w.byVenue[v], inside.filter((e) => e.venue === v).reduce((a, e) => a + e.value, 0));
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('alert rules: engine outputs', () => {
  const signal = (type: string, direction: 'long' | 'short', venue = 'binance') => ({ kind: 'signal' as const, ts: 5, id: 7, type, direction, level: 100.5, venue, session: 'Asia' });
  const outcome = (horizonMs: number, o: { touched: boolean; rejected: boolean; brokeThrough: boolean; returnBps: number }) => ({ kind: 'outcome' as const, ts: 9, id: 7, type: 'absorption', direction: 'long' as const, level: 100.5, venue: 'okx', horizonMs, ...o, hit: o.returnBps > 0 });

  it('a signal rule fires once per matching signal, filtered by type, direction and venue', () => {
    const { engine, alerts } = rules([{ name: 'abs-long', kind: 'signal', types: ['absorption'], direction: 'long', venues: ['binance'] }]);
    engine.onEngine(signal('absorption', 'long'));
    engine.onEngine(signal('absorption', 'short'));
    engine.onEngine(signal('divergence', 'long'));
    engine.onEngine(signal('absorption', 'long', 'okx'));
    assert.equal(alerts.length, 1);
    assert.match(alerts[0].text, /absorption signal #7 long at 100\.5 on binance \(Asia\)/);
  });

  it('an outcome rule fires on the resolved horizons it asks for, with what the prediction became', () => {
    const { engine, alerts } = rules([{ name: 'rejections-1h', kind: 'outcome', horizon: '1h', result: 'rejected' }]);
    engine.onEngine(outcome(3_600_000, { touched: true, rejected: false, brokeThrough: true, returnBps: -30 }));
    engine.onEngine(outcome(900_000, { touched: true, rejected: true, brokeThrough: false, returnBps: 25 }));
    engine.onEngine(outcome(3_600_000, { touched: true, rejected: true, brokeThrough: false, returnBps: 42 }));
    assert.equal(alerts.length, 1);
    assert.match(alerts[0].text, /after 1h: rejected, 42\.0 bps \(hit\)/);
  });

  it('signal and outcome rules do not react to market events', () => {
    const { engine, alerts } = rules([{ name: 's', kind: 'signal' }, { name: 'o', kind: 'outcome' }]);
    for (let i = 0; i < 10; i++) engine.onEvent(trade('binance', i, 'sell', 1e9, 1));
    assert.equal(alerts.length, 0);
  });
});

describe('LiveAlerts (what watch, record and paper hold)', () => {
  it('sends what the rules fire, events and engine outputs alike, to its channels, and says so in its status', async () => {
    const lines: string[] = [];
    const config = alertsSchema.parse({ rules: [sellFlow, { name: 'sig', kind: 'signal' }], channels: { terminal: true } });
    const alerts = new LiveAlerts(config, { terminal: (l) => lines.push(l) });
    for (let i = 0; i < 3; i++) alerts.onEvents([trade('okx', 1_767_225_600_000 + i, 'sell', 500_000, 1)]);
    alerts.onEngine({ kind: 'signal', ts: 1_767_225_601_000, id: 3, type: 'divergence', direction: 'short', level: 64_000, venue: 'bybit', session: 'US' });
    await alerts.close();
    assert.deepEqual(lines, [
      'ALERT 2026-01-01T00:00:00.001Z sells: aggressive sells 1.00M (quote) within 1m on BTCUSDT [okx 1.00M] >= 1.00M',
      'ALERT 2026-01-01T00:00:01.000Z sig: divergence signal #3 short at 64000 on bybit (US)',
    ]);
    assert.equal(alerts.statusText(), 'alerts: 2 fired; terminal 2 sent');
    assert.equal(new LiveAlerts(alertsSchema.parse({})).statusText(), 'alerts: 0 fired; no channel on (alerts.channels)');
  });

  it('watch and record say which rules they cannot evaluate, and why', () => {
    const path = join(tempDir(), 'strategy.yaml');
    writeFileSync(path, `alerts:
  rules:
    - { name: f, kind: flow, side: sell, notional: 1, window: 1m }
    - { name: l, kind: liquidations, side: long, notional: 1, window: 1m }
    - { name: s, kind: signal }
`);
    assert.deepEqual(marketAlerts(path, {}, ['trades', 'book']).ignored, ['l (liquidations) needs the liquidations channel', 's (signal) needs the strategy engine: only orderflow paper evaluates it']);
    assert.deepEqual(marketAlerts(path).ignored, ['s (signal) needs the strategy engine: only orderflow paper evaluates it']);
  });
});
