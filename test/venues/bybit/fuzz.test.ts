import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { ParseError } from '../../../src/core/errors.ts';
import { bybitObArchiveFormat, bybitTradesArchiveFormat } from '../../../src/venues/bybit/archive.ts';
import { createBybitParser } from '../../../src/venues/bybit/parse.ts';
import { BYBIT_TRADE_ARCHIVE_HEADER } from '../../../src/venues/bybit/wire.ts';
import { mutatedFrames } from '../../helpers/mutate.ts';
import { context, lines, runFormat } from '../../helpers/run-format.ts';
import { bybitTestInstruments } from './instruments.ts';

const FIX = fileURLToPath(new URL('../../fixtures/bybit/', import.meta.url));
const fixtureLines = (name: string) => lines(readFileSync(FIX + name, 'utf8'));
// Small frames only (the 200/500-level books would make every run slow); books are covered by
// the delta frames, which have the same shape.
const FRAMES = [
  ...fixtureLines('publicTrade-2026-08-09-head20.jsonl').slice(0, 6),
  ...fixtureLines('orderbook200-2026-08-09-head4.jsonl').slice(1),
  ...fixtureLines('tickers-2026-08-09-head12.jsonl'),
  ...fixtureLines('kline1-2026-08-09-head2.jsonl'),
  ...fixtureLines('tardisnode-bybit-v5-ws-samples.jsonl'),
  '{"success":true,"ret_msg":"pong","conn_id":"c","op":"ping"}',
].map((l) => JSON.parse(l) as unknown);

const parser = createBybitParser(context('fuzz', { instruments: bybitTestInstruments() }));

/** The parser may return anything or throw a ParseError; nothing else. */
function onlyParseErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof ParseError)) throw e;
  }
}

describe('bybit parser fuzz: the only exception is ParseError', () => {
  it('random JSON values', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
      parser.recognizes(v);
      onlyParseErrors(() => parser.parse(v, NaN));
    }), { numRuns: 400 });
  });

  it('random objects shaped like frames', () => {
    const frame = fc.record({
      topic: fc.oneof(fc.string(), fc.constantFrom('publicTrade.BTCUSDT', 'orderbook.50.BTCUSDT', 'tickers.BTCUSD', 'allLiquidation.X', 'liquidation.X', 'kline.1.X')),
      type: fc.constantFrom('snapshot', 'delta', 'x'),
      ts: fc.oneof(fc.integer(), fc.constant(1786310818129)),
      data: fc.jsonValue({ maxDepth: 3 }),
    }, { requiredKeys: [] });
    fc.assert(fc.property(frame, (v) => onlyParseErrors(() => parser.parse(v, NaN))), { numRuns: 400 });
  });

  it('mutated real frames (deleted keys, wrong types, random strings)', () => {
    fc.assert(fc.property(mutatedFrames(FRAMES), (v) => {
      parser.recognizes(v);
      onlyParseErrors(() => parser.parse(v, NaN));
    }), { numRuns: 1500 });
  });

  it('archive lines: random text and mutated rows', () => {
    const rows = fixtureLines('BTCUSDT2026-08-09.csv').slice(1, 10);
    const row = fc.tuple(fc.constantFrom(...rows), fc.nat(), fc.string()).map(([r, at, s]) => {
      const c = r.split(',');
      c[at % c.length] = s;
      return c.join(',');
    });
    fc.assert(fc.property(fc.oneof(fc.string(), row), (line) => {
      onlyParseErrors(() => runFormat(bybitTradesArchiveFormat, context('x', { instruments: bybitTestInstruments() }), `${BYBIT_TRADE_ARCHIVE_HEADER}\n${line}`));
      onlyParseErrors(() => runFormat(bybitObArchiveFormat, context('x'), line));
      bybitTradesArchiveFormat.detect('x', line);
      bybitObArchiveFormat.detect('x', line);
    }), { numRuns: 500 });
  });
});
