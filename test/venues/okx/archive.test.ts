import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ParseError } from '../../../src/core/errors.ts';
import type { TradeEvent } from '../../../src/core/events.ts';
import { InstrumentRegistry } from '../../../src/core/instruments.ts';
import { bybitFormats } from '../../../src/venues/bybit/archive.ts';
import { BYBIT_TRADE_ARCHIVE_HEADER } from '../../../src/venues/bybit/wire.ts';
import { okxCaptureFormat, okxFormats, okxTradesArchiveFormat } from '../../../src/venues/okx/archive.ts';
import { createOkxParser } from '../../../src/venues/okx/parse.ts';
import { OKX_TRADES_HEADER, OKX_TRADES_HEADER_LEGACY, OKX_TRADES_HEADER_SOURCE } from '../../../src/venues/okx/wire.ts';
import { assertGolden } from '../../helpers/golden.ts';
import { context, lines, runFormat } from '../../helpers/run-format.ts';
import { okxTestInstruments } from './instruments.ts';
import { realText } from '../../helpers/real-data.ts';
import { exactProductQuotient } from '../../helpers/exact-decimal.ts';

const FIX = fileURLToPath(new URL('../../fixtures/okx/', import.meta.url));
const fixture = (name: string) => readFileSync(FIX + name, 'utf8');

function code(fn: () => unknown, expected: string, field?: string): void {
  assert.throws(fn, (e: unknown) => e instanceof ParseError && e.code === expected && (field === undefined || e.field === field));
}

/** The WebSocket trades of one instrument (the CSV fixtures were built from this capture's values). */
function wsTrades(instId: string): TradeEvent[] {
  const parser = createOkxParser(context('x', { instruments: okxTestInstruments() }));
  return lines(realText('okx-v5-ws-trades-2022-05-13.jsonl')).flatMap((l) => parser.parse(JSON.parse(l), NaN) ?? [])
    .filter((e): e is TradeEvent => e.type === 'trade' && e.symbol === instId);
}

function archive(name: string, over: Parameters<typeof context>[1] = {}) {
  const symbol = okxTradesArchiveFormat.symbolFromName?.(name);
  return runFormat(okxTradesArchiveFormat, context(name, { symbol, instruments: okxTestInstruments(), ...over }), fixture(name)).events as TradeEvent[];
}

describe('okx-trades-archive (historical trade history CSV)', () => {
  it('legacy bilingual header (size before price), spot, symbol from the file name', () => {
    const events = archive('BTC-USDT-trades-2022-05-13.csv');
    assert.equal(events.length, 69);
    assert.deepEqual(events[0], {
      type: 'trade', venue: 'okx', symbol: 'BTC-USDT', ts: 1652459224818, localTs: NaN,
      price: 30236, qty: 0.0002, side: 'buy', id: '338476307',
    });
    assertGolden(`${FIX}golden/BTC-USDT-trades-2022-05-13.json`, events);
  });

  it('6-column header (price before size): inverse future contracts -> base', () => {
    const events = archive('BTC-USD-220527-trades-2022-05-13.csv');
    assert.deepEqual(events.map((e) => e.qty), [1, 2, 2, 30].map((sz, i) => exactProductQuotient(String(sz), '100', String(events[i].price))));
  });

  it('7-column header with source', () => {
    const events = archive('UNI-USD-SWAP-trades-2022-05-13.csv');
    assert.equal(events[0].qty, exactProductQuotient('100', '10', '5.123'));
  });

  it('every variant gives exactly the WebSocket trades its rows were built from', () => {
    assert.deepEqual(archive('BTC-USDT-trades-2022-05-13.csv'), wsTrades('BTC-USDT'));
    assert.deepEqual(archive('BTC-USD-220527-trades-2022-05-13.csv'), wsTrades('BTC-USD-220527'));
    assert.deepEqual(archive('UNI-USD-SWAP-trades-2022-05-13.csv'), wsTrades('UNI-USD-SWAP'));
  });

  it('the legacy header needs a symbol: from the name or --symbol', () => {
    const text = fixture('BTC-USDT-trades-2022-05-13.csv');
    code(() => runFormat(okxTradesArchiveFormat, context('trades.csv'), text), 'E_FIELD', 'instrument_name');
    assert.equal(runFormat(okxTradesArchiveFormat, context('trades.csv', { symbol: 'BTC-USDT' }), text).events.length, 69);
  });

  it('an unknown swap is E_INSTRUMENT', () => {
    code(() => archive('UNI-USD-SWAP-trades-2022-05-13.csv', { instruments: new InstrumentRegistry() }), 'E_INSTRUMENT');
  });

  it('bad rows name the column', () => {
    const ok = 'BTC-USDT-SWAP,2885385355,sell,78542.2,14.07,1788192000021,0';
    const run = (row: string) => runFormat(okxTradesArchiveFormat, context('x', { instruments: okxTestInstruments() }), `${OKX_TRADES_HEADER_SOURCE}\n${row}`).events as TradeEvent[];
    const [t] = run(ok);
    assert.equal(t.qty, 0.1407); // 14.07 contracts x 0.01 BTC
    assert.equal(t.side, 'sell');
    code(() => run(ok.replace('sell', 'Sell')), 'E_SIDE', 'side');
    code(() => run(ok.replace('78542.2', '-1')), 'E_NUMBER', 'price');
    code(() => run(ok.replace('14.07', '')), 'E_NUMBER', 'size');
    code(() => run(ok.replace('1788192000021', '1788192000')), 'E_TIME_UNIT', 'created_time');
    code(() => run(ok.replace('2885385355', '')), 'E_FIELD', 'trade_id');
    code(() => run(ok.replace('BTC-USDT-SWAP', '')), 'E_FIELD', 'instrument_name');
    code(() => run(ok.replace(',0', '')), 'E_COLUMNS');
    code(() => runFormat(okxTradesArchiveFormat, context('x'), `${OKX_TRADES_HEADER},extra\n${ok}`), 'E_HEADER');
  });

  it('takes the symbol from the file name', () => {
    const name = (n: string) => okxTradesArchiveFormat.symbolFromName?.(n);
    assert.equal(name('BTC-USDT-SWAP-trades-2025-05-15.zip'), 'BTC-USDT-SWAP');
    assert.equal(name('BTC-USD-250926-aggtrades-2025-04-23.csv'), 'BTC-USD-250926');
    assert.equal(name('BTC-USDT-trades-2023-04-19.csv'), 'BTC-USDT');
    assert.equal(name('BTCUSDT2024-01-01.csv'), undefined);
  });
});

describe('okx format detection', () => {
  const trade = lines(fixture('trades-2022-05-13-head10.jsonl'))[0];
  const score = (line: string) => Object.fromEntries(okxFormats.map((f) => [f.id, f.detect('BTC-USDT-SWAP-trades-2024-01-01.csv', line)]));

  it('each exact header scores 2; an unknown tail 1', () => {
    for (const h of [OKX_TRADES_HEADER_LEGACY, OKX_TRADES_HEADER, OKX_TRADES_HEADER_SOURCE]) {
      assert.deepEqual(score(h), { 'okx-trades-archive': 2, 'okx-ws-capture': 0 });
    }
    assert.equal(okxTradesArchiveFormat.detect('x', `${OKX_TRADES_HEADER},source,extra`), 1);
  });

  it('a capture line scores 2 for okx-ws-capture only (plain and `<ns> <json>`)', () => {
    assert.deepEqual(score(trade), { 'okx-trades-archive': 0, 'okx-ws-capture': 2 });
    assert.equal(okxCaptureFormat.detect('x', `1652459199958000000 ${trade}`), 2);
    assert.equal(okxCaptureFormat.detect('x', '{"event":"subscribe","arg":{"channel":"trades","instId":"BTC-USDT"}}'), 2);
  });

  it('other formats\' first lines score 0', () => {
    for (const line of [BYBIT_TRADE_ARCHIVE_HEADER, '{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1,"data":[]}', 'timestamp,symbol', 'id,timestamp,price,volume,side,rpi']) {
      assert.deepEqual(score(line), { 'okx-trades-archive': 0, 'okx-ws-capture': 0 }, line);
    }
    for (const h of [OKX_TRADES_HEADER_LEGACY, OKX_TRADES_HEADER, trade]) for (const f of bybitFormats) assert.equal(f.detect('x', h), 0, f.id);
  });
});
