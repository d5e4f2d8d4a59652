import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { CollectSink } from '../../../src/core/collect-sink.ts';
import { ParseError } from '../../../src/core/errors.ts';
import { loadBundledInstruments } from '../../../src/venues/bundled-instruments.ts';
import { tardisFormats } from '../../../src/venues/tardis/archive.ts';
import { context, lines } from '../../helpers/run-format.ts';

const FIX = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/tardis');
const instruments = loadBundledInstruments();

/** Real rows of every fixture, by the format that reads them. */
const rowsByFormat = new Map<string, { header: string; rows: string[] }>();
for (const name of readdirSync(FIX).filter((n) => n.endsWith('.csv'))) {
  const all = lines(readFileSync(join(FIX, name), 'utf8'));
  const f = tardisFormats.find((x) => x.detect(name, all[0]) === 2);
  assert.ok(f, name);
  const entry = rowsByFormat.get(f.id) ?? { header: all[0], rows: [] };
  entry.rows.push(...all.slice(1, 60));
  rowsByFormat.set(f.id, entry);
}

const cell = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', '0', '-1', 'NaN', 'Infinity', '1e400', '0x10', ' 1', 'buy', 'sell', 'unknown', 'bid', 'ask', 'true', 'false', 'okex-swap', 'bybit', 'binance', 'BTCUSD', 'ETHUSD', '1598918403696', '1598918403696000000'),
);

/** A real row with cells replaced, dropped or duplicated. */
function mutatedRow(rows: readonly string[]): fc.Arbitrary<string> {
  const edit = fc.record({ at: fc.nat(), kind: fc.constantFrom('set', 'drop', 'dup'), value: cell });
  return fc.tuple(fc.constantFrom(...rows), fc.array(edit, { minLength: 1, maxLength: 4 })).map(([row, edits]) => {
    const cells = row.split(',');
    for (const e of edits) {
      const i = e.at % cells.length;
      if (e.kind === 'set') cells[i] = e.value;
      else if (e.kind === 'drop') cells.splice(i, 1);
      else cells.splice(i, 0, cells[i]);
    }
    return cells.join(',');
  });
}

describe('tardis row parsers under fuzzing', () => {
  for (const f of tardisFormats) {
    const src = rowsByFormat.get(f.id);
    it(`${f.id}: random and mutated rows raise only ParseError`, () => {
      assert.ok(src, `no fixture for ${f.id}`);
      const parser = f.createParser(context('fuzz.csv', { instruments }));
      const sink = new CollectSink();
      parser.line(src.header, 1, sink);
      let lineNo = 2;
      fc.assert(
        fc.property(fc.oneof(fc.string({ maxLength: 200 }), mutatedRow(src.rows)), (text) => {
          try {
            parser.line(text, lineNo++, sink);
          } catch (e) {
            if (!(e instanceof ParseError)) throw e;
          }
        }),
        { numRuns: 400, seed: 20240808 },
      );
      for (const ev of sink.events) {
        assert.ok(Number.isFinite(ev.ts) && Number.isFinite(ev.localTs), 'times stay finite');
      }
    });
  }
});
