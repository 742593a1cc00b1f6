// The admin UI's Connect step of an OAuth2 connection: the authorization request it sends the
// browser to (PKCE S256, state, the redirect URI under publicUrl, the union of the grant's scopes,
// the provider's own parameters), and the callback's refusals when the browser did not start it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminAccounts } from '../../../src/store/admin-accounts.js';
import { UiConfigRepository } from '../../../src/store/ui-config.js';
import { startApi, type ApiHarness } from '../../support/api-server.js';

const google = { type: 'oauth2', provider: 'google', clientId: 'bridge.apps.googleusercontent.com', clientSecret: 'google-client-secret' };

let api: ApiHarness;
let cookie = '';
beforeAll(async () => {
  api = await startApi({
    server: { publicUrl: 'https://bridge.example.com/' },
    users: [{ id: 'ann', name: 'Ann', email: 'ann@example.com', imap: { host: 'imap.gmail.com', port: 993, username: 'ann@example.com', auth: google }, caldav: { url: 'https://apidata.googleusercontent.com/caldav/v2/', username: 'ann@example.com', auth: google } }],
  });
  await new AdminAccounts(api.t.store.db).setPassword('admin', 'admin-password-123');
  const login = await fetch(`${api.url}/admin/login`, { method: 'POST', body: new URLSearchParams({ username: 'admin', password: 'admin-password-123' }), redirect: 'manual' });
  cookie = login.headers.get('set-cookie')!.split(';')[0]!;
});
afterAll(async () => api?.close());

async function connect(): Promise<{ location: URL; pending: string }> {
  const page = await (await fetch(`${api.url}/admin/users/ann`, { headers: { cookie } })).text();
  expect(page).toContain('OAuth2 sign-in');
  expect(page).toContain('not connected');
  const href = /<a class="button connect" href="([^"]+)"/.exec(page)![1]!.replaceAll('&amp;', '&').replaceAll('&#47;', '/');
  const response = await fetch(`${api.url}${href}`, { headers: { cookie }, redirect: 'manual' });
  expect(response.status).toBe(302);
  const setCookie = response.headers.get('set-cookie')!;
  expect(setCookie).toMatch(/^crm_bridge_oauth=[^;]+; Path=\/admin\/oauth; HttpOnly; SameSite=Lax; Max-Age=600; Secure$/);
  return { location: new URL(response.headers.get('location')!), pending: setCookie.split(';')[0]! };
}

describe('admin UI: OAuth2 Connect', () => {
  it('sends the browser to the provider with PKCE, state and one grant for mail and calendar', async () => {
    const { location } = await connect();
    expect(location.origin + location.pathname).toBe('https://accounts.google.com/o/oauth2/v2/auth');
    const params = location.searchParams;
    expect(params.get('client_id')).toBe(google.clientId);
    expect(params.get('response_type')).toBe('code');
    expect(params.get('redirect_uri')).toBe('https://bridge.example.com/admin/oauth/callback');
    expect(params.get('scope')).toBe('https://mail.google.com/ https://www.googleapis.com/auth/calendar');
    expect(params.get('code_challenge_method')).toBe('S256');
    expect(params.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(params.get('state')).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(params.get('access_type')).toBe('offline');
    expect(params.get('prompt')).toBe('consent');
    // The client secret never goes to the browser.
    expect(location.toString()).not.toContain(google.clientSecret);
  });

  it('refuses a callback whose state is not the one this browser started, and one without the cookie', async () => {
    const { pending } = await connect();
    const wrongState = await fetch(`${api.url}/admin/oauth/callback?code=abc&state=forged`, { headers: { cookie: pending }, redirect: 'manual' });
    expect(wrongState.status).toBe(400);
    expect(await wrongState.text()).toContain('state mismatch');
    const noCookie = await fetch(`${api.url}/admin/oauth/callback?code=abc&state=forged`, { redirect: 'manual' });
    expect(noCookie.status).toBe(400);
    expect(await api.t.store.oauthGrants.overview()).toEqual([]);
  });

  it('sets up an OAuth2 connection in the user form: the secret is kept sealed, never shown, and the page offers Connect', async () => {
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(await (await fetch(`${api.url}/admin`, { headers: { cookie } })).text())![1]!;
    const form = {
      _csrf: csrf, entry: 'user', id: 'ben', name: 'Ben', email: 'ben@example.com',
      'imap.enabled': 'on', 'imap.host': 'imap.gmail.com', 'imap.port': '993', 'imap.security': 'tls', 'imap.username': 'ben@example.com', 'imap.password': '',
      'imap.auth.type': 'oauth2', 'imap.auth.provider': 'google', 'imap.auth.clientId': 'ui.apps.googleusercontent.com', 'imap.auth.clientSecret': 'ui-client-secret-4',
    };
    const saved = await fetch(`${api.url}/admin/users/new`, { method: 'POST', headers: { cookie }, body: new URLSearchParams(form), redirect: 'manual' });
    expect(saved.status).toBe(303);
    const page = await (await fetch(`${api.url}/admin/users/ben`, { headers: { cookie } })).text();
    expect(page).not.toContain('ui-client-secret-4');
    expect(page).toContain('(stored; leave empty to keep)');
    expect(page).toMatch(/<option value="oauth2" selected>/);
    expect(page).toContain('OAuth2 sign-in');
    expect(page).toMatch(/<a class="button connect" href="[^"]*grant=/);
    const raw = await api.t.store.db.selectFrom('ui_config').selectAll().where('id', '=', 'ben').executeTakeFirstOrThrow();
    expect(raw.document).not.toContain('ui-client-secret-4');
    // Saved again with the secret field left empty, the stored secret stays.
    const again = await fetch(`${api.url}/admin/users/ben`, { method: 'POST', headers: { cookie }, body: new URLSearchParams({ ...form, 'imap.auth.clientSecret': '' }), redirect: 'manual' });
    expect(again.status).toBe(303);
    const stored = await new UiConfigRepository(api.t.store.db, api.t.store.box).get('user', 'ben');
    expect(stored?.document['imap']).toMatchObject({ auth: { clientSecret: 'ui-client-secret-4' } });
  });

  it('needs an admin session to start, and names no such connection', async () => {
    const anonymous = await fetch(`${api.url}/admin/oauth/connect?owner=user&id=ann&grant=x`, { redirect: 'manual' });
    expect(anonymous.status).toBe(303);
    const unknown = await fetch(`${api.url}/admin/oauth/connect?owner=user&id=ann&grant=nope`, { headers: { cookie }, redirect: 'manual' });
    expect(unknown.status).toBe(404);
  });
});
