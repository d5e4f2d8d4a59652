import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createRng } from '../../src/engine/random.ts';
import { absAcfSvg, fmt, realismTable, returnHistogramSvg, sizeCcdfSvg, type RealismColumn } from '../../src/sim/realism-report.ts';
import { MarketColumnsBuilder, stylizedFacts } from '../../src/sim/stylized-facts.ts';

/** A tape of `n` prints 50 ms apart with Pareto sizes and a random-walk price. */
function column(label: string, seed: number, n: number): RealismColumn {
  const rng = createRng(seed);
  const b = new MarketColumnsBuilder('binance', 'BTCUSDT');
  let p = 60_000;
  for (let i = 0; i < n; i++) {
    p += rng.nextFloat() < 0.5 ? -0.1 : 0.1;
    b.add({ type: 'trade', venue: 'binance', symbol: 'BTCUSDT', ts: i * 50, localTs: NaN, price: p, qty: 0.001 * (1 - rng.nextFloat()) ** (-1 / 1.5), side: 'buy', id: String(i) });
  }
  const columns = b.columns();
  return { label, columns, facts: stylizedFacts(columns, 0.1) };
}

describe('realism table and plots', () => {
  it('prints one row per figure, one column per tape, n/a where data is too thin', () => {
    const table = realismTable([column('long', 1, 5000), column('short', 2, 50)]);
    const lines = table.trimEnd().split('\n');
    assert.equal(lines[0], '| figure | long | short |');
    // Cells of a row: [figure, long, short] (the rows read here hold no escaped \|).
    const row = (name: string) => lines.find((l) => l.startsWith(`| ${name} |`))!.split('|').slice(1, -1).map((c) => c.trim());
    assert.equal(row('prints')[1], '5,000');
    assert.equal(row('volume share of the top 1% of prints')[2], 'n/a');
    assert.match(row('volume share of the top 1% of prints')[1], /^\d+(\.\d+)?%$/);
    assert.equal(row('spread median / p90 (ticks)')[1], 'n/a / n/a', 'no book: no spread');
  });

  it('formats numbers with fixed rules', () => {
    assert.deepEqual([fmt(NaN), fmt(0), fmt(0.0123456), fmt(12.345), fmt(69713.7), fmt(Infinity)], ['n/a', '0', '0.0123', '12.3', '69,714', '∞']);
  });

  it('draws the same SVG for the same tapes, one series per tape', () => {
    const cols = [column('a', 3, 4000), column('b', 4, 4000)];
    for (const draw of [() => sizeCcdfSvg(cols), () => absAcfSvg(cols, 500), () => returnHistogramSvg(cols, 500)]) {
      const svg = draw();
      assert.equal(svg, draw());
      assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"[^]*<\/svg>\n$/);
      assert.ok(svg.includes('>a') && svg.includes('>b'), 'both tapes in the legend');
    }
    assert.equal((sizeCcdfSvg(cols).match(/<polyline/g) ?? []).length, 2);
  });
});
