/**
 * What each venue's instrument fetcher (src/venues/<venue>/instrument-fetch.ts) returns, and what
 * src/venues/live/instrument-source.ts combines: the venue's instruments parsed by the same
 * metadata parsers as the bundled snapshot, and the venue's own status word per listed symbol.
 */
import type { Venue } from '../../core/events.ts';
import type { Instrument } from '../../core/instruments.ts';

export interface VenueListing {
  readonly instruments: readonly Instrument[];
  /**
   * The venue's own status word for every symbol its answer listed (Binance `status`, OKX
   * `state`, Bybit `status`), including rows the parsers skip (a Binance contract being settled
   * has an empty contractType).
   */
  readonly statuses: ReadonlyMap<string, string>;
  /**
   * Rows the parser refused, by symbol, with the reason: one row of a shape we do not know (a new
   * contract type) must not cost the whole list.
   */
  readonly rejected?: ReadonlyMap<string, string>;
}

export interface InstrumentFetcher {
  readonly venue: Venue;
  /** The instrument list (no tiers). */
  list(): Promise<VenueListing>;
  /**
   * The listing again with the tiers of `symbols` where the venue publishes them publicly; a
   * note says what is missing. Undefined when the venue publishes none (Binance brackets are
   * signed: USER_DATA).
   */
  withTiers?(listing: VenueListing, symbols: readonly string[]): Promise<{ listing: VenueListing; note?: string }>;
  /** One symbol the list left out (Bybit lists only trading symbols by default): its row, or undefined. */
  lookup?(symbol: string): Promise<VenueListing | undefined>;
}

/** The status word each venue uses for a market open for trading. */
export const TRADING_STATUS: Readonly<Record<'binance' | 'okx' | 'bybit', string>> = {
  binance: 'TRADING',
  okx: 'live',
  bybit: 'Trading',
};

/** Rows of an array field, or [] (status extraction must not fail where the parser did not). */
export function rowsOf(v: unknown): Record<string, unknown>[] {
  return Array.isArray(v) ? v.filter((r): r is Record<string, unknown> => typeof r === 'object' && r !== null) : [];
}

/** symbol -> status from raw rows. */
export function statusesOf(rows: readonly Record<string, unknown>[], symbolKey: string, statusKey: string, into = new Map<string, string>()): Map<string, string> {
  for (const r of rows) {
    const s = r[symbolKey];
    const st = r[statusKey];
    if (typeof s === 'string' && typeof st === 'string') into.set(s, st);
  }
  return into;
}

/**
 * Parse a venue's rows one by one (`parseOne` wraps a row back into the venue's envelope), so
 * a row the parser refuses is set aside with its reason instead of failing the list.
 */
export function parseRowByRow<T>(
  rows: readonly Record<string, unknown>[],
  symbolKey: string,
  parseOne: (row: Record<string, unknown>) => T[],
): { instruments: T[]; rejected: Map<string, string> } {
  const instruments: T[] = [];
  const rejected = new Map<string, string>();
  for (const row of rows) {
    try {
      instruments.push(...parseOne(row));
    } catch (e) {
      rejected.set(String(row[symbolKey]), (e as Error).message);
    }
  }
  return { instruments, rejected };
}
