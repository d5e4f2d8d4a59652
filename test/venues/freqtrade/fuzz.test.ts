/**
 * Property tests: whatever a freqtrade funding-rate file holds, the format either reads it or
 * throws ParseError, never anything else. Seeds: the real file's rows, mutated (keys deleted,
 * values replaced by random JSON, strings or numbers), and random text split into lines.
 */
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { ParseError } from '../../../src/core/errors.ts';
import { freqtradeFundingRateFormat } from '../../../src/venues/freqtrade/archive.ts';
import { mutatedFrames } from '../../helpers/mutate.ts';
import { context, runFormat } from '../../helpers/run-format.ts';

const FIX = fileURLToPath(new URL('../../fixtures/binance/', import.meta.url));
const NAME = 'freqtrade-binance-XRPUSDT-8h-funding_rate.json';
const ROWS = JSON.parse(readFileSync(FIX + NAME, 'utf8')) as number[][];
// A few rows per seed keep every run fast; both layouts (6 and 2 columns).
const SEEDS: unknown[] = [ROWS.slice(0, 5), ROWS.slice(44, 48), ROWS.slice(0, 4).map(([t, r]) => [t, r])];

function onlyParseErrors(text: string, name = NAME): void {
  try {
    runFormat(freqtradeFundingRateFormat, context(name), text);
  } catch (e) {
    if (!(e instanceof ParseError)) throw new Error(`threw ${String(e)} for ${JSON.stringify(text).slice(0, 200)}`);
  }
  freqtradeFundingRateFormat.detect(name, text.split('\n')[0]);
}

describe('freqtrade-funding-rate under fuzz: only ParseError escapes', () => {
  it('mutated real rows (deleted entries, wrong types, random strings and numbers)', () => {
    fc.assert(fc.property(mutatedFrames(SEEDS), fc.boolean(), (v, pretty) => {
      onlyParseErrors(JSON.stringify(v, null, pretty ? 2 : undefined) ?? 'null');
    }), { numRuns: 1500 });
  });

  it('random JSON values', () => {
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 3 }), (v) => onlyParseErrors(JSON.stringify(v) ?? 'null')), { numRuns: 500 });
  });

  it('random text, random names', () => {
    const name = fc.oneof(fc.constant(NAME), fc.string(), fc.constantFrom('okx-x-1h-funding_rate.json', 'XRP_USDT_USDT-8h-funding_rate.json', 'bybit_BTCUSDT.json'));
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 200 }), name, (t, n) => onlyParseErrors(t, n)), { numRuns: 500 });
  });
});
