/**
 * One recorder commit: rows `[from, to)` of a batch (events and gap rows) in one DuckDB
 * transaction, with the session's ledger row (`imports`) counters in the same transaction, so
 * after `kill -9` the store holds every committed flush and nothing of a half-written one.
 */
import type { PendingRow } from './pending-queue.ts';
import { countCommitted, finishSession } from './session-ledger.ts';
import { StoreSink } from './store-sink.ts';
import type { Store } from './store.ts';

/** Events appended between two yields to the event loop during a commit. */
const APPEND_SLICE = 2048;

export interface Committed {
  /** Rows written to the data tables (a book event is one row per level). */
  readonly rows: number;
  readonly gaps: number;
}

export class RecordWriter {
  /** Book message ids are unique per import: each commit continues from the last committed one. */
  private bookMsg = 0;

  constructor(
    private readonly store: Store,
    private readonly importId: number,
  ) {}

  async commit(batch: readonly PendingRow[], from: number, to: number): Promise<Committed> {
    const store = this.store;
    let sink: StoreSink | undefined;
    try {
      await store.run('BEGIN TRANSACTION');
      sink = await StoreSink.create(store.conn, this.importId, this.bookMsg);
      let gaps = 0;
      // In slices, letting the event loop read the sockets between them: one block of 25k
      // appends would hold incoming frames for tens of ms.
      for (let i = from; i < to; i += APPEND_SLICE) {
        if (i > from) await new Promise<void>((r) => setImmediate(r));
        const end = Math.min(to, i + APPEND_SLICE);
        for (let k = i; k < end; k++) {
          const r = batch[k];
          if (r.type === 'gap') gaps++;
          else if (r.type === 'kline') sink.kline(r);
          else sink.event(r);
        }
      }
      const rows = sink.finish();
      if (gaps > 0) {
        for (let k = from; k < to; k++) {
          const r = batch[k];
          if (r.type !== 'gap') continue;
          const g = r.gap;
          await store.run('INSERT INTO gaps VALUES ($1::venue_t, $2, $3, make_timestamp($4::BIGINT), make_timestamp($5::BIGINT), $6)', [
            g.venue,
            g.symbol,
            g.kind,
            BigInt(Math.round(g.fromTs * 1000)),
            BigInt(Math.round(g.toTs * 1000)),
            `${g.backfilled ? 'backfilled: ' : ''}${g.detail}`,
          ]);
        }
      }
      await countCommitted(store, this.importId, rows, sink);
      await store.run('COMMIT');
      this.bookMsg = sink.lastBookMsg;
      return { rows, gaps };
    } catch (e) {
      sink?.abandon();
      await store.run('ROLLBACK').catch(() => {});
      throw e;
    }
  }

  /** The session ended cleanly: its ledger row says `ok`. */
  async finishSession(): Promise<void> {
    await finishSession(this.store, this.importId);
  }
}
