import type { Request, Response } from 'express';
import { originOf } from '../../config/merge-ui.js';
import { sharedMailboxConfigSchema, userConfigSchema, type DavServerConfig, type MailServerConfig } from '../../config/schema.js';
import type { ErrorDetail } from '../../domain/errors.js';
import { issuesToDetails } from '../../domain/validation.js';
import type { ConnectionTestResult } from '../connection-test.js';
import type { AdminContext } from '../context.js';
import { sessionOf } from '../context.js';
import { sharedMailboxDocumentFromForm, userDocumentFromForm, type ConnectionKind, type FormBody } from '../entry-forms.js';
import { html, page, type SafeHtml } from '../html.js';

type Mapping = Record<string, unknown>;
const kinds: readonly ConnectionKind[] = ['imap', 'smtp', 'caldav', 'carddav'];

function resultHtml(result: ConnectionTestResult): SafeHtml {
  if (!result.ok) return html`<p class="error" role="alert">Failed (${result.code}): ${result.message}</p>`;
  return html`<p class="ok" role="status">OK: ${result.summary}</p>${result.items.length > 0 ? html`<ul>${result.items.slice(0, 200).map((item) => html`<li><code>${item}</code></li>`)}</ul>` : ''}`;
}

/**
 * POST /admin/connections/test/:kind with the user or shared-mailbox form: tests the connection as
 * the form describes it (an empty password field means the stored password, and only while host,
 * port, security and user name, or the DAV URL's origin and user name, are the stored ones). An entry the YAML
 * declares is tested as configured. Answers an htmx fragment, or a page without htmx.
 */
export function connectionTestRoute(ctx: AdminContext, test: (kind: ConnectionKind, settings: MailServerConfig | DavServerConfig) => Promise<ConnectionTestResult>) {
  return async (req: Request, res: Response): Promise<void> => {
    const kind = String(req.params['kind']) as ConnectionKind;
    const body = req.body as FormBody;
    const entryKind = body['entry'] === 'shared-mailbox' ? 'shared-mailbox' : 'user';
    const send = (status: number, fragment: SafeHtml) => {
      if (req.headers['hx-request']) return void res.status(200).type('html').send(fragment.value);
      res.status(status).type('html').send(page('Test connection', html`<section><h1>Test ${kind}</h1>${fragment}</section>`, { session: sessionOf(res) }));
    };
    if (!kinds.includes(kind) || (entryKind === 'shared-mailbox' && kind !== 'imap')) return send(404, html`<p class="error">No such connection kind.</p>`);
    const id = body['id'] ?? '';
    const running: unknown = entryKind === 'user' ? ctx.api.config.users.find((user) => user.id === id) : ctx.api.config.sharedMailboxes.find((box) => box.id === id);
    let connection: unknown;
    let refusal: ErrorDetail | undefined;
    if (id !== '' && originOf(await ctx.merged(), entryKind, id) === 'yaml') {
      connection = (running as Mapping | undefined)?.[kind];
    } else {
      const previous = (await ctx.uiConfig.get(entryKind, id))?.document ?? ((running as Mapping | undefined) ?? {});
      const { document, errors } = entryKind === 'user' ? userDocumentFromForm({ ...body, [`${kind}.enabled`]: 'on' }, previous) : sharedMailboxDocumentFromForm({ ...body }, previous);
      connection = document[kind];
      // The stored password goes only to the server and account it was saved for (stored-password.ts).
      refusal = errors.find((error) => error.path === `${kind}.password` || error.path === `${kind}.auth.clientSecret`);
    }
    const schema = entryKind === 'user' ? userConfigSchema.shape[kind].unwrap() : sharedMailboxConfigSchema.shape.imap;
    const parsed = schema.safeParse(connection);
    if (!parsed.success) return send(400, html`<p class="error" role="alert">Not tested: ${issuesToDetails(parsed.error.issues, [kind]).map((detail) => `${detail.path}: ${detail.message}`).join('; ')}</p>`);
    if (refusal) {
      ctx.log.info({ kind, entry: entryKind, id }, 'admin connection test refused: stored password for a changed destination');
      return send(400, html`<p class="error" role="alert">Not tested: ${refusal.path}: ${refusal.message}</p>`);
    }
    const result = await test(kind, parsed.data);
    // The result's message has the password cut out already (connection-test.ts).
    if (result.ok) ctx.log.info({ kind, entry: entryKind, id, ok: true }, 'admin connection test');
    else ctx.log.warn({ kind, entry: entryKind, id, ok: false, code: result.code, reason: result.message }, 'admin connection test failed');
    send(200, resultHtml(result));
  };
}
