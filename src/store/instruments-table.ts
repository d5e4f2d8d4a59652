/**
 * The store's `instruments` table: the registry orderflow runs with, each row with where it came
 * from. Rows fetched from a venue (`source = 'venue'`, with `fetched_at`) are what live commands
 * fall back to when the venue is unreachable; the bundled snapshot (`source = 'snapshot'`) never
 * replaces them.
 */
import type { Venue } from '../core/events.ts';
import type { Instrument, InstrumentRegistry, MarginTier } from '../core/instruments.ts';
import type { Store } from './store.ts';

export type InstrumentRowSource = 'venue' | 'snapshot';

export interface SaveInstrumentsOptions {
  /** Default 'snapshot'. */
  readonly source?: InstrumentRowSource;
  /** Fetch time, epoch ms (source 'venue'). */
  readonly fetchedAt?: number;
  /** The venue's status word per symbol. */
  readonly statuses?: ReadonlyMap<string, string>;
  /**
   * The rows are a venue's whole list (source 'venue'): rows fetched earlier from that venue and
   * absent now (delisted since) are removed, so an offline fallback does not offer them.
   */
  readonly complete?: boolean;
}

const COLUMNS = 'venue, symbol, base, quote, kind, contract_type, tick_size, lot_size, contract_value, min_notional, max_leverage, maker_fee, taker_fee, tiers, status, source, fetched_at';

export async function saveInstruments(store: Store, instruments: InstrumentRegistry | readonly Instrument[], opts: SaveInstrumentsOptions = {}): Promise<number> {
  const all: readonly Instrument[] = 'all' in instruments ? instruments.all() : instruments;
  const source = opts.source ?? 'snapshot';
  const fetchedAt = opts.fetchedAt === undefined ? null : new Date(opts.fetchedAt).toISOString();
  // A snapshot row never overwrites what a venue answered.
  const onConflict = `ON CONFLICT (venue, symbol) DO UPDATE SET ${COLUMNS.split(', ').slice(2).map((c) => `${c} = excluded.${c}`).join(', ')}${source === 'snapshot' ? " WHERE coalesce(instruments.source, 'snapshot') = 'snapshot'" : ''}`;
  // Many rows per statement: one upsert statement per row costs DuckDB far more (memory and time).
  const CHUNK = 100;
  const width = 17;
  await store.run('BEGIN TRANSACTION');
  try {
    for (let from = 0; from < all.length; from += CHUNK) {
      const part = all.slice(from, from + CHUNK);
      const values: (string | number | null)[] = [];
      const tuples = part.map((i, k) => {
        values.push(
          i.venue, i.symbol, i.base, i.quote, i.kind, i.contractType, i.tickSize, i.lotSize, i.contractValue,
          i.minNotional, i.maxLeverage, i.makerFee, i.takerFee,
          JSON.stringify(i.tiers.map((t) => ({ ...t, notionalCap: Number.isFinite(t.notionalCap) ? t.notionalCap : null }))),
          opts.statuses?.get(i.symbol) ?? null, source, fetchedAt,
        );
        const p = (n: number) => `$${k * width + n}`;
        return `(${Array.from({ length: width }, (_, n) => (n === 13 ? `${p(n + 1)}::JSON` : n === 16 ? `${p(n + 1)}::TIMESTAMP` : p(n + 1))).join(', ')})`;
      });
      await store.run(`INSERT INTO instruments (${COLUMNS}) VALUES ${tuples.join(', ')} ${onConflict}`, values);
    }
    if (opts.complete && source === 'venue' && fetchedAt !== null) {
      for (const venue of new Set(all.map((i) => i.venue))) {
        await store.run(`DELETE FROM instruments WHERE venue = $1 AND source = 'venue' AND fetched_at < $2::TIMESTAMP`, [venue, fetchedAt]);
      }
    }
    await store.run('COMMIT');
  } catch (e) {
    await store.run('ROLLBACK').catch(() => {});
    throw e;
  }
  return all.length;
}

export interface StoredInstruments {
  readonly instruments: Instrument[];
  readonly statuses: Map<string, string>;
  /** The latest fetch time of these rows, epoch ms. */
  readonly fetchedAt: number;
}

interface Row {
  venue: Venue; symbol: string; base: string; quote: string; kind: Instrument['kind']; contract_type: Instrument['contractType'];
  tick_size: number; lot_size: number; contract_value: number; min_notional: number | null; max_leverage: number | null;
  maker_fee: number; taker_fee: number; tiers: string; status: string | null; fetched_ms: number | bigint;
}

/** The rows last fetched from `venue` (source 'venue'), or undefined when there are none. */
export async function loadFetchedInstruments(store: Store, venue: Venue): Promise<StoredInstruments | undefined> {
  const rows = await store.rows<Row>(
    `SELECT venue::VARCHAR AS venue, symbol, base, quote, kind, contract_type, tick_size, lot_size, contract_value, min_notional,
            max_leverage, maker_fee, taker_fee, tiers::VARCHAR AS tiers, status, epoch_ms(fetched_at) AS fetched_ms
       FROM instruments WHERE venue = $1 AND source = 'venue' ORDER BY symbol`,
    [venue],
  );
  if (rows.length === 0) return undefined;
  const statuses = new Map<string, string>();
  let fetchedAt = 0;
  const instruments = rows.map((r): Instrument => {
    if (r.status !== null) statuses.set(r.symbol, r.status);
    fetchedAt = Math.max(fetchedAt, Number(r.fetched_ms));
    const tiers = (JSON.parse(r.tiers) as (Omit<MarginTier, 'notionalCap'> & { notionalCap: number | null })[]).map((t) => ({ ...t, notionalCap: t.notionalCap ?? Infinity }));
    return {
      venue: r.venue, symbol: r.symbol, base: r.base, quote: r.quote, kind: r.kind, contractType: r.contract_type,
      tickSize: r.tick_size, lotSize: r.lot_size, contractValue: r.contract_value,
      // DuckDB keeps NaN as NaN; NULL only from rows written by hand.
      minNotional: r.min_notional ?? NaN, maxLeverage: r.max_leverage ?? NaN,
      tiers, makerFee: r.maker_fee, takerFee: r.taker_fee,
    };
  });
  return { instruments, statuses, fetchedAt };
}

/** Where the stored instruments of one venue came from: `orderflow info` shows it. */
export interface InstrumentSourceRow {
  readonly venue: string;
  /** 'venue' (fetched from its REST API), 'snapshot' (bundled), or 'unknown' (rows from before the column existed). */
  readonly source: string;
  readonly count: number;
  /** Latest fetch of these rows, epoch ms; null for the snapshot. */
  readonly fetched_at: number | null;
}

export async function instrumentSources(store: Store): Promise<InstrumentSourceRow[]> {
  const rows = await store.rows<{ venue: string; source: string; n: bigint; fetched: bigint | number | null }>(
    `SELECT venue::VARCHAR AS venue, coalesce(source, 'unknown') AS source, count(*) AS n, epoch_ms(max(fetched_at)) AS fetched
       FROM instruments GROUP BY ALL ORDER BY venue, source`,
  );
  return rows.map((r) => ({ venue: r.venue, source: r.source, count: Number(r.n), fetched_at: r.fetched === null ? null : Number(r.fetched) }));
}
