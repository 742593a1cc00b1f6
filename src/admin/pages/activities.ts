import type { Router } from 'express';
import type { Activity, Delivery } from '../../domain/activity.js';
import { httpStatusOf } from '../../api/errors.js';
import { isBridgeError } from '../../domain/errors.js';
import { cancelSend, retrySend } from '../../mail/send-control.js';
import { sanitizeMailHtmlBounded } from '../../mail/sanitize-bounded.js';
import { sessionOf, type AdminContext } from '../context.js';
import { html, page, postButton, trusted, type SafeHtml } from '../html.js';

function correlation(activity: Activity): SafeHtml | string {
  if (!activity.correlation) return '';
  return html`${activity.correlation.method}${activity.correlation.activityId ? html` → <a href="/admin/activities/${activity.correlation.activityId}">${activity.correlation.activityId}</a>` : ''}`;
}

function sources(activity: Activity): string {
  return activity.sources.map((source) => `${source.type} ${source.sourceId}`).join(', ');
}

function activityTable(activities: readonly Activity[]): SafeHtml {
  if (activities.length === 0) return html`<p class="muted">No activities.</p>`;
  return html`<table><tr><th>when</th><th>kind</th><th>subject</th><th>correlated by</th><th>sources</th><th>queue</th></tr>
${activities.map((activity) => html`<tr><td>${activity.start ?? activity.due ?? activity.createdAt}</td><td>${activity.kind}</td><td><a href="/admin/activities/${activity.id}">${activity.subject || '(no subject)'}</a></td><td>${correlation(activity)}</td><td>${sources(activity)}</td><td>${activity.queue ?? ''}</td></tr>`)}</table>`;
}

/** Activities: search, a timeline per contact or account, and one activity with its mail body (text or sanitized HTML only). */
/** Where a mail sent from the CRM stands, with its reason, and Retry / Cancel while someone has to decide. */
export function deliveryView(id: string, delivery: Delivery, csrfToken: string): SafeHtml {
  const stuck = delivery.state === 'failed' || delivery.state === 'uncertain';
  const cancellable = stuck || delivery.state === 'queued';
  return html`<span class="badge state-${stuck ? 'error' : delivery.state === 'sent' ? 'idle' : 'pending'}">${delivery.state}</span> after ${delivery.attempts} attempt(s)${delivery.sentAt ? html`, sent ${delivery.sentAt}` : ''}${delivery.nextAttemptAt ? html`, next attempt ${delivery.nextAttemptAt}` : ''}
${delivery.lastError ? html`<div class="error">${delivery.lastError}</div>` : ''}${delivery.state === 'uncertain' ? html`<div class="muted">It may or may not have gone out: a retry can deliver it twice.</div>` : ''}
${stuck ? postButton(`/admin/emails/${id}/retry`, 'Retry', csrfToken) : ''}${cancellable ? postButton(`/admin/emails/${id}/cancel`, 'Cancel', csrfToken) : ''}`;
}

export function registerActivityPages(router: Router, ctx: AdminContext): void {
  router.get('/activities', async (req, res) => {
    const session = sessionOf(res);
    const { store } = ctx.api;
    const q = typeof req.query['q'] === 'string' ? req.query['q'].trim().slice(0, 200) : '';
    const contactId = typeof req.query['contact'] === 'string' ? req.query['contact'] : '';
    const accountId = typeof req.query['account'] === 'string' ? req.query['account'] : '';
    let body: SafeHtml;
    if (contactId || accountId) {
      const record = contactId ? await store.contacts.get(contactId) : await store.accounts.get(accountId);
      const title = record ? ('displayName' in record ? `${record.displayName} (${record.emails.join(', ')})` : record.name) : contactId || accountId;
      const page1 = await store.activities.list(contactId ? { contact: contactId } : { account: accountId }, { limit: 200 });
      const timeline = [...page1.items].sort((a, b) => (b.start ?? b.createdAt).localeCompare(a.start ?? a.createdAt));
      body = html`<section><h1>Timeline of ${contactId ? 'contact' : 'account'} ${title}</h1>
<ol class="timeline">${timeline.map((activity) => html`<li><strong>${activity.start ?? activity.createdAt}</strong> ${activity.kind}: <a href="/admin/activities/${activity.id}">${activity.subject || '(no subject)'}</a>
<span class="muted">${activity.correlation ? html`correlated by ${correlation(activity)}; ` : ''}sources: ${sources(activity) || 'CRM'}</span></li>`)}</ol>
${timeline.length === 0 ? html`<p class="muted">No activities.</p>` : ''}</section>`;
    } else {
      let results: Activity[] = [];
      let contacts: Array<{ id: string; name: string }> = [];
      let accounts: Array<{ id: string; name: string }> = [];
      if (q !== '') {
        const ids = await store.search.activityIds(q, 50);
        results = (await Promise.all(ids.map((id) => store.activities.get(id)))).filter((activity): activity is Activity => activity !== undefined);
        contacts = await store.search.contacts(q, 20);
        accounts = await store.search.accounts(q, 20);
      } else {
        const ids = await store.search.latestActivityIds(25);
        results = (await Promise.all(ids.map((id) => store.activities.get(id)))).filter((activity): activity is Activity => activity !== undefined);
      }
      body = html`<section><h1>Activities</h1><form method="get" action="/admin/activities"><label>Search subject, address, contact or account <input type="search" name="q" value="${q}"></label><button type="submit">Search</button></form>
${contacts.length + accounts.length > 0 ? html`<p>Timelines: ${contacts.map((contact) => html`<a href="/admin/activities?contact=${contact.id}">${contact.name}</a> `)}${accounts.map((account) => html`<a href="/admin/activities?account=${account.id}">${account.name} (account)</a> `)}</p>` : ''}
<h2>${q ? `Results for “${q}”` : 'Latest activities'}</h2>${activityTable(results)}</section>`;
    }
    res.type('html').send(page('Activities', body, { session, active: '/admin/activities' }));
  });

  router.get('/activities/:id', async (req, res) => {
    const session = sessionOf(res);
    const activity = await ctx.api.store.activities.get(String(req.params['id']));
    if (!activity) return void res.status(404).type('html').send(page('Not found', html`<section><p>No such activity.</p></section>`, { session }));
    // The stored HTML was sanitized at import; it goes through the allowlist again here, so the page
    // never shows markup that did not pass it. The CSP forbids scripts and remote loads as well.
    const sanitized = activity.bodyHtml ? await sanitizeMailHtmlBounded(activity.bodyHtml) : null;
    const bodyView = sanitized?.html ? html`<div class="body">${trusted(sanitized.html)}</div>` : activity.bodyText ? html`<pre class="body">${activity.bodyText}</pre>` : html`<p class="muted">no body</p>`;
    res.type('html').send(
      page(activity.subject || 'Activity', html`<section><h1>${activity.subject || '(no subject)'}</h1>
<table><tr><th>kind</th><td>${activity.kind}</td></tr><tr><th>owner</th><td>${activity.owner ?? ''}</td></tr>
<tr><th>when</th><td>${activity.start ?? activity.due ?? activity.createdAt}</td></tr>
<tr><th>parties</th><td>${activity.parties.map((party) => html`<div>${party.role}: ${party.name ? `${party.name} ` : ''}&lt;${party.address}&gt;${party.contactId ? html` <a href="/admin/activities?contact=${party.contactId}">contact timeline</a>` : ''}${party.accountId ? html` <a href="/admin/activities?account=${party.accountId}">account timeline</a>` : ''}</div>`)}</td></tr>
<tr><th>regarding</th><td>${activity.regarding ? `${activity.regarding.type} ${activity.regarding.id}` : ''}</td></tr>
<tr><th>correlation</th><td>${correlation(activity) || 'none'}</td></tr>
<tr><th>sources</th><td>${activity.sources.map((source) => html`<div>${source.type} ${source.sourceId}: <code>${source.ref}</code></div>`)}</td></tr>
<tr><th>queue</th><td>${activity.queue ?? ''}</td></tr><tr><th>Message-ID</th><td><code>${activity.messageId ?? ''}</code></td></tr>
${activity.delivery ? html`<tr><th>delivery</th><td>${deliveryView(activity.id, activity.delivery, session.csrfToken)}</td></tr>` : ''}</table></section>
<section><h2>Body</h2>${bodyView}</section>`, { session, active: '/admin/activities' }),
    );
  });

  // Retry / Cancel of a send (the same as POST /api/v1/emails/:id/retry|cancel), audited; back to
  // where the button was, which then shows the new state.
  for (const action of ['retry', 'cancel'] as const) {
    router.post(`/emails/:id/${action}`, async (req, res) => {
      const session = sessionOf(res);
      const id = String(req.params['id']);
      try {
        const mail = ctx.api.mail;
        if (action === 'retry' && !mail) throw new Error('sending is not available in this process');
        const activity = action === 'retry' ? await retrySend(ctx.api.store, mail!.outbox, id, ctx.log) : await cancelSend(ctx.api.store, id, ctx.log);
        await ctx.audit.record(session.username, `email.${action}`, `activity:${id}`, { delivery: activity.delivery?.state ?? null });
        res.redirect(303, `/admin/activities/${encodeURIComponent(id)}`);
      } catch (error) {
        const status = isBridgeError(error) ? httpStatusOf[error.code] : 500;
        res.status(status).type('html').send(page('Not done', html`<section><p class="error" role="alert">${(error as Error).message}</p><p><a href="/admin/activities/${id}">back to the mail</a></p></section>`, { session }));
      }
    });
  }
}
