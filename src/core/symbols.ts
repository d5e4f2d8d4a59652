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

// One "did you mean" for every command: the same distance and ranking as the live connectors'.
export { closestSymbols, editDistance } from './closest-symbols.ts';
