/**
 * What the store holds: datasets (venue, symbol, type) with counts and time ranges, and gaps.
 *
 * Gaps are detected, not assumed: a `time` gap is a stretch longer than `minGapMs` with no trade
 * for a venue and symbol; an `id` gap is a jump in Binance's contiguous trade ids inside one
 * imported file (trades the venue made that the file lacks); `recorded` gaps come from the
 * recorder's gaps table (disconnects, resyncs).
 */
import { EVENT_TABLES } from './schema.ts';
import type { Store } from './store.ts';

export interface Dataset {
  readonly venue: string;
  readonly symbol: string;
  readonly type: 'trade' | 'liquidation' | 'book' | 'ticker';
  readonly count: number;
  readonly first_ts: number;
  readonly last_ts: number;
}

export interface Gap {
  readonly venue: string;
  readonly symbol: string;
  readonly type: string;
  readonly kind: 'time' | 'id' | 'recorded';
  readonly from_ts: number;
  readonly to_ts: number;
  /** UTC day the gap starts on. */
  readonly date: string;
  readonly seconds: number;
  /** For id gaps: how many trade ids are missing. */
  readonly missing_ids?: number;
  readonly reason?: string;
}

export interface GapDay {
  readonly date: string;
  readonly venue: string;
  readonly symbol: string;
  readonly gaps: number;
  readonly missing_seconds: number;
  readonly missing_ids: number;
}

export interface OtherDataset {
  readonly table: 'klines' | 'depth_bands';
  readonly venue: string;
  readonly symbol: string;
  readonly detail: string;
  readonly count: number;
  readonly first_ts: number;
  readonly last_ts: number;
}

export interface StoreSummary {
  readonly datasets: Dataset[];
  readonly gaps: Gap[];
  readonly gapDays: GapDay[];
  readonly other: OtherDataset[];
  readonly imports: number;
}

export async function datasets(store: Store): Promise<Dataset[]> {
  const out: Dataset[] = [];
  for (const { table, type } of EVENT_TABLES) {
    // Book rows are levels: count messages (distinct msg per import), which is what users mean.
    const count = table === 'book' ? 'count(DISTINCT (import_id, msg))' : 'count(*)';
    const rows = await store.rows<{ venue: string; symbol: string; n: bigint; lo: number; hi: number }>(
      `SELECT venue::VARCHAR AS venue, symbol, ${count} AS n, epoch_ms(min(ts)) AS lo, epoch_ms(max(ts)) AS hi
       FROM ${table} GROUP BY ALL ORDER BY venue, symbol`,
    );
    for (const r of rows) out.push({ venue: r.venue, symbol: r.symbol, type, count: Number(r.n), first_ts: Number(r.lo), last_ts: Number(r.hi) });
  }
  return out.sort((a, b) => a.venue.localeCompare(b.venue) || a.symbol.localeCompare(b.symbol) || a.type.localeCompare(b.type));
}

export async function gaps(store: Store, minGapMs: number): Promise<Gap[]> {
  const time = await store.rows<{ venue: string; symbol: string; lo: number; hi: number }>(
    `SELECT venue::VARCHAR AS venue, symbol, epoch_ms(prev) AS lo, epoch_ms(ts) AS hi FROM (
       SELECT venue, symbol, ts, lag(ts) OVER (PARTITION BY venue, symbol ORDER BY ts) AS prev FROM trades)
     WHERE prev IS NOT NULL AND epoch_ms(ts) - epoch_ms(prev) > $1 ORDER BY venue, symbol, lo`,
    [minGapMs],
  );
  const ids = await store.rows<{ venue: string; symbol: string; lo: number; hi: number; missing: bigint }>(
    `SELECT venue::VARCHAR AS venue, symbol, epoch_ms(prev_ts) AS lo, epoch_ms(ts) AS hi, id - prev_id - 1 AS missing FROM (
       SELECT venue, symbol, ts, trade_id AS id, lag(ts) OVER w AS prev_ts, lag(trade_id) OVER w AS prev_id
       FROM trades WHERE venue IN ('binance', 'binance-spot') AND trade_id IS NOT NULL
       WINDOW w AS (PARTITION BY venue, symbol, import_id ORDER BY trade_id))
     WHERE prev_id IS NOT NULL AND id - prev_id > 1 ORDER BY venue, symbol, lo`,
  );
  const recorded = await store.rows<{ venue: string; symbol: string; type: string; lo: number; hi: number; reason: string }>(
    `SELECT venue::VARCHAR AS venue, symbol, type, epoch_ms(from_ts) AS lo, epoch_ms(to_ts) AS hi, reason FROM gaps ORDER BY venue, symbol, lo`,
  );
  const gap = (g: Omit<Gap, 'date' | 'seconds'>): Gap => ({ ...g, date: new Date(g.from_ts).toISOString().slice(0, 10), seconds: (g.to_ts - g.from_ts) / 1000 });
  return [
    ...time.map((r) => gap({ venue: r.venue, symbol: r.symbol, type: 'trade', kind: 'time', from_ts: Number(r.lo), to_ts: Number(r.hi) })),
    ...ids.map((r) => gap({ venue: r.venue, symbol: r.symbol, type: 'trade', kind: 'id', from_ts: Number(r.lo), to_ts: Number(r.hi), missing_ids: Number(r.missing) })),
    ...recorded.map((r) => gap({ venue: r.venue, symbol: r.symbol, type: r.type, kind: 'recorded', from_ts: Number(r.lo), to_ts: Number(r.hi), reason: r.reason })),
  ].sort((a, b) => a.venue.localeCompare(b.venue) || a.symbol.localeCompare(b.symbol) || a.from_ts - b.from_ts);
}

/** Gaps grouped by UTC day, venue and symbol. */
export function gapsPerDay(list: readonly Gap[]): GapDay[] {
  const by = new Map<string, { date: string; venue: string; symbol: string; gaps: number; missing_seconds: number; missing_ids: number }>();
  for (const g of list) {
    const key = `${g.date}|${g.venue}|${g.symbol}`;
    const d = by.get(key) ?? { date: g.date, venue: g.venue, symbol: g.symbol, gaps: 0, missing_seconds: 0, missing_ids: 0 };
    d.gaps++;
    if (g.kind !== 'id') d.missing_seconds += g.seconds;
    d.missing_ids += g.missing_ids ?? 0;
    by.set(key, d);
  }
  return [...by.values()].sort((a, b) => a.date.localeCompare(b.date) || a.venue.localeCompare(b.venue) || a.symbol.localeCompare(b.symbol));
}

export async function otherDatasets(store: Store): Promise<OtherDataset[]> {
  const k = await store.rows<{ venue: string; symbol: string; d: string; n: bigint; lo: number; hi: number }>(
    `SELECT venue::VARCHAR AS venue, symbol, kind || ' ' || interval AS d, count(*) AS n, epoch_ms(min(open_time)) AS lo, epoch_ms(max(open_time)) AS hi
     FROM klines GROUP BY ALL ORDER BY ALL`,
  );
  const b = await store.rows<{ venue: string; symbol: string; n: bigint; lo: number; hi: number }>(
    `SELECT venue::VARCHAR AS venue, symbol, count(*) AS n, epoch_ms(min(ts)) AS lo, epoch_ms(max(ts)) AS hi FROM depth_bands GROUP BY ALL ORDER BY ALL`,
  );
  return [
    ...k.map((r) => ({ table: 'klines' as const, venue: r.venue, symbol: r.symbol, detail: r.d, count: Number(r.n), first_ts: Number(r.lo), last_ts: Number(r.hi) })),
    ...b.map((r) => ({ table: 'depth_bands' as const, venue: r.venue, symbol: r.symbol, detail: 'bookDepth bands', count: Number(r.n), first_ts: Number(r.lo), last_ts: Number(r.hi) })),
  ];
}

export async function summarize(store: Store, minGapMs: number): Promise<StoreSummary> {
  const g = await gaps(store, minGapMs);
  const [{ n }] = await store.rows<{ n: bigint }>('SELECT count(*) AS n FROM imports');
  return { datasets: await datasets(store), gaps: g, gapDays: gapsPerDay(g), other: await otherDatasets(store), imports: Number(n) };
}
