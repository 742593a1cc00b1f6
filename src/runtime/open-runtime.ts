import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { openDatabase, migrateToLatest, type OpenDatabase } from '../store/database.js';
import { BlobStore } from '../store/blob-store.js';
import { DatabaseBlobStore } from '../store/database-blob-store.js';
import { ensurePrivateDirectory } from '../store/private-files.js';
import { SecretBox } from '../store/secret-box.js';
import { Store } from '../store/store.js';
import { applyConfig } from '../store/apply-config.js';
import { resolveSecretKey } from './secret-key.js';
import { mergeWithUiConfig } from '../store/ui-config.js';

export interface Runtime {
  /** The YAML configuration merged with the admin UI's entries (README "Admin UI"). */
  config: Config;
  /** The configuration file alone. */
  yamlConfig: Config;
  database: OpenDatabase;
  store: Store;
  log: Logger;
  close(): Promise<void>;
}

/**
 * dataDir holds secret.key and the attachments (and by default the database): 0700, so no other
 * local user can read them, also when an older version created it 0755 (private-files.ts).
 */
function protectDataDir(dataDir: string, log: Logger): void {
  const dir = resolve(dataDir);
  try {
    ensurePrivateDirectory(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') throw error;
    log.warn({ dataDir: dir }, 'dataDir belongs to another user: cannot make it 0700 (readable by the bridge only); check its permissions');
  }
}

/** Everything `serve` and `sync --once` share: database (migrated), key, store, applied config. */
export async function openRuntime(config: Config, log: Logger, options: { migrate?: boolean } = {}): Promise<Runtime> {
  protectDataDir(config.dataDir, log);
  const database = openDatabase(config.database);
  try {
    if (options.migrate !== false) {
      const result = await migrateToLatest(database.db);
      for (const migration of result.results ?? []) log.info({ migration: migration.migrationName }, 'applied database migration');
    }
    const box = new SecretBox(resolveSecretKey(config.secretKey, config.dataDir, log));
    const blobs = config.attachments.store === 'database' ? new DatabaseBlobStore(database.db, config.attachments.maxBytes) : new BlobStore(join(resolve(config.dataDir), 'attachments'), config.attachments.maxBytes);
    const store = new Store(database.db, box, blobs);
    await store.credentials.verifyKey();
    const merged = await mergeWithUiConfig(store, config, log);
    await applyConfig(store, merged.config);
    return { config: merged.config, yamlConfig: config, database, store, log, close: () => database.close() };
  } catch (error) {
    await database.close();
    throw error;
  }
}
