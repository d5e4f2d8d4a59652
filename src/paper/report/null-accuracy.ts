/**
 * The null model of "[7]" for prediction accuracy: the session's own predictions at their own
 * times with the level moved by a random factor within ±2% (`random_levels`, null-model.ts), scored
 * by the backtest's prediction journal over the session's stored trades (every venue it watched,
 * merged, as its kernel saw them), `seeds` times. The same period, the same horizons, the same
 * definitions (docs/JOURNAL.md): only the level is chance.
 */
import type { Venue } from '../../core/events.ts';
import { PredictionJournal } from '../../engine/journal.ts';
import { nullSignals } from '../../engine/null-model.ts';
import { createRng } from '../../engine/random.ts';
import type { PredictionRecord, RunSignal } from '../../engine/run-types.ts';
import type { Store } from '../../store/store.ts';
import { streamTrades } from '../../store/trade-reader.ts';
import type { SessionInfo } from './rows.ts';

/** How far before the first prediction trades are read: the reference price is the last trade before it. */
const LEAD_MS = 3_600_000;
const NO_TRADED_TIME = { starts: new Float64Array(0), ends: new Float64Array(0), totalMs: 0 };

/** The null runs' predictions, one list per seed (same ids as the real ones); none without predictions or seeds. */
export async function nullPredictions(store: Store, s: SessionInfo, real: readonly PredictionRecord[], seeds: number): Promise<(readonly PredictionRecord[])[]> {
  if (real.length === 0 || seeds <= 0) return [];
  const horizons = real[0].outcomes.map((o) => o.horizonMs);
  const asSignals = real.map((p) => ({ id: p.id, ts: p.ts, type: p.type, direction: p.direction, level: p.level, venue: p.venue, session: p.session, evidence: {} }) as unknown as RunSignal);
  const root = createRng(s.seed).fork('journal-report:random_levels');
  const runs = Array.from({ length: seeds }, (_, k) => {
    const injected = nullSignals(asSignals, 'random_levels', root.fork(String(k)), NO_TRADED_TIME);
    return { journal: new PredictionJournal({ horizonsMs: horizons }), queue: injected.map((x) => ({ ts: x.ts, signal: x.make(NaN) })), next: 0 };
  });
  const byId = new Map(real.map((p) => [p.id, p]));
  const firstTs = Math.min(...real.map((p) => p.ts));
  const endTs = Math.max(s.processedTs, ...real.map((p) => p.ts));
  const trades = streamTrades(store, { venues: s.pairs.map((p) => p[0] as Venue), symbols: s.pairs.map((p) => p[1]), fromMs: firstTs - LEAD_MS, toMs: endTs });
  // Predictions at ts go in after every trade at or before ts (the kernel predicts once it has seen them).
  const predictUpTo = (r: (typeof runs)[number], limit: number) => {
    for (; r.next < r.queue.length && r.queue[r.next].ts < limit; r.next++) {
      const { ts, signal } = r.queue[r.next];
      const id = Number(signal.evidence.null_of);
      if (r.journal.lastPrice === null) continue; // no trade before it: the kernel would not have predicted either
      r.journal.predict({ id, ts, type: signal.type, direction: signal.direction, level: signal.level, venue: signal.venue, session: byId.get(id)!.session });
    }
  };
  for await (const c of trades) {
    const n = c.length;
    for (const r of runs) {
      let i = 0;
      while (i < n) {
        const nextPred = r.next < r.queue.length ? r.queue[r.next].ts : Infinity;
        let j = i;
        while (j < n && c.ts[j] <= nextPred) j++;
        r.journal.onTrades(c.ts, c.price, i, j);
        i = j;
        if (i < n) predictUpTo(r, c.ts[i]);
      }
    }
  }
  return runs.map((r) => {
    predictUpTo(r, Infinity);
    r.journal.finish(endTs);
    return r.journal.report().predictions;
  });
}
