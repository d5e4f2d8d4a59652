/**
 * The null model of "[7]" for prediction accuracy, over the session's own stored trades (every
 * venue it watched, merged, as its kernel saw them), scored by the backtest's prediction journal
 * with the session's horizons and definitions (docs/JOURNAL.md), `seeds` runs of each kind:
 * - `random_levels`: the session's predictions at their own times and directions, the level moved
 *   by a random factor within ±2% (null-model.ts), and kept on the real level's side of the price
 *   (reflected across it when the move crossed it: a long level above the price is touched and
 *   broken by the first trade, a free "miss" that would flatter the real levels). What it judges:
 *   whether the levels hold (reject when touched) more often than levels picked at random near the
 *   price.
 * - `shuffled_times`: the same predictions (level kept at the same distance from the price) at
 *   uniform random times of the execution venue's traded time in the same period. What it judges:
 *   whether the direction is right more often than the drift of the period gives by itself.
 * (A random level at the real time has the real direction hit by construction: a hit is a return in
 * the predicted direction, whatever the level.)
 */
import type { Venue } from '../../core/events.ts';
import { PredictionJournal } from '../../engine/journal.ts';
import { nullSignals, tradedTime, TRADED_BUCKET_MS, type TradedTime } from '../../engine/null-model.ts';
import { createRng } from '../../engine/random.ts';
import type { PredictionRecord, RunSignal } from '../../engine/run-types.ts';
import type { Store } from '../../store/store.ts';
import { streamTrades } from '../../store/trade-reader.ts';
import type { SessionInfo } from './rows.ts';

export type NullKind = 'random_levels' | 'shuffled_times';

/** How far before the window trades are read: a prediction's reference price is the last trade before it. */
const LEAD_MS = 3_600_000;

/** Where the execution venue traded in [fromMs, toMs) (1-minute buckets with a trade), as the backtest's null model draws from. */
export async function sessionTradedTime(store: Store, s: SessionInfo, fromMs: number, toMs: number): Promise<TradedTime> {
  const rows = await store.rows<{ b: number }>(
    `SELECT DISTINCT (floor(epoch_ms(ts) / ${TRADED_BUCKET_MS}) * ${TRADED_BUCKET_MS})::DOUBLE AS b FROM trades
      WHERE venue::VARCHAR = $1 AND symbol = $2 AND ts >= make_timestamp($3::BIGINT) AND ts < make_timestamp($4::BIGINT) ORDER BY b`,
    [s.execVenue, s.execSymbol, BigInt(Math.floor(fromMs * 1000)), BigInt(Math.ceil(toMs * 1000))],
  );
  return tradedTime(rows.map((r) => Number(r.b)), fromMs, toMs);
}

/**
 * The null runs' predictions per kind, one list per run (ids of the real predictions they stand
 * for); a kind has none without predictions, seeds, or (shuffled times) traded time. Every run of
 * every kind goes through one read of the stored trades.
 */
export async function nullPredictions(store: Store, s: SessionInfo, real: readonly PredictionRecord[], o: { readonly kinds: readonly NullKind[]; readonly seeds: number; readonly fromMs: number; readonly toMs: number }): Promise<Record<NullKind, (readonly PredictionRecord[])[]>> {
  const out: Record<NullKind, (readonly PredictionRecord[])[]> = { random_levels: [], shuffled_times: [] };
  if (real.length === 0 || o.seeds <= 0) return out;
  const traded = await sessionTradedTime(store, s, o.fromMs, o.toMs);
  const kinds = o.kinds.filter((k) => k !== 'shuffled_times' || traded.totalMs > 0);
  const horizons = real[0].outcomes.map((x) => x.horizonMs);
  // evidence.close: the price the level is measured against, so a shuffled level keeps its distance from the price.
  const asSignals = real.map((p) => ({ id: p.id, ts: p.ts, type: p.type, direction: p.direction, level: p.level, venue: p.venue, session: p.session, evidence: { close: p.refPrice } }) as unknown as RunSignal);
  const sessionOf = new Map(real.map((p) => [p.id, p.session]));
  const sideOf = new Map(real.map((p) => [p.id, Math.sign(p.level - p.refPrice)]));
  const runs = kinds.flatMap((kind) => {
    const root = createRng(s.seed).fork(`journal-report:${kind}`);
    return Array.from({ length: o.seeds }, (_, k) => ({ kind, journal: new PredictionJournal({ horizonsMs: horizons }), queue: nullSignals(asSignals, kind, root.fork(String(k)), traded), next: 0 }));
  });
  const firstTs = Math.min(o.fromMs, ...real.map((p) => p.ts));
  const endTs = Math.max(o.toMs, ...real.map((p) => p.ts));
  // A prediction at ts goes in after every trade at or before ts (the kernel predicts once it has seen them).
  const predictBefore = (r: (typeof runs)[number], limit: number) => {
    for (; r.next < r.queue.length && r.queue[r.next].ts < limit; r.next++) {
      const x = r.queue[r.next];
      const price = r.journal.lastPrice;
      if (price === null) continue; // no trade before it: the kernel would not have predicted either
      const sig = x.make(price);
      const id = Number(sig.evidence.null_of);
      const side = sideOf.get(id)!;
      const level = r.kind === 'random_levels' && side !== 0 && Math.sign(sig.level - price) === -side ? (price * price) / sig.level : sig.level;
      r.journal.predict({ id, ts: x.ts, type: sig.type, direction: sig.direction, level, venue: sig.venue, session: sessionOf.get(id)! });
    }
  };
  if (runs.length === 0) return out;
  const trades = streamTrades(store, { venues: s.pairs.map((p) => p[0] as Venue), symbols: s.pairs.map((p) => p[1]), fromMs: firstTs - LEAD_MS, toMs: endTs });
  for await (const c of trades) {
    const n = c.length;
    for (const r of runs) {
      let i = 0;
      while (i < n) {
        const due = r.next < r.queue.length ? r.queue[r.next].ts : Infinity;
        let j = i;
        while (j < n && c.ts[j] <= due) j++;
        r.journal.onTrades(c.ts, c.price, i, j);
        i = j;
        if (i < n) predictBefore(r, c.ts[i]);
      }
    }
  }
  for (const r of runs) {
    predictBefore(r, Infinity);
    r.journal.finish(endTs);
    out[r.kind].push(r.journal.report().predictions);
  }
  return out;
}
