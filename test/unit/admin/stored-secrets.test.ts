import { afterEach, describe, expect, it } from 'vitest';
import { AdminAccounts } from '../../../src/store/admin-accounts.js';
import { UiConfigRepository } from '../../../src/store/ui-config.js';
import { startCredentialTrap, type CredentialTrap } from '../../servers/credential-trap.js';
import { startApi, type ApiHarness } from '../../support/api-server.js';

// An admin cannot read stored connection passwords, and must not be able to send them elsewhere:
// a changed host, port, security, user name or DAV server needs the password typed again, for
// "Test connection" as for Save, for every stored connection kind. Over HTTP, with credential
// traps on loopback standing in for the attacker's server.

let api: ApiHarness | undefined;
const traps: CredentialTrap[] = [];
afterEach(async () => {
  await api?.close();
  api = undefined;
  for (const trap of traps.splice(0)) await trap.close();
});

async function trap(kind: 'imap' | 'http'): Promise<CredentialTrap> {
  const started = await startCredentialTrap(kind);
  traps.push(started);
  return started;
}

interface Admin {
  cookie: string;
  csrf: string;
  post(path: string, fields: Record<string, string>, headers?: Record<string, string>): Promise<Response>;
}

async function loginAs(harness: ApiHarness, username: string, password: string): Promise<Admin> {
  const response = await fetch(`${harness.url}/admin/login`, { method: 'POST', body: new URLSearchParams({ username, password }), redirect: 'manual' });
  expect(response.status).toBe(303);
  const cookie = response.headers.get('set-cookie')!.split(';')[0]!;
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(await (await fetch(`${harness.url}/admin`, { headers: { cookie } })).text())![1]!;
  return {
    cookie,
    csrf,
    post: (path, fields, headers = {}) => fetch(`${harness.url}/admin${path}`, { method: 'POST', headers: { cookie, ...headers }, body: new URLSearchParams({ _csrf: csrf, ...fields }), redirect: 'manual' }),
  };
}

const passwords = { imap: 'erin-imap-Pw-3391', smtp: 'erin-smtp-Pw-5520', caldav: 'erin-caldav-Pw-7213', carddav: 'erin-carddav-Pw-0846', box: 'queue-imap-Pw-6604' };

function mailFields(kind: 'imap' | 'smtp', host: string, port: number, username: string, password: string): Record<string, string> {
  return { [`${kind}.enabled`]: 'on', [`${kind}.host`]: host, [`${kind}.port`]: String(port), [`${kind}.security`]: 'none', [`${kind}.username`]: username, [`${kind}.password`]: password };
}

function davFields(kind: 'caldav' | 'carddav', url: string, username: string, password: string): Record<string, string> {
  return { [`${kind}.enabled`]: 'on', [`${kind}.url`]: url, [`${kind}.username`]: username, [`${kind}.password`]: password };
}

describe('stored connection passwords in the admin UI', () => {
  it('Test connection reuses a stored password only for the host, port, security and user name it was saved for', async () => {
    api = await startApi();
    await new AdminAccounts(api.t.store.db).setPassword('admin', 'admin-password-123');
    const admin = await loginAs(api, 'admin', 'admin-password-123');
    const stored = await trap('imap');
    const smtpStored = await trap('imap');
    const davStored = await trap('http');
    const user = {
      id: 'erin',
      name: 'Erin',
      email: 'erin@example.com',
      ...mailFields('imap', stored.host, stored.port, 'erin', passwords.imap),
      ...mailFields('smtp', smtpStored.host, smtpStored.port, 'erin', passwords.smtp),
      ...davFields('caldav', `${davStored.url}dav/`, 'erin', passwords.caldav),
      ...davFields('carddav', `${davStored.url}dav/`, 'erin', passwords.carddav),
    };
    expect((await admin.post('/users/new', user)).status).toBe(303);
    const test = async (kind: string, fields: Record<string, string>) => {
      const response = await admin.post(`/connections/test/${kind}`, { entry: 'user', id: 'erin', ...fields }, { 'hx-request': 'true' });
      return response.text();
    };

    // Unchanged destination, empty password field: the stored password is used (the trap sees it).
    expect(await test('imap', mailFields('imap', stored.host, stored.port, 'erin', ''))).toContain('Failed (AUTH)');
    expect(stored.received()).toContain(passwords.imap);

    for (const [kind, destination] of [['imap', await trap('imap')], ['smtp', await trap('imap')]] as const) {
      const original = kind === 'imap' ? stored : smtpStored;
      // Another host (here: another port on loopback, the attacker's server) ...
      const elsewhere = await test(kind, mailFields(kind, destination.host, destination.port, 'erin', ''));
      expect(elsewhere).toContain(`Not tested: ${kind}.password: the port changed: type the password again`);
      // ... another user name, or a weaker security mode on the same server: refused as well.
      expect(await test(kind, mailFields(kind, original.host, original.port, 'mallory', ''))).toContain('the user name changed: type the password again');
      expect(await test(kind, { ...mailFields(kind, original.host, original.port, 'erin', ''), [`${kind}.allowInsecureTls`]: 'on' })).toContain('the self-signed certificates changed');
      expect(await test(kind, { ...mailFields(kind, 'LOCALHOST', original.port, 'erin', '') })).toContain('the host changed');
      expect(destination.connections).toBe(0);
      expect(destination.received()).not.toContain(passwords[kind]);
      // With the password typed, the new destination is tested (and sees only what was typed).
      await test(kind, mailFields(kind, destination.host, destination.port, 'erin', 'typed-password-1'));
      expect(destination.connections).toBeGreaterThan(0);
      expect(destination.received()).not.toContain(passwords[kind]);
    }

    const davElsewhere = await trap('http');
    for (const kind of ['caldav', 'carddav'] as const) {
      expect(await test(kind, davFields(kind, `${davElsewhere.url}dav/`, 'erin', ''))).toContain(`Not tested: ${kind}.password: the server (URL scheme, host or port) changed: type the password again`);
      expect(await test(kind, davFields(kind, `${davStored.url}dav/`, 'mallory', ''))).toContain('the user name changed');
      // Another path on the same server keeps the stored password.
      await test(kind, davFields(kind, `${davStored.url}other/`, 'erin', ''));
      expect(davStored.received()).toContain(`authorization=Basic ${Buffer.from(`erin:${passwords[kind]}`).toString('base64')}`);
    }
    expect(davElsewhere.connections).toBe(0);
  });

  it('Save refuses a changed host or user name without the password, keeps what was typed, and leaves the stored entry alone', async () => {
    api = await startApi();
    await new AdminAccounts(api.t.store.db).setPassword('admin', 'admin-password-123');
    const admin = await loginAs(api, 'admin', 'admin-password-123');
    const uiConfig = new UiConfigRepository(api.t.store.db, api.t.store.box);
    const user = { id: 'erin', name: 'Erin', email: 'erin@example.com', ...mailFields('imap', 'mail.example.com', 143, 'erin', passwords.imap), ...davFields('carddav', 'https://dav.example.com/erin/', 'erin', passwords.carddav) };
    expect((await admin.post('/users/new', user)).status).toBe(303);

    const moved = await admin.post('/users/erin', { ...user, 'imap.host': 'mail.attacker.example', 'imap.password': '', 'carddav.username': 'mallory', 'carddav.password': '' });
    expect(moved.status).toBe(400);
    const form = await moved.text();
    expect(form).toContain('<code>imap.password</code>: the host changed: type the password again');
    expect(form).toContain('<code>carddav.password</code>: the user name changed: type the password again');
    expect(form).toContain('name="imap.host" value="mail.attacker.example"');
    expect(form).toContain('name="carddav.username" value="mallory"');
    expect(form).not.toContain(passwords.imap);
    expect((await uiConfig.get('user', 'erin'))?.document).toMatchObject({ imap: { host: 'mail.example.com', password: passwords.imap }, carddav: { username: 'erin', password: passwords.carddav } });

    // Unchanged destinations keep the stored passwords; a typed password is taken for a new host.
    expect((await admin.post('/users/erin', { ...user, name: 'Erin E.', 'imap.password': '', 'carddav.password': '' })).status).toBe(303);
    expect((await uiConfig.get('user', 'erin'))?.document).toMatchObject({ name: 'Erin E.', imap: { password: passwords.imap }, carddav: { password: passwords.carddav } });
    expect((await admin.post('/users/erin', { ...user, 'imap.host': 'mail2.example.com', 'imap.password': 'new-imap-password', 'carddav.password': '' })).status).toBe(303);
    expect((await uiConfig.get('user', 'erin'))?.document).toMatchObject({ imap: { host: 'mail2.example.com', password: 'new-imap-password' } });
  });

  it('applies the same rule to a shared mailbox, on Save and on Test connection', async () => {
    api = await startApi();
    await new AdminAccounts(api.t.store.db).setPassword('admin', 'admin-password-123');
    const admin = await loginAs(api, 'admin', 'admin-password-123');
    const uiConfig = new UiConfigRepository(api.t.store.db, api.t.store.box);
    const box = { id: 'queue', address: 'queue@example.com', ...mailFields('imap', 'mail.example.com', 143, 'queue', passwords.box), folders: 'INBOX' };
    expect((await admin.post('/shared-mailboxes/new', box)).status).toBe(303);
    const destination = await trap('imap');
    const test = await admin.post('/connections/test/imap', { entry: 'shared-mailbox', ...box, 'imap.host': destination.host, 'imap.port': String(destination.port), 'imap.password': '' }, { 'hx-request': 'true' });
    expect(await test.text()).toContain('Not tested: imap.password: the host and port changed: type the password again');
    expect(destination.connections).toBe(0);
    const saved = await admin.post('/shared-mailboxes/queue', { ...box, 'imap.username': 'someone-else', 'imap.password': '' });
    expect(saved.status).toBe(400);
    expect(await saved.text()).toContain('<code>imap.password</code>: the user name changed');
    expect((await uiConfig.get('shared-mailbox', 'queue'))?.document).toMatchObject({ imap: { username: 'queue', password: passwords.box } });
  });
});
