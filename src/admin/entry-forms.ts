import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { ErrorDetail } from '../domain/errors.js';
import { issuesToDetails } from '../domain/validation.js';
import { sharedMailboxConfigSchema, userConfigSchema } from '../config/schema.js';
import { contactFieldKeys } from '../contacts/card-fields.js';
import { clientSecretFor, passwordFor } from './stored-password.js';

/**
 * Form bodies of the user and shared-mailbox pages <-> configuration documents, the same shape a
 * YAML users[] / sharedMailboxes[] entry has. Pure; the routes validate the result with the
 * config schema, so the UI accepts exactly what the YAML accepts.
 */
export type FormBody = Record<string, string | undefined>;
type Mapping = Record<string, unknown>;

const isMapping = (value: unknown): value is Mapping => typeof value === 'object' && value !== null && !Array.isArray(value);

export const mailKinds = ['imap', 'smtp'] as const;
export const davKinds = ['caldav', 'carddav'] as const;
export type ConnectionKind = (typeof mailKinds)[number] | (typeof davKinds)[number];

/** Keys the structured fields edit; everything else of an entry is edited as YAML ("more settings"). */
const structured: Record<string, readonly string[] | true> = {
  id: true,
  name: true,
  email: true,
  address: true,
  owner: true,
  imap: true,
  smtp: true,
  caldav: true,
  carddav: true,
  folders: true,
  unknownSender: true,
  processed: true,
  importSince: true,
  mail: ['trackedFolders', 'trackingKeyword', 'autoTrack', 'sentFolder', 'folders', 'importSince', 'createContacts'],
  calendar: ['crmCalendar', 'trackCategory', 'conflictPolicy'],
  tasks: ['crmTaskList', 'conflictPolicy'],
  contacts: ['addressBook', 'direction', 'filter', 'fields', 'secureFields', 'phoneRegion'],
};

export function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function text(body: FormBody, name: string): string | undefined {
  const value = body[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** Set a key from a field; an empty field leaves the key to the "more settings" YAML, or to the schema's default. */
function setOptional(target: Mapping, key: string, value: unknown): void {
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return;
  target[key] = value;
}

/** The "more settings" YAML: a mapping, or an error naming the line. */
export function parseExtra(source: string | undefined): { value: Mapping } | { error: ErrorDetail } {
  if (!source?.trim()) return { value: {} };
  try {
    const value: unknown = parseYaml(source);
    if (value === null || value === undefined) return { value: {} };
    if (!isMapping(value)) return { error: { path: 'more settings', message: 'expected a YAML mapping of keys to values' } };
    return { value };
  } catch (error) {
    return { error: { path: 'more settings', message: (error as Error).message.split('\n')[0] ?? 'not valid YAML' } };
  }
}

/** The keys of a parsed entry that the structured fields do not show, as YAML for the "more settings" box. */
export function extraOf(entry: Mapping): string {
  const extra: Mapping = {};
  for (const [key, value] of Object.entries(entry)) {
    const known = structured[key];
    if (known === true) continue;
    if (Array.isArray(known) && isMapping(value)) {
      const rest = Object.fromEntries(Object.entries(value).filter(([inner]) => !known.includes(inner)));
      if (Object.keys(rest).length > 0) extra[key] = rest;
      continue;
    }
    extra[key] = value;
  }
  return Object.keys(extra).length > 0 ? stringifyYaml(extra) : '';
}

/** A connection built from its fields, with the refusal to reuse the stored password (stored-password.ts) if any. */
interface BuiltConnection {
  connection: Mapping | undefined;
  refusal?: ErrorDetail;
}

function withPassword(kind: ConnectionKind, connection: Mapping, body: FormBody, previous: unknown): BuiltConnection {
  // An empty password field keeps the stored one, but only for the destination it was saved for.
  const { password, refusal } = passwordFor(kind, connection, body[`${kind}.password`], previous);
  connection['password'] = password;
  if (refusal !== undefined) return { connection, refusal: { path: `${kind}.password`, message: refusal } };
  // A connection without its credential would be saved and then fail every pass: refuse it here.
  if (password === '') return { connection, refusal: { path: `${kind}.password`, message: 'is required: type the password (or choose Sign in with: oauth2)' } };
  return { connection };
}

/** The secret fields of a form that were typed: a form that is not saved does not keep them (they are never sent back to the browser). */
export function typedSecrets(body: FormBody): string[] {
  return Object.keys(body).filter((name) => /\.(password|auth\.clientSecret)$/.test(name) && (body[name] ?? '') !== '');
}

/**
 * The connection's sign-in: a password (the default), or OAuth2 with the client the Connect step of
 * the user page authorizes (the refresh token is not part of the entry; src/store/oauth-grants.ts).
 */
function withSignIn(kind: ConnectionKind, connection: Mapping, body: FormBody, previous: unknown): BuiltConnection {
  if (body[`${kind}.auth.type`] !== 'oauth2') return withPassword(kind, connection, body, previous);
  const auth: Mapping = { type: 'oauth2', provider: text(body, `${kind}.auth.provider`) ?? '', clientId: text(body, `${kind}.auth.clientId`) ?? '' };
  for (const key of ['authorizeUrl', 'tokenUrl', 'issuer'] as const) setOptional(auth, key, text(body, `${kind}.auth.${key}`));
  setOptional(auth, 'scopes', list(body[`${kind}.auth.scopes`]));
  const { secret, refusal } = clientSecretFor(auth, body[`${kind}.auth.clientSecret`], previous);
  if (secret !== '') auth['clientSecret'] = secret;
  delete connection['password'];
  connection['auth'] = auth;
  return refusal === undefined ? { connection } : { connection, refusal: { path: `${kind}.auth.clientSecret`, message: refusal } };
}

function mailConnection(body: FormBody, kind: ConnectionKind, previous: unknown): BuiltConnection {
  if (body[`${kind}.enabled`] !== 'on') return { connection: undefined };
  const connection: Mapping = {
    host: text(body, `${kind}.host`) ?? '',
    port: text(body, `${kind}.port`) ?? '',
    security: text(body, `${kind}.security`) ?? 'tls',
    username: text(body, `${kind}.username`) ?? '',
    password: '',
    allowInsecureTls: body[`${kind}.allowInsecureTls`] === 'on',
  };
  return withSignIn(kind, withCaFile(connection, body, kind), body, previous);
}

/** The CA certificates the connection trusts besides the system's (a PEM file on the bridge's machine). */
function withCaFile(connection: Mapping, body: FormBody, kind: ConnectionKind): Mapping {
  const ca = text(body, `${kind}.tls.ca`);
  if (ca !== undefined) connection['tls'] = { ca };
  return connection;
}

function davConnection(body: FormBody, kind: ConnectionKind, previous: unknown): BuiltConnection {
  if (body[`${kind}.enabled`] !== 'on') return { connection: undefined };
  const connection: Mapping = { url: text(body, `${kind}.url`) ?? '', username: text(body, `${kind}.username`) ?? '', password: '' };
  return withSignIn(kind, withCaFile(connection, body, kind), body, previous);
}

/** Set the connection on the document; a refused stored password becomes a form error. */
function setConnection(target: Mapping, key: string, built: BuiltConnection, errors: ErrorDetail[]): void {
  if (built.connection === undefined) delete target[key];
  else target[key] = built.connection;
  if (built.refusal) errors.push(built.refusal);
}

function section(base: Mapping, key: string): Mapping {
  const value = base[key];
  return isMapping(value) ? { ...value } : {};
}

/**
 * A users[] entry from the user form; `previous` (the stored entry) supplies passwords left empty,
 * for connections whose destination did not change (else an error at `<kind>.password`).
 */
export function userDocumentFromForm(body: FormBody, previous: Mapping = {}): { document: Mapping; errors: ErrorDetail[] } {
  const extra = parseExtra(body['extra']);
  const errors: ErrorDetail[] = 'error' in extra ? [extra.error] : [];
  const document: Mapping = 'value' in extra ? { ...extra.value } : {};
  document['id'] = text(body, 'id') ?? previous['id'] ?? '';
  document['name'] = text(body, 'name') ?? '';
  document['email'] = text(body, 'email') ?? '';
  for (const kind of mailKinds) setConnection(document, kind, mailConnection(body, kind, previous[kind]), errors);
  for (const kind of davKinds) setConnection(document, kind, davConnection(body, kind, previous[kind]), errors);

  const mail = section(document, 'mail');
  setOptional(mail, 'trackedFolders', list(body['mail.trackedFolders']));
  setOptional(mail, 'trackingKeyword', text(body, 'mail.trackingKeyword'));
  setOptional(mail, 'autoTrack', text(body, 'mail.autoTrack'));
  setOptional(mail, 'sentFolder', text(body, 'mail.sentFolder'));
  setOptional(mail, 'folders', list(body['mail.folders']));
  setOptional(mail, 'importSince', text(body, 'mail.importSince'));
  mail['createContacts'] = body['mail.createContacts'] === 'on';
  document['mail'] = mail;

  const calendar = section(document, 'calendar');
  setOptional(calendar, 'crmCalendar', text(body, 'calendar.crmCalendar'));
  setOptional(calendar, 'trackCategory', text(body, 'calendar.trackCategory'));
  setOptional(calendar, 'conflictPolicy', text(body, 'calendar.conflictPolicy'));
  document['calendar'] = calendar;
  const tasks = section(document, 'tasks');
  setOptional(tasks, 'crmTaskList', text(body, 'tasks.crmTaskList'));
  setOptional(tasks, 'conflictPolicy', text(body, 'tasks.conflictPolicy'));
  document['tasks'] = tasks;
  const contacts = section(document, 'contacts');
  setOptional(contacts, 'addressBook', text(body, 'contacts.addressBook'));
  setOptional(contacts, 'direction', text(body, 'contacts.direction'));
  if (body['contacts.form'] === '1') {
    // Checkboxes: an unchecked box is absent from the body, so these fields are set only when the form showed them.
    const filter: Mapping = { ...section(contacts, 'filter'), owned: body['contacts.filter.owned'] === 'on', accounts: body['contacts.filter.accounts'] === 'on' };
    setOptional(filter, 'where', text(body, 'contacts.filter.where'));
    contacts['filter'] = filter;
    setOptional(contacts, 'fields', contactFieldKeys.filter((key) => body[`contacts.field.${key}`] === 'on'));
    contacts['secureFields'] = contactFieldKeys.filter((key) => body[`contacts.secure.${key}`] === 'on');
    setOptional(contacts, 'phoneRegion', text(body, 'contacts.phoneRegion'));
  }
  document['contacts'] = contacts;

  const parsed = userConfigSchema.safeParse(document);
  if (!parsed.success) errors.push(...issuesToDetails(parsed.error.issues));
  return { document, errors };
}

/** A sharedMailboxes[] entry from the shared-mailbox form. */
export function sharedMailboxDocumentFromForm(body: FormBody, previous: Mapping = {}): { document: Mapping; errors: ErrorDetail[] } {
  const extra = parseExtra(body['extra']);
  const errors: ErrorDetail[] = 'error' in extra ? [extra.error] : [];
  const document: Mapping = 'value' in extra ? { ...extra.value } : {};
  document['id'] = text(body, 'id') ?? previous['id'] ?? '';
  document['address'] = text(body, 'address') ?? '';
  setConnection(document, 'imap', mailConnection({ ...body, 'imap.enabled': 'on' }, 'imap', previous['imap']), errors);
  setOptional(document, 'folders', list(body['folders']));
  setOptional(document, 'unknownSender', text(body, 'unknownSender'));
  const processedValue = text(body, 'processed.value');
  if (processedValue !== undefined) document['processed'] = body['processed.mode'] === 'moveTo' ? { moveTo: processedValue } : { keyword: processedValue };
  setOptional(document, 'importSince', text(body, 'importSince'));
  setOptional(document, 'owner', text(body, 'owner'));
  const parsed = sharedMailboxConfigSchema.safeParse(document);
  if (!parsed.success) errors.push(...issuesToDetails(parsed.error.issues));
  return { document, errors };
}
