import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changesBetween, redact } from '../../../src/domain/audit-redaction.js';
import { LoginThrottle } from '../../../src/admin/login-throttle.js';
import { LoginFailureRepository } from '../../../src/store/login-failures.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';

// On the store (SQLite, and PostgreSQL in unit-postgres): the failures are shared by every process.
let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());

describe('login rate limit', () => {
  it('blocks a key after 5 failures within 15 minutes, until the oldest failure leaves the window', async () => {
    const throttle = new LoginThrottle(new LoginFailureRepository(t.store.db), 5, 15 * 60_000);
    const t0 = 1_000_000;
    const keys = ['ip:1.2.3.4', 'user:admin'];
    for (let i = 0; i < 4; i++) await throttle.fail(keys, t0 + i * 1000);
    expect(await throttle.retryAfter(keys, t0 + 5000)).toBe(0);
    await throttle.fail(keys, t0 + 5000);
    expect(await throttle.retryAfter(['user:admin'], t0 + 6000)).toBe(15 * 60 - 6);
    expect(await throttle.retryAfter(['ip:9.9.9.9', 'user:admin'], t0 + 6000)).toBeGreaterThan(0);
    expect(await throttle.retryAfter(['ip:9.9.9.9', 'user:other'], t0 + 6000)).toBe(0);
    expect(await throttle.retryAfter(keys, t0 + 15 * 60_000 + 1)).toBe(0);
  });

  it('forgets the failures of a key after a successful login', async () => {
    const throttle = new LoginThrottle(new LoginFailureRepository(t.store.db), 2, 60_000);
    await throttle.fail(['user:a'], 0);
    await throttle.succeed(['user:a']);
    await throttle.fail(['user:a'], 1);
    expect(await throttle.retryAfter(['user:a'], 2)).toBe(0);
  });

  it('counts failures seen by another process on the same database, and prunes what left the window', async () => {
    const here = new LoginThrottle(new LoginFailureRepository(t.store.db), 3, 60_000);
    const there = new LoginThrottle(new LoginFailureRepository(t.store.db), 3, 60_000);
    await here.fail(['user:admin'], 10);
    await there.fail(['user:admin'], 20);
    await here.fail(['user:admin'], 30);
    expect(await there.retryAfter(['user:admin'], 40)).toBe(60);
    for (let i = 0; i < 100; i += 1) await here.fail([`user:guess${i}`], 200_000);
    const left = await t.store.db.selectFrom('login_failures').select('key').where('key', '=', 'user:admin').execute();
    expect(left, 'failures older than the window are pruned').toEqual([]);
  });
});

describe('audit redaction', () => {
  it('replaces every password, secret and token at any depth, and keeps the rest', () => {
    const detail = { after: { id: 'bob', imap: { host: 'h', password: 'pw' }, carddav: { password: '' } }, list: [{ apiToken: 't' }], secretKey: 'k', username: 'bob' };
    expect(redact(detail)).toEqual({ after: { id: 'bob', imap: { host: 'h', password: '[redacted]' }, carddav: { password: '' } }, list: [{ apiToken: '[redacted]' }], secretKey: '[redacted]', username: 'bob' });
  });

  it('records an update as the key paths it changed, with secrets shown as changed only', () => {
    const before = { id: 'bob', imap: { host: 'a', password: 'old-pw' }, mail: { trackedFolders: ['CRM'] } };
    const after = { id: 'bob', imap: { host: 'b', password: 'new-pw' }, mail: { trackedFolders: ['CRM', 'X'] }, smtp: { host: 's', password: 'p' } };
    expect(changesBetween(before, after)).toEqual([
      { path: 'imap.host', from: 'a', to: 'b' },
      { path: 'imap.password', from: '[redacted]', to: '[changed]' },
      { path: 'mail.trackedFolders', from: ['CRM'], to: ['CRM', 'X'] },
      { path: 'smtp.host', from: undefined, to: 's' },
      { path: 'smtp.password', from: undefined, to: '[changed]' },
    ]);
    expect(changesBetween(before, before)).toEqual([]);
  });
});
