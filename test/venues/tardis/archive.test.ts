import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { BookEvent, LiquidationEvent, TickerEvent, TradeEvent } from '../../../src/core/events.ts';
import type { FileFormat } from '../../../src/core/format.ts';
import { InstrumentRegistry } from '../../../src/core/instruments.ts';
import { tardisFormats } from '../../../src/venues/tardis/archive.ts';
import { loadBundledInstruments } from '../../../src/venues/bundled-instruments.ts';
import { assertGolden } from '../../helpers/golden.ts';
import { parseError } from '../../helpers/parse-results.ts';
import { context, lines, runFormat } from '../../helpers/run-format.ts';
import { exactProductQuotient } from '../../helpers/exact-decimal.ts';

const FIX = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/tardis');
const instruments = loadBundledInstruments();
const format = (id: string): FileFormat => {
  const f = tardisFormats.find((x) => x.id === id);
  assert.ok(f, id);
  return f;
};
const read = (name: string) => readFileSync(join(FIX, name), 'utf8');
const fixtures = readdirSync(FIX).filter((n) => n.endsWith('.csv')).sort();

/** Pick the format the way the importer does: the single best detect() score. */
function detect(name: string, firstLine: string): FileFormat {
  const scored = tardisFormats.map((f) => ({ f, s: f.detect(name, firstLine) })).filter((x) => x.s > 0).sort((a, b) => b.s - a.s);
  assert.ok(scored.length > 0, `no format for ${name}`);
  assert.ok(scored.length === 1 || scored[1].s < scored[0].s, `ambiguous for ${name}`);
  return scored[0].f;
}

function run(name: string, reg = instruments) {
  const text = read(name);
  const f = detect(name, lines(text)[0]);
  return { format: f, sink: runFormat(f, context(name, { instruments: reg }), text) };
}

/** One data row through a fresh parser (after its header). */
function row(id: string, header: string, data: string, reg = instruments) {
  return runFormat(format(id), context('x.csv', { instruments: reg }), `${header}\n${data}\n`);
}

const TRADE_H = 'exchange,symbol,timestamp,local_timestamp,id,side,price,amount';
const L2_H = 'exchange,symbol,timestamp,local_timestamp,is_snapshot,side,price,amount';
const TICK_H = 'exchange,symbol,timestamp,local_timestamp,funding_timestamp,funding_rate,predicted_funding_rate,open_interest,last_price,index_price,mark_price';
const SNAP5_H = lines(read('tardis-binance-futures_book_snapshot_5_BTCUSDT.csv'))[0];

describe('tardis fixtures: golden outputs', () => {
  for (const name of fixtures) {
    it(`maps ${name}`, () => {
      const { sink } = run(name);
      assert.ok(sink.events.length > 0);
      assertGolden(join(FIX, 'golden', name.replace(/\.csv$/, '.json')), sink.events);
    });
  }
});

describe('tardis detection', () => {
  it('scores 2 on the exact header and 0 on any other', () => {
    for (const name of fixtures) {
      const first = lines(read(name))[0];
      const f = detect(name, first);
      assert.equal(f.detect(name, first), 2);
      assert.equal(f.detect(name, `${first},extra`), 0);
    }
  });

  it('tells trades from liquidations by the file name, and calls a nameless file ambiguous', () => {
    const t = format('tardis-trades');
    const l = format('tardis-liquidations');
    assert.deepEqual([t.detect('binance-futures_trades_2024-08-08_BTCUSDT.csv.gz', TRADE_H), l.detect('binance-futures_trades_2024-08-08_BTCUSDT.csv.gz', TRADE_H)], [2, 0]);
    assert.deepEqual([t.detect('bybit_liquidations_2025-02-25_X.csv', TRADE_H), l.detect('bybit_liquidations_2025-02-25_X.csv', TRADE_H)], [0, 2]);
    assert.deepEqual([t.detect('export.csv', TRADE_H), l.detect('export.csv', TRADE_H)], [1, 1]);
  });

  it('accepts a CRLF header', () => {
    assert.equal(format('tardis-incremental_book_L2').detect('a.csv', `${L2_H}\r`), 2);
  });
});

describe('tardis timestamps', () => {
  it('reads microseconds and keeps the fraction in epoch ms', () => {
    const ev = run('tardis-binance-futures_book_snapshot_5_BTCUSDT.csv').sink.events[0];
    assert.equal(ev.ts, 1598918403696);
    assert.equal(ev.localTs, 1598918403810.979);
  });

  it('refuses milliseconds in a microsecond column (E_TIME_UNIT, field named)', () => {
    const e = parseError(() => row('tardis-trades', TRADE_H, 'binance-futures,BTCUSDT,1723161256322,1723161255088176,1,buy,61800.3,0.006'));
    assert.equal(e.code, 'E_TIME_UNIT');
    assert.equal(e.field, 'timestamp');
  });
});

describe('tardis trades', () => {
  it('keeps the aggressor side: Binance m=true (buyer maker) is a sell', () => {
    // `m` of the first 40 lines of test/fixtures/binance/full/hftbacktest-binance-um-BTCUSDT-trade-20240808.txt.gz
    // (S = m:true, B = m:false); ids run from 5266583935 without gaps (its README §1).
    const m = 'BBBBSBSSSSSSSSSSSSSSSSSSBBBSSSSSSSSBBSSS';
    const events = run('binance-futures_trades_2024-08-08_BTCUSDT.csv').sink.events as TradeEvent[];
    assert.equal(events.length, 40);
    events.forEach((ev, i) => {
      assert.equal(ev.id, String(5266583935 + i));
      assert.equal(ev.side, m[i] === 'S' ? 'sell' : 'buy');
      assert.equal(ev.venue, 'binance');
    });
    assert.deepEqual([events[0].price, events[0].qty, events[4].price, events[4].side], [61800.3, 0.006, 61800.2, 'sell']);
  });

  it('converts OKX inverse-future contracts (100 USD each) to base units', () => {
    const ev = run('okex-futures_trades_2022-05-13_BTC-USD-220527.csv').sink.events[0] as TradeEvent;
    assert.equal(ev.venue, 'okx');
    assert.equal(ev.symbol, 'BTC-USD-220527');
    assert.equal(ev.qty, exactProductQuotient('1', '100', '30218.8'));
  });

  it('converts Bybit inverse BTCUSD contracts (1 USD each) to base units', () => {
    const ev = run('bybit_trades_2023-04-05_BTCUSD.csv').sink.events[0] as TradeEvent;
    assert.equal(ev.qty, 5823 / 28560.5);
  });

  it('needs the instrument for OKX contracts (E_INSTRUMENT) but not for Bybit USDT perps', () => {
    const e = parseError(() => row('tardis-trades', TRADE_H, 'okex-swap,BTC-USDT-SWAP,1652459199958000,1652459199958000,1,buy,30000,3', new InstrumentRegistry()));
    assert.equal(e.code, 'E_INSTRUMENT');
    assert.equal(e.field, 'symbol');
    const ok = row('tardis-trades', TRADE_H, 'bybit,NEWUSDT,1652459199958000,1652459199958000,1,sell,2,3', new InstrumentRegistry());
    assert.equal((ok.events[0] as TradeEvent).qty, 3);
    const e2 = parseError(() => row('tardis-trades', TRADE_H, 'bybit,ETHUSD,1652459199958000,1652459199958000,1,sell,2,3', new InstrumentRegistry()));
    assert.equal(e2.code, 'E_INSTRUMENT');
  });

  it('maps exchanges to venues and OKX spot amounts stay base units', () => {
    const ev = row('tardis-trades', TRADE_H, 'okex,BTC-USDT,1652459199958000,1652459199958000,9,sell,30000,0.5', new InstrumentRegistry()).events[0] as TradeEvent;
    assert.deepEqual([ev.venue, ev.qty, ev.side], ['okx', 0.5, 'sell']);
    const sp = row('tardis-trades', TRADE_H, 'binance,BTCUSDT,1652459199958000,1652459199958000,9,buy,30000,0.5').events[0];
    assert.equal(sp.venue, 'binance-spot');
  });

  it('refuses side "unknown": the aggressor cannot be signed', () => {
    const e = parseError(() => row('tardis-trades', TRADE_H, 'bybit,BTCUSDT,1652459199958000,1652459199958000,1,unknown,2,3'));
    assert.equal(e.code, 'E_SIDE');
    assert.equal(e.field, 'side');
  });
});

describe('tardis liquidations', () => {
  it('keeps the forced-order side: Binance BUY (a short liquidated) stays buy, price p and amount z', () => {
    const ev = run('binance-futures_liquidations_2020-03-13_BTCUSDT.csv').sink.events[0] as LiquidationEvent;
    assert.deepEqual([ev.type, ev.side, ev.price, ev.qty, ev.id], ['liquidation', 'buy', 4793.91, 0.014, '']);
  });

  it('Bybit allLiquidation S=Sell (a short position) arrives flipped by Tardis as buy', () => {
    const ev = run('bybit_liquidations_2025-02-25_PIPPINUSDT.csv').sink.events[0] as LiquidationEvent;
    assert.deepEqual([ev.side, ev.qty, ev.price], ['buy', 2846, 0.02456]);
  });

  it('OKX liquidation-orders: order side, bankruptcy price, contracts converted (10 USD each, inverse)', () => {
    const ev = run('okex-futures_liquidations_2023-03-30_XRP-USD-230929.csv').sink.events[0] as LiquidationEvent;
    assert.deepEqual([ev.side, ev.price], ['buy', 0.55205]);
    assert.equal(ev.qty, exactProductQuotient('39', '10', '0.55205'));
  });

  it('has no spot variant', () => {
    const e = parseError(() => row('tardis-liquidations', TRADE_H, 'binance,BTCUSDT,1652459199958000,1652459199958000,,buy,2,3'));
    assert.equal(e.code, 'E_FIELD');
    assert.equal(e.field, 'exchange');
  });
});

describe('tardis incremental_book_L2', () => {
  it('groups rows into messages: one snapshot, then one event per delta message', () => {
    // From test/fixtures/bybit/full/bybit-v5-linear-ws-orderbook200-2026-08-09.jsonl.gz, BTCUSDT: a snapshot of
    // 200 bids + 200 asks, then deltas with these level counts, 99-100 ms apart.
    const levels = [22, 32, 10, 30, 19, 12, 222, 85, 35, 29, 35, 29, 26, 25, 23, 14, 72, 35, 41, 51];
    const events = run('bybit_incremental_book_L2_2026-08-09_BTCUSDT.csv').sink.events as BookEvent[];
    assert.equal(events.length, 21);
    assert.deepEqual([events[0].isSnapshot, events[0].bids.length, events[0].asks.length], [true, 200, 200]);
    assert.deepEqual(events.slice(1).map((e) => e.bids.length + e.asks.length), levels);
    assert.ok(events.slice(1).every((e) => !e.isSnapshot));
    assert.deepEqual(events.slice(1, 4).map((e) => e.ts), [1786310818130, 1786310818229, 1786310818328]);
  });

  it('converts OKX inverse-swap contracts per level price', () => {
    const ev = run('okex-swap_incremental_book_L2_2022-05-13_UNI-USD-SWAP.csv').sink.events[0] as BookEvent;
    assert.equal(ev.isSnapshot, true);
    assert.deepEqual(ev.bids[0], [5.14, exactProductQuotient('251', '10', '5.14')]);
  });

  it('skips updates before the first snapshot and merges a snapshot spanning several timestamps', () => {
    const text = [
      L2_H,
      'bybit,BTCUSDT,1600000000000000,1600000000000000,false,bid,10,1',
      'bybit,BTCUSDT,1600000000001000,1600000000001000,true,bid,10,2',
      'bybit,BTCUSDT,1600000000002000,1600000000002000,true,ask,11,3',
      'bybit,BTCUSDT,1600000000003000,1600000000003000,false,ask,11,0',
      'bybit,BTCUSDT,1600000000003000,1600000000003000,false,bid,9,4',
      'bybit,BTCUSDT,1600000000003000,1600000000003500,false,bid,9,5',
      'bybit,BTCUSDT,1600000000004000,1600000000004000,true,bid,8,1',
    ].join('\n');
    const ev = runFormat(format('tardis-incremental_book_L2'), context('x.csv', { instruments }), text).events as BookEvent[];
    assert.deepEqual(
      ev.map((e) => [e.isSnapshot, e.bids, e.asks]),
      [
        [true, [[10, 2]], [[11, 3]]],
        [false, [[9, 4]], [[11, 0]]],
        [false, [[9, 5]], []],
        [true, [[8, 1]], []],
      ],
    );
  });

  it('refuses a side other than bid/ask and a negative amount', () => {
    assert.equal(parseError(() => row('tardis-incremental_book_L2', L2_H, 'bybit,BTCUSDT,1600000000001000,1600000000001000,true,buy,10,2')).code, 'E_SIDE');
    const e = parseError(() => row('tardis-incremental_book_L2', L2_H, 'bybit,BTCUSDT,1600000000001000,1600000000001000,true,bid,10,-2'));
    assert.deepEqual([e.code, e.field], ['E_NUMBER', 'amount']);
    assert.equal(parseError(() => row('tardis-incremental_book_L2', L2_H, 'bybit,BTCUSDT,1600000000001000,1600000000001000,yes,bid,10,2')).field, 'is_snapshot');
  });
});

describe('tardis book snapshots', () => {
  it('one row is one snapshot with every level', () => {
    const events = run('tardis-binance-futures_book_snapshot_25_BTCUSDT.csv').sink.events as BookEvent[];
    assert.equal(events.length, 10);
    for (const e of events) {
      assert.equal(e.isSnapshot, true);
      assert.equal(e.bids.length, 25);
      assert.equal(e.asks.length, 25);
      assert.ok(e.bids[0][0] < e.asks[0][0]);
    }
  });

  it('allows empty trailing levels, refuses half-empty ones, and keeps an empty book', () => {
    const cells = lines(read('tardis-binance-futures_book_snapshot_5_BTCUSDT.csv'))[1].split(',');
    const shallow = [...cells.slice(0, 12), ...Array(12).fill('')].join(',');
    const ev = row('tardis-book_snapshot_5', SNAP5_H, shallow).events[0] as BookEvent;
    assert.equal(ev.bids.length, 2);
    assert.equal(ev.asks.length, 2);
    const half = [...cells.slice(0, 12), '11657.56', ...Array(11).fill('')].join(',');
    const e = parseError(() => row('tardis-book_snapshot_5', SNAP5_H, half));
    assert.deepEqual([e.code, e.field], ['E_FIELD', 'asks[2].amount']);
    const empty = [...cells.slice(0, 4), ...Array(20).fill('')].join(',');
    const none = row('tardis-book_snapshot_5', SNAP5_H, empty).events[0] as BookEvent;
    assert.deepEqual([none.isSnapshot, none.bids, none.asks], [true, [], []]);
  });
});

describe('tardis derivative_ticker', () => {
  it('maps funding, open interest and prices; empty cells are NaN', () => {
    const ev = run('bybit_derivative_ticker_2026-08-09_BTCUSDT.csv').sink.events[0] as TickerEvent;
    assert.equal(ev.type, 'ticker');
    assert.equal(ev.nextFundingTs, 1786320000000);
    assert.equal(ev.fundingRate, 0.0001);
    assert.equal(ev.openInterest, 59891.732);
    assert.equal(ev.markPrice, 65117.44);
    assert.ok(Number.isNaN(ev.openInterestValue));
    const okx = run('okex-swap_derivative_ticker_2021-12-22_WNCG-USDT-SWAP.csv').sink.events[0] as TickerEvent;
    assert.ok(Number.isNaN(okx.markPrice));
  });

  it('converts OKX open interest from contracts and inverse open interest to a USD value', () => {
    const lin = row('tardis-derivative_ticker', TICK_H, 'okex-swap,ETH-USDT-SWAP,1640131258756000,1640131258756000,,,,1000,,,2000').events[0] as TickerEvent;
    assert.equal(lin.openInterest, 1000 * 0.1);
    const inv = row('tardis-derivative_ticker', TICK_H, 'bybit,BTCUSD,1640131258756000,1640131258756000,,,,500000,,,25000').events[0] as TickerEvent;
    assert.equal(inv.openInterestValue, 500000);
    assert.equal(inv.openInterest, 20);
  });
});

describe('tardis bad rows', () => {
  it('name code and field', () => {
    const cases: [string, string, string, string, string | undefined][] = [
      ['tardis-trades', TRADE_H, 'binance-futures,BTCUSDT,1723161256322000,1723161255088176,1,buy,61800.x,0.006', 'E_NUMBER', 'price'],
      ['tardis-trades', TRADE_H, 'binance-futures,BTCUSDT,1723161256322000,1723161255088176,1,buy,61800', 'E_COLUMNS', undefined],
      ['tardis-trades', TRADE_H, 'binance-futures,BTCUSDT,1723161256322000,1723161255088176,1,BUY,61800,1', 'E_SIDE', 'side'],
      ['tardis-trades', TRADE_H, 'deribit,BTC-PERPETUAL,1723161256322000,1723161255088176,1,buy,61800,1', 'E_FIELD', 'exchange'],
      ['tardis-trades', TRADE_H, 'binance-futures,btcusdt,1723161256322000,1723161255088176,1,buy,61800,1', 'E_FIELD', 'symbol'],
      ['tardis-trades', TRADE_H, 'binance-futures,BTCUSDT,1723161256322000,1723161255088176,1,buy,61800,0', 'E_NUMBER', 'amount'],
      ['tardis-derivative_ticker', TICK_H, 'bybit,BTCUSDT,1786310817583000,1786310817583000,1786320000000,0.0001,,1,1,1,1', 'E_TIME_UNIT', 'funding_timestamp'],
      ['tardis-derivative_ticker', TICK_H, 'bybit,BTCUSDT,1786310817583000,1786310817583000,,0.0001,abc,1,1,1,1', 'E_NUMBER', 'predicted_funding_rate'],
      ['tardis-book_snapshot_5', SNAP5_H, 'binance-futures,BTCUSDT,1598918403696000,1598918403810979', 'E_COLUMNS', undefined],
    ];
    for (const [id, h, data, code, field] of cases) {
      const e = parseError(() => row(id, h, data));
      assert.equal(e.code, code, data);
      assert.equal(e.field, field, data);
    }
  });

  it('refuses a first line that is not the header (E_HEADER)', () => {
    const e = parseError(() => runFormat(format('tardis-trades'), context('x.csv'), 'binance-futures,BTCUSDT,1,1,1,buy,1,1\n'));
    assert.equal(e.code, 'E_HEADER');
  });
});
