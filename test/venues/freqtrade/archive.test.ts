import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { TickerEvent } from '../../../src/core/events.ts';
import { binanceFormats } from '../../../src/venues/binance/archive.ts';
import { allFormats } from '../../../src/venues/formats.ts';
import { freqtradeFundingRateFormat, freqtradeIdentity, MAX_FREQTRADE_CHARS } from '../../../src/venues/freqtrade/archive.ts';
import { assertGolden } from '../../helpers/golden.ts';
import { parseError } from '../../helpers/parse-results.ts';
import { context, runFormat } from '../../helpers/run-format.ts';

const FIX = fileURLToPath(new URL('../../fixtures/', import.meta.url));
const NAME = 'freqtrade-binance-XRPUSDT-8h-funding_rate.json';
/** The real freqtrade file (SOURCES.md §7), kept with the Binance fixtures it also feeds. */
const TEXT = readFileSync(`${FIX}binance/${NAME}`, 'utf8');
const ROWS = JSON.parse(TEXT) as number[][];

const run = (text: string, name = NAME, symbol?: string) => runFormat(freqtradeFundingRateFormat, context(name, { symbol }), text);
const tickers = (text: string, name = NAME) => run(text, name).events as TickerEvent[];

describe('freqtrade-funding-rate: the real Binance XRPUSDT file', () => {
  it('gives one funding-rate ticker per row (91), ts = the funding time', () => {
    const events = tickers(TEXT);
    assert.equal(events.length, 91);
    assert.deepEqual(
      [events[0].venue, events[0].symbol, events[0].ts, events[0].fundingRate, events[0].localTs],
      ['binance', 'XRPUSDT', 1637193600017, 0.0001, NaN],
    );
    assert.ok(Number.isNaN(events[0].nextFundingTs) && Number.isNaN(events[0].markPrice));
    // The 2021-12-04 08:00 outlier (SOURCES.md §7).
    const outlier = events.find((e) => e.fundingRate < -0.002)!;
    assert.deepEqual([outlier.ts, outlier.fundingRate], [1638604800004, -0.00219334]);
    assertGolden(`${FIX}freqtrade/golden/${NAME}`, events);
  });

  it('agrees with the Binance fundingRate archive rows built from its November rows', () => {
    const archive = binanceFormats.find((f) => f.id === 'binance-um-fundingRate')!;
    const csv = runFormat(archive, context('XRPUSDT-fundingRate-2021-11.csv', { symbol: 'XRPUSDT' }), readFileSync(`${FIX}binance/archive/XRPUSDT-fundingRate-2021-11.csv`, 'utf8')).events;
    assert.equal(csv.length, 39);
    assert.deepEqual(tickers(TEXT).slice(0, 39), csv);
  });

  it('reads the same file pretty-printed over many lines, and with CRLF line ends', () => {
    const pretty = JSON.stringify(ROWS, null, 2);
    assert.ok(pretty.split('\n').length > 500);
    assert.deepEqual(tickers(pretty), tickers(TEXT));
    assert.deepEqual(tickers(pretty.replaceAll('\n', '\r\n')), tickers(TEXT));
  });

  it('reads the current two-column layout [date, funding_rate] the same way', () => {
    const two = JSON.stringify(ROWS.map(([t, r]) => [t, r]));
    assert.deepEqual(tickers(two), tickers(TEXT));
  });
});

describe('freqtrade-funding-rate: venue and symbol from the file name', () => {
  it('takes the exchange word and the pair in any freqtrade spelling', () => {
    assert.deepEqual(freqtradeIdentity(NAME, undefined), { venue: 'binance', symbol: 'XRPUSDT' });
    assert.deepEqual(freqtradeIdentity('bybit-XRP_USDT_USDT-8h-funding_rate.json', undefined), { venue: 'bybit', symbol: 'XRPUSDT' });
    assert.deepEqual(freqtradeIdentity('okx_XRP_USDT-8h-funding_rate.json', undefined), { venue: 'okx', symbol: 'XRP-USDT-SWAP' });
    assert.deepEqual(freqtradeIdentity('data/binance/BINANCE-1000PEPE_USDT_USDT-1h-funding_rate.json', undefined), { venue: 'binance', symbol: '1000PEPEUSDT' });
  });

  it('--symbol replaces the pair of the name; the venue still comes from the name', () => {
    assert.deepEqual(freqtradeIdentity('okx-funding.json', 'BTC-USD-SWAP'), { venue: 'okx', symbol: 'BTC-USD-SWAP' });
    assert.equal((run(TEXT, 'binance-XRP_USDT_USDT-8h-funding_rate.json', 'XRPUSDC').events[0] as TickerEvent).symbol, 'XRPUSDC');
  });

  it('refuses a name without exactly one exchange (E_FIELD exchange), as freqtrade writes it', () => {
    const e = parseError(() => run(TEXT, 'XRP_USDT_USDT-8h-funding_rate.json'), 'E_FIELD', 'exchange');
    assert.match(e.message, /rename the file/);
    parseError(() => run(TEXT, 'binance-vs-bybit-XRPUSDT-8h-funding_rate.json'), 'E_FIELD', 'exchange');
    // --symbol does not say which venue.
    parseError(() => run(TEXT, 'XRP_USDT_USDT-8h-funding_rate.json', 'XRPUSDT'), 'E_FIELD', 'exchange');
  });

  it('refuses a name without a USDT pair unless --symbol is given (E_FIELD symbol)', () => {
    const e = parseError(() => run(TEXT, 'binance-BTC_USDC_USDC-8h-funding_rate.json'), 'E_FIELD', 'symbol');
    assert.match(e.message, /--symbol/);
    parseError(() => run(TEXT, 'binance-XRPUSDT-vs-ETHUSDT-8h-funding_rate.json'), 'E_FIELD', 'symbol');
    assert.equal(run(TEXT, 'binance-BTC_USDC_USDC-8h-funding_rate.json', 'BTCUSDC').events.length, 91);
  });
});

describe('freqtrade-funding-rate: bad rows name [i][j]', () => {
  /** The real file with row 3 replaced by `row` (JSON text). */
  const withRow = (row: string) => `[${[...ROWS.slice(0, 3).map((r) => JSON.stringify(r)), row, ...ROWS.slice(4).map((r) => JSON.stringify(r))].join(',')}]`;
  const cases: [string, string, string, string][] = [
    ['time as text', '["1637280000000",0.0001,0,0,0,0]', 'E_NUMBER', '[3][0]'],
    ['time in seconds', '[1637280000,0.0001,0,0,0,0]', 'E_TIME_UNIT', '[3][0]'],
    ['time in microseconds', '[1637280000000000,0.0001,0,0,0,0]', 'E_TIME_UNIT', '[3][0]'],
    ['rate null (pandas NaN)', '[1637280000000,null,0,0,0,0]', 'E_NUMBER', '[3][1]'],
    ['rate as text', '[1637280000000,"0.0001"]', 'E_NUMBER', '[3][1]'],
    ['rate overflowing to Infinity', '[1637280000000,1e400]', 'E_NUMBER', '[3][1]'],
    ['a legacy column not a number', '[1637280000000,0.0001,0,0,"x",0]', 'E_NUMBER', '[3][4]'],
    ['three columns', '[1637280000000,0.0001,0]', 'E_COLUMNS', '[3]'],
    ['a row not an array', '{"date":1637280000000}', 'E_MESSAGE', '[3]'],
  ];
  for (const [what, row, code, field] of cases) {
    it(`${what} -> ${code} at ${field}`, () => {
      parseError(() => run(withRow(row)), code, field);
    });
  }

  it('the file must be one JSON array', () => {
    parseError(() => run('{"date":1}'), 'E_MESSAGE');
    parseError(() => run(TEXT.slice(0, -1)), 'E_JSON');
    assert.equal(run('[]').events.length, 0);
  });

  it(`refuses a file over ${MAX_FREQTRADE_CHARS / 1024 / 1024} MB with a ParseError, at the line and at the end`, () => {
    const parser = freqtradeFundingRateFormat.createParser(context(NAME));
    const sink = { ticker: () => assert.fail('nothing may be written') } as never;
    const mb = 'x'.repeat(1024 * 1024 - 1);
    let lineNo = 0;
    const err = parseError(() => {
      for (;;) parser.line(mb, ++lineNo, sink);
    }, 'E_MESSAGE');
    assert.match(err.message, /larger than 64 MB/);
    assert.equal(lineNo, 65);
    parseError(() => parser.end!(sink), 'E_MESSAGE');
  });
});

describe('freqtrade-funding-rate: detection', () => {
  const best = (name: string, firstLine: string) => {
    const scores = allFormats().map((f) => [f.id, f.detect(name, firstLine)] as const).filter(([, s]) => s > 0);
    const top = Math.max(0, ...scores.map(([, s]) => s));
    return scores.filter(([, s]) => s === top).map(([id]) => `${id}:${top}`);
  };

  it('is the only format for freqtrade files, compact or pretty-printed', () => {
    const first = TEXT.split('\n')[0];
    assert.deepEqual(best(NAME, first), ['freqtrade-funding-rate:2']);
    assert.deepEqual(best('XRP_USDT_USDT-8h-funding_rate.json', first), ['freqtrade-funding-rate:2']);
    assert.deepEqual(best('XRP_USDT-8h-funding_rate.json', '['), ['freqtrade-funding-rate:2']);
    // The row shape under another name: ours (the parser then asks for the exchange).
    assert.deepEqual(best('funding.json', first), ['freqtrade-funding-rate:1']);
    assert.deepEqual(best('funding.json', '['), []);
  });
});
