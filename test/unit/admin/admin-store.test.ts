import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdminAccounts } from '../../../src/store/admin-accounts.js';
import { AuditLog } from '../../../src/store/admin-audit.js';
import { bootstrapAdmin } from '../../../src/admin/bootstrap.js';
import { AdminSessions, csrfMatches } from '../../../src/store/admin-sessions.js';
import { UiConfigRepository } from '../../../src/store/ui-config.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';

let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => {
  await t.close();
});

describe('admin UI storage', () => {
  it('stores UI configuration with connection passwords sealed, and reads it back whole', async () => {
    const repo = new UiConfigRepository(t.store.db, t.store.box);
    const document = { id: 'bob', name: 'Bob', email: 'bob@example.com', imap: { host: 'h', port: 143, username: 'bob', password: 'imap-secret-1' }, carddav: { url: 'http://d/', username: 'bob', password: 'dav-secret-2' } };
    await repo.put('user', 'bob', document, 'admin');
    const raw = await t.store.db.selectFrom('ui_config').selectAll().executeTakeFirstOrThrow();
    expect(raw.document).not.toContain('secret');
    expect(raw.secrets).not.toContain('secret');
    expect(raw.updated_by).toBe('admin');
    expect((await repo.get('user', 'bob'))?.document).toEqual(document);
    await repo.remove('user', 'bob');
    expect(await repo.list()).toEqual([]);
  });

  it('seals an OAuth2 client secret like a password, and gives an OAuth2 connection no password it never had', async () => {
    const repo = new UiConfigRepository(t.store.db, t.store.box);
    const auth = { type: 'oauth2', provider: 'google', clientId: 'client-1.apps.example', clientSecret: 'client-secret-3' };
    const document = { id: 'carol', name: 'Carol', email: 'carol@example.com', imap: { host: 'imap.gmail.com', port: 993, username: 'carol@example.com', auth }, caldav: { url: 'https://apidata.googleusercontent.com/caldav/v2/', username: 'carol@example.com', auth: { ...auth, clientSecret: undefined } } };
    await repo.put('user', 'carol', document, 'admin');
    const raw = await t.store.db.selectFrom('ui_config').selectAll().where('id', '=', 'carol').executeTakeFirstOrThrow();
    expect(raw.document).not.toContain('secret');
    expect(raw.document).toContain('client-1.apps.example');
    expect(raw.secrets).not.toContain('secret');
    const read = (await repo.get('user', 'carol'))!.document as Record<string, Record<string, unknown>>;
    expect(read['imap']).toEqual({ host: 'imap.gmail.com', port: 993, username: 'carol@example.com', auth });
    expect(read['caldav']).not.toHaveProperty('password');
    expect(read['caldav']!['auth']).toEqual({ type: 'oauth2', provider: 'google', clientId: 'client-1.apps.example' });
  });

  it('bootstraps user admin once, resets it to a configured password, and allows more admins', async () => {
    const first = await bootstrapAdmin(t.store, undefined);
    expect(first.source).toBe('generated');
    const accounts = new AdminAccounts(t.store.db);
    expect(await accounts.verify('admin', first.generatedPassword!)).toBe(true);
    expect((await bootstrapAdmin(t.store, undefined)).source).toBe('stored');
    expect(await bootstrapAdmin(t.store, 'configured-password')).toEqual({ source: 'configured' });
    expect(await accounts.verify('admin', 'configured-password')).toBe(true);
    expect(await accounts.verify('admin', first.generatedPassword!)).toBe(false);
    await accounts.setPassword('carol', 'carol-password-1');
    expect(await accounts.verify('carol', 'carol-password-1')).toBe(true);
    expect(await accounts.verify('nobody', 'carol-password-1')).toBe(false);
    expect((await accounts.list()).map((account) => account.username)).toEqual(['admin', 'carol']);
    const hash = await accounts.hashOf('carol');
    expect(hash).toMatch(/^scrypt\$/);
  });

  it('ties a CSRF token to each session and ends sessions of a deleted admin', async () => {
    const accounts = new AdminAccounts(t.store.db);
    await accounts.setPassword('carol', 'carol-password-1');
    const sessions = new AdminSessions(t.store.db, 1);
    const a = await sessions.open('carol');
    const b = await sessions.open('carol');
    const sa = await sessions.lookup(a);
    const sb = await sessions.lookup(b);
    expect(sa?.username).toBe('carol');
    expect(sa!.csrfToken).not.toBe(sb!.csrfToken);
    expect(csrfMatches(sa!.csrfToken, sa!.csrfToken)).toBe(true);
    expect(csrfMatches(sa!.csrfToken, sb!.csrfToken)).toBe(false);
    expect(csrfMatches(sa!.csrfToken, undefined)).toBe(false);
    expect(await sessions.lookup(a, new Date(Date.now() + 2 * 3_600_000))).toBeUndefined();
    await accounts.remove('carol');
    expect(await sessions.lookup(a)).toBeUndefined();
  });

  it('keeps an audit trail newest first without secrets', async () => {
    const audit = new AuditLog(t.store.db);
    await audit.record('admin', 'user.create', 'user:bob', { imap: { password: 'pw' } }, '2026-01-01T00:00:00.000Z');
    await audit.record('carol', 'user.delete', 'user:bob', {}, '2026-01-02T00:00:00.000Z');
    const entries = await audit.list(10);
    expect(entries.map((entry) => [entry.actor, entry.action])).toEqual([['carol', 'user.delete'], ['admin', 'user.create']]);
    expect(entries[1]!.detail).toEqual({ imap: { password: '[redacted]' } });
    expect(await audit.list(10, entries[0]!.id)).toHaveLength(1);
  });
});
