/**
 * The DuckDB store as a sink's target: each group of batches is one transaction holding the rows,
 * a `bus_batches` row per batch (its Msg-Id, primary key) and the session's ledger counters. A
 * batch whose Msg-Id is already in `bus_batches` was committed before (a crash
 * lost its ack, or it was published again after the duplicate window): it is skipped. The session is an `imports` row (format `bus`) that says
 * `recording` until the sink stops cleanly, as a recorder's does.
 */
import { listValue } from '@duckdb/node-api';
import { countCommitted, finishSession } from '../store/session-ledger.ts';
import { StoreSink } from '../store/store-sink.ts';
import type { Store } from '../store/store.ts';
import type { BatchWriter, ReceivedBatch } from './sink.ts';

export class StoreWriter implements BatchWriter {
  private bookMsg = 0;

  private constructor(
    private readonly store: Store,
    readonly importId: number,
  ) {}

  get target(): string {
    return this.store.path;
  }

  static async open(store: Store, label: string): Promise<StoreWriter> {
    const [{ id }] = await store.rows<{ id: bigint }>("SELECT nextval('import_id_seq') AS id");
    const importId = Number(id);
    // sha256 is unique in the ledger: a session has no file hash, so it gets a unique stand-in.
    await store.run("INSERT INTO imports VALUES ($1, $2, 0, $3, 'bus', 0, 0, NULL, NULL, 'recording', now()::TIMESTAMP)", [importId, label, `bus-session-${importId}-${Date.now()}`]);
    // Book message ids count down per import; a session continuing an import never reuses one.
    return new StoreWriter(store, importId);
  }

  async write(group: readonly ReceivedBatch[]): Promise<{ written: number; skipped: number; events: number }> {
    const store = this.store;
    let sink: StoreSink | undefined;
    try {
      await store.run('BEGIN TRANSACTION');
      // Every id is looked up, not only redelivered ones: a batch published again after the
      // duplicate window is a new message to JetStream but the same rows here.
      const ids = group.map((b) => b.msgId);
      const held = new Set((await store.rows<{ msg_id: string }>('SELECT msg_id FROM bus_batches WHERE msg_id IN (SELECT unnest($1::VARCHAR[]))', [listValue(ids)])).map((r) => r.msg_id));
      const todo = group.filter((b) => {
        // The same batch twice in one group (delivered, then redelivered before the ack) counts once.
        if (held.has(b.msgId)) return false;
        held.add(b.msgId);
        return true;
      });
      let events = 0;
      if (todo.length > 0) {
        sink = await StoreSink.create(store.conn, this.importId, this.bookMsg);
        for (const b of todo) {
          for (const e of b.batch.events) sink.event(e);
          events += b.batch.events.length;
        }
        const rows = sink.finish();
        const app = await store.conn.createAppender('bus_batches');
        for (const b of todo) {
          app.appendVarchar(b.msgId);
          app.appendBigInt(BigInt(b.seq));
          app.appendInteger(this.importId);
          app.endRow();
        }
        app.flushSync();
        app.closeSync();
        await countCommitted(store, this.importId, rows, sink);
      }
      await store.run('COMMIT');
      if (sink) this.bookMsg = sink.lastBookMsg;
      return { written: todo.length, skipped: group.length - todo.length, events };
    } catch (e) {
      sink?.abandon();
      await store.run('ROLLBACK').catch(() => {});
      throw e;
    }
  }

  /** A clean stop: the session's ledger row says `ok`. */
  async close(): Promise<void> {
    await finishSession(this.store, this.importId);
  }
}
