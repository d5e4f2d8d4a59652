/** Keep the store's `instruments` table in step with the registry orderflow runs with. */
import type { InstrumentRegistry } from '../core/instruments.ts';
import type { Store } from './store.ts';

export async function saveInstruments(store: Store, registry: InstrumentRegistry): Promise<number> {
  const all = registry.all();
  await store.run('BEGIN TRANSACTION');
  try {
    for (const i of all) {
      await store.run(
        `INSERT OR REPLACE INTO instruments VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14::JSON)`,
        [
          i.venue, i.symbol, i.base, i.quote, i.kind, i.contractType, i.tickSize, i.lotSize, i.contractValue,
          i.minNotional, i.maxLeverage, i.makerFee, i.takerFee,
          JSON.stringify(i.tiers.map((t) => ({ ...t, notionalCap: Number.isFinite(t.notionalCap) ? t.notionalCap : null }))),
        ],
      );
    }
    await store.run('COMMIT');
  } catch (e) {
    await store.run('ROLLBACK').catch(() => {});
    throw e;
  }
  return all.length;
}
