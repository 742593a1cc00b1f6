import type { Router } from 'express';
import { originOf } from '../../config/merge-ui.js';
import { conflictPolicies, oauthProviders, securityModes, userConfigSchema, type UserConfig } from '../../config/schema.js';
import { contactFieldKeys } from '../../contacts/card-fields.js';
import { splitSecrets } from '../../store/ui-config.js';
import { testConnection } from '../connection-test.js';
import type { ErrorDetail } from '../../domain/errors.js';
import { changesBetween } from '../../domain/audit-redaction.js';
import { sessionOf, type AdminContext } from '../context.js';
import { extraOf, typedSecrets, userDocumentFromForm, type ConnectionKind, type FormBody } from '../entry-forms.js';
import { checkbox, errorList, input, password, retypeNotice, select, textarea } from '../fields.js';
import { csrfField, html, page, postButton, type SafeHtml } from '../html.js';
import { connectionTestRoute } from './connection-test-route.js';
import { discoverRoute } from './discover-route.js';
import { grantPanel } from './oauth-connect.js';

type Mapping = Record<string, unknown>;
const isMapping = (value: unknown): value is Mapping => typeof value === 'object' && value !== null && !Array.isArray(value);
const sub = (value: unknown, key: string): Mapping => (isMapping(value) && isMapping(value[key]) ? (value[key] as Mapping) : {});
const joinList = (value: unknown) => (Array.isArray(value) ? value.join(', ') : '');

/** The entry with the schema's defaults filled in, for showing; the raw document when it does not validate. */
function withDefaults(document: Mapping): Mapping {
  const parsed = userConfigSchema.safeParse(document);
  return parsed.success ? (parsed.data as unknown as Mapping) : document;
}

const connectionNames: Record<ConnectionKind, string> = { imap: 'IMAP', smtp: 'SMTP', caldav: 'CalDAV', carddav: 'CardDAV' };

/**
 * How the connection signs in: its password, or OAuth2 with a client registered at the provider
 * (README "OAuth2 sign-in"); the Connect link below the form gets the refresh token once saved.
 */
function signInFields(kind: ConnectionKind, connection: Mapping, disabled: { disabled: boolean }): SafeHtml {
  const auth = sub(connection, 'auth');
  const oauth = auth['type'] === 'oauth2';
  const stored = typeof connection['password'] === 'string' && connection['password'] !== '';
  const storedSecret = typeof auth['clientSecret'] === 'string' && auth['clientSecret'] !== '';
  const custom = { ...disabled, hint: 'provider custom only' };
  return html`${select(`${kind}.auth.type`, 'Sign in with', oauth ? 'oauth2' : 'password', ['password', 'oauth2'], disabled)}
${password(`${kind}.password`, 'Password', stored, disabled)}
<details class="oauth"${oauth ? html` open` : ''}><summary>OAuth2 (with Sign in with: oauth2)</summary>
${select(`${kind}.auth.provider`, 'Provider', auth['provider'] ?? 'google', oauthProviders, disabled)}${input(`${kind}.auth.clientId`, 'Client id', auth['clientId'], disabled)}
${password(`${kind}.auth.clientSecret`, 'Client secret', storedSecret, disabled)}${input(`${kind}.auth.scopes`, 'Scopes', joinList(auth['scopes']), { ...disabled, hint: "comma-separated; empty: the provider's for this protocol" })}
${input(`${kind}.auth.authorizeUrl`, 'Authorization URL', auth['authorizeUrl'], { ...custom, type: 'url' })}${input(`${kind}.auth.tokenUrl`, 'Token URL', auth['tokenUrl'], { ...custom, type: 'url' })}
${input(`${kind}.auth.issuer`, 'Issuer', auth['issuer'], { ...disabled, type: 'url', hint: "default: the token URL's origin" })}</details>`;
}

/** `oob`: for an htmx out-of-band swap that replaces the form's fieldset of the same kind (autodiscovery). */
export function connectionFieldset(kind: ConnectionKind, entry: Mapping, readOnly: boolean, options: { oob?: boolean } = {}): SafeHtml {
  const connection = sub(entry, kind);
  const enabled = isMapping(entry[kind]);
  const disabled = { disabled: readOnly };
  const caField = input(`${kind}.tls.ca`, 'CA certificates', sub(connection, 'tls')['ca'], { ...disabled, hint: "PEM file on the bridge's machine, trusted besides the system's roots (tls.ca)" });
  const fields = kind === 'imap' || kind === 'smtp'
    ? html`${input(`${kind}.host`, 'Host', connection['host'], disabled)}${input(`${kind}.port`, 'Port', connection['port'] ?? (kind === 'imap' ? 993 : 465), { ...disabled, type: 'number' })}
${select(`${kind}.security`, 'Security', connection['security'] ?? 'tls', securityModes, disabled)}${input(`${kind}.username`, 'User name', connection['username'], disabled)}
${signInFields(kind, connection, disabled)}${caField}${checkbox(`${kind}.allowInsecureTls`, 'accept self-signed certificates (test servers only)', connection['allowInsecureTls'] === true, disabled)}`
    : html`${input(`${kind}.url`, 'URL', connection['url'], { ...disabled, type: 'url', hint: 'server root, principal or home set' })}${input(`${kind}.username`, 'User name', connection['username'], disabled)}
${signInFields(kind, connection, disabled)}${caField}`;
  const name = connectionNames[kind];
  return html`<fieldset id="connection-${kind}"${options.oob ? html` hx-swap-oob="outerHTML"` : ''}><legend>${name}</legend>${checkbox(`${kind}.enabled`, `use ${name}`, enabled, disabled)}${fields}
<button type="button" class="test" hx-post="/admin/connections/test/${kind}" hx-include="closest form" hx-target="#test-${kind}" hx-swap="innerHTML">Test connection</button>
<div id="test-${kind}" class="test-result" aria-live="polite"></div></fieldset>`;
}

/** `extra`: the entry as stored, whose keys without a field of their own go to the "more settings" box (defaults are not written into it). */
function userForm(entry: Mapping, options: { action: string; isNew: boolean; readOnly: boolean; csrf: string; errors?: readonly ErrorDetail[]; extra?: Mapping; retype?: readonly string[] }): SafeHtml {
  const { readOnly } = options;
  const d = { disabled: readOnly };
  const mail = sub(entry, 'mail');
  const calendar = sub(entry, 'calendar');
  const tasks = sub(entry, 'tasks');
  const contacts = sub(entry, 'contacts');
  return html`<form method="post" action="${options.action}">${csrfField(options.csrf)}
<input type="hidden" name="entry" value="user">${options.isNew ? '' : html`<input type="hidden" name="id" value="${entry['id']}">`}
${errorList(options.errors ?? [])}${retypeNotice(options.retype ?? [])}
<fieldset><legend>CRM user</legend>${options.isNew ? input('id', 'Id', entry['id'], { required: true, hint: 'letters, digits, _ . -' }) : html`<p>Id: <code>${entry['id']}</code></p>`}
${input('name', 'Name', entry['name'], { ...d, required: true })}${input('email', 'E-mail', entry['email'], { ...d, type: 'email', required: true })}
${readOnly ? '' : html`<button type="button" class="discover" hx-post="/admin/discover" hx-include="closest form" hx-target="#discover-result" hx-swap="innerHTML">Find server settings</button>`}
<div id="discover-result" aria-live="polite"></div></fieldset>
<h2>Connections</h2>
${connectionFieldset('imap', entry, readOnly)}${connectionFieldset('smtp', entry, readOnly)}
${connectionFieldset('caldav', entry, readOnly)}${connectionFieldset('carddav', entry, readOnly)}
<h2>Mapping</h2>
<fieldset><legend>Mail</legend>
${input('mail.trackedFolders', 'Tracked folders', joinList(mail['trackedFolders']), { ...d, hint: 'comma-separated; moving or copying a message here tracks it' })}
${input('mail.trackingKeyword', 'Tracking keyword', mail['trackingKeyword'], { ...d, hint: 'setting this IMAP keyword tracks a message' })}
${select('mail.autoTrack', 'Automatic tracking', mail['autoTrack'], ['none', 'replies', 'known-senders', 'all'], d)}
${input('mail.sentFolder', 'Sent folder', mail['sentFolder'], { ...d, hint: 'empty: found by special use (\\Sent)' })}
${input('mail.folders', 'Other folders to read', joinList(mail['folders']), { ...d, hint: 'comma-separated; INBOX and Sent are always read' })}
${input('mail.importSince', 'Import mail since', mail['importSince'], { ...d, type: 'date' })}
${checkbox('mail.createContacts', 'create a contact for unknown addresses of tracked mail', mail['createContacts'] === true, d)}</fieldset>
<fieldset><legend>Calendar and tasks</legend>
${input('calendar.crmCalendar', 'CRM calendar', calendar['crmCalendar'], { ...d, hint: 'display name or href' })}
${input('calendar.trackCategory', 'Tracking category', calendar['trackCategory'], d)}
${select('calendar.conflictPolicy', 'Event conflicts', calendar['conflictPolicy'], conflictPolicies, { ...d, blank: '(sync.conflictPolicy)' })}
${input('tasks.crmTaskList', 'CRM task list', tasks['crmTaskList'], d)}
${select('tasks.conflictPolicy', 'Task conflicts', tasks['conflictPolicy'], conflictPolicies, { ...d, blank: '(sync.conflictPolicy)' })}</fieldset>
<fieldset><legend>Contacts</legend>
${input('contacts.addressBook', 'Address book', contacts['addressBook'], d)}
${select('contacts.direction', 'Direction', contacts['direction'], ['two-way', 'crm-to-client'], d)}
<input type="hidden" name="contacts.form" value="1">
${checkbox('contacts.filter.owned', 'sync the contacts this user owns', sub(contacts, 'filter')['owned'] !== false, d)}
${checkbox('contacts.filter.accounts', 'and the contacts of accounts this user owns', sub(contacts, 'filter')['accounts'] !== false, d)}
${input('contacts.filter.where', 'Only contacts where', sub(contacts, 'filter')['where'], { ...d, hint: 'filter expression, e.g. company = "Acme"' })}
<div class="checks">Fields that sync: ${contactFieldKeys.map((key) => checkbox(`contacts.field.${key}`, key, !Array.isArray(contacts['fields']) || contacts['fields'].includes(key), d))}</div>
<div class="checks">Fields that never leave the CRM: ${contactFieldKeys.filter((key) => key !== 'displayName').map((key) => checkbox(`contacts.secure.${key}`, key, Array.isArray(contacts['secureFields']) && contacts['secureFields'].includes(key), d))}</div>
${input('contacts.phoneRegion', 'Phone region', contacts['phoneRegion'], { ...d, hint: 'ISO 3166 code for numbers without a country code, e.g. DE' })}</fieldset>
${textarea('extra', 'More settings (YAML)', extraOf(options.extra ?? entry), { ...d, hint: 'any other key of a users[] entry (see config.example.yaml), exactly as in the YAML file' })}
${readOnly ? '' : html`<button type="submit">Save</button>`}</form>`;
}

export function registerUserPages(router: Router, ctx: AdminContext): void {
  router.get('/users', async (_req, res) => {
    const session = sessionOf(res);
    const merged = await ctx.merged();
    const ui = (await ctx.uiConfig.list()).filter((entry) => entry.kind === 'user');
    const used = new Set(ctx.api.config.users.map((user) => user.id));
    const rows = ctx.api.config.users.map((user: UserConfig) => {
      const origin = originOf(merged, 'user', user.id);
      const connections = (['imap', 'smtp', 'caldav', 'carddav'] as const).filter((kind) => user[kind]).join(', ');
      return html`<tr><td><a href="/admin/users/${user.id}">${user.id}</a></td><td>${user.name}</td><td>${user.email}</td><td>${connections || 'none'}</td><td><span class="badge">${origin === 'yaml' ? 'YAML (read-only)' : 'admin UI'}</span></td></tr>`;
    });
    const unused = ui.filter((entry) => !used.has(entry.id) || originOf(merged, 'user', entry.id) === 'yaml');
    res.type('html').send(
      page('Users', html`<section><h1>Users and mapping</h1><p><a href="/admin/users/new">Add a user</a></p>
<table><tr><th>id</th><th>name</th><th>e-mail</th><th>connections</th><th>declared in</th></tr>${rows}</table>
${unused.length > 0 ? html`<p class="note">Admin UI entries not in use (the YAML declares the same id, or the entry no longer validates): ${unused.map((entry) => html`<code>${entry.id}</code> `)}</p>` : ''}</section>`, { session, active: '/admin/users' }),
    );
  });

  router.get('/users/new', (_req, res) => {
    const session = sessionOf(res);
    const defaults = withDefaults({ id: 'new', name: 'x', email: 'x@example.com' });
    const entry = { ...defaults, id: '', name: '', email: '' };
    res.type('html').send(page('Add user', html`<section><h1>Add a user</h1>${userForm(entry, { action: '/admin/users/new', isNew: true, readOnly: false, csrf: session.csrfToken, extra: {} })}</section>`, { session, active: '/admin/users' }));
  });

  router.post('/users/new', async (req, res) => {
    const session = sessionOf(res);
    const body = req.body as FormBody;
    const { document, errors } = userDocumentFromForm(body);
    const id = String(document['id']);
    if (ctx.api.config.users.some((user) => user.id.toLowerCase() === id.toLowerCase()) || (await ctx.uiConfig.get('user', id))) errors.push({ path: 'id', message: `a user with id "${id}" exists already` });
    if (errors.length > 0) {
      // The typed passwords are not stored yet: shown as empty fields without the "stored" hint.
      return void res.status(400).type('html').send(page('Add user', html`<section><h1>Add a user</h1>${userForm(splitSecrets('user', document).document, { action: '/admin/users/new', isNew: true, readOnly: false, csrf: session.csrfToken, errors, retype: typedSecrets(req.body as FormBody) })}</section>`, { session, active: '/admin/users' }));
    }
    await ctx.uiConfig.put('user', id, document, session.username);
    await ctx.audit.record(session.username, 'user.create', `user:${id}`, document);
    await ctx.reconfigure();
    res.redirect(303, `/admin/users/${encodeURIComponent(id)}?saved=1`);
  });

  router.get('/users/:id', async (req, res) => {
    const session = sessionOf(res);
    const id = String(req.params['id']);
    const merged = await ctx.merged();
    const origin = originOf(merged, 'user', id);
    const running = ctx.api.config.users.find((user) => user.id === id);
    const stored = await ctx.uiConfig.get('user', id);
    if (!running && !stored) return void res.status(404).type('html').send(page('Not found', html`<section><p>No user ${id}.</p></section>`, { session }));
    const readOnly = origin === 'yaml';
    const entry = readOnly ? (running as unknown as Mapping) : withDefaults(stored?.document ?? (running as unknown as Mapping));
    const problem = merged.problems.find((entry) => entry.kind === 'user' && entry.id === id);
    res.type('html').send(
      page(`User ${id}`, html`<section><h1>User ${id}</h1>
${req.query['saved'] ? html`<p class="ok" role="status">Saved. The sync restarted with the new configuration.</p>` : ''}
${readOnly ? html`<p class="note">Declared in the YAML configuration file, which wins over the admin UI for the ids it declares: shown read-only. Change it in the file (and restart), or remove it there to manage it here.</p>` : ''}
${problem ? html`<p class="error">This entry is not in use: ${problem.message}</p>` : ''}
${stored && !readOnly ? html`<p class="muted">Last changed in the admin UI by ${stored.updatedBy} at ${stored.updatedAt}.</p>` : ''}
${await grantPanel(ctx, { type: 'user', id })}
${userForm(entry, { action: `/admin/users/${encodeURIComponent(id)}`, isNew: false, readOnly, csrf: session.csrfToken, extra: readOnly ? entry : (stored?.document ?? entry) })}
${readOnly ? '' : html`<p>${postButton(`/admin/users/${encodeURIComponent(id)}/delete`, 'Delete this user from the admin UI configuration', session.csrfToken)}</p>`}</section>`, { session, active: '/admin/users' }),
    );
  });

  router.post('/users/:id', async (req, res) => {
    const session = sessionOf(res);
    const id = String(req.params['id']);
    if (originOf(await ctx.merged(), 'user', id) === 'yaml') return void res.status(403).type('html').send(page('Read-only', html`<section><p class="error">User ${id} is declared in the YAML file and cannot be changed here.</p></section>`, { session }));
    const previous = (await ctx.uiConfig.get('user', id))?.document ?? {};
    const { document, errors } = userDocumentFromForm({ ...(req.body as FormBody), id }, previous);
    if (errors.length > 0) {
      return void res.status(400).type('html').send(page(`User ${id}`, html`<section><h1>User ${id}</h1>${userForm(document, { action: `/admin/users/${encodeURIComponent(id)}`, isNew: false, readOnly: false, csrf: session.csrfToken, errors, retype: typedSecrets(req.body as FormBody) })}</section>`, { session, active: '/admin/users' }));
    }
    await ctx.uiConfig.put('user', id, document, session.username);
    await ctx.audit.record(session.username, 'user.update', `user:${id}`, { changes: changesBetween(previous, document) });
    await ctx.reconfigure();
    res.redirect(303, `/admin/users/${encodeURIComponent(id)}?saved=1`);
  });

  router.post('/users/:id/delete', async (req, res) => {
    const session = sessionOf(res);
    const id = String(req.params['id']);
    const previous = await ctx.uiConfig.get('user', id);
    if (!previous) return void res.status(404).type('html').send(page('Not found', html`<section><p>No admin UI entry for user ${id}.</p></section>`, { session }));
    await ctx.uiConfig.remove('user', id);
    await ctx.audit.record(session.username, 'user.delete', `user:${id}`, { before: previous.document });
    await ctx.reconfigure();
    res.redirect(303, '/admin/users');
  });

  router.post('/discover', discoverRoute(ctx, (kind, entry, options) => connectionFieldset(kind, entry, false, options)));
  router.post('/connections/test/:kind', connectionTestRoute(ctx, (kind, settings) => testConnection(ctx.hooks.connections, kind, settings)));
}
