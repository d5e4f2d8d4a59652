/**
 * `orderflow serve`: the dashboard's server. History from the store over HTTP (`/api/*`, the wire
 * contract in api.ts), live updates over a websocket (`/ws`, live/), the browser bundle from
 * memory (web-assets.ts), and the token when bound beyond loopback (auth.ts). One fastify plugin
 * per concern; reusable in-process (the demo starts it beside its recorder and paper session).
 */
import type { Writable } from 'node:stream';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { StoreError, UsageError } from '../core/errors.ts';
import type { Store } from '../store/store.ts';
import type { Bus } from '../bus/connection.ts';
import { presentedToken, redactUrl, requiredToken, tokenMatches } from './auth.ts';
import { HttpError } from './http-error.ts';
import { LiveHub } from './live/hub.ts';
import { liveRoute } from './live/route.ts';
import { candlesRoute } from './routes/candles.ts';
import { cvdRoute } from './routes/cvd.ts';
import { bookRoute } from './routes/book.ts';
import { eventsRoute } from './routes/events.ts';
import { flowRoutes, warmFlow } from './routes/flow.ts';
import { liquidationRoutes } from './routes/liquidations.ts';
import { marketsAnswer, marketsRoute } from './routes/markets.ts';
import { paperRoute } from './routes/paper.ts';
import { runsRoutes } from './routes/runs.ts';
import { sessionsRoute } from './routes/sessions.ts';
import { staticRoutes } from './routes/static.ts';
import { tapeRoute } from './routes/tape.ts';
import { StoreAccess } from './store-access.ts';
import { buildWebAssets } from './web-assets.ts';

export const DEFAULT_PORT = 8787;
export const DEFAULT_HOST = '127.0.0.1';

export interface ServerOptions {
  /** The store folder (as --home). */
  readonly home: string;
  readonly host?: string;
  /** 0 picks a free port. */
  readonly port?: number;
  /** Required beyond loopback (a UsageError otherwise). */
  readonly token?: string;
  /** Request log (JSON lines, tokens redacted); none by default. */
  readonly log?: Writable;
  /** A Store this process already writes (the demo): read through it instead of opening the file. */
  readonly store?: Store;
  /** Live tail poll period, ms (default 250). */
  readonly pollMs?: number;
  /** Per-client websocket queue bound, bytes (default live/client.ts DEFAULT_CLIENT_QUEUE_BYTES). */
  readonly clientQueueBytes?: number;
  /** A client past its queue bound this long is closed with 1013 (default live/client.ts DEFAULT_STALL_MS). */
  readonly stallMs?: number;
  /** Live trades, liquidations and tickers from this bus (`serve --bus`) instead of the store's tail. */
  readonly bus?: { readonly bus: Bus; readonly stream?: string };
  /** Memory bound of the trades held for the panes, bytes (default cache/trade-cache.ts DEFAULT_CACHE_BYTES). */
  readonly cacheBytes?: number;
  /**
   * Fill the trades in memory for every stored market at start, in the background (requests
   * meanwhile wait for the market they need), so the first page load does not read the store.
   */
  readonly warm?: boolean;
}

export interface RunningServer {
  /** `http://host:port` (IPv6 hosts bracketed). */
  readonly url: string;
  close(): Promise<void>;
  readonly app: FastifyInstance;
  /** The live websocket hub (its clients and their queues). */
  readonly hub: LiveHub;
  /** Settles when the start-up fill (`warm`) has ended, at once without one. */
  readonly warmed: Promise<void>;
}

/** Build the app without listening (tests inject into it). */
export async function buildServer(opts: ServerOptions): Promise<{ app: FastifyInstance; hub: LiveHub; warmed: Promise<void> }> {
  const host = opts.host ?? DEFAULT_HOST;
  const token = requiredToken(host, opts.token);
  const assets = await buildWebAssets();
  const app = Fastify({
    logger: opts.log
      ? {
          stream: opts.log,
          serializers: {
            // The default serializer logs the raw URL: a `?token=` would land in the log.
            req: (req: { method: string; url: string; ip?: string }) => ({ method: req.method, url: redactUrl(req.url), remoteAddress: req.ip }),
          },
        }
      : false,
    // Query strings hostile or huge are answered 400 by the routes, not parsed into deep objects.
    bodyLimit: 1024,
    // Close ends every connection: a browser's keep-alive or a refused upgrade must not hold a Ctrl-C.
    forceCloseConnections: true,
  });
  const access = new StoreAccess(opts.home, opts.store, opts.cacheBytes);
  const hub = new LiveHub(access, { pollMs: opts.pollMs, clientQueueBytes: opts.clientQueueBytes, stallMs: opts.stallMs, log: app.log, bus: opts.bus });

  app.setErrorHandler((e, req, reply) => {
    const err = e instanceof Error ? e : new Error(String(e));
    if (err instanceof HttpError) return reply.code(err.status).send({ error: err.message, ...(err.field ? { field: err.field } : {}) });
    if (err instanceof UsageError) return reply.code(400).send({ error: err.message });
    if (err instanceof StoreError) return reply.code(503).send({ error: err.message });
    const status = (err as { statusCode?: number }).statusCode;
    if (status !== undefined && status >= 400 && status < 500) return reply.code(status).send({ error: err.message });
    req.log.error({ err: { message: err.message, stack: err.stack } }, 'request failed');
    return reply.code(500).send({ error: `internal error: ${err.message}` });
  });
  app.setNotFoundHandler((req, reply) => reply.code(404).send({ error: `no such path: ${redactUrl(req.url).split('?')[0]}` }));

  // Before the token hook: the plugin's own onRequest hook marks upgrade requests, so that a
  // refused upgrade's socket is destroyed after the 401 (else it stays open and close() waits on it).
  await app.register(websocket, { options: { maxPayload: 1024 } });
  if (token !== undefined) {
    // Every request, the websocket upgrade included (it is a GET through the same hooks).
    app.addHook('onRequest', async (req, reply) => {
      if (!tokenMatches(token, presentedToken(req.headers, req.query))) {
        return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong token: open the URL orderflow serve printed (with ?token=), or send Authorization: Bearer <token>' });
      }
    });
  }

  staticRoutes(app, assets, token);
  marketsRoute(app, access);
  candlesRoute(app, access);
  cvdRoute(app, access);
  flowRoutes(app, access);
  liquidationRoutes(app, access);
  bookRoute(app, access);
  eventsRoute(app, access);
  paperRoute(app, access);
  runsRoutes(app, opts.home);
  sessionsRoute(app);
  tapeRoute(app, access);
  liveRoute(app, access, hub);
  // A failed fill costs nothing but speed: each request fills what it needs.
  const warmed = opts.warm
    ? access
        .warm((store, q) => warmFlow(access, store, q))
        .then(() => access.read((store) => marketsAnswer(access, store)))
        .then(
          () => {},
          (e: Error) => app.log.warn({ err: e.message }, 'filling the trades in memory failed'),
        )
    : Promise.resolve();
  app.addHook('onClose', async () => {
    await warmed;
    await hub.close();
  });
  return { app, hub, warmed };
}

/** Build and listen. A port in use is a UsageError naming it. */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const host = opts.host ?? DEFAULT_HOST;
  const { app, hub, warmed } = await buildServer(opts);
  try {
    await app.listen({ host, port: opts.port ?? DEFAULT_PORT });
  } catch (e) {
    await app.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new UsageError(`port ${opts.port ?? DEFAULT_PORT} on ${host} is in use (another orderflow serve?): pass --port <n>, or --port 0 for any free one`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') throw new UsageError(`--host ${host}: not an address of this machine`);
    throw e;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : (opts.port ?? DEFAULT_PORT);
  const shown = host.includes(':') ? `[${host}]` : host;
  return { url: `http://${shown}:${port}`, app, hub, warmed, close: () => app.close() };
}
