/**
 * The listed symbols closest to one a venue does not list, for "did you mean" messages: symbols
 * of the same base asset first, then by edit distance (insert, delete, substitute, and swap of
 * two neighbours: `BTCUSTD` is one swap from `BTCUSDT`).
 */
import { baseAssetOf } from './instruments.ts';

/** Optimal string alignment distance (Damerau-Levenshtein without repeated edits of a substring). */
export function editDistance(a: string, b: string): number {
  const n = a.length;
  const m = b.length;
  let prev2 = new Array<number>(m + 1).fill(0);
  let prev = Array.from({ length: m + 1 }, (_, j) => j);
  let cur = new Array<number>(m + 1).fill(0);
  for (let i = 1; i <= n; i++) {
    cur[0] = i;
    for (let j = 1; j <= m; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[m];
}

/** What is compared: upper case, without OKX's `-SWAP` and dashes (`SOL-USDT-SWAP` ~ `SOLUSDT`). */
function compact(symbol: string): string {
  return symbol.trim().toUpperCase().replace(/-SWAP$/, '').replace(/-/g, '');
}

/**
 * Up to `max` of `listed` (duplicates once) closest to `wanted`: same base asset first, then those within an edit
 * distance of a quarter of the length (at least 2), nearest first. Spellings are compared
 * without dashes and `-SWAP`, so a Binance-style typo finds the OKX swap.
 */
export function closestSymbols(wanted: string, listed: Iterable<string>, max = 5): string[] {
  const w = compact(wanted);
  const base = baseAssetOf(wanted.trim().toUpperCase());
  const limit = Math.max(2, Math.floor(w.length / 4));
  const up = wanted.trim().toUpperCase();
  const scored: { s: string; sameBase: boolean; d: number; raw: number }[] = [];
  for (const s of new Set(listed)) {
    const sameBase = baseAssetOf(s.toUpperCase()) === base;
    const d = editDistance(w, compact(s));
    // Ties in the compact spelling go to the one closest as typed: BTCUSTD -> BTCUSDT before BTC-USDT.
    if (sameBase || d <= limit) scored.push({ s, sameBase, d, raw: editDistance(up, s.toUpperCase()) });
  }
  scored.sort((x, y) => Number(y.sameBase) - Number(x.sameBase) || x.d - y.d || x.raw - y.raw || (x.s < y.s ? -1 : x.s > y.s ? 1 : 0));
  return scored.slice(0, max).map((x) => x.s);
}
