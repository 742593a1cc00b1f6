import { issuesToDetails } from '../domain/validation.js';
import { sharedMailboxConfigSchema, userConfigSchema, type Config, type SharedMailboxConfig, type UserConfig } from './schema.js';

export interface UiDocuments {
  users: ReadonlyArray<{ id: string; document: unknown }>;
  sharedMailboxes: ReadonlyArray<{ id: string; document: unknown }>;
}

export type EntryOrigin = 'yaml' | 'ui' | 'ui-shadowed';

export interface MergeProblem {
  kind: 'user' | 'shared-mailbox';
  id: string;
  message: string;
}

export interface MergedConfig {
  config: Config;
  /** Where each entry comes from, keyed `user:<id>` / `shared-mailbox:<id>`; `ui-shadowed`: the YAML declares the id too and wins. */
  origins: Map<string, EntryOrigin>;
  /** UI entries left out because they no longer validate or clash with another entry. */
  problems: MergeProblem[];
}

const key = (kind: 'user' | 'shared-mailbox', id: string) => `${kind}:${id.toLowerCase()}`;

/**
 * The running configuration: the YAML file plus the entries made in the admin UI. Every UI entry
 * is validated by the same zod schema as the YAML. The YAML wins for every id it declares (such a
 * UI entry is kept but not used, and the UI shows the YAML entry read-only), so a file-managed
 * installation stays exactly as its file says. UI users come after the YAML's, in id order.
 */
export function mergeUiConfig(yaml: Config, ui: UiDocuments): MergedConfig {
  const origins = new Map<string, EntryOrigin>();
  const problems: MergeProblem[] = [];
  for (const user of yaml.users) origins.set(key('user', user.id), 'yaml');
  for (const box of yaml.sharedMailboxes) origins.set(key('shared-mailbox', box.id), 'yaml');

  const users: UserConfig[] = [...yaml.users];
  const emails = new Set(yaml.users.map((user) => user.email.toLowerCase()));
  for (const entry of ui.users) {
    if (origins.get(key('user', entry.id)) === 'yaml') {
      origins.set(`${key('user', entry.id)}#ui`, 'ui-shadowed');
      continue;
    }
    const parsed = userConfigSchema.safeParse(entry.document);
    if (!parsed.success) {
      problems.push({ kind: 'user', id: entry.id, message: describe(parsed.error.issues) });
      continue;
    }
    if (parsed.data.id !== entry.id) {
      problems.push({ kind: 'user', id: entry.id, message: `id: the entry says "${parsed.data.id}"` });
      continue;
    }
    if (emails.has(parsed.data.email.toLowerCase())) {
      problems.push({ kind: 'user', id: entry.id, message: `email: another user already has ${parsed.data.email}` });
      continue;
    }
    emails.add(parsed.data.email.toLowerCase());
    origins.set(key('user', entry.id), 'ui');
    users.push(parsed.data);
  }

  const userIds = new Set(users.map((user) => user.id));
  const sharedMailboxes: SharedMailboxConfig[] = [...yaml.sharedMailboxes];
  for (const entry of ui.sharedMailboxes) {
    if (origins.get(key('shared-mailbox', entry.id)) === 'yaml') {
      origins.set(`${key('shared-mailbox', entry.id)}#ui`, 'ui-shadowed');
      continue;
    }
    const parsed = sharedMailboxConfigSchema.safeParse(entry.document);
    if (!parsed.success) {
      problems.push({ kind: 'shared-mailbox', id: entry.id, message: describe(parsed.error.issues) });
      continue;
    }
    if (parsed.data.id !== entry.id) {
      problems.push({ kind: 'shared-mailbox', id: entry.id, message: `id: the entry says "${parsed.data.id}"` });
      continue;
    }
    if (parsed.data.owner !== undefined && !userIds.has(parsed.data.owner)) {
      problems.push({ kind: 'shared-mailbox', id: entry.id, message: `owner: no user with id "${parsed.data.owner}"` });
      continue;
    }
    origins.set(key('shared-mailbox', entry.id), 'ui');
    sharedMailboxes.push(parsed.data);
  }
  return { config: { ...yaml, users, sharedMailboxes }, origins, problems };
}

/** Where an entry of the running configuration comes from. */
export function originOf(merged: Pick<MergedConfig, 'origins'>, kind: 'user' | 'shared-mailbox', id: string): EntryOrigin | undefined {
  return merged.origins.get(key(kind, id));
}

function describe(issues: Parameters<typeof issuesToDetails>[0]): string {
  return issuesToDetails(issues)
    .map((detail) => `${detail.path}: ${detail.message}`)
    .join('; ');
}
