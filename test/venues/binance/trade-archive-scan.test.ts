/**
 * The byte scanner may only ever agree with the line parsers: whatever it accepts, the line path
 * (format parser + the importer's order checks) accepts with the same digest; anything else it
 * gives up on.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { gunzipSync } from 'node:zlib';
import fc from 'fast-check';
import { InstrumentRegistry } from '../../../src/core/instruments.ts';
import { TradeDigest } from '../../../src/store/bulk-load.ts';
import { OrderGuard } from '../../../src/store/order-guard.ts';
import { binanceFormats, BINANCE_HEADERS } from '../../../src/venues/binance/archive.ts';
import type { EventSink, TradeColumns, TradeDigestFields } from '../../../src/core/format.ts';
import { MAX_LINE_BYTES, TradeArchiveScanner, type TradeArchiveLayout } from '../../../src/venues/binance/trade-archive-scan.ts';
import { lines } from '../../helpers/run-format.ts';

const fixture = (p: string) => readFileSync(new URL(`../../fixtures/binance/${p}`, import.meta.url), 'utf8');
const AGG = fixture('archive/BTCUSDT-aggTrades-2024-08-08.csv');
const AGG_HEADERLESS = fixture('archive/headerless/BTCUSDT-aggTrades-2024-08-08.csv');
const TRADES = fixture('archive/BTCUSDT-trades-2024-08-08.csv');
const SPOT = gunzipSync(readFileSync(new URL('../../../samples/binance-spot/BTCUSDT-aggTrades-2026-01-01.csv.gz', import.meta.url))).toString('utf8');

interface Case {
  readonly formatId: string;
  readonly layout: TradeArchiveLayout;
  readonly spot: boolean;
  readonly header: string | undefined;
  readonly text: string;
}
const CASES: Case[] = [
  { formatId: 'binance-um-aggTrades', layout: 'aggTrades', spot: false, header: BINANCE_HEADERS.aggTrades, text: AGG },
  { formatId: 'binance-um-aggTrades', layout: 'aggTrades', spot: false, header: BINANCE_HEADERS.aggTrades, text: AGG_HEADERLESS },
  { formatId: 'binance-um-trades', layout: 'trades', spot: false, header: BINANCE_HEADERS.trades, text: TRADES },
  { formatId: 'binance-spot-aggTrades', layout: 'aggTrades', spot: true, header: undefined, text: SPOT.split('\n').slice(0, 300).join('\n') },
];

function scan(c: Case, text: string, cuts: readonly number[] = []): TradeDigestFields | undefined {
  const s = new TradeArchiveScanner(c.layout, c.spot, c.header);
  const bytes = Buffer.from(text);
  let from = 0;
  for (const cut of [...cuts].map((x) => x % (bytes.length + 1)).sort((a, b) => a - b)) {
    s.push(bytes.subarray(from, Math.max(from, cut)));
    from = Math.max(from, cut);
  }
  s.push(bytes.subarray(from));
  return s.end();
}

/** The line path, as the importer runs it; undefined when it refuses the file. */
function viaLines(c: Case, text: string): TradeDigestFields | undefined {
  const format = binanceFormats.find((f) => f.id === c.formatId)!;
  const parser = format.createParser({ fileName: 'BTCUSDT-x-2024-08-08.csv', symbol: 'BTCUSDT', instruments: new InstrumentRegistry() });
  const digest = new TradeDigest();
  const guard = new OrderGuard(digest);
  const all = lines(text);
  let started = false;
  try {
    all.forEach((l, i) => {
      if (!started && l.trim() === '') return; // the importer skips leading blank lines
      started = true;
      parser.line(l, i + 1, guard);
    });
  } catch {
    return undefined;
  }
  return digest.fields.count > 0 ? digest.fields : undefined;
}

/** The rows a scanner wrote into its columns, row group by row group of `cap` rows. */
class CollectedColumns implements TradeColumns {
  readonly us: Float64Array;
  readonly price: Float64Array;
  readonly qty: Float64Array;
  readonly sell: Uint8Array;
  readonly id: Float64Array;
  n = 0;
  readonly rows: [number, number, number, number, number][] = [];
  constructor(cap: number) {
    [this.us, this.price, this.qty, this.id] = [0, 0, 0, 0].map(() => new Float64Array(cap));
    this.sell = new Uint8Array(cap);
  }
  full(): void {
    for (let i = 0; i < this.n; i++) this.rows.push([this.us[i], this.price[i], this.qty[i], this.sell[i], this.id[i]]);
    this.n = 0;
  }
}

/** The line path's trades as column rows: µs, price, qty, 1 for a sell, id. */
function tradesViaLines(c: Case, text: string): [number, number, number, number, number][] {
  const format = binanceFormats.find((f) => f.id === c.formatId)!;
  const parser = format.createParser({ fileName: 'BTCUSDT-x-2024-08-08.csv', symbol: 'BTCUSDT', instruments: new InstrumentRegistry() });
  const out: [number, number, number, number, number][] = [];
  const sink = { trade: (_v: string, _s: string, ts: number, _l: number, price: number, qty: number, side: string, id: string) => out.push([Math.round(ts * 1000), price, qty, side === 'sell' ? 1 : 0, Number(id)]) };
  lines(text).forEach((l, i) => parser.line(l, i + 1, sink as unknown as EventSink));
  return out;
}

describe('Binance trade-archive byte scanner', () => {
  it('fills the typed columns with the line path trades, value for value, however chunked and whatever the row-group size', () => {
    for (const c of CASES) {
      const want = tradesViaLines(c, c.text);
      const bytes = Buffer.from(c.text);
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 700 }), fc.array(fc.nat(), { maxLength: 8 }), (cap, cuts) => {
          const cols = new CollectedColumns(cap);
          const s = new TradeArchiveScanner(c.layout, c.spot, c.header, cols);
          let from = 0;
          for (const cut of cuts.map((x) => x % (bytes.length + 1)).sort((a, b) => a - b)) {
            s.push(bytes.subarray(from, Math.max(from, cut)));
            from = Math.max(from, cut);
          }
          s.push(bytes.subarray(from));
          assert.ok(s.end(), c.formatId);
          cols.full();
          assert.deepEqual(cols.rows, want, c.formatId);
        }),
        { numRuns: 25 },
      );
    }
  });

  it('gives the line path digest on the real fixtures, however the bytes are chunked', () => {
    for (const c of CASES) {
      const want = viaLines(c, c.text);
      assert.ok(want, c.formatId);
      assert.deepEqual(scan(c, c.text), want, c.formatId);
      fc.assert(fc.property(fc.array(fc.nat(), { maxLength: 12 }), (cuts) => assert.deepEqual(scan(c, c.text, cuts), want)), { numRuns: 60 });
    }
  });

  it('reads a last line without its newline', () => {
    const c = CASES[0];
    assert.deepEqual(scan(c, c.text.trimEnd()), viaLines(c, c.text));
  });

  it('gives up on what it does not read plainly: CRLF, exponents, an unknown header, blank lines, reordering', () => {
    const c = CASES[0];
    const rows = c.text.trimEnd().split('\n');
    assert.equal(scan(c, rows.join('\r\n')), undefined);
    assert.equal(scan(c, [rows[0], rows[1].replace(/,0\.(\d+),/, ',$1e-3,'), ...rows.slice(2)].join('\n')), undefined);
    assert.equal(scan(c, ['id,price', ...rows.slice(1)].join('\n')), undefined);
    assert.equal(scan(c, [rows[0], rows[1], '', ...rows.slice(2)].join('\n')), undefined);
    assert.equal(scan(c, [rows[0], rows[2], rows[1], ...rows.slice(3)].join('\n')), undefined);
    assert.equal(scan(c, `${rows[0]}\n`), undefined, 'a header alone holds no rows');
  });

  it('never accepts what the line path refuses, and agrees whenever it accepts (mutated real rows)', () => {
    const alphabet = fc.constantFrom(...'0123456789.,-+eE \trtuefalsTRUEFALS\n'.split(''));
    for (const c of CASES) {
      const base = c.text.split('\n').slice(0, 40).join('\n');
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.nat(), fc.nat(3), alphabet), { minLength: 1, maxLength: 4 }), (edits) => {
          let t = base;
          for (const [pos, op, ch] of edits) {
            const p = pos % (t.length + 1);
            t = op === 0 ? t.slice(0, p) + t.slice(p + 1) : op === 1 ? t.slice(0, p) + ch + t.slice(p) : t.slice(0, p) + ch + t.slice(p + 1);
          }
          const fast = scan(c, t);
          if (fast !== undefined) assert.deepEqual(fast, viaLines(c, t));
        }),
        { numRuns: 400 },
      );
    }
  });

  it('holds an unfinished line only up to MAX_LINE_BYTES, then gives up naming its line', () => {
    const c = CASES[0];
    const rows = c.text.trimEnd().split('\n');
    for (const chunkSize of [1000, 16 * 1024, 300 * 1024]) {
      const s = new TradeArchiveScanner(c.layout, c.spot, c.header);
      s.push(Buffer.from(`${rows.slice(0, 4).join('\n')}\n`)); // the header and 3 rows
      const piece = Buffer.alloc(chunkSize, 0x37);
      let fed = 0;
      while (s.ok && fed < 50 * MAX_LINE_BYTES) {
        s.push(piece);
        fed += chunkSize;
      }
      assert.equal(s.ok, false, `chunk ${chunkSize}`);
      assert.equal(s.tooLongLine, 5, `chunk ${chunkSize}`);
      assert.ok(fed <= MAX_LINE_BYTES + chunkSize, `gave up after ${fed} bytes of the line (chunk ${chunkSize})`);
      assert.equal(s.end(), undefined);
    }
  });

  it('gives up on a too-long line that ends inside a chunk, and reads one just under the cap as a row', () => {
    const c = CASES[0];
    const rows = c.text.trimEnd().split('\n');
    const long = `${rows[1]}${'0'.repeat(MAX_LINE_BYTES)}`;
    const s = new TradeArchiveScanner(c.layout, c.spot, c.header);
    s.push(Buffer.from(`${rows[0]}\n${rows[1].slice(0, 5)}`));
    s.push(Buffer.from(`${long.slice(5)}\n${rows[2]}\n`));
    assert.equal(s.tooLongLine, 2);
    // A line of exactly MAX_LINE_BYTES split over chunks is held whole: the scanner judges it as a row.
    const t = new TradeArchiveScanner(c.layout, c.spot, c.header);
    const edge = `${rows[1]}${' '.repeat(MAX_LINE_BYTES - rows[1].length)}`;
    t.push(Buffer.from(`${rows[0]}\n${edge.slice(0, 100)}`));
    t.push(Buffer.from(`${edge.slice(100)}\n`));
    assert.equal(t.tooLongLine, undefined);
    assert.equal(t.ok, false, 'trailing blanks are not a valid row');
  });
});
