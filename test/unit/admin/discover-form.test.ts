// The admin UI's "Find server settings" on the user form: POST /admin/discover answers with the
// proposals for the form's address as htmx out-of-band fieldsets that replace the form's connection
// fieldsets (filled in, passwords empty), and says what it tried when nothing was found.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiscoveryLookup } from '../../../src/ports/discovery.js';
import { AdminAccounts } from '../../../src/store/admin-accounts.js';
import { startApi, type ApiHarness } from '../../support/api-server.js';

/** example.com publishes IMAP and CalDAV by SRV; nothing else exists. */
const lookup: DiscoveryLookup = {
  srv: (name) => Promise.resolve(
    name === '_imaps._tcp.example.com' ? [{ host: 'imap.example.com', port: 993, priority: 0, weight: 0 }]
    : name === '_caldavs._tcp.example.com' ? [{ host: 'dav.example.com', port: 443, priority: 0, weight: 0 }]
    : [],
  ),
  txt: (name) => Promise.resolve(name === '_caldavs._tcp.example.com' ? ['path=/dav/'] : []),
  autoconfig: () => Promise.resolve(null),
  wellKnown: () => Promise.resolve(null),
};

let api: ApiHarness;
let post: (path: string, fields: Record<string, string>) => Promise<Response>;
let cookie = '';
beforeAll(async () => {
  api = await startApi({}, { discovery: lookup });
  await new AdminAccounts(api.t.store.db).setPassword('admin', 'admin-password-123');
  const login = await fetch(`${api.url}/admin/login`, { method: 'POST', body: new URLSearchParams({ username: 'admin', password: 'admin-password-123' }), redirect: 'manual' });
  cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(await (await fetch(`${api.url}/admin`, { headers: { cookie } })).text())![1]!;
  post = (path, fields) => fetch(`${api.url}/admin${path}`, { method: 'POST', headers: { cookie, 'hx-request': 'true' }, body: new URLSearchParams({ _csrf: csrf, ...fields }), redirect: 'manual' });
});
afterAll(async () => api?.close());

describe('admin UI: find server settings', () => {
  it('offers the button on the new-user form', async () => {
    const form = await (await fetch(`${api.url}/admin/users/new`, { headers: { cookie } })).text();
    expect(form).toContain('hx-post="/admin/discover"');
    expect(form).toContain('id="connection-imap"');
  });

  it('fills the IMAP and CalDAV fieldsets from what the domain publishes', async () => {
    const response = await post('/discover', { entry: 'user', email: 'ann@example.com' });
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toContain('Found IMAP, CALDAV');
    expect(text).toMatch(/<fieldset id="connection-imap" hx-swap-oob="outerHTML">/);
    expect(text).toMatch(/name="imap\.host"[^>]*value="imap\.example\.com"|value="imap\.example\.com"[^>]*name="imap\.host"/);
    expect(text).toMatch(/name="imap\.username"[^>]*value="ann@example\.com"|value="ann@example\.com"[^>]*name="imap\.username"/);
    // The form escapes "/" as &#47; in attribute values.
    expect(text).toContain(`name="caldav.url" value="${"https://dav.example.com/dav/".replaceAll("/", "&#47;")}"`);
    expect(text).not.toContain('id="connection-smtp"');
  });

  it('says what it tried when nothing is published, and needs an address', async () => {
    const nothing = await (await post('/discover', { entry: 'user', email: 'bob@nowhere.example' })).text();
    expect(nothing).toContain('Nothing found for bob@nowhere.example');
    expect(nothing).toContain('SRV _imaps._tcp.nowhere.example');
    expect(await (await post('/discover', { entry: 'user', email: '' })).text()).toContain("Enter the user's e-mail address first.");
  });

  it('refuses a request without a session', async () => {
    const response = await fetch(`${api.url}/admin/discover`, { method: 'POST', body: new URLSearchParams({ email: 'ann@example.com' }), redirect: 'manual' });
    expect([302, 303, 401, 403]).toContain(response.status);
  });
});
