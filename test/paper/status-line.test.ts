/** The paper status line says the feeds' health, the position with its liquidation price, equity, open predictions and today's accuracy. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EngineProgress } from '../../src/engine/engine.ts';
import type { PaperStatus } from '../../src/paper/paper-run.ts';
import { statusLine } from '../../src/paper/status-line.ts';
import { LiveHealth } from '../../src/venues/live/health.ts';
import type { StreamStatus } from '../../src/venues/live/types.ts';

const stream = (venue: 'binance' | 'okx', name: string, state: StreamStatus['state']): [string, StreamStatus] => [
  `${venue}:${name}`,
  { venue, stream: name, state, messages: 1, events: 1, reconnects: 0, resyncs: 0, gaps: 0, parseErrors: 0, lastMessageAt: 0, lagMs: 0, lastError: null },
];

function status(progress: Partial<EngineProgress> | undefined, over: Partial<PaperStatus> = {}): PaperStatus {
  return {
    session: 's',
    started: progress !== undefined,
    kernelTs: Date.UTC(2026, 0, 1, 12, 30, 5),
    progress: progress && ({ now: 0, signals: [], orders: [], trades: [], equity: [], position: undefined, busy: false, equityNow: 10_000, lastPrice: 100, openPredictions: 0, ...progress } as EngineProgress),
    streams: new Map([stream('binance', 'aggTrade', 'connected'), stream('okx', 'trades', 'connected'), stream('okx', 'books', 'resyncing')]),
    health: new LiveHealth(['binance', 'okx']),
    today: { n: 0, hits: 0 },
    lateEvents: 0,
    lastCommitMs: 3,
    alerts: undefined,
    fed: { stored: 0, memory: 0, handoverTs: NaN, heldAtHandover: 0 },
    shadow: { checked: 0, inconclusive: 0, mismatch: undefined },
    ...over,
  };
}

describe('paper status line', () => {
  it('before the first events: the feeds only', () => {
    assert.equal(statusLine(status(undefined)), 'paper s: binance ok okx 1/2 (resyncing) | waiting for the first events');
  });

  it('with a position: side, size, entry, liquidation and stop; equity; open predictions; today\'s accuracy; late events', () => {
    const line = statusLine(status({ position: { side: 'long', qty: 2, entry: 100.25, stop: 99.5, target: null, liquidationPrice: 80.125, openTs: 0, signalId: 1 }, equityNow: 10_012.5, openPredictions: 3 }, { today: { n: 4, hits: 3 }, lateEvents: 2 }));
    assert.equal(line, 'paper s 12:30:05 | binance ok okx 1/2 (resyncing) | long 2 @ 100.25 liq 80.13 stop 99.50 | equity 10012.50 | predictions open 3 | today 75% of 4 | late 2');
  });

  it('the alerts\' channels, a failing one named, when the config has alerts', () => {
    const line = statusLine(status({}, { alerts: 'alerts: 2 fired; webhook FAILING 2 failed (last: HTTP 503)' }));
    assert.match(line, /\| today - \| alerts: 2 fired; webhook FAILING 2 failed \(last: HTTP 503\)$/);
    assert.match(statusLine(status(undefined, { alerts: 'alerts: 0 fired; terminal 0 sent' })), /waiting for the first events \| alerts: 0 fired; terminal 0 sent$/);
  });

  it('a shadow-check mismatch of the push path, said first', () => {
    const line = statusLine(status({}, { shadow: { checked: 7, inconclusive: 0, mismatch: 'the push path\'s shadow check failed for A to B: memory pushed 3 rows (hash 1), the store holds 4 (hash 2)' } }));
    assert.match(line, /^paper s 12:30:05 \| SHADOW MISMATCH: the push path's shadow check failed for A to B: memory pushed 3 rows \(hash 1\), the store holds 4 \(hash 2\) \| binance ok/);
    assert.doesNotMatch(statusLine(status({}, { shadow: { checked: 7, inconclusive: 0, mismatch: undefined } })), /SHADOW/);
  });

  it('flat, or an order on its way', () => {
    assert.match(statusLine(status({})), /\| flat \| equity 10000.00 \| predictions open 0 \| today - *$/);
    assert.match(statusLine(status({ busy: true })), /\| order on its way \|/);
  });
});
