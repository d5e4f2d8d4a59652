/** `GET /api/sessions?from&to`: the default trading sessions' occurrences overlapping the range (src/features/market-time.ts). */
import type { FastifyInstance } from 'fastify';
import { SessionCalendar } from '../../features/market-time.ts';
import { DAY_MS, DEFAULT_SESSIONS } from '../../features/timeframe.ts';
import type { SessionsResponse } from '../api.ts';
import { badParam } from '../http-error.ts';
import { timeParam } from '../query/params.ts';

/** Days one answer may cover: a session a day each, so a bound on its size. */
const MAX_DAYS = 3660;

export function sessionsRoute(app: FastifyInstance): void {
  app.get('/api/sessions', async (req): Promise<SessionsResponse> => {
    const query = req.query as Record<string, unknown>;
    const toMs = timeParam(query, 'to') ?? Date.now();
    const fromMs = timeParam(query, 'from') ?? toMs - 7 * DAY_MS;
    if (!(fromMs < toMs)) throw badParam('from', `from must be before to (got ${fromMs} and ${toMs})`);
    if ((toMs - fromMs) / DAY_MS > MAX_DAYS) throw badParam('from', `from..to spans more than ${MAX_DAYS} days`);
    const cal = new SessionCalendar(DEFAULT_SESSIONS);
    const spans: { name: string; fromMs: number; toMs: number }[] = [];
    for (let i = 0; i < DEFAULT_SESSIONS.length; i++) {
      for (let day = cal.localDay(i, fromMs) - 1; ; day++) {
        const o = cal.occurrence(i, day);
        if (o.start >= toMs) break;
        if (o.end > fromMs) spans.push({ name: DEFAULT_SESSIONS[i].name, fromMs: o.start, toMs: o.end });
      }
    }
    spans.sort((a, b) => a.fromMs - b.fromMs);
    return { spans };
  });
}
