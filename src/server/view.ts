/** The query string of the view `orderflow serve` prints: a market (the one asked for, else the busiest stored) and its venues. */
import { DASHBOARD_TIMEFRAMES } from './api.ts';
import { HttpError } from './http-error.ts';
import { marketParam } from './query/params.ts';
import { StoreAccess } from './store-access.ts';
import { UsageError } from '../core/errors.ts';

export async function viewQuery(home: string, symbol: string | undefined): Promise<string> {
  return new StoreAccess(home).read(async (store) => {
    let name = symbol;
    if (name === undefined) {
      const rows = await store.rows<{ symbol: string }>('SELECT symbol FROM trades GROUP BY symbol ORDER BY count(*) DESC LIMIT 1');
      if (rows.length === 0) return '';
      name = rows[0].symbol;
    }
    try {
      const { pairs } = await marketParam(store, { symbol: name });
      const venues = [...new Set(pairs.map((p) => p[0]))].join(',');
      return `?symbol=${encodeURIComponent(name)}&venues=${venues}&tf=${DASHBOARD_TIMEFRAMES[0]}`;
    } catch (e) {
      if (e instanceof HttpError) throw new UsageError(`--${e.message}`);
      throw e;
    }
  });
}
