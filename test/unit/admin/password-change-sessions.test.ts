import { afterEach, describe, expect, it } from 'vitest';
import { AdminAccounts } from '../../../src/store/admin-accounts.js';
import { bootstrapAdmin } from '../../../src/admin/bootstrap.js';
import { startApi, type ApiHarness } from '../../support/api-server.js';

// Changing an admin's password ends that admin's other sessions: whoever logged in with the old
// password (perhaps because it leaked) is logged out. The admin changing their own keeps the
// session they changed it from.

let api: ApiHarness | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function login(harness: ApiHarness, username: string, password: string): Promise<{ cookie: string; csrf: string }> {
  const response = await fetch(`${harness.url}/admin/login`, { method: 'POST', body: new URLSearchParams({ username, password }), redirect: 'manual' });
  expect(response.status).toBe(303);
  const cookie = response.headers.get('set-cookie')!.split(';')[0]!;
  const csrf = /name="csrf-token" content="([^"]+)"/.exec(await (await fetch(`${harness.url}/admin`, { headers: { cookie } })).text())![1]!;
  return { cookie, csrf };
}

async function loggedIn(harness: ApiHarness, cookie: string): Promise<boolean> {
  const response = await fetch(`${harness.url}/admin`, { headers: { cookie }, redirect: 'manual' });
  return response.status === 200;
}

async function setPassword(harness: ApiHarness, as: { cookie: string; csrf: string }, username: string, password: string): Promise<Response> {
  return fetch(`${harness.url}/admin/admins`, { method: 'POST', headers: { cookie: as.cookie }, body: new URLSearchParams({ _csrf: as.csrf, username, password }), redirect: 'manual' });
}

describe('admin password changes', () => {
  it('end the other sessions of an admin who changes their own password, and keep the current one', async () => {
    api = await startApi();
    await new AdminAccounts(api.t.store.db).setPassword('admin', 'admin-password-123');
    const here = await login(api, 'admin', 'admin-password-123');
    const elsewhere = await login(api, 'admin', 'admin-password-123');
    const changed = await setPassword(api, here, 'admin', 'new-admin-password-456');
    expect(changed.status).toBe(200);
    expect(await changed.text()).toContain('your other sessions were logged out');
    expect(await loggedIn(api, here.cookie)).toBe(true);
    expect(await loggedIn(api, elsewhere.cookie)).toBe(false);
    await login(api, 'admin', 'new-admin-password-456');
  });

  it('end every session of an admin whose password another admin changes, and no one else\'s', async () => {
    api = await startApi();
    const accounts = new AdminAccounts(api.t.store.db);
    await accounts.setPassword('admin', 'admin-password-123');
    await accounts.setPassword('carol', 'carol-password-123');
    const admin = await login(api, 'admin', 'admin-password-123');
    const carolOne = await login(api, 'carol', 'carol-password-123');
    const carolTwo = await login(api, 'carol', 'carol-password-123');
    expect((await setPassword(api, admin, 'carol', 'carol-new-password-789')).status).toBe(200);
    expect(await loggedIn(api, carolOne.cookie)).toBe(false);
    expect(await loggedIn(api, carolTwo.cookie)).toBe(false);
    expect(await loggedIn(api, admin.cookie)).toBe(true);
  });

  it('end the sessions of `admin` when a start resets it to another configured password, not when it is the same', async () => {
    api = await startApi();
    await new AdminAccounts(api.t.store.db).setPassword('admin', 'admin-password-123');
    const session = await login(api, 'admin', 'admin-password-123');
    await bootstrapAdmin(api.t.store, 'admin-password-123');
    expect(await loggedIn(api, session.cookie)).toBe(true);
    await bootstrapAdmin(api.t.store, 'other-admin-password-000');
    expect(await loggedIn(api, session.cookie)).toBe(false);
  });
});
