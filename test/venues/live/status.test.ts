/** StreamStat (one stream's status), errorText (one lastError format) and LiveHealth (what watch/record say about connections). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ParseError } from '../../../src/core/errors.ts';
import { errorText, LiveError } from '../../../src/venues/live/errors.ts';
import { LiveHealth } from '../../../src/venues/live/health.ts';
import { RestError } from '../../../src/venues/live/rest.ts';
import { StreamStat } from '../../../src/venues/live/status.ts';
import type { StreamStatus } from '../../../src/venues/live/types.ts';

describe('StreamStat', () => {
  it('reports on a state change or a new error, not on a repeat', () => {
    const seen: StreamStatus[] = [];
    const s = new StreamStat('okx', 'books:BTC-USDT-SWAP', (x) => seen.push(x));
    s.set('connecting');
    s.set('connected');
    s.set('connected');
    s.set('down', 'x');
    s.set('down', 'x');
    s.set('down', 'y');
    s.error('z');
    s.clearError();
    s.clearError();
    assert.deepEqual(seen.map((x) => [x.state, x.lastError]), [['connected', null], ['down', 'x'], ['down', 'y'], ['down', 'z'], ['down', null]]);
    assert.equal(seen[0].stream, 'books:BTC-USDT-SWAP');
  });

  it('lag: connected -> lagging past the threshold and back; other states untouched', () => {
    const s = new StreamStat('binance', 'btcusdt@aggTrade', () => undefined);
    s.set('connected');
    s.lag(10_000, 7_000, 2_000);
    assert.deepEqual([s.state, s.lagMs], ['lagging', 3_000]);
    s.lag(10_000, 9_500, 2_000);
    assert.deepEqual([s.state, s.lagMs], ['connected', 500]);
    s.set('resyncing');
    s.lag(10_000, 0, 2_000);
    assert.equal(s.state, 'resyncing');
    s.lag(10_000, NaN, 2_000);
    assert.equal(s.lagMs, 10_000, 'a frame without exchange time leaves the lag');
  });
});

describe('errorText', () => {
  it('one format, [CODE] where: what, for live, REST and parse errors; E_INTERNAL for a bug', () => {
    assert.equal(errorText(new LiveError('E_SUBSCRIBE', 'books:X', 'refused')), '[E_SUBSCRIBE] books:X: refused');
    assert.equal(errorText(new RestError('E_REST_STATUS', 'GET /a?b=1', 'HTTP 400: bad', 400, '-1121')), '[E_REST_STATUS] GET /a?b=1: HTTP 400: bad (venue code -1121)');
    assert.equal(errorText(new ParseError('E_NUMBER', 'not a number', 'data.p', 'x').at('btcusdt@aggTrade frame 3')), '[E_NUMBER] btcusdt@aggTrade frame 3: not a number (field data.p, value "x")');
    assert.equal(errorText(new TypeError('boom')), '[E_INTERNAL] TypeError: boom');
  });
});

describe('LiveHealth', () => {
  const st = (venue: 'binance' | 'okx', stream: string, state: StreamStatus['state'], lastError: string | null, messages = 0): StreamStatus => ({
    venue, stream, state, lastError, messages, events: 0, reconnects: 0, resyncs: 0, gaps: 0, parseErrors: 0, lastMessageAt: NaN, lagMs: NaN,
  });

  it('a venue that never connected is named with its last error; the first such error is flagged once', () => {
    const h = new LiveHealth(['binance', 'okx']);
    assert.equal(h.note(st('binance', 'connection:market', 'down', '[E_DISCONNECT] connection:market: socket error: getaddrinfo ENOTFOUND fstream.binance.com')), true);
    assert.equal(h.note(st('binance', 'connection:market', 'down', '[E_DISCONNECT] connection:market: closed (1006)')), false);
    assert.equal(h.nothingConnected(), true);
    assert.deepEqual(h.problems(), [
      'binance: never connected; last error: [E_DISCONNECT] connection:market: closed (1006)',
      'okx: never connected; no error reported yet',
    ]);
  });

  it('once a venue connected, only streams down are a problem; anything connected means something worked', () => {
    const h = new LiveHealth(['binance', 'okx']);
    h.note(st('okx', 'trades:BTC-USDT-SWAP', 'connected', null, 3));
    h.note(st('okx', 'books:BTC-USDT-SWAP', 'connecting', null));
    assert.equal(h.nothingConnected(), false);
    assert.deepEqual(h.problems(), ['binance: never connected; no error reported yet']);
    h.note(st('okx', 'books:BTC-USDT-SWAP', 'down', '[E_SUBSCRIBE] books:BTC-USDT-SWAP: OKX error 60018: \u001b[31mred\u001b[0m'));
    assert.deepEqual(h.problems()[1], 'okx: 1 of 2 streams down; last error: [E_SUBSCRIBE] books:BTC-USDT-SWAP: OKX error 60018:  [31mred [0m');
  });
});
