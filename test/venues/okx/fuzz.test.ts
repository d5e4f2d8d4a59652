import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { ParseError } from '../../../src/core/errors.ts';
import { okxTradesArchiveFormat } from '../../../src/venues/okx/archive.ts';
import { createOkxParser } from '../../../src/venues/okx/parse.ts';
import { OKX_TRADES_HEADER, OKX_TRADES_HEADER_LEGACY } from '../../../src/venues/okx/wire.ts';
import { mutatedFrames } from '../../helpers/mutate.ts';
import { context, lines, runFormat } from '../../helpers/run-format.ts';
import { okxTestInstruments } from './instruments.ts';

const FIX = fileURLToPath(new URL('../../fixtures/okx/', import.meta.url));
const fixtureLines = (name: string) => lines(readFileSync(FIX + name, 'utf8'));
// Small frames: the 400-level snapshots would only slow every run; updates have the same shape.
const FRAMES = [
  ...fixtureLines('trades-2022-05-13-head10.jsonl'),
  fixtureLines('books-2022-05-13-head4.jsonl')[3],
  ...fixtureLines('tickers-2022-05-13-head3.jsonl'),
  ...fixtureLines('tardisnode-okex-swap-v5-ws-samples.jsonl'),
  ...fixtureLines('tardisnode-okex-futures-v5-ws-samples.jsonl'),
  '{"event":"error","code":"60012","msg":"Invalid request","connId":"a"}',
].map((l) => JSON.parse(l) as unknown);

const parser = createOkxParser(context('fuzz', { instruments: okxTestInstruments() }));

function onlyParseErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
  }
}

describe('okx parser fuzz: the only exception is ParseError', () => {
  it('random JSON values', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
      parser.recognizes(v);
      onlyParseErrors(() => parser.parse(v, NaN));
    }), { numRuns: 400 });
  });

  it('random objects shaped like pushes', () => {
    const channels = ['trades', 'trades-all', 'books', 'books5', 'books-l2-tbt', 'tickers', 'funding-rate', 'open-interest', 'mark-price', 'index-tickers', 'liquidation-orders', 'bbo-tbt'];
    const push = fc.record({
      arg: fc.record({ channel: fc.oneof(fc.constantFrom(...channels), fc.string()), instId: fc.oneof(fc.constantFrom('BTC-USDT', 'BTC-USDT-SWAP', 'UNI-USD-SWAP', 'X-Y-Z'), fc.string()) }, { requiredKeys: [] }),
      action: fc.constantFrom('snapshot', 'update', 'x'),
      event: fc.constantFrom('subscribe', 'error', 'x'),
      data: fc.jsonValue({ maxDepth: 3 }),
    }, { requiredKeys: [] });
    fc.assert(fc.property(push, (v) => onlyParseErrors(() => parser.parse(v, NaN))), { numRuns: 400 });
  });

  it('mutated real frames (deleted keys, wrong types, random strings)', () => {
    fc.assert(fc.property(mutatedFrames(FRAMES), (v) => {
      parser.recognizes(v);
      onlyParseErrors(() => parser.parse(v, NaN));
    }), { numRuns: 1500 });
  });

  it('archive lines: random text and mutated rows, every header', () => {
    const rows = fixtureLines('BTC-USD-220527-trades-2022-05-13.csv').slice(1);
    const row = fc.tuple(fc.constantFrom(...rows), fc.nat(), fc.string()).map(([r, at, s]) => {
      const c = r.split(',');
      c[at % c.length] = s;
      return c.join(',');
    });
    fc.assert(fc.property(fc.oneof(fc.string(), row), fc.constantFrom(OKX_TRADES_HEADER, OKX_TRADES_HEADER_LEGACY), (line, header) => {
      onlyParseErrors(() => runFormat(okxTradesArchiveFormat, context('x', { symbol: 'BTC-USD-220527', instruments: okxTestInstruments() }), `${header}\n${line}`));
      okxTradesArchiveFormat.detect('x', line);
    }), { numRuns: 500 });
  });
});
