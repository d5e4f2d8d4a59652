/**
 * Contract sizes -> base units are the decimals the venue meant: a size the venue wrote as
 * `0.07` contracts of ctVal `0.1` is stored as Number("0.007"), not the float product
 * 0.007000000000000001; an inverse size is the exact contracts x USD / price rounded once. And the
 * encoders (loopback servers, simulator captures) write sizes that parse back to the same double.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { BookEvent, LiquidationEvent, MarketEvent, TradeEvent } from '../../src/core/events.ts';
import { fromBaseQty, InstrumentRegistry, toBaseQty, type Instrument } from '../../src/core/instruments.ts';
import { decimalText, encodeBook, encodeLiquidation, encodeTrade, liquidationFrame, tradeFrame } from '../../src/venues/bybit/encode.ts';
import { createBybitParser } from '../../src/venues/bybit/parse.ts';
import { parseBundledSnapshot } from '../../src/venues/instruments.ts';
import { OkxEncoder } from '../../src/venues/okx/encode.ts';
import { createOkxParser } from '../../src/venues/okx/parse.ts';
import { exactProductQuotient, exactProductText, partsText } from '../helpers/exact-decimal.ts';
import { realLines } from '../helpers/real-data.ts';
import { context } from '../helpers/run-format.ts';

const bundled = parseBundledSnapshot();
const registry = new InstrumentRegistry(bundled);
const contractSized = bundled.filter((i) => i.venue !== 'binance' && i.kind !== 'spot');

/** Base units the venue meant by `size` (its text) at `price` (its text). */
function meant(inst: Instrument, size: string, price: string): number {
  if (inst.contractType === 'inverse') return exactProductQuotient(size, decimalText(inst.contractValue), price);
  return Number(exactProductText(size, decimalText(inst.contractValue)));
}

/** Decimal places of a lot size (0.01 -> 2, 1 -> 0, 1e-8 -> 8). */
const placesOf = (lot: number) => (decimalText(lot).split('.')[1] ?? '').length;

/** A size on the instrument's lot grid, as the venue would write it, and a price on its tick grid. */
const sizeAndPrice = (inst: Instrument) =>
  fc.tuple(fc.integer({ min: 1, max: 10 ** 9 }), fc.integer({ min: 1, max: 10 ** 8 })).map(([lots, ticks]) => ({
    size: partsText(BigInt(lots), placesOf(inst.lotSize)),
    price: partsText(BigInt(ticks), placesOf(inst.tickSize)),
  }));

describe('contract sizes: the decimal the venue meant', () => {
  it('every bundled OKX and Bybit contract: contracts -> base is Number(exact decimal), base -> contracts undoes it', () => {
    // OKX also lists ctVal 0.001 and 0.0001 contracts (not in the bundled snapshot's rows).
    const small: Instrument[] = [0.001, 0.0001].map((contractValue) => ({ ...contractSized.find((i) => i.venue === 'okx')!, contractType: 'linear', contractValue, lotSize: 0.01 }));
    for (const inst of [...contractSized, ...small]) {
      fc.assert(fc.property(sizeAndPrice(inst), ({ size, price }) => {
        const qty = toBaseQty(inst, Number(size), Number(price));
        assert.equal(qty, meant(inst, size, price), `${inst.symbol} ${size} x ${inst.contractValue} @ ${price}`);
        assert.equal(fromBaseQty(inst, qty, Number(price)), Number(size), `${inst.symbol} ${qty} back to ${size}`);
      }), { numRuns: 300 });
    }
  });

  it('the real OKX captures: every trade and book size is the decimal its frame meant', () => {
    const parser = createOkxParser(context('okx', { instruments: registry }));
    let checked = 0;
    for (const name of ['okx-v5-ws-trades-2022-05-13.jsonl', 'okx-v5-ws-books-2022-05-13.jsonl']) {
      for (const line of realLines(name)) {
        const msg = JSON.parse(line);
        const out = (parser.parse(msg, NaN) ?? []) as MarketEvent[];
        const inst = registry.get('okx', msg.arg?.instId);
        if (!inst || out.length === 0) continue;
        if (msg.arg.channel === 'trades') {
          msg.data.forEach((t: { sz: string; px: string }, j: number) => {
            assert.equal((out[j] as TradeEvent).qty, meant(inst, t.sz, t.px), `${name}: ${t.sz} @ ${t.px}`);
            checked++;
          });
        } else if (msg.arg.channel === 'books') {
          const ev = out[0] as BookEvent;
          const wire = [...msg.data[0].bids, ...msg.data[0].asks] as string[][];
          [...ev.bids, ...ev.asks].forEach(([, q], j) => {
            assert.equal(q, meant(inst, wire[j][1], wire[j][0]), `${name}: ${wire[j][1]} @ ${wire[j][0]}`);
            checked++;
          });
        }
      }
    }
    assert.ok(checked > 1000, `checked ${checked} sizes`);
  });
});

describe('contract sizes: encode -> parse round-trips bit-exactly', () => {
  const side = fc.constantFrom('buy' as const, 'sell' as const);
  const ts = fc.integer({ min: 1_600_000_000_000, max: 1_900_000_000_000 });

  it('OKX trades, liquidations and book levels, every bundled swap and future', () => {
    const enc = new OkxEncoder(registry);
    const parser = createOkxParser(context('okx', { instruments: registry }));
    for (const inst of contractSized.filter((i) => i.venue === 'okx')) {
      fc.assert(fc.property(sizeAndPrice(inst), side, ts, ({ size, price }, s, t) => {
        const px = Number(price);
        const qty = toBaseQty(inst, Number(size), px);
        const trade: TradeEvent = { type: 'trade', venue: 'okx', symbol: inst.symbol, ts: t, localTs: NaN, price: px, qty, side: s, id: '42' };
        const item = enc.trade(trade, '42');
        assert.equal(item.sz, decimalText(Number(size)), 'the venue text comes back');
        assert.deepEqual(parser.parse({ arg: { channel: 'trades', instId: inst.symbol }, data: [item] }, NaN), [trade]);
        const liq: LiquidationEvent = { ...trade, type: 'liquidation', id: '' };
        assert.deepEqual(parser.parse({ arg: { channel: 'liquidation-orders', instType: 'SWAP' }, data: [enc.liquidation(liq, 'SWAP')] }, NaN), [liq]);
        const book: BookEvent = { type: 'book', venue: 'okx', symbol: inst.symbol, ts: t, localTs: NaN, isSnapshot: false, bids: [[px, qty]], asks: [], seq: 7 };
        const data = [{ asks: [], bids: enc.levels(inst.symbol, book.bids).map((l) => [...l, '0', '1']), ts: String(t), checksum: 0, seqId: 7, prevSeqId: 3 }];
        assert.deepEqual(parser.parse({ arg: { channel: 'books', instId: inst.symbol }, action: 'update', data }, NaN), [book]);
      }), { numRuns: 200 });
    }
  });

  it('Bybit trades, liquidations and book levels, linear and inverse', () => {
    const parser = createBybitParser(context('bybit', { instruments: registry }));
    for (const inst of contractSized.filter((i) => i.venue === 'bybit')) {
      fc.assert(fc.property(sizeAndPrice(inst), side, ts, ({ size, price }, s, t) => {
        const px = Number(price);
        const qty = toBaseQty(inst, Number(size), px);
        const trade: TradeEvent = { type: 'trade', venue: 'bybit', symbol: inst.symbol, ts: t, localTs: NaN, price: px, qty, side: s, id: 'a1' };
        const item = encodeTrade(trade, inst, { tickDirection: 'PlusTick', seq: 1 });
        assert.equal(item.v, decimalText(Number(size)), 'the venue text comes back');
        assert.deepEqual(parser.parse(JSON.parse(JSON.stringify(tradeFrame(inst.symbol, t, [item]))), NaN), [trade]);
        const liq: LiquidationEvent = { ...trade, type: 'liquidation', id: '' };
        assert.deepEqual(parser.parse(JSON.parse(JSON.stringify(liquidationFrame(inst.symbol, t, [encodeLiquidation(liq, inst)]))), NaN), [liq]);
        const book: BookEvent = { type: 'book', venue: 'bybit', symbol: inst.symbol, ts: t, localTs: NaN, isSnapshot: true, bids: [[px, qty]], asks: [], seq: 9 };
        assert.deepEqual(parser.parse(JSON.parse(JSON.stringify(encodeBook(book, 200, inst, 7))), NaN), [book]);
      }), { numRuns: 200 });
    }
  });
});
