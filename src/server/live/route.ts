/**
 * `GET /ws?symbol&venues`: the live websocket. The market is resolved (and a bad one answered
 * 400) before the upgrade, as any `/api` request; the token hook has run before that.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Venue } from '../../core/events.ts';
import { marketParam } from '../query/params.ts';
import type { StoreAccess } from '../store-access.ts';
import type { LiveHub } from './hub.ts';

const MARKET = Symbol('market');

type WithMarket = FastifyRequest & { [MARKET]?: { symbol: string; pairs: [Venue, string][] } };

export function liveRoute(app: FastifyInstance, access: StoreAccess, hub: LiveHub): void {
  app.get(
    '/ws',
    {
      websocket: true,
      preValidation: async (req: WithMarket) => {
        req[MARKET] = await access.read((store) => marketParam(store, req.query as Record<string, unknown>));
      },
    },
    (socket, req: WithMarket) => {
      const m = req[MARKET]!;
      // The client sends nothing; anything it sends is ignored (maxPayload bounds it).
      socket.on('message', () => {});
      hub.attach(socket, m.symbol, m.pairs);
    },
  );
}
