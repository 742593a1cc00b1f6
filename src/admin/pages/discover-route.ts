import type { Request, Response } from 'express';
import { discover, DISCOVERABLE_ADDRESS, type DiscoveryResult } from '../../discovery/discover.js';
import type { AdminContext } from '../context.js';
import { sessionOf } from '../context.js';
import type { ConnectionKind, FormBody } from '../entry-forms.js';
import { html, page, type SafeHtml } from '../html.js';

type Mapping = Record<string, unknown>;
const kinds: readonly ConnectionKind[] = ['imap', 'smtp', 'caldav', 'carddav'];

/**
 * POST /admin/discover with the user form: proposes the connections for the form's e-mail address
 * (src/discovery/discover.ts) and, with htmx, fills the fieldsets of what was found (out-of-band
 * swaps); the password fields stay empty. Nothing is saved until the form is.
 */
export function discoverRoute(ctx: AdminContext, fieldset: (kind: ConnectionKind, entry: Mapping, options: { oob: boolean }) => SafeHtml) {
  return async (req: Request, res: Response): Promise<void> => {
    const email = String((req.body as FormBody)['email'] ?? '').trim();
    const send = (fragment: SafeHtml) => {
      if (req.headers['hx-request']) return void res.status(200).type('html').send(fragment.value);
      res.status(200).type('html').send(page('Find server settings', html`<section><h1>Server settings for ${email}</h1>${fragment}</section>`, { session: sessionOf(res) }));
    };
    if (!DISCOVERABLE_ADDRESS.test(email)) return send(html`<p class="error" role="alert">Enter the user's e-mail address first.</p>`);
    if (!ctx.api.discovery) return send(html`<p class="error" role="alert">Autodiscovery is not available in this process.</p>`);
    const result: DiscoveryResult = await discover(email, ctx.api.discovery, ctx.api.config.discovery.autoconfigUrls);
    const found = kinds.filter((kind) => result[kind] !== null);
    ctx.log.info({ email, found }, 'admin autodiscovery');
    const summary = found.length === 0
      ? html`<p class="error" role="alert">Nothing found for ${email}. Tried: ${result.tried.join(', ')}.</p>`
      : html`<p class="ok" role="status">Found ${found.map((kind) => kind.toUpperCase()).join(', ')}: filled in below; enter the passwords, test and save.</p><ul>${found.map((kind) => html`<li>${kind}: <code>${result[kind]!.source}</code></li>`)}</ul>`;
    const filled = found.map((kind) => {
      const proposal = result[kind]!;
      const connection: Mapping = 'url' in proposal ? { url: proposal.url, username: proposal.username } : { host: proposal.host, port: proposal.port, security: proposal.security, username: proposal.username };
      return fieldset(kind, { [kind]: connection }, { oob: true });
    });
    send(html`${summary}${filled}`);
  };
}
