import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import yauzl from 'yauzl';
import { ParseError } from '../../../src/core/errors.ts';
import type { BookEvent, TradeEvent } from '../../../src/core/events.ts';
import { epochMs, epochMsAnyUnit } from '../../../src/core/parse-util.ts';
import {
  bybitCaptureFormat, bybitFormats, bybitObArchiveFormat, bybitTradesArchiveFormat,
} from '../../../src/venues/bybit/archive.ts';
import { createBybitParser } from '../../../src/venues/bybit/parse.ts';
import { BYBIT_TRADE_ARCHIVE_HEADER, BYBIT_TRADE_ARCHIVE_HEADER_RPI } from '../../../src/venues/bybit/wire.ts';
import { okxFormats } from '../../../src/venues/okx/archive.ts';
import { assertGolden } from '../../helpers/golden.ts';
import { context, lines, runFormat } from '../../helpers/run-format.ts';
import { bybitTestInstruments } from './instruments.ts';
import { realFile, realLines } from '../../helpers/real-data.ts';

const FIX = fileURLToPath(new URL('../../fixtures/bybit/', import.meta.url));
const fixture = (name: string) => readFileSync(FIX + name, 'utf8');
const OB_ZIP = realFile('bybit-linear-ob500-XRPUSDT-2024-12-01.data.zip');
const OB_NAME = '2024-12-01_XRPUSDT_ob500.data';

function code(fn: () => unknown, expected: string, field?: string): void {
  assert.throws(fn, (e: unknown) => e instanceof ParseError && e.code === expected && (field === undefined || e.field === field));
}

/** The WebSocket trades of one symbol from the full capture (the CSV fixtures were built from them). */
function wsTrades(symbol: string): TradeEvent[] {
  const parser = createBybitParser(context('x'));
  return realLines('bybit-v5-linear-ws-publicTrade-2026-08-09.jsonl')
    .flatMap((l) => parser.parse(JSON.parse(l), NaN) ?? [])
    .filter((e): e is TradeEvent => e.type === 'trade' && e.symbol === symbol);
}

describe('bybit-trades-archive (public.bybit.com/trading CSV)', () => {
  it('maps rows: seconds -> ms, Buy/Sell taker side, size in base', () => {
    const sink = runFormat(bybitTradesArchiveFormat, context('BTCUSDT2026-08-09.csv'), fixture('BTCUSDT2026-08-09.csv'));
    assert.equal(sink.events.length, 56);
    assert.deepEqual(sink.events[0], {
      type: 'trade', venue: 'bybit', symbol: 'BTCUSDT', ts: 1786310819680, localTs: NaN,
      price: 65114.2, qty: 0.004, side: 'sell', id: 'a9188a0a-82bc-50de-be60-03eedbe3cdd7',
    });
    assertGolden(`${FIX}golden/BTCUSDT2026-08-09.json`, sink.events);
  });

  it('gives exactly the WebSocket trades the rows were built from', () => {
    assert.deepEqual(runFormat(bybitTradesArchiveFormat, context('x'), fixture('BTCUSDT2026-08-09.csv')).events, wsTrades('BTCUSDT'));
    assert.deepEqual(runFormat(bybitTradesArchiveFormat, context('x'), fixture('ETHUSDT2026-08-09.csv')).events, wsTrades('ETHUSDT'));
  });

  it('reads the newer header with the RPI column', () => {
    assert.equal(runFormat(bybitTradesArchiveFormat, context('x'), fixture('ETHUSDT2026-08-09.csv')).events.length, 23);
  });

  it('seconds with a fraction become exact ms (no float noise from scaling)', () => {
    const ms = (text: string) => epochMs(text, 's', 'timestamp');
    assert.equal(ms('1704067200.1234'), 1704067200123.4);
    assert.equal(ms('1590710399.365'), 1590710399365);
    assert.equal(ms('1786310819.68'), 1786310819680);
    assert.equal(ms('1786310820.972'), 1786310820972);
    fc.assert(fc.property(fc.integer({ min: 1_577_836_800_000, max: 1_893_456_000_000 }), (t) => {
      const text = `${Math.floor(t / 1000)}.${String(t % 1000).padStart(3, '0')}`;
      return ms(text) === t && epochMsAnyUnit(text, 't') === t;
    }), { numRuns: 2000 });
  });

  it('converts inverse rows (BTCUSD, USD contracts) with the instrument, refuses them without', () => {
    const row = '1692748800.279,BTCUSD,Sell,641,26027.00,ZeroMinusTick,80253109-efbb-58ca-9adc-d458b66201e9,2.462827064202559e+06,641,0.02462827064202559';
    const text = `${BYBIT_TRADE_ARCHIVE_HEADER}\n${row}\n`;
    const [t] = runFormat(bybitTradesArchiveFormat, context('x', { instruments: bybitTestInstruments() }), text).events as TradeEvent[];
    assert.equal(t.qty, 641 / 26027);
    assert.equal(t.ts, 1692748800279);
    code(() => runFormat(bybitTradesArchiveFormat, context('x'), text), 'E_INSTRUMENT', 'symbol');
  });

  it('bad rows name the column', () => {
    const ok = '1786310819.68,BTCUSDT,Sell,0.004,65114.20,MinusTick,a9188a0a,260.0,0.004,260.4568';
    const run = (row: string) => runFormat(bybitTradesArchiveFormat, context('x'), `${BYBIT_TRADE_ARCHIVE_HEADER}\n${row}`);
    assert.equal(run(ok).events.length, 1);
    code(() => run(ok.replace('Sell', 'sell')), 'E_SIDE', 'side');
    code(() => run(ok.replace('0.004,65114', 'x,65114')), 'E_NUMBER', 'size');
    code(() => run(ok.replace('65114.20', '0')), 'E_NUMBER', 'price');
    code(() => run(ok.replace('1786310819.68', '1786310819680')), 'E_TIME_UNIT', 'timestamp');
    code(() => run(ok.replace('a9188a0a', '')), 'E_FIELD', 'trdMatchID');
    code(() => run(ok.replace('BTCUSDT', '')), 'E_FIELD', 'symbol');
    code(() => run(`${ok},0`), 'E_COLUMNS');
    code(() => runFormat(bybitTradesArchiveFormat, context('x'), `timestamp,symbol,side,size,price,x\n${ok}`), 'E_HEADER');
  });

  it('takes the symbol from the file name', () => {
    assert.equal(bybitTradesArchiveFormat.symbolFromName?.('BTCUSDT2024-01-01.csv.gz'), 'BTCUSDT');
    assert.equal(bybitTradesArchiveFormat.symbolFromName?.('1000PEPEUSDT2024-01-01.csv'), '1000PEPEUSDT');
    assert.equal(bybitTradesArchiveFormat.symbolFromName?.('BTCUSDT-trades-2024-01-01.csv'), undefined);
  });
});

describe('bybit-ob-archive (official orderbook.500 download)', () => {
  it('maps the archive lines (CRLF in the file) as snapshot + deltas, seq = u', () => {
    const sink = runFormat(bybitObArchiveFormat, context(OB_NAME), fixture('2024-12-01_XRPUSDT_ob500-head3.data'));
    const books = sink.events as BookEvent[];
    assert.deepEqual(books.map((b) => [b.isSnapshot, b.symbol, b.seq, b.ts]), [
      // ts = the matching engine's `cts`, not the frame's `ts` (1733011200691, ...693, ...790).
      [true, 'XRPUSDT', 20254869, 1733011200589],
      [false, 'XRPUSDT', 20254870, 1733011200691],
      [false, 'XRPUSDT', 20254871, 1733011200782],
    ]);
    assert.equal(books[0].bids.length, 500);
    assert.deepEqual(books[0].bids[0], [1.9531, 6203]);
    assertGolden(`${FIX}golden/2024-12-01_XRPUSDT_ob500-head3.json`, books);
  });

  it('reads the real zip: 1 snapshot + 49 deltas', async () => {
    const { name, text } = await readSingleZipEntry(OB_ZIP);
    assert.equal(name, OB_NAME);
    const first = lines(text)[0];
    assert.equal(bybitObArchiveFormat.detect(name, first), 2);
    const books = runFormat(bybitObArchiveFormat, context(name, { symbol: bybitObArchiveFormat.symbolFromName?.(name) }), text).events as BookEvent[];
    assert.equal(books.length, 50);
    assert.equal(books.filter((b) => b.isSnapshot).length, 1);
    // The last delta's `cts` (its frame `ts` is 1733011205490).
    assert.equal(books[49].ts, 1733011205488);
  });

  it('refuses a non-book frame', () => {
    const trade = lines(fixture('publicTrade-2026-08-09-head20.jsonl'))[0];
    code(() => runFormat(bybitObArchiveFormat, context(OB_NAME), trade), 'E_MESSAGE', 'topic');
    code(() => runFormat(bybitObArchiveFormat, context(OB_NAME), '{"topic":'), 'E_JSON');
  });

  it('takes the symbol from the file name', () => {
    assert.equal(bybitObArchiveFormat.symbolFromName?.(OB_NAME), 'XRPUSDT');
  });
});

describe('bybit format detection', () => {
  const trade = lines(fixture('publicTrade-2026-08-09-head20.jsonl'))[0];
  const book = lines(fixture('orderbook200-2026-08-09-head4.jsonl'))[0];
  const ob500 = lines(fixture('2024-12-01_XRPUSDT_ob500-head3.data'))[0];
  const score = (name: string, line: string) => Object.fromEntries(bybitFormats.map((f) => [f.id, f.detect(name, line)]));

  it('exact trade-archive header: 2 (both variants); a new tail: 1', () => {
    assert.deepEqual(score('BTCUSDT2024-01-01.csv', BYBIT_TRADE_ARCHIVE_HEADER), { 'bybit-trades-archive': 2, 'bybit-ob-archive': 0, 'bybit-ws-capture': 0 });
    assert.equal(bybitTradesArchiveFormat.detect('x.csv', BYBIT_TRADE_ARCHIVE_HEADER_RPI), 2);
    assert.equal(bybitTradesArchiveFormat.detect('x.csv', `${BYBIT_TRADE_ARCHIVE_HEADER},isBlockTrade`), 1);
  });

  it('an ob500 archive name picks bybit-ob-archive; a capture name picks bybit-ws-capture', () => {
    assert.deepEqual(score(OB_NAME, ob500), { 'bybit-trades-archive': 0, 'bybit-ob-archive': 2, 'bybit-ws-capture': 1 });
    assert.deepEqual(score('bybit-orderbook.jsonl', book), { 'bybit-trades-archive': 0, 'bybit-ob-archive': 1, 'bybit-ws-capture': 2 });
    assert.deepEqual(score('bybit-trades.jsonl', trade), { 'bybit-trades-archive': 0, 'bybit-ob-archive': 0, 'bybit-ws-capture': 2 });
    assert.equal(bybitCaptureFormat.detect('cap.txt', `1786310819681000000 ${trade}`), 2);
  });

  it('other formats\' first lines score 0', () => {
    const others = [
      'instrument_name,trade_id,side,price,size,created_time',
      'trade_id/交易id,side/交易方向,size/数量,price/价格,created_time/成交时间',
      'agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker',
      '{"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[]}',
      '{"stream":"btcusdt@trade","data":{"e":"trade"}}',
      'id,timestamp,price,volume,side,rpi',
    ];
    for (const line of others) for (const f of bybitFormats) assert.equal(f.detect('BTCUSDT2024-01-01.csv', line), 0, `${f.id}: ${line}`);
    // And OKX's formats leave Bybit's lines alone.
    for (const line of [BYBIT_TRADE_ARCHIVE_HEADER, trade, ob500]) for (const f of okxFormats) assert.equal(f.detect('x', line), 0, `${f.id}: ${line}`);
  });
});

function readSingleZipEntry(path: string): Promise<{ name: string; text: string }> {
  return new Promise((resolve, reject) => {
    yauzl.open(path, { lazyEntries: true }, (err, zip) => {
      if (err || !zip) return reject(err);
      zip.once('entry', (entry: yauzl.Entry) => {
        zip.openReadStream(entry, (e, stream) => {
          if (e || !stream) return reject(e);
          const chunks: Buffer[] = [];
          stream.on('data', (c: Buffer) => chunks.push(c));
          stream.on('end', () => {
            zip.close();
            resolve({ name: entry.fileName, text: Buffer.concat(chunks).toString('utf8') });
          });
          stream.on('error', reject);
        });
      });
      zip.readEntry();
    });
  });
}
