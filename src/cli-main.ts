/** The `crm-bridge` command line (CONTRACT.md "Command line"); src/cli.ts only runs it. */
import { parseArgs } from 'node:util';
import type { Logger } from 'pino';
import { defaultConfigFile, loadConfigFile, type LoadedConfig } from './config/load.js';
import { isPostgresUrl } from './domain/database-url.js';
import { isBridgeError } from './domain/errors.js';
import { createLogger } from './logging.js';
import { packageVersion } from './version.js';

const usage = `crm-bridge ${packageVersion()}: a bridge between a CRM and IMAP/SMTP, CalDAV and CardDAV servers

usage: crm-bridge <command> [--config FILE]

commands:
  serve               API, admin UI, webhooks and sync workers
  sync --once         one complete sync pass over every source, then exit
                      (exit 0 when every source was reached, 1 when one failed)
  check-config        validate the configuration; errors name the key path
  migrate             apply database migrations

options:
  --config FILE       configuration file (default: ./config.yaml, else ./config.example.yaml)
  -h, --help          this text
  -v, --version       print the version`;

const out = (line: string) => process.stdout.write(`${line}\n`);
const err = (line: string) => process.stderr.write(`${line}\n`);

/** Load the configuration or print every error with its key path; `undefined` means exit 1. */
function loadOrReport(file: string): LoadedConfig | undefined {
  try {
    const loaded = loadConfigFile(file);
    for (const warning of loaded.warnings) err(`warning: ${warning.path}: ${warning.message}`);
    return loaded;
  } catch (error) {
    if (isBridgeError(error) && error.code === 'CONFIG') {
      err(`${file}: ${error.message}`);
      for (const detail of error.details) err(`  ${detail.path}: ${detail.message}`);
      return undefined;
    }
    throw error;
  }
}

// Each command loads only the modules it needs: the HTTP stack is not in `sync --once`'s memory.
async function serve(loaded: LoadedConfig, log: Logger): Promise<number> {
  const { startServer } = await import('./runtime/serve.js');
  const running = await startServer(loaded.config, log);
  const signals = ['SIGTERM', 'SIGINT'] as const;
  await new Promise<void>((resolve) => {
    for (const signal of signals) {
      process.once(signal, () => {
        log.info({ signal }, 'signal received');
        resolve();
      });
    }
  });
  await running.stop();
  return 0;
}

async function syncOnce(loaded: LoadedConfig, log: Logger): Promise<number> {
  const [{ openRuntime }, { createMail, createRunners }, { formatSummary, runSyncPass }, { sourcesOf }, { sourceLimitsOf }] = await Promise.all([
    import('./runtime/open-runtime.js'),
    import('./runtime/runners.js'),
    import('./sync/run-once.js'),
    import('./sync/sources.js'),
    import('./sync/source-deadline.js'),
  ]);
  const runtime = await openRuntime(loaded.config, log);
  const controller = new AbortController();
  const abort = () => controller.abort();
  process.once('SIGTERM', abort);
  process.once('SIGINT', abort);
  try {
    // Mail queued by `serve` (or left by an outage) goes out first, so its Sent copy is in this pass.
    // (On SQLite interrupted sends are only marked uncertain by `serve` at start-up: a concurrent
    // serve may be in the middle of one. On PostgreSQL only sends without a live sender are.)
    // runtime.config: the YAML merged with the entries made in the admin UI.
    const { outbox } = createMail(runtime.config, runtime.store, log);
    await outbox.runDue();
    // Sources run sync.concurrency at a time, each within sync.sourceDeadlineSeconds: a stalled
    // server fails its own source (TEMPORARY, exit 1) and holds up nobody else.
    const sources = sourcesOf(runtime.config);
    // Several processes on one PostgreSQL: the sources no `serve` holds are held for this pass, so
    // none starts syncing them meanwhile. Those a serve holds are synced all the same (the command
    // promises a complete pass, as on SQLite); the store's unique keys keep the two from making
    // anything twice.
    const claims = isPostgresUrl(runtime.config.database) ? await (await import('./store/postgres-source-claims.js')).claimForOnePass(runtime.config.database, sources.map((source) => source.id)) : undefined;
    try {
      const shared = claims ? sources.filter((source) => !claims.held.has(source.id)).map((source) => source.id) : [];
      if (shared.length > 0) log.info({ sources: shared }, 'these sources are also being synced by a running crm-bridge serve on this database');
      const summary = await runSyncPass(sources, createRunners(runtime.config, runtime.store, log), runtime.store, log, controller.signal, sourceLimitsOf(runtime.config));
      for (const line of formatSummary(summary)) out(line);
      return summary.ok ? 0 : 1;
    } finally {
      await claims?.release();
    }
  } finally {
    await runtime.close();
  }
}

async function migrate(loaded: LoadedConfig): Promise<number> {
  const { openDatabase, migrateToLatest } = await import('./store/database.js');
  const database = openDatabase(loaded.config.database);
  try {
    const result = await migrateToLatest(database.db);
    const applied = (result.results ?? []).map((entry) => entry.migrationName);
    out(applied.length > 0 ? `applied ${applied.length} migration(s) to ${database.location}: ${applied.join(', ')}` : `${database.location} is up to date`);
    return 0;
  } finally {
    await database.close();
  }
}

export async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: 'string', short: 'c' },
        once: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
        version: { type: 'boolean', short: 'v' },
      },
    });
  } catch (error) {
    err(`${(error as Error).message}\n\n${usage}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    out(packageVersion());
    return 0;
  }
  const command = positionals[0];
  if (values.help || !command) {
    (command || values.help ? out : err)(usage);
    return values.help ? 0 : 2;
  }
  if (!['serve', 'sync', 'check-config', 'migrate'].includes(command) || positionals.length > 1) {
    err(`unknown command: ${positionals.join(' ')}\n\n${usage}`);
    return 2;
  }
  if (command === 'sync' && !values.once) {
    err('sync needs --once (continuous sync runs under `crm-bridge serve`)');
    return 2;
  }

  const file = values.config ?? defaultConfigFile();
  const loaded = loadOrReport(file);
  if (!loaded) return 1;
  if (command === 'check-config') {
    const { config } = loaded;
    out(`${file}: configuration is valid (${config.users.length} user(s), ${config.sharedMailboxes.length} shared mailbox(es), ${config.webhooks.length} webhook(s))`);
    return 0;
  }
  const log = createLogger(loaded.config.logging.level, { format: loaded.config.logging.format });
  try {
    if (command === 'serve') return await serve(loaded, log);
    if (command === 'sync') return await syncOnce(loaded, log);
    return await migrate(loaded);
  } catch (error) {
    if (isBridgeError(error)) {
      err(`error (${error.code}): ${error.message}`);
      for (const detail of error.details) err(`  ${detail.path}: ${detail.message}`);
    } else {
      log.fatal({ err: error }, 'unexpected failure');
      err(`error: ${(error as Error).message}`);
    }
    return 1;
  }
}
