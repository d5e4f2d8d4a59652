/**
 * What a user's `--symbol` names, venue by venue, and what to suggest when it names nothing.
 *
 * A base asset (`BTC`) or a linear USDT perpetual in any venue's spelling (`BTCUSDT`,
 * `BTC-USDT-SWAP`) names that perpetual on every venue. Any other OKX instrument id is OKX's
 * alone: `UNI-USD-SWAP` (inverse), `BTC-USD-220527` (a dated future) and `BTC-USDT` (spot, which
 * is never merged with the perpetuals and is read only when OKX is named with `--venues okx`).
 */
import { UsageError } from './errors.ts';
import type { Venue } from './events.ts';
import { venueSymbol, type InstrumentRegistry } from './instruments.ts';

export type OkxKind = 'spot' | 'swap' | 'future' | 'option';

/**
 * The kind of an OKX instrument id from its shape (OKX ids are `BASE-QUOTE` for spot,
 * `BASE-QUOTE-SWAP`, `BASE-QUOTE-YYMMDD` for futures, `BASE-QUOTE-YYMMDD-STRIKE-C|P` for options),
 * or undefined when the text is not an OKX id.
 */
export function okxKind(symbol: string): OkxKind | undefined {
  const p = symbol.toUpperCase().split('-');
  if (p.length < 2 || p.some((x) => !/^[A-Z0-9]+$/.test(x))) return undefined;
  if (p.length === 2) return 'spot';
  if (p.length === 3 && p[2] === 'SWAP') return 'swap';
  if (p.length === 3 && /^\d{6}$/.test(p[2])) return 'future';
  if (p.length === 5 && /^\d{6}$/.test(p[2]) && /^[CP]$/.test(p[4])) return 'option';
  return undefined;
}

const KIND_TEXT: Record<OkxKind, string> = { spot: 'OKX spot', swap: 'an OKX perpetual swap', future: 'an OKX dated future', option: 'an OKX option' };

/**
 * (venue, venue-native symbol) pairs an input names on `venues`. `explicit`: the user chose the
 * venues (`--venues`), so a venue that cannot list the symbol is an error rather than skipped.
 */
export function marketPairs(registry: InstrumentRegistry, input: string, venues: readonly Venue[], explicit: boolean, option = '--symbol', venuesOption = '--venues'): [Venue, string][] {
  const up = input.trim().toUpperCase();
  if (up === '') throw new UsageError(`${option}: empty symbol`);
  const kind = okxKind(up);
  const crossVenue = kind === undefined || (kind === 'swap' && up.endsWith('-USDT-SWAP'));
  if (crossVenue) return venues.map((v): [Venue, string] => [v, venueSymbol(registry, v, up)]);
  const perp = `${up.split('-')[0]}-USDT-SWAP`;
  const what = kind === 'swap' && up.split('-')[1] === 'USD' ? 'an OKX inverse (coin-margined) perpetual swap' : KIND_TEXT[kind];
  if (!venues.includes('okx')) {
    throw new UsageError(`${option} ${up} is ${what}, listed on OKX only: ${venuesOption === '--venue' ? 'use --venue okx' : `add okx to ${venuesOption}`} (or use ${perp}, or the base asset ${up.split('-')[0]}, for the USDT perpetual on every venue)`);
  }
  if (explicit && venues.some((v) => v !== 'okx')) {
    throw new UsageError(`${option} ${up} is ${what}, listed on OKX only: drop ${venues.filter((v) => v !== 'okx').join(', ')} from ${venuesOption}`);
  }
  if (kind === 'spot' && !explicit) {
    throw new UsageError(
      `${option} ${up} is OKX spot, not a perpetual, and spot is never merged with the perpetuals: use ${option} ${perp} (or ${up.split('-')[0]}) for the perpetual on every venue, or add --venues okx to read OKX spot alone`,
    );
  }
  return [['okx', up]];
}

/**
 * Damerau-Levenshtein distance (optimal string alignment): a swapped pair of letters counts one,
 * so `BTCUSTD` is one edit from `BTCUSDT`.
 */
export function editDistance(a: string, b: string): number {
  const m = a.length;
  const n = b.length;
  let prev2 = new Array<number>(n + 1).fill(0);
  let prev = Array.from({ length: n + 1 }, (_, j) => j);
  let cur = new Array<number>(n + 1).fill(0);
  for (let i = 1; i <= m; i++) {
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let d = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, prev2[j - 2] + 1);
      cur[j] = d;
    }
    [prev2, prev, cur] = [prev, cur, prev2];
  }
  return prev[n];
}

/** Up to `max` candidates closest to `input` (case-insensitive), nearest first, within a distance that grows with the length. */
export function closestSymbols(input: string, candidates: Iterable<string>, max = 5): string[] {
  const up = input.trim().toUpperCase();
  const limit = Math.max(2, Math.floor(up.length / 3));
  const scored: [string, number][] = [];
  for (const c of new Set(candidates)) {
    const d = editDistance(up, c.toUpperCase());
    if (d <= limit) scored.push([c, d]);
  }
  scored.sort((x, y) => x[1] - y[1] || x[0].localeCompare(y[0]));
  return scored.slice(0, max).map((s) => s[0]);
}
