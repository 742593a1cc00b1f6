import express, { type Express } from 'express';
import { CalDavConnector } from '../../adapters/caldav/index.js';
import { CardDavConnector } from '../../adapters/carddav/index.js';
import { ImapConnector } from '../../adapters/imap/index.js';
import { SmtpSender } from '../../adapters/smtp/index.js';
import type { ConnectionAdapters } from '../admin/connection-test.js';
import { OpenIdAuthorizer } from '../../adapters/oauth/index.js';
import { SourceStates } from '../sync/source-states.js';
import type { AdminHooks } from '../admin/context.js';
import { adminRouter } from '../admin/routes.js';
import type { AdminSessions } from '../store/admin-sessions.js';
import type { Metrics } from '../metrics.js';
import { requireApiToken, tokenMatcher } from '../api/auth.js';
import type { ApiContext } from '../api/context.js';
import { errorHandler, notFoundRoute } from '../api/errors.js';
import { freeBusyFile } from '../api/freebusy-file.js';
import { buildOpenApiDocument } from '../api/openapi.js';
import { apiV1Router } from '../api/router.js';
import { apiRoutes } from '../api/routes/index.js';
import { OUTBOX_STATES } from '../store/outbox.js';

export interface AppOptions {
  metrics: Metrics;
  sessions: AdminSessions;
  version: string;
  /** Resolves when the database answers; rejects otherwise. */
  ping: () => Promise<void>;
  /** The running sync and configuration, for the admin UI; without it the UI shows the configuration as given. */
  admin?: AdminHooks;
}

/** The adapters the sync uses, for the admin UI's "Test connection". */
export function connectionAdapters(): ConnectionAdapters {
  return { imap: new ImapConnector(), smtp: new SmtpSender(), caldav: new CalDavConnector(), carddav: new CardDavConnector(), oauth: new OpenIdAuthorizer() };
}

/** Without a running scheduler (tests of the API alone): the configuration is the YAML, nothing runs. */
export function standaloneHooks(ctx: ApiContext): AdminHooks {
  return { yamlConfig: ctx.config, states: new SourceStates(), configChanged: async () => undefined, runNow: () => false, connections: connectionAdapters() };
}

/** The HTTP surface, mounted here so that src/api and src/admin stay apart: health and metrics, /api/v1 (bearer token), /admin (session), errors as JSON. */
export function createApp(ctx: ApiContext, options: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  // server.trustProxy: the proxy in front (one hop) names the client in X-Forwarded-For; else the socket's peer.
  app.set('trust proxy', ctx.config.server.trustProxy ? 1 : false);
  const routes = apiRoutes(ctx);
  const openApi = buildOpenApiDocument(routes, { version: options.version, serverUrl: ctx.config.server.publicUrl });
  const matchToken = tokenMatcher(ctx.config.api.tokens);

  app.use((req, res, next) => {
    const stop = options.metrics.httpDuration.startTimer();
    res.on('finish', () => {
      // Label by the matched route pattern, not the raw path, to keep metric cardinality bounded.
      const pattern = (res.locals['route'] as string | undefined) ?? (req.route as { path?: string } | undefined)?.path;
      const labels = { method: req.method, route: pattern ?? 'unmatched' };
      stop(labels);
      options.metrics.httpRequests.inc({ ...labels, status: String(res.statusCode) });
    });
    next();
  });

  app.get('/', (_req, res) => res.redirect(302, '/admin'));
  // Browsers ask for /favicon.ico on their own (the free/busy URLs, the API in a tab).
  app.get('/favicon.ico', (_req, res) => res.redirect(301, '/admin/assets/favicon.svg'));
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', version: options.version });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await options.ping();
      res.json({ status: 'ready', database: 'ok' });
    } catch (error) {
      ctx.log.warn({ err: error }, 'readiness check failed');
      res.status(503).json({ status: 'not ready', database: 'unreachable', code: 'TEMPORARY', error: 'database unreachable' });
    }
  });
  const metricsAuth = ctx.config.server.metricsRequireToken ? [requireApiToken(matchToken)] : [];
  app.get('/metrics', ...metricsAuth, async (_req, res) => {
    options.metrics.changeFeedSeq.set(await ctx.store.changes.latestSeq());
    const byState = await ctx.store.outbox.countByState();
    // Every state, 0 included: an alert on failed > 0 needs the series to exist.
    for (const state of OUTBOX_STATES) options.metrics.outboxMessages.set({ state }, byState.get(state) ?? 0);
    res.type(options.metrics.registry.contentType).send(await options.metrics.registry.metrics());
  });

  // The API description is public: it contains no data, and clients need it before they have a token.
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.json(openApi);
  });

  app.use('/api/v1', apiV1Router(ctx, routes, matchToken));
  app.use('/api', requireApiToken(matchToken), notFoundRoute);

  app.get('/freebusy/:file', freeBusyFile(ctx, (token) => matchToken(token) !== undefined));

  app.use('/admin', adminRouter(ctx, options.sessions, options.admin ?? standaloneHooks(ctx)));
  app.use(notFoundRoute);
  app.use(errorHandler(ctx.log));
  return app;
}
