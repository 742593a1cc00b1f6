import type { Response } from 'express';
import type { Logger } from 'pino';
import type { ApiContext } from '../api/context.js';
import type { MergedConfig } from '../config/merge-ui.js';
import type { Config } from '../config/schema.js';
import { UiConfigRepository, mergeWithUiConfig } from '../store/ui-config.js';
import type { SourceStates } from '../sync/source-states.js';
import { applyConfig } from '../store/apply-config.js';
import type { ConnectionAdapters } from './connection-test.js';
import { AdminAccounts } from '../store/admin-accounts.js';
import { AuditLog } from '../store/admin-audit.js';
import { LoginThrottle } from './login-throttle.js';
import { LoginFailureRepository } from '../store/login-failures.js';
import type { AdminSession, AdminSessions } from '../store/admin-sessions.js';

/** The logged-in admin of this request (set by the session check in routes.ts). */
export function sessionOf(res: Response): AdminSession {
  return res.locals['admin'] as AdminSession;
}

/** What the running process lends the admin UI (serve.ts); tests may leave parts out. */
export interface AdminHooks {
  /** The configuration file alone: ids it declares are shown read-only. */
  yamlConfig: Config;
  /** Per-source state from the running scheduler. */
  states: SourceStates;
  /** The merged configuration changed and was applied to the store: restart what depends on it (scheduler, outbox). */
  configChanged(config: Config): Promise<void>;
  /** Run a source now; false when no such source is scheduled. */
  runNow(sourceId: string): boolean;
  /** The adapters "Test connection" logs in with. */
  connections: ConnectionAdapters;
}

export interface AdminContext {
  api: ApiContext;
  log: Logger;
  sessions: AdminSessions;
  accounts: AdminAccounts;
  audit: AuditLog;
  uiConfig: UiConfigRepository;
  throttle: LoginThrottle;
  hooks: AdminHooks;
  /** Cookies get `Secure` when the public URL is https. */
  secureCookies: boolean;
  /** The last merge (origins of each entry, entries left out). */
  merged(): Promise<MergedConfig>;
  /** Merge the YAML with the UI's entries again, apply it, and restart the sync with it (one at a time). */
  reconfigure(): Promise<MergedConfig>;
}

export function createAdminContext(api: ApiContext, sessions: AdminSessions, hooks: AdminHooks): AdminContext {
  const { store } = api;
  let merged: MergedConfig | undefined;
  let chain: Promise<unknown> = Promise.resolve();
  const log = api.log.child({ component: 'admin' });
  return {
    api,
    log,
    sessions,
    accounts: new AdminAccounts(store.db),
    audit: new AuditLog(store.db),
    uiConfig: new UiConfigRepository(store.db, store.box),
    throttle: new LoginThrottle(new LoginFailureRepository(store.db)),
    hooks,
    secureCookies: (api.config.server.publicUrl ?? '').startsWith('https:'),
    merged: async () => (merged ??= await mergeWithUiConfig(store, hooks.yamlConfig, log)),
    reconfigure() {
      const next = chain.then(async () => {
        const fresh = await mergeWithUiConfig(store, hooks.yamlConfig, log);
        await applyConfig(store, fresh.config);
        merged = fresh;
        api.config = fresh.config;
        await hooks.configChanged(fresh.config);
        return fresh;
      });
      chain = next.catch(() => undefined);
      return next;
    },
  };
}
