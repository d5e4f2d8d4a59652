/**
 * Where each recorded trade stream stopped: the seed a restarted `orderflow record` hands its
 * connectors (LiveClientOptions.resume), so the outage between a crash and the restart is
 * back-filled where the venue's REST allows and reported as a `restart` gap where it does not.
 *
 * Only trades stored by earlier `record` sessions count: an archive imported last month is not
 * an outage to back-fill. Per venue and symbol: the highest numeric trade id (Binance aggregate
 * ids, OKX trade ids both rise with time) and the newest exchange time with the ids stored at it
 * (all Bybit has: UUIDs, so it resumes by time and skips those).
 */
import type { Venue } from '../core/events.ts';
import type { TradeResume } from '../venues/live/types.ts';
import type { Store } from './store.ts';

export async function tradeResumePoints(store: Store, venue: Venue, symbols: readonly string[]): Promise<Map<string, TradeResume>> {
  const out = new Map<string, TradeResume>();
  for (const symbol of new Set(symbols)) {
    const [r] = await store.rows<{ last_id: bigint | null; last_ms: bigint | number | null }>(
      `SELECT max(trade_id) AS last_id, epoch_ms(max(ts)) AS last_ms
         FROM trades
        WHERE venue = $1::venue_t AND symbol = $2
          AND import_id IN (SELECT import_id FROM imports WHERE format = 'record')`,
      [venue, symbol],
    );
    if (r === undefined || r.last_ms === null) continue;
    const lastId = r.last_id === null ? undefined : Number(r.last_id);
    const lastTs = Number(r.last_ms);
    const at = await store.rows<{ id: string }>(
      `SELECT coalesce(CAST(trade_id AS VARCHAR), CAST(trade_uuid AS VARCHAR)) AS id
         FROM trades
        WHERE venue = $1::venue_t AND symbol = $2 AND epoch_ms(ts) = $3
          AND import_id IN (SELECT import_id FROM imports WHERE format = 'record')`,
      [venue, symbol, lastTs],
    );
    out.set(symbol, { lastId: lastId !== undefined && Number.isSafeInteger(lastId) ? lastId : undefined, lastTs, idsAtLastTs: at.map((x) => x.id) });
  }
  return out;
}
