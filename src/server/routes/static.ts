/**
 * The dashboard's page and bundle (src/server/web-assets.ts, built once at start). A page load
 * that presents the token as `?token=` gets it back as an HttpOnly cookie, so the page's own
 * fetches and websocket carry it without the token living in script-readable places.
 */
import type { FastifyInstance } from 'fastify';
import { tokenCookie } from '../auth.ts';
import type { WebAssets } from '../web-assets.ts';

export function staticRoutes(app: FastifyInstance, assets: WebAssets, token: string | undefined): void {
  for (const [path, asset] of assets) {
    app.get(path, async (req, reply) => {
      // The token hook let the request through: a page load that carried the token in its URL
      // (the one `serve` prints) gets it as the cookie its fetches and websocket then send.
      if (token !== undefined && typeof (req.query as Record<string, unknown>).token === 'string') reply.header('set-cookie', tokenCookie(token));
      reply.header('cache-control', 'no-cache');
      return reply.type(asset.contentType).send(asset.body);
    });
  }
}
