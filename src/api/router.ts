import express, { type Router } from 'express';
import { requireApiToken, type tokenMatcher } from './auth.js';
import type { ApiContext } from './context.js';
import { notFoundRoute } from './errors.js';
import { toExpressHandler, type AnyRoute } from './route.js';

/**
 * /api/v1: every route behind the bearer token, JSON bodies, an unknown path answered as JSON 404.
 * A write notifies the change-feed follower (webhooks) once its handler has answered.
 */
export function apiV1Router(ctx: ApiContext, routes: readonly AnyRoute[], matchToken: ReturnType<typeof tokenMatcher>): Router {
  const api = express.Router();
  api.use(requireApiToken(matchToken));
  api.use(express.json({ limit: '10mb' }));
  for (const route of routes) {
    const handler = toExpressHandler(route);
    api[route.method](route.path, async (req, res) => {
      res.locals['route'] = `/api/v1${route.path}`;
      await handler(req, res, () => undefined);
      if (route.method !== 'get') ctx.notifyChange();
    });
  }
  api.use(notFoundRoute);
  return api;
}
