import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BookEvent, LiquidationEvent, TickerEvent, TradeEvent } from '../../../src/core/events.ts';
import { InstrumentRegistry, type Instrument } from '../../../src/core/instruments.ts';
import { BINANCE_HEADERS, binanceFormats, parseBinanceFileName, utcDateTimeMs } from '../../../src/venues/binance/archive.ts';
import { chooseFormat } from '../../../src/store/detect.ts';
import { allFormats } from '../../../src/venues/formats.ts';
import { assertGolden } from '../../helpers/golden.ts';
import { parseError } from '../../helpers/parse-results.ts';
import { fixture, format, GOLDEN, lines, run } from './util.ts';

/** Which archive fixture goes through which format, with the name the importer would see. */
const ARCHIVE_FIXTURES: [file: string, formatId: string, fileName?: string][] = [
  ['archive/BTCUSDT-aggTrades-2024-08-08.csv', 'binance-um-aggTrades'],
  ['archive/headerless/BTCUSDT-aggTrades-2024-08-08.csv', 'binance-um-aggTrades'],
  ['archive/BTCUSDT-trades-2024-08-08.csv', 'binance-um-trades'],
  ['archive/headerless/BTCUSDT-trades-2024-08-08.csv', 'binance-um-trades'],
  ['archive/SUSHIUSDT-bookTicker-2021-07-22.csv', 'binance-um-bookTicker'],
  ['archive/SUSHIUSDT-1m-2021-07-22.csv', 'binance-um-klines'],
  ['archive/CTKUSDT-1m-2021-07-22.csv', 'binance-um-klines'],
  ['archive/headerless/AKROUSDT-1m-2021-07-22.csv', 'binance-um-klines'],
  ['archive/headerless/KEEPUSDT-1m-2021-07-22.csv', 'binance-um-klines'],
  ['archive/XRPUSDT-fundingRate-2021-11.csv', 'binance-um-fundingRate'],
  ['archive/BTCUSDT-liquidationSnapshot-2020-03-13.csv', 'binance-futures-liquidationSnapshot'],
  ['archive/quoted/1000BONKUSDT-bookDepth-2025-07-31.csv', 'binance-um-bookDepth'],
  ['archive/quoted/1000BONKUSDT-bookTicker-2024-03-30.csv', 'binance-um-bookTicker'],
  ['archive/quoted/ACEUSDT-metrics-2025-01-21.csv', 'binance-um-metrics'],
  ['archive/quoted/BTCUSDT-trades-2024-05-31.csv', 'binance-um-trades'],
  ['archive/quoted/BTCUSDT-fundingRate-2026-06.csv', 'binance-um-fundingRate'],
  ['binance-spot-aggTrades-BTCUSDT-2026-01-01-head40.csv', 'binance-spot-aggTrades', 'BTCUSDT-aggTrades-2026-01-01.csv'],
  ['binance-um-depth-snap-BTCUSDT-head30.csv', 'binance-um-tDepth'],
  ['binance-um-depth-update-BTCUSDT-head30.csv', 'binance-um-tDepth'],
];

const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

/** Everything a format emitted, one element per golden line. */
function collected(formatId: string, fileName: string, text: string): unknown[] {
  const s = run(formatId, fileName, text);
  return [...s.events, ...s.klines.map((kline) => ({ kline })), ...s.depthBands.map((depthBand) => ({ depthBand }))];
}

describe('binance archives: golden outputs', () => {
  for (const [file, formatId, name] of ARCHIVE_FIXTURES) {
    it(`maps ${file} (${formatId})`, () => {
      const out = collected(formatId, name ?? baseName(file), fixture(file));
      assertGolden(`${GOLDEN}${file.replaceAll('/', '__')}.json`, out);
    });
  }
});

describe('binance archives: detection picks exactly the right format', () => {
  for (const [file, formatId, name] of ARCHIVE_FIXTURES) {
    it(`detects ${file} as ${formatId}`, () => {
      const firstLine = lines(fixture(file))[0];
      const scores = binanceFormats.map((f) => [f.id, f.detect(name ?? baseName(file), firstLine)] as const);
      const best = Math.max(...scores.map(([, s]) => s));
      assert.ok(best > 0);
      assert.deepEqual(scores.filter(([, s]) => s === best).map(([id]) => id), [formatId]);
    });
  }

  it('scores 2 for our header, 1 for a headerless row, 0 for another format\'s header', () => {
    const agg = format('binance-um-aggTrades');
    assert.equal(agg.detect('x.csv', BINANCE_HEADERS.aggTrades), 2);
    assert.equal(agg.detect('x.csv', '5266583935,61800.3,0.006,5266583935,5266583935,1723161256322,false'), 1);
    assert.equal(agg.detect('BTCUSDT-aggTrades-2024-01-01.csv', BINANCE_HEADERS.trades), 0);
    assert.equal(agg.detect('x.csv', BINANCE_HEADERS.metrics), 0);
    assert.equal(agg.detect('x.csv', 'hello,world'), 0);
    // The name says aggTrades but the row is broken: still ours (1) unless spot shares the name.
    assert.equal(format('binance-um-bookDepth').detect('BTCUSDT-bookDepth-2024-01-01.csv', '12,34'), 1);
    assert.equal(agg.detect('BTCUSDT-aggTrades-2024-01-01.csv', '12,34'), 0);
    // A line starting with a letter is a header, and not ours, whatever the name says.
    assert.equal(format('binance-um-bookDepth').detect('BTCUSDT-bookDepth-2024-01-01.csv', 'garbage'), 0);
    // The name says trades: not aggTrades, whatever the row.
    assert.equal(agg.detect('BTCUSDT-trades-2024-01-01.csv', '5266583935,61800.3,0.006,5266583935,5266583935,1723161256322,false'), 0);
  });

  it('tells spot and USD-M aggTrades apart by the row (8 columns, True/False)', () => {
    const spotRow = lines(fixture('binance-spot-aggTrades-BTCUSDT-2026-01-01-head40.csv'))[0];
    assert.equal(format('binance-spot-aggTrades').detect('BTCUSDT-aggTrades-2026-01-01.csv', spotRow), 1);
    assert.equal(format('binance-um-aggTrades').detect('BTCUSDT-aggTrades-2026-01-01.csv', spotRow), 0);
    assert.equal(format('binance-spot-aggTrades').detect('BTCUSDT-aggTrades-2024-01-01.csv', BINANCE_HEADERS.aggTrades), 0);
  });

  it('gives mark/index/premium klines only when the name or path says so', () => {
    const row = lines(fixture('archive/headerless/AKROUSDT-1m-2021-07-22.csv'))[0];
    const score = (id: string, name: string, line = row) => format(id).detect(name, line);
    assert.equal(score('binance-um-markPriceKlines', 'BTCUSDT-1m-2024-01-01.csv'), 0);
    assert.equal(score('binance-um-markPriceKlines', 'futures/um/daily/markPriceKlines/BTCUSDT/1m/BTCUSDT-1m-2024-01-01.csv'), 1);
    assert.equal(score('binance-um-klines', 'futures/um/daily/markPriceKlines/BTCUSDT/1m/BTCUSDT-1m-2024-01-01.csv'), 0);
    assert.equal(score('binance-um-premiumIndexKlines', 'premiumIndexKlines/BTCUSDT-1m-2024-01-01.csv', BINANCE_HEADERS.klines), 2);
    assert.equal(score('binance-um-klines', 'premiumIndexKlines/BTCUSDT-1m-2024-01-01.csv', BINANCE_HEADERS.klines), 0);
    assert.equal(score('binance-um-klines', 'BTCUSDT-1m-2024-01-01.csv', BINANCE_HEADERS.klines), 2);
  });

  it('--format forces mark/index/premium klines on a file named like klines (the zips carry the klines header)', () => {
    const opts = { formats: allFormats() };
    const mark = chooseFormat({ ...opts, format: 'binance-um-markPriceKlines' }, 'x.zip', 'BTCUSDT-1m-2024-01-01.csv', BINANCE_HEADERS.klines);
    assert.equal(mark.id, 'binance-um-markPriceKlines');
    // Still refused when line 1 is another family's header.
    assert.throws(() => chooseFormat({ ...opts, format: 'binance-um-markPriceKlines' }, 'x.zip', 'BTCUSDT-aggTrades-2024-01-01.csv', BINANCE_HEADERS.aggTrades), /line 1 is the header of format binance-um-aggTrades/);
  });

  it('detects the capture format from the first frame only', () => {
    const cap = format('binance-ws-capture');
    assert.equal(cap.detect('x.txt', lines(fixture('hftbacktest-binance-um-BTCUSDT-trade-20240808-head60.txt'))[0]), 2);
    assert.equal(cap.detect('x.jsonl', lines(fixture('binance-um-ws-kline_1m-2021-07-22.jsonl'))[0]), 2);
    assert.equal(cap.detect('x.csv', BINANCE_HEADERS.aggTrades), 0);
    assert.equal(cap.detect('x.jsonl', '{"topic":"publicTrade.BTCUSDT","type":"snapshot","ts":1,"data":[]}'), 0);
  });

  it('reads the symbol from data.binance.vision file names', () => {
    const f = format('binance-um-aggTrades');
    assert.equal(f.symbolFromName!('BTCUSDT-aggTrades-2024-01-01.csv'), 'BTCUSDT');
    assert.equal(f.symbolFromName!('BTCUSDT-aggTrades-2024-01.zip'), 'BTCUSDT');
    assert.equal(f.symbolFromName!('1000PEPEUSDT-1m-2024-01-01.csv'), '1000PEPEUSDT');
    assert.equal(f.symbolFromName!('BTCUSD_PERP-liquidationSnapshot-2024-10-14.csv'), 'BTCUSD_PERP');
    assert.equal(f.symbolFromName!('trades.csv'), undefined);
    assert.deepEqual(parseBinanceFileName('BTCUSDT-1mo-2024-01.csv'), { symbol: 'BTCUSDT', kind: 'klines', interval: '1mo' });
  });

  it('otherwise takes the one symbol-shaped token of the name (split on - _ .)', () => {
    const f = format('binance-spot-aggTrades');
    assert.equal(f.symbolFromName!('binance-spot-aggTrades-BTCUSDT-2026-01-01-head5000.csv'), 'BTCUSDT');
    assert.equal(f.symbolFromName!('hftbacktest-binance-um-BTCUSDT-trade-20240808.txt'), 'BTCUSDT');
    assert.equal(f.symbolFromName!('my_1000PEPEUSDC.trades.csv'), '1000PEPEUSDC');
    assert.equal(f.symbolFromName!('ETHFDUSD_spot_2025.csv'), 'ETHFDUSD');
    assert.equal(f.symbolFromName!('cm-BTCUSD_PERP-liquidations.csv'), 'BTCUSD_PERP');
    assert.equal(f.symbolFromName!('BTCUSDT_BTCUSDT-copy.csv'), 'BTCUSDT'); // the same one twice is one
    // None, or two different ones: no symbol, so the parser keeps asking for --symbol.
    assert.equal(f.symbolFromName!('BTCUSDT-vs-ETHUSDT-aggTrades.csv'), undefined);
    assert.equal(f.symbolFromName!('spot-aggTrades-2026-01-01.csv'), undefined);
    // Lower case, or a bare quote asset, is not a symbol.
    assert.equal(f.symbolFromName!('btcusdt-aggtrades.csv'), undefined);
    assert.equal(f.symbolFromName!('USDT-BUSD-aggTrades.csv'), undefined);
  });

  it('imports the spot archive under its given name with the symbol from the name', () => {
    const name = 'binance-spot-aggTrades-BTCUSDT-2026-01-01-head5000.csv';
    const events = run('binance-spot-aggTrades', name, fixture('binance-spot-aggTrades-BTCUSDT-2026-01-01-head40.csv')).events as TradeEvent[];
    assert.equal(events.length, 40);
    assert.ok(events.every((e) => e.symbol === 'BTCUSDT' && e.venue === 'binance-spot'));
    const two = parseError(() => run('binance-spot-aggTrades', 'BTCUSDT-vs-ETHUSDT-spot.csv', fixture('binance-spot-aggTrades-BTCUSDT-2026-01-01-head40.csv')));
    assert.deepEqual([two.code, two.field], ['E_FIELD', 'symbol']);
    assert.match(two.message, /name the file <SYMBOL>-<kind>-<date>\.csv or pass --symbol/);
  });
});

describe('binance trade archives', () => {
  it('gives identical events for aggTrades with and without the header row', () => {
    const withHeader = run('binance-um-aggTrades', 'BTCUSDT-aggTrades-2024-08-08.csv', fixture('archive/BTCUSDT-aggTrades-2024-08-08.csv')).events;
    const without = run('binance-um-aggTrades', 'BTCUSDT-aggTrades-2024-08-08.csv', fixture('archive/headerless/BTCUSDT-aggTrades-2024-08-08.csv')).events;
    assert.equal(withHeader.length, 41);
    assert.deepEqual(without, withHeader);
  });

  it('gives identical events for trades with and without the header row, equal to the captured frames', () => {
    const withHeader = run('binance-um-trades', 'BTCUSDT-trades-2024-08-08.csv', fixture('archive/BTCUSDT-trades-2024-08-08.csv')).events as TradeEvent[];
    const without = run('binance-um-trades', 'BTCUSDT-trades-2024-08-08.csv', fixture('archive/headerless/BTCUSDT-trades-2024-08-08.csv')).events;
    assert.deepEqual(without, withHeader);
    const ws = run('binance-ws-capture', 'x.txt', fixture('hftbacktest-binance-um-BTCUSDT-trade-20240808-head60.txt')).events as TradeEvent[];
    assert.deepEqual(withHeader.map(({ localTs: _, ...e }) => e), ws.map(({ localTs: _, ...e }) => e));
  });

  it('maps is_buyer_maker true to an aggressive SELL (aggTrades and trades)', () => {
    const agg = run('binance-um-aggTrades', 'BTCUSDT-aggTrades-2024-08-08.csv', fixture('archive/BTCUSDT-aggTrades-2024-08-08.csv')).events as TradeEvent[];
    const rows = lines(fixture('archive/BTCUSDT-aggTrades-2024-08-08.csv')).slice(1);
    for (let i = 0; i < rows.length; i++) assert.equal(agg[i].side, rows[i].endsWith(',true') ? 'sell' : 'buy');
    const quoted = run('binance-um-trades', 'BTCUSDT-trades-2024-05-31.csv', fixture('archive/quoted/BTCUSDT-trades-2024-05-31.csv')).events as TradeEvent[];
    assert.deepEqual(quoted.map((t) => t.side), ['buy', 'sell']);
  });

  it('turns µs spot timestamps into ms with the fraction, True into a sell, venue binance-spot', () => {
    const [first, second] = run('binance-spot-aggTrades', 'BTCUSDT-aggTrades-2026-01-01.csv', fixture('binance-spot-aggTrades-BTCUSDT-2026-01-01-head40.csv')).events as TradeEvent[];
    assert.deepEqual(first, {
      type: 'trade', venue: 'binance-spot', symbol: 'BTCUSDT', ts: 1767225600039.409, localTs: NaN,
      price: 87648.21, qty: 0.08185, side: 'sell', id: '3800397495',
    });
    assert.equal(second.side, 'buy');
    // The same row in ms (pre-2025 spot archives) gives the ms value: the unit is read, not assumed.
    const ms = run('binance-spot-aggTrades', 'BTCUSDT-aggTrades-2024-01-01.csv', '1,87648.21,0.08185,1,1,1767225600039,True,True\n').events as TradeEvent[];
    assert.equal(ms[0].ts, 1767225600039);
  });

  it('reads spot trades (7 columns, no header)', () => {
    const [t] = run('binance-spot-trades', 'BTCUSDT-trades-2020-03-09.csv', '51175358,17.80180000,5.69000000,101.29224200,1583709433583,True,True\n').events as TradeEvent[];
    assert.deepEqual([t.venue, t.ts, t.price, t.qty, t.side, t.id], ['binance-spot', 1583709433583, 17.8018, 5.69, 'sell', '51175358']);
  });

  it('needs a symbol from the file name or --symbol', () => {
    const err = parseError(() => run('binance-um-aggTrades', 'agg.csv', fixture('archive/BTCUSDT-aggTrades-2024-08-08.csv')));
    assert.equal(err.code, 'E_FIELD');
    assert.equal(err.field, 'symbol');
    assert.match(err.message, /name the file <SYMBOL>-<kind>-<date>\.csv or pass --symbol/);
    assert.equal(run('binance-um-aggTrades', 'agg.csv', fixture('archive/BTCUSDT-aggTrades-2024-08-08.csv'), { symbol: 'BTCUSDT' }).events.length, 41);
  });
});

describe('binance derivative archives', () => {
  it('maps bookTicker rows to best bid/ask tickers at transaction_time', () => {
    const [t] = run('binance-um-bookTicker', '1000BONKUSDT-bookTicker-2024-03-30.csv', fixture('archive/quoted/1000BONKUSDT-bookTicker-2024-03-30.csv')).events as TickerEvent[];
    assert.deepEqual([t.symbol, t.ts, t.bestBid, t.bestBidQty, t.bestAsk, t.bestAskQty], ['1000BONKUSDT', 1711756800080, 0.026348, 315928, 0.026349, 2385]);
  });

  it('maps metrics to open interest and the four ratios, at create_time (UTC)', () => {
    const [t] = run('binance-um-metrics', 'ACEUSDT-metrics-2025-01-21.csv', fixture('archive/quoted/ACEUSDT-metrics-2025-01-21.csv')).events as TickerEvent[];
    assert.equal(t.ts, Date.UTC(2025, 0, 21, 0, 5, 0));
    assert.equal(t.symbol, 'ACEUSDT');
    assert.deepEqual(
      [t.openInterest, t.openInterestValue, t.topTraderAccountRatio, t.topTraderPositionRatio, t.longShortRatio, t.takerBuySellRatio],
      [2310973.79, 3669133.086383, 4.24734982, 2.26803, 2.72141015, 0.69236],
    );
  });

  it('maps fundingRate rows to a funding-rate ticker at calc_time', () => {
    const events = run('binance-um-fundingRate', 'XRPUSDT-fundingRate-2021-11.csv', fixture('archive/XRPUSDT-fundingRate-2021-11.csv')).events as TickerEvent[];
    assert.equal(events.length, 39);
    assert.deepEqual([events[0].symbol, events[0].ts, events[0].fundingRate], ['XRPUSDT', 1637193600017, 0.0001]);
    assert.ok(Number.isNaN(events[0].nextFundingTs));
  });

  it('maps bookDepth rows to signed depth bands', () => {
    const { depthBands } = run('binance-um-bookDepth', '1000BONKUSDT-bookDepth-2025-07-31.csv', fixture('archive/quoted/1000BONKUSDT-bookDepth-2025-07-31.csv'));
    assert.deepEqual(depthBands[0], {
      venue: 'binance', symbol: '1000BONKUSDT', ts: Date.UTC(2025, 6, 31, 0, 0, 7), percentage: -5, depth: 139762634, notional: 3886539.669543,
    });
  });

  it('parses bookDepth times strictly', () => {
    assert.equal(utcDateTimeMs('2024-02-29 23:59:59', 't'), Date.UTC(2024, 1, 29, 23, 59, 59));
    for (const bad of ['2023-02-29 00:00:00', '2023-13-01 00:00:00', '2023-01-01T00:00:00', '2023-01-01 24:00:00', '1700000000000', '']) {
      assert.equal(parseError(() => utcDateTimeMs(bad, 'timestamp')).code, 'E_NUMBER', bad);
    }
    assert.equal(parseError(() => utcDateTimeMs('1999-01-01 00:00:00', 'timestamp')).code, 'E_TIME_UNIT');
  });

  it('maps klines with the interval from the name, or from the row when the name has none', () => {
    const { klines } = run('binance-um-klines', 'SUSHIUSDT-1m-2021-07-22.csv', fixture('archive/SUSHIUSDT-1m-2021-07-22.csv'));
    assert.deepEqual(klines[0], {
      venue: 'binance', symbol: 'SUSHIUSDT', kind: 'trade', interval: '1m', openTime: 1626992700000, closeTime: 1626992759999,
      open: 7.608, high: 7.618, low: 7.607, close: 7.617, volume: 3005, quoteVolume: 22875.859, trades: 113, takerBuyVolume: 1900, takerBuyQuoteVolume: 14464.696,
      closed: true,
    });
    const derived = run('binance-um-klines', 'sushi.csv', fixture('archive/SUSHIUSDT-1m-2021-07-22.csv'), { symbol: 'SUSHIUSDT' }).klines;
    assert.equal(derived[0].interval, '1m');
    const odd = parseError(() => run('binance-um-klines', 'x.csv', '1626992700000,1,1,1,1,0,1626992712345,0,0,0,0,0\n', { symbol: 'X' }));
    assert.equal(odd.code, 'E_FIELD');
  });

  it('maps mark and premium-index klines without volumes; premium may be negative', () => {
    const row = '1591256400000,9653.69440000,9653.69640000,9651.38600000,9651.55200000,0,1591256459999,0,60,0,0,0\n';
    const [mark] = run('binance-um-markPriceKlines', 'BTCUSDT-1m-2020-06-04.csv', row).klines;
    assert.equal(mark.kind, 'mark');
    assert.ok(Number.isNaN(mark.volume) && Number.isNaN(mark.trades) && Number.isNaN(mark.quoteVolume));
    const [premium] = run('binance-um-premiumIndexKlines', 'BTCUSDT-1m-2020-06-04.csv', '1591256400000,-0.00010000,0.00002000,-0.00030000,0,0,1591256459999,0,60,0,0,0\n').klines;
    assert.deepEqual([premium.kind, premium.open, premium.close], ['premium', -0.0001, 0]);
    assert.equal(parseError(() => run('binance-um-markPriceKlines', 'BTCUSDT-1m-2020-06-04.csv', row.replace('9653.69440000', '-1'))).code, 'E_NUMBER');
  });
});

describe('binance liquidationSnapshot', () => {
  it('keeps one of each duplicated row; price = average_price, qty = accumulated fill, BUY = short liquidated', () => {
    const events = run('binance-futures-liquidationSnapshot', 'BTCUSDT-liquidationSnapshot-2020-03-13.csv', fixture('archive/BTCUSDT-liquidationSnapshot-2020-03-13.csv')).events as LiquidationEvent[];
    assert.deepEqual(events, [{ type: 'liquidation', venue: 'binance', symbol: 'BTCUSDT', ts: 1584059031421, localTs: NaN, price: 4706.04, qty: 0.014, side: 'buy', id: '' }]);
  });

  it('falls back to price and original_quantity when nothing filled; SELL = long liquidated', () => {
    const row = '1584059031421,SELL,LIMIT,IOC,0.014,4793.91,0,EXPIRED,0,0\n';
    const [e] = run('binance-futures-liquidationSnapshot', 'BTCUSDT-liquidationSnapshot-2020-03-13.csv', row).events as LiquidationEvent[];
    assert.deepEqual([e.side, e.price, e.qty], ['sell', 4793.91, 0.014]);
  });

  it('converts COIN-M contracts to base units, and refuses them without the instrument', () => {
    const text = fixture('archive/quoted/BTCUSD_PERP-liquidationSnapshot-2024-10-14.csv');
    const name = 'BTCUSD_PERP-liquidationSnapshot-2024-10-14.csv';
    const err = parseError(() => run('binance-futures-liquidationSnapshot', name, text));
    assert.equal(err.code, 'E_INSTRUMENT');
    const perp: Instrument = {
      venue: 'binance', symbol: 'BTCUSD_PERP', base: 'BTC', quote: 'USD', kind: 'perpetual', contractType: 'inverse', tickSize: 0.1, lotSize: 1,
      contractValue: 100, minNotional: 0, maxLeverage: 125, tiers: [], makerFee: 0.0002, takerFee: 0.0005,
    };
    const [e] = run('binance-futures-liquidationSnapshot', name, text, { instruments: new InstrumentRegistry([perp]) }).events as LiquidationEvent[];
    assert.deepEqual([e.side, e.price, e.qty], ['sell', 62472, 100 / 62472]);
  });
});

describe('binance T_DEPTH order-book CSV', () => {
  it('groups a snapshot into one message and numbers messages per file', () => {
    const snap = run('binance-um-tDepth', 'snap.csv', fixture('binance-um-depth-snap-BTCUSDT-head30.csv')).events as BookEvent[];
    assert.equal(snap.length, 1);
    assert.deepEqual([snap[0].isSnapshot, snap[0].bids.length, snap[0].asks.length, snap[0].seq, snap[0].ts], [true, 29, 0, 2098021528332, 1667346579146]);
    const updateRows = lines(fixture('binance-um-depth-update-BTCUSDT-head30.csv')).slice(1);
    const both = [...lines(fixture('binance-um-depth-snap-BTCUSDT-head30.csv')), ...updateRows].join('\n');
    const events = run('binance-um-tDepth', 'both.csv', both).events as BookEvent[];
    assert.deepEqual(events.map((e) => [e.isSnapshot, e.bids.length + e.asks.length, e.seq]), [[true, 29, 2098021528332], [false, 29, 2098041696700]]);
    assert.deepEqual(events[1].asks[0], [20472.8, 0]);
  });

  it('starts a new message when the update id changes', () => {
    const text = [
      BINANCE_HEADERS.tDepth,
      'BTCUSDT,1593647999921,39538108420,39538108420,a,set,9235.09,0,39538108419',
      'BTCUSDT,1593647999933,39538108444,39538108444,a,set,9236.04,0.852,39538108420',
      'BTCUSDT,1593647999983,39538108497,39538108497,a,set,9236.04,0.912,39538108444',
      'BTCUSDT,1593647999983,39538108498,39538108498,a,set,9235.11,0,39538108497',
    ].join('\n');
    assert.equal(run('binance-um-tDepth', 'x.csv', text).events.length, 4);
  });

  it('refuses update_type delta and unknown sides', () => {
    const delta = parseError(() => run('binance-um-tDepth', 'x.csv', 'BTCUSDT,1593647999921,1,1,a,delta,9235.09,0,-1\n'));
    assert.deepEqual([delta.code, delta.field], ['E_SIDE', 'update_type']);
    const side = parseError(() => run('binance-um-tDepth', 'x.csv', 'BTCUSDT,1593647999921,1,1,x,set,9235.09,0,-1\n'));
    assert.deepEqual([side.code, side.field], ['E_SIDE', 'side']);
  });
});

describe('binance archives: bad input', () => {
  /** A valid row per format, the symbol to use, and mutations with the expected code and field. */
  const cases: [formatId: string, fileName: string, row: string, bad: [row: string, code: string, field: string | undefined][]][] = [
    ['binance-um-aggTrades', 'BTCUSDT-aggTrades-2024-08-08.csv', '5266583935,61800.3,0.006,5266583935,5266583935,1723161256322,false', [
      ['5266583935,61800.3x,0.006,5266583935,5266583935,1723161256322,false', 'E_NUMBER', 'price'],
      ['5266583935,61800.3,0.006,5266583935,5266583935,1723161256322', 'E_COLUMNS', undefined],
      ['5266583935,61800.3,0.006,5266583935,5266583935,1723161256322,maybe', 'E_SIDE', 'is_buyer_maker'],
      // 14 digits read as µs is 1973: implausible in every unit (10 digits would be seconds, accepted).
      ['5266583935,61800.3,0.006,5266583935,5266583935,99999999999999,false', 'E_TIME_UNIT', 'transact_time'],
      ['5266583935,61800.3,,5266583935,5266583935,1723161256322,false', 'E_NUMBER', 'quantity'],
      [',61800.3,0.006,5266583935,5266583935,1723161256322,false', 'E_NUMBER', 'agg_trade_id'],
      ['5266583935,-61800.3,0.006,5266583935,5266583935,1723161256322,false', 'E_NUMBER', 'price'],
    ]],
    ['binance-um-trades', 'BTCUSDT-trades-2024-08-08.csv', '5266583935,61800.3,0.006,370.8018,1723161256322,false', [
      ['5266583935,61800.3,0.0.06,370.8018,1723161256322,false', 'E_NUMBER', 'qty'],
      ['5266583935,61800.3,0.006,370.8018,1723161256322,false,true', 'E_COLUMNS', undefined],
      ['5266583935,61800.3,0.006,370.8018,1723161256322,1', 'E_SIDE', 'is_buyer_maker'],
      ['5266583935,61800.3,0.006,370.8018,17231612563220000000,false', 'E_TIME_UNIT', 'time'],
      ['5266583935,61800.3,0.006,,1723161256322,false', 'E_NUMBER', 'quote_qty'],
    ]],
    ['binance-spot-aggTrades', 'BTCUSDT-aggTrades-2026-01-01.csv', '3800397495,87648.21000000,0.08185000,5723703861,5723703861,1767225600039409,True,True', [
      ['3800397495,87648.21000000,0.08185000,5723703861,5723703861,1767225600039409,True,Maybe', 'E_SIDE', 'is_best_match'],
      ['3800397495,87648.21000000,0.08185000,5723703861,5723703861,1767225600039409,True', 'E_COLUMNS', undefined],
      ['3800397495,87648.21000000,0.08185000,5723703861,5723703861,176722560003940900000,True,True', 'E_TIME_UNIT', 'transact_time'],
      ['3800397495,87648.21000000,0.08185000,5723703861,57237x3861,1767225600039409,True,True', 'E_NUMBER', 'last_trade_id'],
    ]],
    ['binance-um-bookDepth', 'BTCUSDT-bookDepth-2025-07-31.csv', '2025-07-31 00:00:07,-5,139762634.00000000,3886539.66954300', [
      ['2025-07-31 00:00:07,-5,139762634.00000000', 'E_COLUMNS', undefined],
      ['2025-07-31,-5,139762634.00000000,3886539.66954300', 'E_NUMBER', 'timestamp'],
      ['2025-07-31 00:00:07,five,139762634.00000000,3886539.66954300', 'E_NUMBER', 'percentage'],
      ['2025-07-31 00:00:07,-5,-1,3886539.66954300', 'E_NUMBER', 'depth'],
      ['2025-07-31 00:00:07,-5,139762634.00000000,', 'E_NUMBER', 'notional'],
    ]],
    ['binance-um-bookTicker', 'BTCUSDT-bookTicker-2024-03-30.csv', '4307082988118,0.02634800,315928.00000000,0.02634900,2385.00000000,1711756800080,1711756800087', [
      ['4307082988118,0.02634800,315928.00000000,0,2385.00000000,1711756800080,1711756800087', 'E_NUMBER', 'best_ask_price'],
      ['4307082988118,0.02634800,315928.00000000,0.02634900,2385.00000000,1711756800080', 'E_COLUMNS', undefined],
      ['4307082988118,0.02634800,315928.00000000,0.02634900,2385.00000000,1711756800,1711756800087', 'E_TIME_UNIT', 'transaction_time'],
      ['4307082988118,0.02634800,,0.02634900,2385.00000000,1711756800080,1711756800087', 'E_NUMBER', 'best_bid_qty'],
    ]],
    ['binance-um-metrics', 'ACEUSDT-metrics-2025-01-21.csv', '2025-01-21 00:05:00,ACEUSDT,2310973.79,3669133.086383,4.24734982,2.26803000,2.72141015,0.69236000', [
      ['2025-01-21 00:05:00,,2310973.79,3669133.086383,4.24734982,2.26803000,2.72141015,0.69236000', 'E_FIELD', 'symbol'],
      ['2025-01-21 00:05:00,ACEUSDT,2310973.79,3669133.086383,,2.26803000,2.72141015,0.69236000', 'E_NUMBER', 'count_toptrader_long_short_ratio'],
      ['1737417900000,ACEUSDT,2310973.79,3669133.086383,4.24734982,2.26803000,2.72141015,0.69236000', 'E_NUMBER', 'create_time'],
      ['2025-01-21 00:05:00,ACEUSDT,2310973.79,3669133.086383,4.24734982,2.26803000,2.72141015', 'E_COLUMNS', undefined],
    ]],
    ['binance-um-fundingRate', 'XRPUSDT-fundingRate-2021-11.csv', '1637193600017,8,0.00010000', [
      ['1637193600017,8,1%', 'E_NUMBER', 'last_funding_rate'],
      ['1637193600017,0,0.00010000', 'E_NUMBER', 'funding_interval_hours'],
      ['1637193600,8,0.00010000', 'E_TIME_UNIT', 'calc_time'],
      ['1637193600017,8', 'E_COLUMNS', undefined],
    ]],
    ['binance-um-klines', 'SUSHIUSDT-1m-2021-07-22.csv', '1626992700000,7.6080,7.6180,7.6070,7.6170,3005,1626992759999,22875.8590,113,1900,14464.6960,0', [
      ['1626992700000,7.6080,7.6180,7.6070,7.6170,3005,1626992759999,22875.8590,113,1900,14464.6960', 'E_COLUMNS', undefined],
      ['1626992700000,7.6080,high,7.6070,7.6170,3005,1626992759999,22875.8590,113,1900,14464.6960,0', 'E_NUMBER', 'high'],
      ['1626992700,7.6080,7.6180,7.6070,7.6170,3005,1626992759999,22875.8590,113,1900,14464.6960,0', 'E_TIME_UNIT', 'open_time'],
      ['1626992700000,7.6080,7.6180,7.6070,7.6170,-3005,1626992759999,22875.8590,113,1900,14464.6960,0', 'E_NUMBER', 'volume'],
      ['1626992700000,7.6080,7.6180,7.6070,7.6170,3005,1626992759999,22875.8590,,1900,14464.6960,0', 'E_NUMBER', 'count'],
    ]],
    ['binance-futures-liquidationSnapshot', 'BTCUSDT-liquidationSnapshot-2020-03-13.csv', '1584059031421,BUY,LIMIT,IOC,0.014,4793.91,4706.04,FILLED,0.015,0.014', [
      ['1584059031421,LONG,LIMIT,IOC,0.014,4793.91,4706.04,FILLED,0.015,0.014', 'E_SIDE', 'side'],
      ['1584059031421,BUY,LIMIT,IOC,0.014,4793.91,4706.04,FILLED,0.015', 'E_COLUMNS', undefined],
      ['1584059031421,BUY,LIMIT,IOC,0.014,4793.91,n/a,FILLED,0.015,0.014', 'E_NUMBER', 'average_price'],
      ['1584059031421000000,BUY,LIMIT,IOC,0.014,4793.91,4706.04,FILLED,0.015,0.014', 'E_TIME_UNIT', 'time'],
      ['1584059031421,BUY,,IOC,0.014,4793.91,4706.04,FILLED,0.015,0.014', 'E_FIELD', 'order_type'],
    ]],
    ['binance-um-tDepth', 'snap.csv', 'BTCUSDT,1667346579146,2098021528332,2098021528332,b,snap,20377.00,1.770,-1', [
      ['BTCUSDT,1667346579146,2098021528332,2098021528332,b,snap,20377.00,1.770', 'E_COLUMNS', undefined],
      ['BTCUSDT,1667346579146,2098021528332,2098021528332,b,snap,20377.00,-1.770,-1', 'E_NUMBER', 'qty'],
      [',1667346579146,2098021528332,2098021528332,b,snap,20377.00,1.770,-1', 'E_FIELD', 'symbol'],
      ['BTCUSDT,1667346579146,2098021528332,2098021528332,b,snap,20377.00,1.770,', 'E_NUMBER', 'pu'],
      ['BTCUSDT,1667346579,2098021528332,2098021528332,b,snap,20377.00,1.770,-1', 'E_TIME_UNIT', 'timestamp'],
    ]],
  ];

  for (const [formatId, fileName, good, bad] of cases) {
    it(`${formatId}: the good row parses and each broken one names its code and field`, () => {
      const sink = run(formatId, fileName, `${good}\n`);
      assert.equal(sink.events.length + sink.klines.length + sink.depthBands.length, 1);
      for (const [row, code, field] of bad) {
        const err = parseError(() => run(formatId, fileName, `${good}\n${row}\n`));
        assert.deepEqual([err.code, err.field, err.where], [code, field, `${fileName}:2`], row);
      }
    });
  }

  it('refuses a header of another format on line 1 with E_HEADER', () => {
    const err = parseError(() => run('binance-um-aggTrades', 'BTCUSDT-aggTrades-2024-08-08.csv', `${BINANCE_HEADERS.trades}\n`));
    assert.equal(err.code, 'E_HEADER');
    assert.equal(parseError(() => run('binance-spot-aggTrades', 'BTCUSDT-aggTrades-2026-01-01.csv', `${BINANCE_HEADERS.aggTrades}\n`)).code, 'E_HEADER');
  });
});
