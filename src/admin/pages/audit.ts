import type { Router } from 'express';
import { sessionOf, type AdminContext } from '../context.js';
import { html, page } from '../html.js';

/** The audit log: every configuration change made here, newest first (secrets were redacted before storing). */
export function registerAuditPage(router: Router, ctx: AdminContext): void {
  router.get('/audit', async (req, res) => {
    const session = sessionOf(res);
    const before = Number(req.query['before']);
    const entries = await ctx.audit.list(100, Number.isInteger(before) && before > 0 ? before : undefined);
    const last = entries.at(-1);
    res.type('html').send(
      page('Audit log', html`<section><h1>Audit log</h1>
<table><tr><th>when</th><th>who</th><th>what</th><th>target</th><th>detail</th></tr>
${entries.map((entry) => html`<tr><td>${entry.at}</td><td>${entry.actor}</td><td>${entry.action}</td><td>${entry.target}</td><td><details><summary>show</summary><pre>${JSON.stringify(entry.detail, null, 2)}</pre></details></td></tr>`)}</table>
${entries.length === 100 && last ? html`<p><a href="/admin/audit?before=${last.id}">older</a></p>` : ''}</section>`, { session, active: '/admin/audit' }),
    );
  });
}
