/**
 * `GET /api/cvd`: cumulative delta per bar of `tf`, aggregated over the venues and per venue
 * (src/features/cvd.ts), aligned on one time axis: a bar a venue did not trade in has delta 0
 * and carries its cvd. One streamed pass, one operator per venue and one for all.
 */
import type { FastifyInstance } from 'fastify';
import type { Venue } from '../../core/events.ts';
import { CvdOperator, type CvdBar } from '../../features/cvd.ts';
import type { CvdResponse } from '../api.ts';
import { rangeParams, timeframeParam } from '../query/params.ts';
import type { StoreAccess } from '../store-access.ts';

export function cvdRoute(app: FastifyInstance, access: StoreAccess): void {
  app.get('/api/cvd', async (req): Promise<CvdResponse> => {
    const query = req.query as Record<string, unknown>;
    const { tfMs } = timeframeParam(query, 'tf', '15m');
    return access.read(async (store) => {
      const r = await rangeParams(store, query, tfMs);
      const all: CvdBar[] = [];
      const per = new Map<Venue, CvdBar[]>();
      const ops = [new CvdOperator({ timeframeMs: tfMs }, (b) => all.push(b))];
      // One venue's own bars are those of all its trades: the same bars, without a second pass.
      if (r.q.venues.length === 1) per.set(r.q.venues[0], all);
      else {
        for (const v of r.q.venues) {
          const bars: CvdBar[] = [];
          per.set(v, bars);
          ops.push(new CvdOperator({ timeframeMs: tfMs, venue: v }, (b) => bars.push(b)));
        }
      }
      for await (const chunk of access.trades.chunks(store, r.q)) for (const op of ops) op.push(chunk);
      for (const op of ops) op.flush();
      const t = all.map((b) => b.open_time_ms);
      const venues: CvdResponse['venues'] = {};
      for (const [v, bars] of per) {
        if (bars.length === 0) continue;
        const delta = new Array<number>(t.length).fill(0);
        const cvd = new Array<number>(t.length);
        let k = 0;
        let carried = 0;
        for (let i = 0; i < t.length; i++) {
          if (k < bars.length && bars[k].open_time_ms === t[i]) {
            delta[i] = bars[k].delta;
            carried = bars[k].cvd;
            k++;
          }
          cvd[i] = carried;
        }
        venues[v] = { delta, cvd };
      }
      return { tfMs, t, all: { delta: all.map((b) => b.delta), cvd: all.map((b) => b.cvd) }, venues };
    });
  });
}
