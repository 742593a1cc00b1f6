import type { Logger } from 'pino';
import { mergeUiConfig, type MergedConfig } from '../config/merge-ui.js';
import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import { UiConfigRepository } from '../store/ui-config.js';

/** The YAML configuration merged with what the admin UI stored (src/config/merge-ui.ts); entries left out are logged. */
export async function mergeWithUiConfig(store: Store, yaml: Config, log: Logger): Promise<MergedConfig> {
  const entries = await new UiConfigRepository(store.db, store.box).list();
  const merged = mergeUiConfig(yaml, {
    users: entries.filter((entry) => entry.kind === 'user'),
    sharedMailboxes: entries.filter((entry) => entry.kind === 'shared-mailbox'),
  });
  for (const problem of merged.problems) log.warn({ kind: problem.kind, id: problem.id, problem: problem.message }, 'admin UI configuration entry left out');
  return merged;
}
