/** `GET /api/paper[?session=]`: the paper sessions in the journal and the state of the newest (or the one named). */
import type { FastifyInstance } from 'fastify';
import type { PaperResponse } from '../api.ts';
import { badParam } from '../http-error.ts';
import { param } from '../query/params.ts';
import { paperSessions, paperState } from '../query/paper-state.ts';
import type { StoreAccess } from '../store-access.ts';

export function paperRoute(app: FastifyInstance, access: StoreAccess): void {
  app.get('/api/paper', async (req): Promise<PaperResponse> => {
    const asked = param(req.query as Record<string, unknown>, 'session');
    return access.read(async (store) => {
      const sessions = await paperSessions(store);
      if (asked !== undefined && !sessions.some((s) => s.name === asked)) {
        throw badParam('session', `session: no paper session ${JSON.stringify(asked)}${sessions.length > 0 ? `; sessions: ${sessions.map((s) => s.name).join(', ')}` : ''}`);
      }
      const name = asked ?? sessions[0]?.name;
      const current = name === undefined ? undefined : await paperState(store, name);
      return current ? { sessions, current } : { sessions };
    });
  });
}
