import { afterEach, describe, expect, it } from 'vitest';
import { AdminAccounts } from '../../../src/store/admin-accounts.js';
import { startApi, type ApiHarness } from '../../support/api-server.js';

// The admin router over HTTP without a running sync (the API test harness): cookies, the
// login throttle per address, and saving configuration that the API then sees.
let api: ApiHarness | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function login(harness: ApiHarness, username: string, password: string): Promise<Response> {
  return fetch(`${harness.url}/admin/login`, { method: 'POST', body: new URLSearchParams({ username, password }), redirect: 'manual' });
}

describe('admin router', () => {
  it('marks the session cookie Secure when the public URL is https', async () => {
    api = await startApi({ server: { publicUrl: 'https://crm-bridge.example.com' } });
    await new AdminAccounts(api.t.store.db).setPassword('admin', 'admin-password-123');
    const response = await login(api, 'admin', 'admin-password-123');
    expect(response.status).toBe(303);
    expect(response.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict; Secure$/);
    expect((await fetch(`${api.url}/admin/login`)).headers.get('strict-transport-security')).toContain('max-age=');
  });

  it('sends an htmx request without a session to the login page as a whole page', async () => {
    api = await startApi();
    const polled = await fetch(`${api.url}/admin/status/sources`, { headers: { 'hx-request': 'true' }, redirect: 'manual' });
    expect(polled.status).toBe(401);
    expect(polled.headers.get('hx-redirect')).toBe('/admin/login');
  });

  it('throttles failed logins from one address with growing delays, and lets the right password in from another (server.trustProxy)', async () => {
    api = await startApi({ server: { trustProxy: true } });
    await new AdminAccounts(api.t.store.db).setPassword('admin', 'admin-password-123');
    const from = (address: string, password: string) => fetch(`${api!.url}/admin/login`, { method: 'POST', headers: { 'x-forwarded-for': address }, body: new URLSearchParams({ username: 'admin', password }), redirect: 'manual' });
    for (let i = 0; i < 3; i++) expect((await from('203.0.113.9', `wrong-${i}`)).status).toBe(401);
    // Three are free; then 1 s, doubling with every further failure.
    const blocked = await from('203.0.113.9', 'admin-password-123');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBe(1);
    expect(await blocked.text()).toContain('Too many failed logins from here; try again in 1 second(s).');
    // The guesser does not lock the admin out: another address gets in at once.
    expect((await from('192.0.2.1', 'admin-password-123')).status).toBe(303);
  });

  it('takes the client address from the socket, not X-Forwarded-For, without server.trustProxy', async () => {
    api = await startApi();
    await new AdminAccounts(api.t.store.db).setPassword('admin', 'admin-password-123');
    for (let i = 0; i < 3; i++) {
      const wrong = await fetch(`${api.url}/admin/login`, { method: 'POST', headers: { 'x-forwarded-for': `198.51.100.${i}` }, body: new URLSearchParams({ username: 'admin', password: `wrong-${i}` }), redirect: 'manual' });
      expect(wrong.status).toBe(401);
    }
    // A fresh X-Forwarded-For per attempt gains nothing: all three came from 127.0.0.1.
    expect((await login(api, 'admin', 'admin-password-123')).status).toBe(429);
  });

  it('saves a user made in the UI into the running configuration the API uses', async () => {
    api = await startApi();
    await new AdminAccounts(api.t.store.db).setPassword('admin', 'admin-password-123');
    const cookie = (await login(api, 'admin', 'admin-password-123')).headers.get('set-cookie')!.split(';')[0]!;
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(await (await fetch(`${api.url}/admin/users/new`, { headers: { cookie } })).text())![1]!;
    const saved = await fetch(`${api.url}/admin/users/new`, { method: 'POST', headers: { cookie }, redirect: 'manual', body: new URLSearchParams({ _csrf: csrf, id: 'erin', name: 'Erin', email: 'erin@example.com' }) });
    expect(saved.status).toBe(303);
    expect(await (await fetch(`${api.url}/admin/users`, { headers: { cookie } })).text()).toMatch(/erin@example\.com<\/td><td>none<\/td><td><span class="badge">admin UI/);
    // The CRM user exists at once (applyConfig ran on the merged configuration).
    expect((await api.t.store.users.get('erin'))?.email).toBe('erin@example.com');
    const invalid = await fetch(`${api.url}/admin/users/new`, { method: 'POST', headers: { cookie }, body: new URLSearchParams({ _csrf: csrf, id: 'bad id', name: '', email: 'x' }) });
    expect(invalid.status).toBe(400);
    const text = await invalid.text();
    expect(text).toContain('<code>id</code>: expected letters, digits, _ . or -');
    expect(text).toContain('<code>email</code>');
  });

  it('re-delivers a user source from the status page (the reset API for its scopes) and audits it', async () => {
    api = await startApi({ users: [{ id: 'alice', name: 'Alice', email: 'alice@example.com', carddav: { url: 'http://127.0.0.1:1/', username: 'alice', password: 'secret' } }] });
    await new AdminAccounts(api.t.store.db).setPassword('admin', 'admin-password-123');
    const contact = await api.t.store.contacts.create({ displayName: 'Deleted By Mistake', owner: 'alice' });
    // The card was deleted in the client: the contact stays in the CRM, the mapping is a tombstone.
    await api.t.store.syncStatus.put({ pair: 'contacts:alice', identity: 'uid-1', crm: { ref: contact.id, version: 'v', hash: 'h' }, remote: { ref: null, version: null, hash: null }, origin: 'crm', tombstone: true, pending: null });
    const cookie = (await login(api, 'admin', 'admin-password-123')).headers.get('set-cookie')!.split(';')[0]!;
    const status = await (await fetch(`${api.url}/admin/`, { headers: { cookie } })).text();
    expect(status).toContain('action="&#47;admin&#47;sources&#47;carddav%3Aalice&#47;redeliver"');
    const csrf = /name="csrf-token" content="([^"]+)"/.exec(status)![1]!;
    const refused = await fetch(`${api.url}/admin/sources/carddav%3Aalice/redeliver`, { method: 'POST', headers: { cookie }, redirect: 'manual', body: new URLSearchParams({}) });
    expect(refused.status).toBe(403);
    expect((await api.t.store.syncStatus.get('contacts:alice', 'uid-1'))?.tombstone).toBe(true);
    const done = await fetch(`${api.url}/admin/sources/carddav%3Aalice/redeliver`, { method: 'POST', headers: { cookie }, redirect: 'manual', body: new URLSearchParams({ _csrf: csrf }) });
    expect(done.status).toBe(303);
    // Marked for re-delivery under the same UID at the next pass; the contact itself is untouched.
    expect(await api.t.store.syncStatus.get('contacts:alice', 'uid-1')).toMatchObject({ tombstone: false, pending: 'create', crm: { ref: contact.id } });
    expect((await api.t.store.contacts.get(contact.id))?.displayName).toBe('Deleted By Mistake');
    expect(await (await fetch(`${api.url}/admin/audit`, { headers: { cookie } })).text()).toContain('source.redeliver');
    const unknown = await fetch(`${api.url}/admin/sources/nope%3Ax/redeliver`, { method: 'POST', headers: { cookie }, redirect: 'manual', body: new URLSearchParams({ _csrf: csrf }) });
    expect(unknown.status).toBe(404);
  });

  it('shows mail bodies sanitized, and a contact timeline with correlation and sources', async () => {
    api = await startApi();
    const { store } = api.t;
    await new AdminAccounts(store.db).setPassword('admin', 'admin-password-123');
    const cookie = (await login(api, 'admin', 'admin-password-123')).headers.get('set-cookie')!.split(';')[0]!;
    const contact = await store.contacts.create({ firstName: 'Grace', lastName: 'Hopper', emails: ['grace@navy.example'] });
    const first = await store.activities.create({ kind: 'email_in', subject: 'Hello <b>there</b>', parties: [{ role: 'from', address: 'grace@navy.example', contactId: contact.id }], bodyHtml: '<p>Hi <img src="https://tracker.example/p.gif" onerror="alert(1)"></p><script>alert(2)</script>' });
    await store.activities.create({ kind: 'email_out', subject: 'Re: Hello', parties: [{ role: 'to', address: 'grace@navy.example', contactId: contact.id }], bodyText: '<script>not markup</script>', correlation: { method: 'in-reply-to', activityId: first.id } });
    await store.activities.addSource(first.id, { type: 'imap', sourceId: 'imap:alice', ref: 'INBOX/1/7' });

    const detail = await (await fetch(`${api.url}/admin/activities/${first.id}`, { headers: { cookie } })).text();
    expect(detail).toContain('<p>Hi <img');
    expect(detail).not.toContain('<script>alert');
    expect(detail).not.toContain('onerror');
    expect(detail).not.toContain('tracker.example');
    expect(detail).toContain('Hello &#60;b&#62;there&#60;&#47;b&#62;');
    expect(detail).toContain('imap imap:alice');

    const timeline = await (await fetch(`${api.url}/admin/activities?contact=${contact.id}`, { headers: { cookie } })).text();
    expect(timeline).toContain('Timeline of contact Grace Hopper');
    expect(timeline).toMatch(/Re: Hello<\/a>\s*<span class="muted">correlated by in-reply-to/);
    expect(timeline).toContain('sources: imap imap:alice');
    const reply = await (await fetch(`${api.url}/admin/activities/${(await store.activities.list({ kind: 'email_out' }, { limit: 1 })).items[0]!.id}`, { headers: { cookie } })).text();
    expect(reply).toContain('<pre class="body">&#60;script&#62;not markup&#60;&#47;script&#62;</pre>');

    const search = await (await fetch(`${api.url}/admin/activities?q=hopper`, { headers: { cookie } })).text();
    expect(search).toContain(`href="/admin/activities?contact=${contact.id}"`);
    expect(search).toContain('No activities.');
    const byAddress = await (await fetch(`${api.url}/admin/activities?q=navy.example`, { headers: { cookie } })).text();
    expect(byAddress.match(/<tr><td>/g)).toHaveLength(2);
  });
});

