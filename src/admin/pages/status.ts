import type { Router } from 'express';
import type { SyncSource } from '../../ports/source.js';
import { resetUserSync, type ResetScope } from '../../sync/reset-user-sync.js';
import { sourcesOf } from '../../sync/sources.js';
import { pairsOfSource } from '../../sync/engine/keys.js';
import { sessionOf, type AdminContext } from '../context.js';
import { html, page, postButton, type SafeHtml } from '../html.js';
import type { OAuthOwner } from '../../ports/oauth.js';
import type { GrantOverview } from '../../store/oauth-grants.js';
import type { SyncErrorRecord } from '../../store/sync-errors.js';
import { deliveryView } from './activities.js';
import { connectLink, grantsOf, grantState, storedStateOf } from './oauth-connect.js';

/** What "Re-deliver all" resets for a user's source (POST /api/v1/users/:id/reset scopes); shared mailboxes have none. */
export function resetScopesOf(source: SyncSource): ResetScope[] {
  if (source.kind === 'caldav') return ['calendar', 'tasks'];
  if (source.kind === 'carddav') return ['contacts'];
  if (source.kind === 'imap') return ['mail'];
  return [];
}

interface SourceFacts {
  items: string;
  lastCursorAt: string | null;
  itemsSoFar: number;
}

async function factsOf(ctx: AdminContext, source: SyncSource): Promise<SourceFacts> {
  const overview = ctx.api.store.sourceOverview;
  const lastCursorAt = await overview.lastCursorAt(pairsOfSource(source));
  if (source.kind === 'imap' || source.kind === 'shared-mailbox') {
    const byState = await overview.messagesByState(source.id);
    const count = (state: string) => byState.get(state) ?? 0;
    const total = [...byState.values()].reduce((sum, n) => sum + n, 0);
    return { items: `${count('tracked')} tracked of ${total} messages seen${count('failed') ? `, ${count('failed')} failed` : ''}`, lastCursorAt, itemsSoFar: total };
  }
  const n = await overview.itemsInSync(pairsOfSource(source));
  return { items: `${n} item(s) in sync`, lastCursorAt, itemsSoFar: n };
}

async function sourceRow(ctx: AdminContext, source: SyncSource, csrf: string): Promise<SafeHtml> {
  const state = ctx.hooks.states.get(source.id);
  const facts = await factsOf(ctx, source);
  const name = state?.state ?? 'pending';
  const label = state ? (state.state === 'auth-failed' ? 'auth failed' : name) : 'not run yet';
  const progress = state?.state === 'syncing'
    ? state.progress?.total
      ? html`<progress max="${state.progress.total}" value="${state.progress.done}"></progress> ${state.progress.done} of ${state.progress.total} messages`
      : html`<progress></progress> ${facts.itemsSoFar} so far`
    : '';
  const last = state?.finishedAt ?? facts.lastCursorAt;
  // Tried but never got through (a wrong password from the start): say so, not "last sync ... 0 changed".
  const neverConnected = state !== undefined && state.state !== 'syncing' && state.runs > 0 && state.lastReachedAt === null && facts.lastCursorAt === null;
  const lastCell = neverConnected
    ? html`never connected<div class="muted">last tried ${state.finishedAt ?? ''}</div>`
    : html`${last ?? 'never'}${state && state.state !== 'syncing' && state.runs > 0 ? html`<div class="muted">${state.changed} changed, ${state.itemErrors} item error(s)</div>` : ''}`;
  const id = encodeURIComponent(source.id);
  return html`<tr data-source="${source.id}"><td>${source.kind}</td><td><code>${source.location}</code></td>
<td><span class="badge state-${name}">${label}</span> ${progress}${state?.error ? html`<div class="error">${state.error.code}: ${state.error.message}</div>` : ''}</td>
<td>${lastCell}</td>
<td>${facts.items}</td>
<td class="actions">${postButton(`/admin/sources/${id}/retry`, 'Retry now', csrf)}${postButton(`/admin/sources/${id}/resync`, 'Resync', csrf, '', `Resync ${source.id}? It reads every folder or collection again (nothing is duplicated or deleted); a large mailbox takes a while.`)}${resetScopesOf(source).length > 0 ? postButton(`/admin/sources/${id}/redeliver`, 'Re-deliver all', csrf, '', `Re-deliver everything of ${source.id}? The bridge forgets what it delivered to the client and delivers it again on the next pass.`) : ''}
<a href="/admin/errors?source=${source.id}">errors</a></td></tr>`;
}

/** A row per OAuth2 grant of the owner: whether it signs in, or needs the Connect step again. */
function grantRows(ctx: AdminContext, owner: OAuthOwner, stored: GrantOverview[]): SafeHtml[] {
  return grantsOf(ctx.api.config, owner).map((grant) => {
    const state = storedStateOf(stored, owner, grant.key);
    return html`<tr class="oauth-grant" data-grant="${grant.key}"><td>OAuth2</td><td>${grant.client.provider}: ${grant.kinds.join(', ')}</td><td colspan="3">${grantState(state)}</td>
<td class="actions">${connectLink(owner, grant.key, state)}</td></tr>`;
  });
}

async function sourcesPanel(ctx: AdminContext, csrf: string): Promise<SafeHtml> {
  const config = ctx.api.config;
  const sources = sourcesOf(config);
  const groups: Array<{ title: string; owner: OAuthOwner; sources: SyncSource[] }> = [
    ...config.users.map((user) => ({ title: `${user.name} <${user.email}> (user ${user.id})`, owner: { type: 'user' as const, id: user.id }, sources: sources.filter((source) => source.kind !== 'shared-mailbox' && source.ownerId === user.id) })),
    ...config.sharedMailboxes.map((box) => ({ title: `Shared mailbox ${box.id} <${box.address}>`, owner: { type: 'shared-mailbox' as const, id: box.id }, sources: sources.filter((source) => source.kind === 'shared-mailbox' && source.ownerId === box.id) })),
  ];
  const grants = await ctx.api.store.oauthGrants.overview();
  const rows = await Promise.all(
    groups.map(async (group) => html`<tr><th colspan="6">${group.title}</th></tr>${grantRows(ctx, group.owner, grants)}${group.sources.length === 0 ? html`<tr><td colspan="6" class="muted">no connections configured</td></tr>` : await Promise.all(group.sources.map((source) => sourceRow(ctx, source, csrf)))}`),
  );
  // htmx polls this panel every 2 s, so a first import's progress and its end show without reloading.
  return html`<section id="sources" hx-get="/admin/status/sources" hx-trigger="every 2s" hx-swap="outerHTML"><h2>Sources</h2>
${groups.length === 0 ? html`<p>No users or shared mailboxes configured yet. <a href="/admin/users/new">Add a user</a>.</p>` : ''}
<table><tr><th>kind</th><th>where</th><th>state</th><th>last sync</th><th>items</th><th></th></tr>${rows}</table></section>`;
}

/** One row per problem: when it was last seen, how often since when, and Dismiss while it stands. */
function errorTable(errors: readonly SyncErrorRecord[], csrfToken: string): SafeHtml {
  return html`<table><tr><th>last seen</th><th>source</th><th>item</th><th>code</th><th>message</th><th>times</th><th>since</th><th></th></tr>
${errors.map((error) => html`<tr><td><a href="/admin/errors/${error.id}">${error.lastSeen}</a></td><td>${error.source}</td><td>${error.itemRef ?? ''}</td><td>${error.code}</td><td>${error.message.slice(0, 200)}</td><td>${error.count}</td><td>${error.firstSeen}</td>
<td>${error.resolvedAt === null ? postButton(`/admin/errors/${error.id}/dismiss`, 'Dismiss', csrfToken) : html`<span class="muted">resolved ${error.resolvedAt}</span>`}</td></tr>`)}</table>`;
}

/** Sends that need someone (failed, uncertain): why, and Retry / Cancel (pages/activities.ts). */
async function outboxSection(ctx: AdminContext, csrfToken: string): Promise<SafeHtml> {
  const stuck = await ctx.api.store.outbox.stuck(50);
  if (stuck.length === 0) return html`<section><h2>Outbox</h2><p class="muted">no failed or uncertain sends</p></section>`;
  const activities = new Map((await Promise.all(stuck.map((entry) => ctx.api.store.activities.get(entry.activityId)))).flatMap((activity) => (activity ? [[activity.id, activity] as const] : [])));
  return html`<section><h2>Outbox</h2><p>${stuck.length} send(s) need a decision.</p><table><tr><th>mail</th><th>from</th><th>to</th><th>state</th></tr>
${stuck.map((entry) => {
    const activity = activities.get(entry.activityId);
    return html`<tr><td><a href="/admin/activities/${entry.activityId}">${activity?.subject || entry.activityId}</a></td><td>${entry.userId}</td><td>${entry.envelope.to.join(', ')}</td>
<td>${activity?.delivery ? deliveryView(entry.activityId, activity.delivery, csrfToken) : entry.state}</td></tr>`;
  })}</table></section>`;
}

/**
 * The sends and sync problems that need someone, refreshed in place every few seconds (htmx, like
 * the sources panel): a problem that is resolved or dismissed goes, a new one appears, without a reload.
 */
async function problemsPanel(ctx: AdminContext, csrfToken: string): Promise<SafeHtml> {
  const recent = await ctx.api.store.syncErrors.recent(200);
  const conflicts = recent.filter((error) => error.code === 'CONFLICT').slice(0, 20);
  const errors = recent.filter((error) => error.code !== 'CONFLICT').slice(0, 20);
  return html`<div id="problems" hx-get="/admin/status/problems" hx-trigger="every 5s" hx-swap="outerHTML">${await outboxSection(ctx, csrfToken)}
<section><h2>Sync conflicts</h2>${conflicts.length === 0 ? html`<p class="muted">none</p>` : errorTable(conflicts, csrfToken)}</section>
<section><h2>Current sync errors</h2>${errors.length === 0 ? html`<p class="muted">none</p>` : errorTable(errors, csrfToken)}<p><a href="/admin/errors">all current errors</a> · <a href="/admin/errors?state=all">history</a></p></section></div>`;
}

/** The line the status page shows after Resync or Re-deliver redirected to it (fixed wording; the query only fills in the source and the number). */
function whatWasDone(query: Record<string, unknown>): string | null {
  const source = typeof query['source'] === 'string' ? query['source'].slice(0, 200) : '';
  const count = Number(query['count']);
  if (source === '' || !Number.isInteger(count) || count < 0) return null;
  if (query['did'] === 'resync') return `Resync of ${source}: ${count} cursor(s) forgotten; the sync started and reads everything again.`;
  if (query['did'] === 'redeliver') return `Re-deliver of ${source}: ${count} delivered item(s) forgotten; the sync started and delivers them again.`;
  return null;
}

export function registerStatusPages(router: Router, ctx: AdminContext): void {
  router.get('/', async (req, res) => {
    const session = sessionOf(res);
    const { store, config } = ctx.api;
    const done = whatWasDone(req.query);
    const hooks = await store.webhooks.list();
    const latest = await store.changes.latestSeq();
    const merged = await ctx.merged();
    res.type('html').send(
      page('Status', html`<section><h1>Status</h1>${done ? html`<p class="ok" role="status">${done}</p>` : ''}
<p>${config.users.length} user(s): ${config.users.map((user, index) => html`${index > 0 ? ', ' : ''}${user.name} &lt;${user.email}&gt;`)}. ${config.sharedMailboxes.length} shared mailbox(es). Change feed at sequence ${latest}. ${config.api.tokens.length} API token(s) configured.</p>
${merged.problems.map((problem) => html`<p class="error">UI entry ${problem.kind} ${problem.id} is not used: ${problem.message}</p>`)}</section>
${await sourcesPanel(ctx, session.csrfToken)}
${await problemsPanel(ctx, session.csrfToken)}
<section><h2>Webhooks</h2><table><tr><th>id</th><th>url</th><th>delivered up to</th><th>failed attempts</th></tr>
${hooks.map((hook) => html`<tr><td>${hook.id}</td><td>${hook.url}</td><td>${hook.cursorSeq}</td><td>${hook.attempts}</td></tr>`)}</table></section>`, { session, active: '/admin' }),
    );
  });

  router.get('/status/sources', async (_req, res) => {
    res.type('html').send((await sourcesPanel(ctx, sessionOf(res).csrfToken)).value);
  });

  router.get('/status/problems', async (_req, res) => {
    res.type('html').send((await problemsPanel(ctx, sessionOf(res).csrfToken)).value);
  });

  router.get('/errors', async (req, res) => {
    const session = sessionOf(res);
    const source = typeof req.query['source'] === 'string' && req.query['source'] !== '' ? req.query['source'] : undefined;
    const history = req.query['state'] === 'all';
    const errors = await ctx.api.store.syncErrors.list(200, { source, state: history ? 'all' : 'current' });
    const other = `/admin/errors?${new URLSearchParams({ ...(source ? { source } : {}), ...(history ? {} : { state: 'all' }) }).toString()}`;
    res.type('html').send(page('Sync errors', html`<section><h1>Sync errors${source ? html` of ${source}` : ''}${history ? ' (history)' : ''}</h1>
<p><a href="${other}">${history ? 'only the current ones' : 'with the resolved ones (history)'}</a></p>
${errors.length === 0 ? html`<p class="muted">none</p>` : errorTable(errors, session.csrfToken)}</section>`, { session, active: '/admin' }));
  });

  router.post('/errors/:id/dismiss', async (req, res) => {
    const id = Number(req.params['id']);
    const dismissed = Number.isInteger(id) && (await ctx.api.store.syncErrors.dismiss(id));
    if (dismissed) await ctx.audit.record(sessionOf(res).username, 'sync-error.dismiss', `sync-error:${id}`, {});
    res.redirect(303, '/admin');
  });

  router.get('/errors/:id', async (req, res) => {
    const row = await ctx.api.store.syncErrors.get(Number(req.params['id']));
    if (!row) return void res.status(404).type('html').send(page('Not found', html`<section><p>No such error.</p></section>`, { session: sessionOf(res) }));
    res.type('html').send(
      page('Sync error', html`<section><h1>${row.code === 'CONFLICT' ? 'Sync conflict' : 'Sync error'} #${row.id}</h1>
<table><tr><th>last seen</th><td>${row.lastSeen}</td></tr><tr><th>first seen</th><td>${row.firstSeen}</td></tr><tr><th>times</th><td>${row.count}</td></tr>
<tr><th>state</th><td>${row.resolvedAt === null ? 'current' : html`resolved ${row.resolvedAt}`}</td></tr><tr><th>source</th><td>${row.source}</td></tr><tr><th>item</th><td>${row.itemRef ?? '(the whole source)'}</td></tr>
<tr><th>code</th><td>${row.code}</td></tr><tr><th>detail</th><td><pre>${row.message}</pre></td></tr></table>
<p><a href="/admin/errors?source=${row.source}">more errors of this source</a></p></section>`, { session: sessionOf(res), active: '/admin' }),
    );
  });

  router.post('/sources/:id/retry', async (req, res) => {
    const id = String(req.params['id']);
    const started = ctx.hooks.runNow(id);
    await ctx.audit.record(sessionOf(res).username, 'source.retry', id, { started });
    res.redirect(303, '/admin');
  });

  // Resync: forget the source's cursors, so the next run reads every collection again and re-matches
  // what it finds by Message-ID / UID (no duplicates: DESIGN.md principle 2); then run it now.
  router.post('/sources/:id/resync', async (req, res) => {
    const id = String(req.params['id']);
    const source = sourcesOf(ctx.api.config).find((entry) => entry.id === id);
    if (!source) return void res.status(404).type('html').send(page('Not found', html`<section><p>No such source.</p></section>`, { session: sessionOf(res) }));
    const cursorsForgotten = await ctx.api.store.syncCursors.removeUnder(pairsOfSource(source));
    const started = ctx.hooks.runNow(id);
    await ctx.audit.record(sessionOf(res).username, 'source.resync', id, { cursorsForgotten, started });
    res.redirect(303, `/admin?${new URLSearchParams({ did: 'resync', source: id, count: String(cursorsForgotten) }).toString()}`);
  });

  // Re-deliver: what POST /api/v1/users/:id/reset does for the source's scopes (issue 6 point 7: after
  // contacts were deleted in the client by mistake), then run it now. No data is deleted.
  router.post('/sources/:id/redeliver', async (req, res) => {
    const id = String(req.params['id']);
    const source = sourcesOf(ctx.api.config).find((entry) => entry.id === id);
    const scopes = source ? resetScopesOf(source) : [];
    if (!source || scopes.length === 0) return void res.status(404).type('html').send(page('Not found', html`<section><p>No such user source.</p></section>`, { session: sessionOf(res) }));
    const forgotten: Record<string, number> = {};
    for (const scope of scopes) forgotten[scope] = (await resetUserSync(ctx.api.store, source.ownerId, scope)).mappings;
    const started = ctx.hooks.runNow(id);
    await ctx.audit.record(sessionOf(res).username, 'source.redeliver', id, { forgotten, started });
    const total = Object.values(forgotten).reduce((sum, n) => sum + n, 0);
    res.redirect(303, `/admin?${new URLSearchParams({ did: 'redeliver', source: id, count: String(total) }).toString()}`);
  });
}
