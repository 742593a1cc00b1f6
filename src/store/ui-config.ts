import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import { mergeUiConfig, type MergedConfig } from '../config/merge-ui.js';
import type { Config } from '../config/schema.js';
import type { Database } from './schema.js';
import type { SecretBox } from './secret-box.js';
import type { Store } from './store.js';

export type UiConfigKind = 'user' | 'shared-mailbox';

export interface UiConfigEntry {
  kind: UiConfigKind;
  id: string;
  /** The entry as the YAML would declare it (users[] or sharedMailboxes[]), passwords included. */
  document: Record<string, unknown>;
  updatedAt: string;
  updatedBy: string;
}

const connectionKeys = { user: ['imap', 'smtp', 'caldav', 'carddav'], 'shared-mailbox': ['imap'] } as const;

type Mapping = Record<string, unknown>;
const isMapping = (value: unknown): value is Mapping => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Where a connection's OAuth2 client secret is kept among the sealed secrets. */
const clientSecretKey = (connection: string): string => `${connection}.auth.clientSecret`;

/**
 * Take the connection passwords and OAuth2 client secrets out of a document: the document is
 * stored as JSON, the secrets sealed.
 */
export function splitSecrets(kind: UiConfigKind, document: Mapping): { document: Mapping; secrets: Record<string, string> } {
  const copy: Mapping = { ...document };
  const secrets: Record<string, string> = {};
  for (const key of connectionKeys[kind]) {
    const connection = copy[key];
    if (!isMapping(connection)) continue;
    const { password, ...rest } = connection;
    if (typeof password === 'string') secrets[key] = password;
    if (isMapping(rest['auth'])) {
      const { clientSecret, ...auth } = rest['auth'];
      if (typeof clientSecret === 'string') secrets[clientSecretKey(key)] = clientSecret;
      rest['auth'] = auth;
    }
    copy[key] = rest;
  }
  return { document: copy, secrets };
}

export function joinSecrets(kind: UiConfigKind, document: Mapping, secrets: Record<string, string>): Mapping {
  const copy: Mapping = { ...document };
  for (const key of connectionKeys[kind]) {
    const connection = copy[key];
    if (!isMapping(connection)) continue;
    const auth = connection['auth'];
    const oauth = isMapping(auth) && auth['type'] === 'oauth2';
    const joined: Mapping = { ...connection };
    // An OAuth2 connection has no password unless one was stored with it.
    if (!oauth || secrets[key] !== undefined) joined['password'] = secrets[key] ?? '';
    const clientSecret = secrets[clientSecretKey(key)];
    if (isMapping(auth) && clientSecret !== undefined) joined['auth'] = { ...auth, clientSecret };
    copy[key] = joined;
  }
  return copy;
}

/**
 * Configuration made in the admin UI (README "Admin UI"): users[] and sharedMailboxes[] entries, each
 * validated by the same zod schema as the YAML and merged with it at start-up (src/config/merge-ui.ts).
 * Connection passwords are sealed with the secret box (AES-256-GCM, AAD = kind/id).
 */
export class UiConfigRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly box: SecretBox,
  ) {}

  async list(): Promise<UiConfigEntry[]> {
    const rows = await this.db.selectFrom('ui_config').selectAll().orderBy('kind').orderBy('id').execute();
    return rows.map((row) => {
      const kind = row.kind as UiConfigKind;
      const secrets = row.secrets ? (JSON.parse(this.box.decrypt(row.secrets, contextOf(kind, row.id))) as Record<string, string>) : {};
      return { kind, id: row.id, document: joinSecrets(kind, JSON.parse(row.document) as Mapping, secrets), updatedAt: row.updated_at, updatedBy: row.updated_by };
    });
  }

  async get(kind: UiConfigKind, id: string): Promise<UiConfigEntry | undefined> {
    return (await this.list()).find((entry) => entry.kind === kind && entry.id === id);
  }

  async put(kind: UiConfigKind, id: string, document: Mapping, actor: string, now = new Date().toISOString()): Promise<void> {
    const split = splitSecrets(kind, document);
    const values = {
      document: JSON.stringify(split.document),
      secrets: Object.keys(split.secrets).length > 0 ? this.box.encrypt(JSON.stringify(split.secrets), contextOf(kind, id)) : null,
      updated_at: now,
      updated_by: actor,
    };
    await this.db
      .insertInto('ui_config')
      .values({ kind, id, ...values })
      .onConflict((oc) => oc.columns(['kind', 'id']).doUpdateSet(values))
      .execute();
  }

  async remove(kind: UiConfigKind, id: string): Promise<void> {
    await this.db.deleteFrom('ui_config').where('kind', '=', kind).where('id', '=', id).execute();
  }
}

function contextOf(kind: string, id: string): string {
  return `ui-config/${kind}/${id}`;
}

/** The YAML configuration merged with what the admin UI stored (src/config/merge-ui.ts); entries left out are logged. */
export async function mergeWithUiConfig(store: Pick<Store, 'db' | 'box'>, yaml: Config, log: Logger): Promise<MergedConfig> {
  const entries = await new UiConfigRepository(store.db, store.box).list();
  const merged = mergeUiConfig(yaml, {
    users: entries.filter((entry) => entry.kind === 'user'),
    sharedMailboxes: entries.filter((entry) => entry.kind === 'shared-mailbox'),
  });
  for (const problem of merged.problems) log.warn({ kind: problem.kind, id: problem.id, problem: problem.message }, 'admin UI configuration entry left out');
  return merged;
}
