import type { Router } from 'express';
import { pino } from 'pino';
import { AdminSessions } from '../../src/store/admin-sessions.js';
import { adminRouter } from '../../src/admin/routes.js';
import { configSchema } from '../../src/config/schema.js';
import { standaloneHooks } from '../../src/runtime/http-app.js';
import { createTestStore } from '../support/memory-store.js';

export interface RouteEntry {
  method: string;
  path: string;
}

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  name?: string;
  handle?: { stack?: Layer[] };
}

/** Every route the admin router declares (its own, not the static assets sub-router), read from express's route stack. */
export async function adminRouteList(): Promise<RouteEntry[]> {
  const t = await createTestStore();
  try {
    const api = { store: t.store, config: configSchema.parse({}), log: pino({ level: 'silent' }), notifyChange: () => undefined };
    const router: Router = adminRouter(api, new AdminSessions(t.store.db, 1), standaloneHooks(api));
    const routes: RouteEntry[] = [];
    for (const layer of (router as unknown as { stack: Layer[] }).stack) {
      if (!layer.route) continue;
      for (const method of Object.keys(layer.route.methods)) routes.push({ method: method.toUpperCase(), path: layer.route.path });
    }
    return routes;
  } finally {
    await t.close();
  }
}

/** A concrete URL path for a route pattern (`/users/:id` -> `/admin/users/x`). */
export function concrete(path: string): string {
  return `/admin${path.replace(/:kind\b/g, 'imap').replace(/:[A-Za-z]+/g, 'x')}`.replace(/\/$/, '') || '/admin';
}
