import { existsSync, readFileSync } from 'node:fs';
import { isPostgresUrl } from '../domain/database-url.js';
import { parseDocument } from 'yaml';
import { BridgeError, type ErrorDetail } from '../domain/errors.js';
import { formatKeyPath } from '../domain/key-path.js';
import { issuesToDetails } from '../domain/validation.js';
import { protectReferences, substituteTree, type SubstitutionError } from './env-substitution.js';
import { configSchema, type Config, type MailServerConfig } from './schema.js';

export interface LoadedConfig {
  config: Config;
  file: string;
  /** Keys the schema does not know: probably typos, reported but not fatal. */
  warnings: ErrorDetail[];
}

/** `config.yaml` when it exists, else the documented example (CONTRACT.md "Set-up"). */
export function defaultConfigFile(cwd: string = process.cwd()): string {
  const own = `${cwd}/config.yaml`;
  return existsSync(own) ? own : `${cwd}/config.example.yaml`;
}

export function loadConfigFile(file: string, env: Readonly<Record<string, string | undefined>> = process.env): LoadedConfig {
  let source: string;
  try {
    source = readFileSync(file, 'utf8');
  } catch (error) {
    throw new BridgeError('CONFIG', `cannot read configuration file ${file}: ${(error as Error).message}`, {
      cause: error,
      details: [{ path: '(file)', message: `cannot read ${file}` }],
    });
  }
  const { config, warnings } = parseConfigText(source, env);
  return { config, file, warnings };
}

/** Parse, substitute and validate; collect every error before failing so one run shows them all. */
export function parseConfigText(source: string, env: Readonly<Record<string, string | undefined>>): { config: Config; warnings: ErrorDetail[] } {
  const protectedText = protectReferences(source);
  const document = parseDocument(protectedText.text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    // One syntax error makes the parser report every later token; the first few say what is wrong.
    const details = document.errors.slice(0, 3).map((error) => {
      const position = error.linePos?.[0];
      return { path: position ? `line ${position.line}, column ${position.col}` : '(yaml)', message: error.message.split('\n')[0] ?? error.message };
    });
    throw new BridgeError('CONFIG', 'the configuration file is not valid YAML', { details });
  }
  const raw: unknown = document.toJS() ?? {};
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new BridgeError('CONFIG', 'the configuration must be a mapping of keys to values', { details: [{ path: '(root)', message: 'expected a mapping' }] });
  }
  const substitutionErrors: SubstitutionError[] = [];
  const substituted = substituteTree(raw, env, protectedText, substitutionErrors);
  const result = configSchema.safeParse(substituted);
  const details: ErrorDetail[] = [...substitutionErrors];
  if (!result.success) details.push(...issuesToDetails(result.error.issues));
  else details.push(...crossChecks(result.data));
  if (details.length > 0) {
    throw new BridgeError('CONFIG', `the configuration has ${details.length} error${details.length === 1 ? '' : 's'}`, { details: dedupe(details) });
  }
  const config = result.data!;
  return { config, warnings: [...unknownKeys(substituted, config), ...insecureTlsWarnings(config)] };
}

/** The IMAP and SMTP connections of a configuration, with the path of each in the file. */
function mailConnections(config: Config): Array<{ path: string; server: MailServerConfig }> {
  return [
    ...config.users.flatMap((user, i) => [
      ...(user.imap ? [{ path: `users[${i}].imap`, server: user.imap }] : []),
      ...(user.smtp ? [{ path: `users[${i}].smtp`, server: user.smtp }] : []),
    ]),
    ...config.sharedMailboxes.map((box, i) => ({ path: `sharedMailboxes[${i}].imap`, server: box.imap })),
  ];
}

/** `tls.rejectUnauthorized: false` lets anyone between the bridge and the server read the password. */
function insecureTlsWarnings(config: Config): ErrorDetail[] {
  const message = 'rejectUnauthorized: false accepts ANY certificate: whoever sits between the bridge and the server can read the password and the mail. Name the CA instead (tls.ca)';
  if (config.tls?.rejectUnauthorized === false) return [{ path: 'tls.rejectUnauthorized', message }];
  return mailConnections(config)
    .filter(({ server }) => server.tls?.rejectUnauthorized === false)
    .map(({ path }) => ({ path: `${path}.tls.rejectUnauthorized`, message }));
}

/** Every `tls.ca` must name a readable file of PEM certificates. */
function caFileChecks(config: Config): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const check = (path: string, file: string) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      details.push({ path, message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}` });
      return;
    }
    if (!text.includes('-----BEGIN CERTIFICATE-----')) details.push({ path, message: `${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)` });
  };
  if (config.tls?.ca !== undefined) check('tls.ca', config.tls.ca);
  const davConnections = config.users.flatMap((user, i) => (['caldav', 'carddav'] as const).flatMap((kind) => (user[kind] ? [{ path: `users[${i}].${kind}`, server: user[kind] }] : [])));
  for (const { path, server } of [...mailConnections(config), ...davConnections]) {
    if (server.tls?.ca !== undefined && server.tls.ca !== config.tls?.ca) check(`${path}.tls.ca`, server.tls.ca);
  }
  return details;
}

function dedupe(details: ErrorDetail[]): ErrorDetail[] {
  const seen = new Set<string>();
  return details.filter((detail) => {
    const key = `${detail.path}\u0000${detail.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Rules that span several keys: ids must be unique, references must point at something. */
function crossChecks(config: Config): ErrorDetail[] {
  const details: ErrorDetail[] = [];
  const duplicates = (values: readonly string[], path: (index: number) => string, what: string) => {
    const seen = new Map<string, number>();
    values.forEach((value, index) => {
      const key = value.toLowerCase();
      if (seen.has(key)) details.push({ path: path(index), message: `duplicate ${what} "${value}" (also at index ${seen.get(key)})` });
      else seen.set(key, index);
    });
  };
  duplicates(config.users.map((user) => user.id), (i) => `users[${i}].id`, 'user id');
  duplicates(config.users.map((user) => user.email), (i) => `users[${i}].email`, 'user e-mail');
  duplicates(config.sharedMailboxes.map((box) => box.id), (i) => `sharedMailboxes[${i}].id`, 'shared mailbox id');
  duplicates(config.webhooks.map((hook) => hook.id), (i) => `webhooks[${i}].id`, 'webhook id');
  duplicates(config.api.tokens.map((token) => token.name), (i) => `api.tokens[${i}].name`, 'token name');
  details.push(...caFileChecks(config));
  const userIds = new Set(config.users.map((user) => user.id));
  config.sharedMailboxes.forEach((box, index) => {
    if (box.owner !== undefined && !userIds.has(box.owner)) details.push({ path: `sharedMailboxes[${index}].owner`, message: `no user with id "${box.owner}"` });
  });
  // SQLite is one file on one machine: its attachments stay files next to it (and a blob written
  // in a transaction of its own would wait for the import transaction on the one connection).
  if (config.attachments.store === 'database' && !isPostgresUrl(config.database)) {
    details.push({ path: 'attachments.store', message: 'database needs a PostgreSQL database (database: postgres://...); with SQLite attachments are files under dataDir (store: filesystem)' });
  }
  return details;
}

/** Keys present in the file but dropped by the schema. */
function unknownKeys(raw: unknown, parsed: unknown, path: PropertyKey[] = []): ErrorDetail[] {
  if (Array.isArray(raw) && Array.isArray(parsed)) {
    return raw.flatMap((item, index) => unknownKeys(item, parsed[index], [...path, index]));
  }
  if (isMapping(raw) && isMapping(parsed)) {
    return Object.keys(raw).flatMap((key) =>
      key in parsed ? unknownKeys(raw[key], parsed[key], [...path, key]) : [{ path: formatKeyPath([...path, key]), message: 'unknown key (ignored)' }],
    );
  }
  return [];
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
