import type { Router } from 'express';
import { publicBaseUrl } from '../../api/public-url.js';
import type { Config } from '../../config/schema.js';
import { isBridgeError } from '../../domain/errors.js';
import { storeNewGrant } from '../../oauth/access-tokens.js';
import { pkcePair } from '../../oauth/pkce.js';
import { grantKeyOf, mergeSpecs, oauthClientSpec, type ConnectionKind } from '../../oauth/providers.js';
import type { OAuthClientSpec, OAuthOwner } from '../../ports/oauth.js';
import type { GrantOverview } from '../../store/oauth-grants.js';
import { sessionOf, type AdminContext } from '../context.js';
import { cookieValue } from '../cookies.js';
import { html, page, type SafeHtml } from '../html.js';

/** One grant an owner's connections sign in with: the connections sharing a client registration. */
export interface OwnerGrant {
  key: string;
  kinds: ConnectionKind[];
  /** The authorization request's client: the union of the connections' scopes. */
  client: OAuthClientSpec;
}

/** The OAuth2 grants of one user or shared mailbox, from the configuration. */
export function grantsOf(config: Config, owner: OAuthOwner): OwnerGrant[] {
  const connections: Array<[ConnectionKind, Config['users'][number]['imap'] | Config['users'][number]['caldav']]> = [];
  if (owner.type === 'user') {
    const user = config.users.find((candidate) => candidate.id === owner.id);
    if (user) for (const kind of ['imap', 'smtp', 'caldav', 'carddav'] as const) connections.push([kind, user[kind]]);
  } else {
    const box = config.sharedMailboxes.find((candidate) => candidate.id === owner.id);
    if (box) connections.push(['imap', box.imap]);
  }
  const byKey = new Map<string, { kinds: ConnectionKind[]; specs: OAuthClientSpec[] }>();
  for (const [kind, connection] of connections) {
    if (connection?.auth?.type !== 'oauth2') continue;
    const spec = oauthClientSpec(connection.auth, kind);
    const key = grantKeyOf(spec);
    const entry = byKey.get(key) ?? { kinds: [], specs: [] };
    entry.kinds.push(kind);
    entry.specs.push(spec);
    byKey.set(key, entry);
  }
  return [...byKey].map(([key, entry]) => ({ key, kinds: entry.kinds, client: mergeSpecs(entry.specs) }));
}

const PENDING_COOKIE = 'crm_bridge_oauth';
/** How long the consent step may take before the callback is refused. */
const PENDING_SECONDS = 600;

interface PendingAuthorization {
  owner: OAuthOwner;
  key: string;
  state: string;
  verifier: string;
  startedBy: string;
  startedAt: number;
}

function redirectUri(ctx: AdminContext): string {
  return `${publicBaseUrl(ctx.api.config.server, ctx.api.boundPort)}/admin/oauth/callback`;
}

/**
 * The pending authorization travels in a cookie sealed with the bridge's key (so any process
 * behind a load balancer can finish it). SameSite=Lax, not Strict like the session: the callback
 * is a top-level navigation from the authorization server's site, which Strict cookies miss.
 */
function pendingCookie(ctx: AdminContext, value: string, maxAge: number): string {
  return `${PENDING_COOKIE}=${encodeURIComponent(value)}; Path=/admin/oauth; HttpOnly; SameSite=Lax; Max-Age=${maxAge}${ctx.secureCookies ? '; Secure' : ''}`;
}

function ownerPage(owner: OAuthOwner): string {
  return owner.type === 'user' ? `/admin/users/${encodeURIComponent(owner.id)}` : `/admin/shared-mailboxes/${encodeURIComponent(owner.id)}`;
}

function ownerOf(type: unknown, id: unknown): OAuthOwner | undefined {
  if ((type !== 'user' && type !== 'shared-mailbox') || typeof id !== 'string' || id === '') return undefined;
  return { type, id };
}

/** "OAuth2 sign-in" of one owner: each grant's state and its Connect link. */
export async function grantPanel(ctx: AdminContext, owner: OAuthOwner): Promise<SafeHtml> {
  const grants = grantsOf(ctx.api.config, owner);
  if (grants.length === 0) return html``;
  const stored = await ctx.api.store.oauthGrants.overview();
  const rows = grants.map((grant) => {
    const state = storedStateOf(stored, owner, grant.key);
    return html`<tr data-grant="${grant.key}"><td>${grant.client.provider}</td><td>${grant.kinds.join(', ')}</td><td>${grantState(state)}</td><td>${connectLink(owner, grant.key, state)}</td></tr>`;
  });
  return html`<section class="oauth-grants"><h2>OAuth2 sign-in</h2><table><tr><th>provider</th><th>connections</th><th>state</th><th></th></tr>${rows}</table></section>`;
}

/** A link, not a form: form-action 'self' (CSP) would stop a form's redirect to the authorization server. */
export function connectLink(owner: OAuthOwner, key: string, state: GrantOverview | undefined): SafeHtml {
  return html`<a class="button connect" href="/admin/oauth/connect?owner=${owner.type}&id=${encodeURIComponent(owner.id)}&grant=${key}">${state === undefined ? 'Connect' : 'Connect again'}</a>`;
}

/** The stored state of one grant of `owner`, from the store's overview. */
export function storedStateOf(stored: readonly GrantOverview[], owner: OAuthOwner, key: string): GrantOverview | undefined {
  return stored.find((entry) => entry.ownerType === owner.type && entry.ownerId === owner.id && entry.key === key);
}

export function grantState(state: GrantOverview | undefined): SafeHtml {
  if (state === undefined) return html`<span class="badge state-auth-failed">not connected</span>`;
  if (state.refusedAt !== null) return html`<span class="badge state-auth-failed">needs re-authorisation</span> <span class="error">${state.refusedReason ?? ''} (since ${state.refusedAt})</span>`;
  return html`<span class="badge state-idle">connected</span> <span class="muted">since ${state.connectedAt}${state.refreshedAt ? `, token refreshed ${state.refreshedAt}` : ''}</span>`;
}

function resultPage(title: string, body: SafeHtml, status = 200): { status: number; body: string } {
  return { status, body: page(title, html`<section><h1>${title}</h1>${body}</section>`) };
}

/**
 * The callback the authorization server sends the browser back to (RFC 6749 §4.1.2). It has no
 * admin session (the Strict cookie does not come along); the sealed pending cookie, set by the
 * logged-in Connect step and bound to its state, stands in for it, once.
 */
export function registerOAuthCallback(router: Router, ctx: AdminContext): void {
  router.get('/oauth/callback', async (req, res) => {
    res.setHeader('Set-Cookie', pendingCookie(ctx, '', 0));
    const send = (result: { status: number; body: string }) => void res.status(result.status).type('html').send(result.body);
    const sealed = cookieValue(req, PENDING_COOKIE);
    let pending: PendingAuthorization | undefined;
    try {
      pending = sealed === undefined ? undefined : (JSON.parse(ctx.api.store.box.decrypt(sealed, 'oauth-pending')) as PendingAuthorization);
    } catch {
      pending = undefined;
    }
    if (pending === undefined || Date.now() - pending.startedAt > PENDING_SECONDS * 1000) {
      return send(resultPage('Sign-in not finished', html`<p class="error">This sign-in was not started from this browser or took longer than ${PENDING_SECONDS / 60} minutes. Start it again with Connect in the <a href="/admin/users">admin UI</a>.</p>`, 400));
    }
    if (req.query['state'] !== pending.state) {
      return send(resultPage('Sign-in not finished', html`<p class="error">The answer does not belong to the sign-in this browser started (state mismatch). Start it again with Connect.</p>`, 400));
    }
    const grant = grantsOf(ctx.api.config, pending.owner).find((entry) => entry.key === pending.key);
    if (grant === undefined) return send(resultPage('Sign-in not finished', html`<p class="error">The connection no longer signs in with this OAuth2 client.</p>`, 400));
    try {
      const callbackUrl = new URL(req.originalUrl, redirectUri(ctx)).toString();
      const tokens = await ctx.hooks.connections.oauth.exchangeCode(grant.client, { callbackUrl, redirectUri: redirectUri(ctx), state: pending.state, codeVerifier: pending.verifier });
      await storeNewGrant(ctx.api.store, pending.owner, grant.key, tokens);
      await ctx.audit.record(pending.startedBy, 'oauth2.connect', `${pending.owner.type}:${pending.owner.id}`, { provider: grant.client.provider, connections: grant.kinds, scope: tokens.scope ?? grant.client.scopes.join(' ') });
      ctx.log.info({ owner: `${pending.owner.type}/${pending.owner.id}`, provider: grant.client.provider }, 'OAuth2 grant connected');
      // The sync of these connections may be backing off after "needs re-authorisation": run it now.
      await ctx.reconfigure();
      return send(resultPage('Connected', html`<p class="ok" role="status">${pending.owner.type === 'user' ? 'User' : 'Shared mailbox'} ${pending.owner.id} is connected (${grant.kinds.join(', ')} via ${grant.client.provider}).</p><p><a href="${ownerPage(pending.owner)}">Back</a> · <a href="/admin">Status</a></p>`));
    } catch (error) {
      const message = isBridgeError(error) ? error.message : String(error);
      ctx.log.warn({ owner: `${pending.owner.type}/${pending.owner.id}`, err: message }, 'OAuth2 connect failed');
      return send(resultPage('Sign-in failed', html`<p class="error" role="alert">${message}</p><p><a href="${ownerPage(pending.owner)}">Back</a></p>`, 400));
    }
  });
}

/** Connect (behind the admin session): start the authorization request with PKCE (RFC 7636). */
export function registerOAuthConnect(router: Router, ctx: AdminContext): void {
  router.get('/oauth/connect', (req, res) => {
    const session = sessionOf(res);
    const owner = ownerOf(req.query['owner'], req.query['id']);
    const grant = owner === undefined ? undefined : grantsOf(ctx.api.config, owner).find((entry) => entry.key === req.query['grant']);
    if (owner === undefined || grant === undefined) {
      return void res.status(404).type('html').send(page('Not found', html`<section><p class="error">No such OAuth2 connection.</p></section>`, { session }));
    }
    const { verifier, challenge, state } = pkcePair();
    const pending: PendingAuthorization = { owner, key: grant.key, state, verifier, startedBy: session.username, startedAt: Date.now() };
    res.setHeader('Set-Cookie', pendingCookie(ctx, ctx.api.store.box.encrypt(JSON.stringify(pending), 'oauth-pending'), PENDING_SECONDS));
    res.redirect(302, ctx.hooks.connections.oauth.authorizationUrl(grant.client, { redirectUri: redirectUri(ctx), state, codeChallenge: challenge }));
  });
}
