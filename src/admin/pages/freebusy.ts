import type { Router } from 'express';
import { publicBaseUrl } from '../../api/public-url.js';
import { sessionOf, type AdminContext } from '../context.js';
import { html, page } from '../html.js';

/** Each user's free/busy publication URL (Outlook: "Internet Free/Busy" search path), with a copy button (admin.js). */
export function registerFreeBusyPage(router: Router, ctx: AdminContext): void {
  router.get('/freebusy', async (_req, res) => {
    const session = sessionOf(res);
    const base = publicBaseUrl(ctx.api.config.server, ctx.api.boundPort);
    const rows = await Promise.all(
      ctx.api.config.users.map(async (user, index) => {
        const token = await ctx.api.store.credentials.get('user', user.id, 'freebusy-token');
        // `@` may stand in a path segment (RFC 3986 §3.3): the address stays readable.
        const url = `${base}/freebusy/${encodeURIComponent(user.email).replace('%40', '@')}.vfb?token=${encodeURIComponent(token ?? '')}`;
        return html`<tr><td>${user.id}</td><td>${user.name}</td><td><input type="text" class="url" id="fb-${index}" value="${url}" readonly> <button type="button" data-copy="fb-${index}">Copy</button></td></tr>`;
      }),
    );
    res.type('html').send(
      page('Free/busy', html`<section><h1>Free/busy publication</h1>
<p>Each user's free/busy as an iCalendar VFREEBUSY file, for Outlook's Internet Free/Busy search path and other calendar clients. The token in the URL authorises reading this user's free/busy only.</p>
<table><tr><th>user</th><th>name</th><th>URL</th></tr>${rows}</table></section>`, { session, active: '/admin/freebusy' }),
    );
  });
}
