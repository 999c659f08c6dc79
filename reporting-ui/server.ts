/**
 * The reporting UI's HTTP side: the JSON API (OpenAPI at /docs), the single-page app, the
 * live WebSocket. Authentication happens once per request here (session cookie, or an API
 * key as `Authorization: Bearer sk_...`); every route then asks the request's Scope.
 */
import { fileURLToPath } from 'node:url';
import cookie from '@fastify/cookie';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import websocket from '@fastify/websocket';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import type { Logger } from '../common/logger.js';
import type { ReportStore } from '../store/store.js';
import type { User } from '../store/users.js';
import { InflightBytes } from '../common/inflight-bytes.js';
import { UiError, UiErrorCode } from './errors.js';
import { errorBody } from '../common/error-codes.js';
import type { LiveFeed } from './live-feed.js';
import type { Monitor } from './monitor.js';
import { adminRoutes } from './routes/admin-routes.js';
import { appRoutes } from './routes/app-routes.js';
import { audienceRoutes } from './routes/audience-routes.js';
import { authRoutes } from './routes/auth-routes.js';
import { campaignRoutes } from './routes/campaign-routes.js';
import { conversionRoutes } from './routes/conversion-routes.js';
import { funnelRoutes } from './routes/funnel-routes.js';
import { reachRoutes } from './routes/reach-routes.js';
import { healthRoutes } from './routes/health-routes.js';
import { healthScoreRoutes } from './routes/health-score-routes.js';
import { inventoryRoutes } from './routes/inventory-routes.js';
import { liveRoutes } from './routes/live-routes.js';
import { moneyRoutes } from './routes/money-routes.js';
import { Scope } from './scope.js';
import { SESSION_COOKIE, type Sessions } from './sessions.js';
import type { UiMetrics } from './ui-metrics.js';

export interface UiAppOptions {
  store: ReportStore;
  sessions: Sessions;
  log: Logger;
  secureCookies: boolean;
  sessionHours: number;
  loginRatePerMinute: number;
  /** Headers and body must arrive within this long; a slow client's connection is closed. */
  requestTimeoutMs: number;
  /** Request body bytes held at once; past it, 503 UI_ERR_BUSY before the body is read. */
  maxInflightBytes: number;
  live: LiveFeed;
  monitor: Monitor;
  metrics: UiMetrics;
}

/** Who may call a route: anyone, a logged-in user (whose Scope then decides), or an admin. */
type Access = 'public' | 'user' | 'admin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route; unset is 'user' for an /api/ route pattern and 'public' otherwise. */
    access?: Access;
  }
  interface FastifyInstance {
    apiRoutes: string[];
  }
  interface FastifyRequest {
    /** The logged-in user, or null (public routes). */
    user: User | null;
    scope: Scope | null;
  }
}

const BODY_LIMIT = 1 << 20;
const PUBLIC = fileURLToPath(new URL('../../reporting-ui/public/', import.meta.url));
const UPLOT = fileURLToPath(new URL('../../node_modules/uplot/dist/', import.meta.url));
/**
 * Access is decided on the route the router matched (its config, else its URL pattern), never on
 * the raw URL: `/%61pi/admin/users` matches `/api/admin/:entity` and must be treated as such.
 */
function accessOf(route: { url?: string; config: { access?: Access } }): Access {
  return route.config.access ?? (route.url?.startsWith('/api/') ? 'user' : 'public');
}
/** An unmatched path that looks like the API (decoded, any case, any slashes) answers JSON 404, not the SPA. */
function looksLikeApi(url: string): boolean {
  let [path = ''] = url.split('?');
  try {
    path = new URL(decodeURIComponent(path).replace(/\/{2,}/g, '/'), 'http://x').pathname;
  } catch {
    return true;
  }
  return /^\/api(\/|$)/i.test(path);
}

/** Every error answers `{statusCode, code, message, details?}`; unknown API paths are JSON 404s, other paths the SPA. */
function addErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError | UiError, req, reply) => {
    const e = err as FastifyError & { details?: unknown };
    let code = e.code ?? UiErrorCode.INTERNAL;
    let status = e.statusCode ?? 500;
    let message = e.message;
    if (e.validation) (code = UiErrorCode.BAD_REQUEST), (status = 400);
    else if (status >= 500 && !(err instanceof UiError)) {
      req.log.error({ err }, 'ui request failed');
      (code = UiErrorCode.INTERNAL), (message = 'internal error');
    } else if (typeof code !== 'string' || !/^[A-Z]+_ERR_/.test(code)) code = status === 404 ? UiErrorCode.NOT_FOUND : UiErrorCode.BAD_REQUEST;
    void reply.code(status).send(errorBody(status, code, message, e.details));
  });
  app.setNotFoundHandler((req, reply) => {
    // The SPA owns every other path (deep links); unknown API paths are 404s.
    if (req.method !== 'GET' || looksLikeApi(req.url)) return reply.code(404).send(errorBody(404, UiErrorCode.NOT_FOUND, `no route ${req.method} ${req.url.split('?')[0]}`));
    return reply.sendFile('index.html', PUBLIC);
  });

}

/** Before each request: refuse it while too many body bytes are held, then authenticate it unless its route is public. */
function addAccessHook(app: FastifyInstance, o: UiAppOptions): void {
  const inflight = new InflightBytes(o.maxInflightBytes, BODY_LIMIT);
  o.metrics.inflight = inflight;
  app.addHook('onRequest', async (req, reply) => {
    o.metrics.requests++;
    const bytes = inflight.declared(req.headers);
    if (bytes > 0 && !inflight.reserve(reply.raw, bytes)) {
      o.metrics.inflightRefused++;
      void reply.header('retry-after', '1');
      throw new UiError(UiErrorCode.BUSY, 'too many request bytes are held at once; retry in a second');
    }
    const access = accessOf(req.routeOptions);
    if (access === 'public') return;
    let user: User | undefined;
    const auth = req.headers.authorization;
    if (auth?.startsWith('Bearer ')) {
      user = await o.store.userForApiKey(auth.slice(7).trim());
      if (!user) throw new UiError(UiErrorCode.UNAUTHENTICATED, 'unknown API key');
    } else user = o.sessions.user(req.cookies[SESSION_COOKIE]);
    if (!user) throw new UiError(UiErrorCode.UNAUTHENTICATED, 'log in first (POST /api/login) or send an API key');
    req.user = user;
    req.scope = new Scope(user, o.store);
    if (access === 'admin') req.scope.requireAdmin(`call ${req.routeOptions.method} ${req.routeOptions.url}`);
  });
}

export async function buildUiApp(o: UiAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: o.log as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT,
    // Slow clients (a byte every few seconds) are cut off: headers and body within requestTimeoutMs,
    // checked every second (node's default check runs every 30 s). Upgraded WebSockets are not affected.
    requestTimeout: o.requestTimeoutMs,
    http: { connectionsCheckingInterval: 1000, requestTimeout: o.requestTimeoutMs, headersTimeout: o.requestTimeoutMs },
    return503OnClosing: true,
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: true } },
  });
  // Every API route, 'METHOD /url', for the authorization test that walks them all.
  const apiRoutes: string[] = [];
  app.addHook('onRoute', (r) => {
    if (!r.url.startsWith('/api/')) return;
    for (const m of [r.method].flat()) if (m !== 'HEAD') apiRoutes.push(`${m} ${r.url}`);
  });
  app.decorate('apiRoutes', apiRoutes);
  app.decorateRequest('user', null);
  app.decorateRequest('scope', null);

  addErrorHandlers(app);

  await app.register(cookie);
  await app.register(websocket, { options: { maxPayload: 4096 } });
  await app.register(swagger, {
    openapi: {
      info: { title: 'Sluice reporting API', version: '1', description: 'Reports for publishers, advertisers and admins. Log in with POST /api/login (cookie) or send an API key as `Authorization: Bearer sk_...`. Add `format=csv` to any GET report for a CSV download.' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' }, session: { type: 'apiKey', in: 'cookie', name: SESSION_COOKIE } } },
      security: [{ apiKey: [] }, { session: [] }],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(fastifyStatic, { root: PUBLIC, prefix: '/', index: false, wildcard: false });
  await app.register(fastifyStatic, { root: UPLOT, prefix: '/vendor/uplot/', decorateReply: false });

  addAccessHook(app, o);

  const open = { access: 'public' as const };
  app.get('/healthz', { schema: { hide: true }, config: open }, async () => ({ status: 'ok' }));
  app.get('/metrics', { schema: { hide: true }, config: open }, async (_req, reply) => reply.type('text/plain; version=0.0.4').send(o.metrics.text(o.live)));

  await app.register(authRoutes(o));
  await app.register(appRoutes(o));
  await app.register(audienceRoutes(o));
  await app.register(campaignRoutes(o));
  await app.register(conversionRoutes(o));
  await app.register(funnelRoutes(o));
  await app.register(reachRoutes(o));
  await app.register(moneyRoutes(o));
  await app.register(healthRoutes(o));
  await app.register(healthScoreRoutes(o));
  await app.register(inventoryRoutes(o));
  await app.register(adminRoutes(o));
  await app.register(liveRoutes(o));
  return app;
}
