import type { Router } from 'express';
import { originOf } from '../../config/merge-ui.js';
import { sharedMailboxConfigSchema } from '../../config/schema.js';
import { splitSecrets } from '../../store/ui-config.js';
import type { ErrorDetail } from '../../domain/errors.js';
import { changesBetween } from '../../domain/audit-redaction.js';
import { sessionOf, type AdminContext } from '../context.js';
import { extraOf, sharedMailboxDocumentFromForm, typedSecrets, type FormBody } from '../entry-forms.js';
import { errorList, input, retypeNotice, select, textarea } from '../fields.js';
import { csrfField, html, page, postButton, type SafeHtml } from '../html.js';
import { connectionFieldset } from './users.js';
import { grantPanel } from './oauth-connect.js';

type Mapping = Record<string, unknown>;
const isMapping = (value: unknown): value is Mapping => typeof value === 'object' && value !== null && !Array.isArray(value);

function withDefaults(document: Mapping): Mapping {
  const parsed = sharedMailboxConfigSchema.safeParse(document);
  return parsed.success ? (parsed.data as unknown as Mapping) : document;
}

function boxForm(entry: Mapping, options: { action: string; isNew: boolean; readOnly: boolean; csrf: string; errors?: readonly ErrorDetail[]; extra?: Mapping; retype?: readonly string[] }): SafeHtml {
  const d = { disabled: options.readOnly };
  const processed = isMapping(entry['processed']) ? entry['processed'] : {};
  const mode = 'moveTo' in processed ? 'moveTo' : 'keyword';
  return html`<form method="post" action="${options.action}">${csrfField(options.csrf)}
<input type="hidden" name="entry" value="shared-mailbox">${options.isNew ? '' : html`<input type="hidden" name="id" value="${entry['id']}">`}
${errorList(options.errors ?? [])}${retypeNotice(options.retype ?? [])}
<fieldset><legend>Shared mailbox</legend>${options.isNew ? input('id', 'Id', entry['id'], { required: true, hint: 'letters, digits, _ . -; becomes the activities\' queue' }) : html`<p>Id: <code>${entry['id']}</code></p>`}
${input('address', 'Address', entry['address'], { ...d, type: 'email', required: true })}
${input('owner', 'Owner (user id)', entry['owner'], { ...d, hint: 'optional: the user who owns its activities' })}</fieldset>
${connectionFieldset('imap', entry, options.readOnly)}
<fieldset><legend>Import</legend>
${input('folders', 'Folders', Array.isArray(entry['folders']) ? entry['folders'].join(', ') : '', { ...d, hint: 'comma-separated' })}
${select('unknownSender', 'Mail from an unknown sender', entry['unknownSender'], ['lead', 'unresolved'], { ...d, hint: 'lead: create a lead; unresolved: keep it in the queue' })}
${select('processed.mode', 'Mark processed mail by', mode, ['keyword', 'moveTo'], d)}
${input('processed.value', 'Keyword or folder', processed['keyword'] ?? processed['moveTo'], d)}
${input('importSince', 'Import mail since', entry['importSince'], { ...d, type: 'date' })}</fieldset>
${textarea('extra', 'More settings (YAML)', extraOf(options.extra ?? entry), { ...d, hint: 'any other key of a sharedMailboxes[] entry (see config.example.yaml), exactly as in the YAML file' })}
${options.readOnly ? '' : html`<button type="submit">Save</button>`}</form>`;
}

export function registerSharedMailboxPages(router: Router, ctx: AdminContext): void {
  router.get('/shared-mailboxes', async (_req, res) => {
    const session = sessionOf(res);
    const merged = await ctx.merged();
    const rows = ctx.api.config.sharedMailboxes.map(
      (box) => html`<tr><td><a href="/admin/shared-mailboxes/${box.id}">${box.id}</a></td><td>${box.address}</td><td>${box.folders.join(', ')}</td><td>${box.unknownSender}</td><td><span class="badge">${originOf(merged, 'shared-mailbox', box.id) === 'yaml' ? 'YAML (read-only)' : 'admin UI'}</span></td></tr>`,
    );
    res.type('html').send(
      page('Shared mailboxes', html`<section><h1>Shared mailboxes</h1><p><a href="/admin/shared-mailboxes/new">Add a shared mailbox</a></p>
<table><tr><th>id</th><th>address</th><th>folders</th><th>unknown sender</th><th>declared in</th></tr>${rows}</table></section>`, { session, active: '/admin/shared-mailboxes' }),
    );
  });

  router.get('/shared-mailboxes/new', (_req, res) => {
    const session = sessionOf(res);
    const entry = { ...withDefaults({ id: 'x', address: 'x@example.com', imap: { host: 'x', port: 993, username: 'x', password: '' } }), id: '', address: '', imap: { port: 993, security: 'tls' } };
    res.type('html').send(page('Add shared mailbox', html`<section><h1>Add a shared mailbox</h1>${boxForm(entry, { action: '/admin/shared-mailboxes/new', isNew: true, readOnly: false, csrf: session.csrfToken, extra: {} })}</section>`, { session, active: '/admin/shared-mailboxes' }));
  });

  router.post('/shared-mailboxes/new', async (req, res) => {
    const session = sessionOf(res);
    const { document, errors } = sharedMailboxDocumentFromForm({ ...(req.body as FormBody) });
    const id = String(document['id']);
    if (ctx.api.config.sharedMailboxes.some((box) => box.id.toLowerCase() === id.toLowerCase()) || (await ctx.uiConfig.get('shared-mailbox', id))) errors.push({ path: 'id', message: `a shared mailbox with id "${id}" exists already` });
    if (errors.length > 0) {
      return void res.status(400).type('html').send(page('Add shared mailbox', html`<section><h1>Add a shared mailbox</h1>${boxForm(splitSecrets('shared-mailbox', document).document, { action: '/admin/shared-mailboxes/new', isNew: true, readOnly: false, csrf: session.csrfToken, errors, retype: typedSecrets(req.body as FormBody) })}</section>`, { session, active: '/admin/shared-mailboxes' }));
    }
    await ctx.uiConfig.put('shared-mailbox', id, document, session.username);
    await ctx.audit.record(session.username, 'shared-mailbox.create', `shared-mailbox:${id}`, document);
    await ctx.reconfigure();
    res.redirect(303, `/admin/shared-mailboxes/${encodeURIComponent(id)}?saved=1`);
  });

  router.get('/shared-mailboxes/:id', async (req, res) => {
    const session = sessionOf(res);
    const id = String(req.params['id']);
    const merged = await ctx.merged();
    const readOnly = originOf(merged, 'shared-mailbox', id) === 'yaml';
    const running = ctx.api.config.sharedMailboxes.find((box) => box.id === id);
    const stored = await ctx.uiConfig.get('shared-mailbox', id);
    if (!running && !stored) return void res.status(404).type('html').send(page('Not found', html`<section><p>No shared mailbox ${id}.</p></section>`, { session }));
    const entry = readOnly ? (running as unknown as Mapping) : withDefaults(stored?.document ?? (running as unknown as Mapping));
    const problem = merged.problems.find((item) => item.kind === 'shared-mailbox' && item.id === id);
    res.type('html').send(
      page(`Shared mailbox ${id}`, html`<section><h1>Shared mailbox ${id}</h1>
${req.query['saved'] ? html`<p class="ok" role="status">Saved. The sync restarted with the new configuration.</p>` : ''}
${readOnly ? html`<p class="note">Declared in the YAML configuration file, which wins over the admin UI for the ids it declares: shown read-only.</p>` : ''}
${problem ? html`<p class="error">This entry is not in use: ${problem.message}</p>` : ''}
${stored && !readOnly ? html`<p class="muted">Last changed in the admin UI by ${stored.updatedBy} at ${stored.updatedAt}.</p>` : ''}
${await grantPanel(ctx, { type: 'shared-mailbox', id })}
${boxForm(entry, { action: `/admin/shared-mailboxes/${encodeURIComponent(id)}`, isNew: false, readOnly, csrf: session.csrfToken, extra: readOnly ? entry : (stored?.document ?? entry) })}
${readOnly ? '' : html`<p>${postButton(`/admin/shared-mailboxes/${encodeURIComponent(id)}/delete`, 'Delete this shared mailbox from the admin UI configuration', session.csrfToken)}</p>`}</section>`, { session, active: '/admin/shared-mailboxes' }),
    );
  });

  router.post('/shared-mailboxes/:id', async (req, res) => {
    const session = sessionOf(res);
    const id = String(req.params['id']);
    if (originOf(await ctx.merged(), 'shared-mailbox', id) === 'yaml') return void res.status(403).type('html').send(page('Read-only', html`<section><p class="error">Shared mailbox ${id} is declared in the YAML file and cannot be changed here.</p></section>`, { session }));
    const previous = (await ctx.uiConfig.get('shared-mailbox', id))?.document ?? {};
    const { document, errors } = sharedMailboxDocumentFromForm({ ...(req.body as FormBody), id }, previous);
    if (errors.length > 0) {
      return void res.status(400).type('html').send(page(`Shared mailbox ${id}`, html`<section><h1>Shared mailbox ${id}</h1>${boxForm(document, { action: `/admin/shared-mailboxes/${encodeURIComponent(id)}`, isNew: false, readOnly: false, csrf: session.csrfToken, errors, retype: typedSecrets(req.body as FormBody) })}</section>`, { session, active: '/admin/shared-mailboxes' }));
    }
    await ctx.uiConfig.put('shared-mailbox', id, document, session.username);
    await ctx.audit.record(session.username, 'shared-mailbox.update', `shared-mailbox:${id}`, { changes: changesBetween(previous, document) });
    await ctx.reconfigure();
    res.redirect(303, `/admin/shared-mailboxes/${encodeURIComponent(id)}?saved=1`);
  });

  router.post('/shared-mailboxes/:id/delete', async (req, res) => {
    const session = sessionOf(res);
    const id = String(req.params['id']);
    const previous = await ctx.uiConfig.get('shared-mailbox', id);
    if (!previous) return void res.status(404).type('html').send(page('Not found', html`<section><p>No admin UI entry for shared mailbox ${id}.</p></section>`, { session }));
    await ctx.uiConfig.remove('shared-mailbox', id);
    await ctx.audit.record(session.username, 'shared-mailbox.delete', `shared-mailbox:${id}`, { before: previous.document });
    await ctx.reconfigure();
    res.redirect(303, '/admin/shared-mailboxes');
  });
}
