/**
 * The dashboard's page and bundle (src/server/web-assets.ts, built once at start). A page load
 * that presents the token as `?token=` gets it back as an HttpOnly cookie, so the page's own
 * fetches and websocket carry it without the token living in script-readable places.
 */
import type { FastifyInstance } from 'fastify';
import { presentedToken, tokenCookie, TOKEN_COOKIE } from '../auth.ts';
import type { WebAssets } from '../web-assets.ts';

export function staticRoutes(app: FastifyInstance, assets: WebAssets, token: string | undefined): void {
  for (const [path, asset] of assets) {
    app.get(path, async (req, reply) => {
      const q = (req.query as Record<string, unknown>).token;
      // The auth hook has already checked it; a token that came only in the URL becomes the cookie.
      if (token !== undefined && typeof q === 'string' && !(req.headers.cookie ?? '').includes(`${TOKEN_COOKIE}=`) && presentedToken({}, req.query) !== undefined) {
        reply.header('set-cookie', tokenCookie(token));
      }
      reply.header('cache-control', 'no-cache');
      return reply.type(asset.contentType).send(asset.body);
    });
  }
}
