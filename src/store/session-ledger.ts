/**
 * The `imports` row of a recording session (a recorder's, a bus sink's): its counters move in
 * the same transaction as the rows they count, and it says `ok` once the session stops cleanly.
 */
import type { StoreSink } from './store-sink.ts';
import type { Store } from './store.ts';

/** Inside the caller's transaction: `rows` more, and the time span widened to the sink's. */
export async function countCommitted(store: Store, importId: number, rows: number, sink: Pick<StoreSink, 'firstTs' | 'lastTs'>): Promise<void> {
  const first = Number.isFinite(sink.firstTs) ? BigInt(Math.round(sink.firstTs * 1000)) : null;
  const last = Number.isFinite(sink.lastTs) ? BigInt(Math.round(sink.lastTs * 1000)) : null;
  await store.run(
    `UPDATE imports SET rows = rows + $2,
       first_ts = CASE WHEN $3::BIGINT IS NULL THEN first_ts ELSE least(coalesce(first_ts, make_timestamp($3::BIGINT)), make_timestamp($3::BIGINT)) END,
       last_ts = CASE WHEN $4::BIGINT IS NULL THEN last_ts ELSE greatest(coalesce(last_ts, make_timestamp($4::BIGINT)), make_timestamp($4::BIGINT)) END
     WHERE import_id = $1`,
    [importId, rows, first, last],
  );
}

/** The session ended cleanly: its ledger row says `ok`. */
export async function finishSession(store: Store, importId: number): Promise<void> {
  await store.run("UPDATE imports SET status = 'ok' WHERE import_id = $1", [importId]);
}
