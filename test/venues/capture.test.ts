import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CollectSink } from '../../src/core/collect-sink.ts';
import { ParseError } from '../../src/core/errors.ts';
import type { KlineCapture } from '../../src/core/events.ts';
import { KlineCoalescer } from '../../src/venues/capture.ts';
import { bybitCaptureFormat } from '../../src/venues/bybit/archive.ts';
import { context, runFormat } from '../helpers/run-format.ts';

const MIN = 60_000;

function bar(openTime: number, close: number, closed = false, symbol = 'BTCUSDT'): KlineCapture {
  return {
    type: 'kline', venue: 'bybit', symbol, kind: 'trade', interval: '1m', openTime, closeTime: openTime + MIN - 1,
    open: 1, high: 2, low: 1, close, volume: 1, quoteVolume: 1, trades: NaN, takerBuyVolume: NaN, takerBuyQuoteVolume: NaN, closed,
  };
}

const T0 = Date.UTC(2026, 7, 9, 21, 26);

describe('KlineCoalescer: one row per candle, the last update seen', () => {
  it('replaces updates of the same candle and writes it when the next candle starts', () => {
    const c = new KlineCoalescer();
    const sink = new CollectSink();
    c.add([bar(T0, 1)], sink);
    c.add([bar(T0, 2)], sink);
    assert.equal(sink.klines.length, 0);
    c.add([bar(T0, 3, true), bar(T0 + MIN, 4)], sink);
    assert.deepEqual(sink.klines.map((k) => [k.openTime, k.close, k.closed]), [[T0, 3, true]]);
    c.flush(sink);
    assert.deepEqual(sink.klines.map((k) => [k.openTime, k.close, k.closed]), [[T0, 3, true], [T0 + MIN, 4, false]]);
    assert.ok(!('type' in sink.klines[0]), 'the capture-only discriminant is not stored');
  });

  it('keeps series apart by venue, symbol and interval', () => {
    const c = new KlineCoalescer();
    const sink = new CollectSink();
    c.add([bar(T0, 1, false, 'BTCUSDT'), bar(T0, 5, false, 'ETHUSDT')], sink);
    c.add([{ ...bar(T0, 7), interval: '5m', closeTime: T0 + 5 * MIN - 1 }], sink);
    c.add([bar(T0 + MIN, 2, false, 'BTCUSDT')], sink);
    assert.deepEqual(sink.klines.map((k) => [k.symbol, k.interval, k.close]), [['BTCUSDT', '1m', 1]]);
    c.flush(sink);
    assert.equal(sink.klines.length, 4);
  });

  it('refuses an update of an older candle (E_TIME_BACKWARDS) and keeps its state unchanged', () => {
    const c = new KlineCoalescer();
    const sink = new CollectSink();
    c.add([bar(T0, 1)], sink);
    c.add([bar(T0 + MIN, 2)], sink);
    assert.throws(() => c.add([bar(T0 + 2 * MIN, 9), bar(T0, 3)], sink), (e: unknown) => e instanceof ParseError && e.code === 'E_TIME_BACKWARDS' && e.field === 'openTime');
    // Nothing of the refused frame was taken: the pending candle is still T0 + 1 min, close 2.
    c.flush(sink);
    assert.deepEqual(sink.klines.map((k) => [k.openTime, k.close]), [[T0, 1], [T0 + MIN, 2]]);
  });
});

describe('capture formats write candles at the end of the file', () => {
  it('a capture that ends mid-candle stores that candle as open (closed: false)', () => {
    const frame = (start: number, close: string, confirm: boolean) => JSON.stringify({
      topic: 'kline.1.BTCUSDT', type: 'snapshot', ts: start + 1000,
      data: [{ start, end: start + MIN - 1, interval: '1', open: '1', close, high: '3', low: '1', volume: '1', turnover: '2', confirm, timestamp: start + 1000 }],
    });
    const sink = runFormat(bybitCaptureFormat, context('k.jsonl'), [frame(T0, '2', false), frame(T0, '3', false)].join('\n'));
    assert.deepEqual(sink.klines.map((k) => [k.openTime, k.close, k.closed]), [[T0, 3, false]]);
  });
});
