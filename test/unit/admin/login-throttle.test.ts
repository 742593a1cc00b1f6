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

describe('login throttle', () => {
  const options = { windowMs: 15 * 60_000, freePerAddress: 10, freePerUserAddress: 3, firstDelayMs: 1000, maxDelayMs: 15 * 60_000 };

  it('lets a few failures of a user from one address pass, then makes each next attempt wait twice as long, up to 15 minutes', async () => {
    const throttle = new LoginThrottle(new LoginFailureRepository(t.store.db), options);
    const keys = throttle.keysFor('Admin', '1.2.3.4');
    expect(keys).toEqual(['ip:1.2.3.4', 'user:admin@1.2.3.4']);
    const t0 = 1_000_000;
    for (let i = 0; i < 2; i++) await throttle.fail(keys, t0 + i);
    expect(await throttle.retryAfter(keys, t0 + 10)).toBe(0);
    await throttle.fail(keys, t0 + 100); // the third: 1 s
    expect(await throttle.retryAfter(keys, t0 + 100)).toBe(1);
    expect(await throttle.retryAfter(keys, t0 + 1100)).toBe(0);
    await throttle.fail(keys, t0 + 2000); // the fourth: 2 s
    expect(await throttle.retryAfter(keys, t0 + 2000)).toBe(2);
    for (let i = 0; i < 20; i++) await throttle.fail(keys, t0 + 3000 + i);
    expect(await throttle.retryAfter(keys, t0 + 3020)).toBe(15 * 60);
    // Failures older than the window are forgotten.
    expect(await throttle.retryAfter(keys, t0 + 3019 + 15 * 60_000)).toBe(0);
  });

  it('never locks the admin out from another address: the right password from elsewhere gets in', async () => {
    const throttle = new LoginThrottle(new LoginFailureRepository(t.store.db), options);
    const attacker = throttle.keysFor('admin', '203.0.113.9');
    for (let i = 0; i < 50; i++) await throttle.fail(attacker, 1000 + i);
    expect(await throttle.retryAfter(attacker, 2000)).toBeGreaterThan(60);
    expect(await throttle.retryAfter(throttle.keysFor('admin', '192.0.2.1'), 2000)).toBe(0);
  });

  it('slows one address guessing many user names', async () => {
    const throttle = new LoginThrottle(new LoginFailureRepository(t.store.db), options);
    for (let i = 0; i < 10; i++) await throttle.fail(throttle.keysFor(`user${i}`, '198.51.100.7'), 5000 + i);
    expect(await throttle.retryAfter(throttle.keysFor('someone-new', '198.51.100.7'), 5010)).toBe(1);
    expect(await throttle.retryAfter(throttle.keysFor('someone-new', '198.51.100.8'), 5010)).toBe(0);
  });

  it('forgets the user\'s failures from that address after a correct login, not the address\'s others', async () => {
    const throttle = new LoginThrottle(new LoginFailureRepository(t.store.db), { ...options, freePerAddress: 4 });
    const keys = throttle.keysFor('a', '10.0.0.1');
    for (let i = 0; i < 3; i++) await throttle.fail(keys, i);
    await throttle.succeed(keys);
    expect(await throttle.retryAfter(throttle.keysFor('a', '10.0.0.1'), 10)).toBe(0);
    await throttle.fail(throttle.keysFor('b', '10.0.0.1'), 20);
    // The address's fourth failure (three before the success, one since): its delay starts.
    expect(await throttle.retryAfter(throttle.keysFor('c', '10.0.0.1'), 20)).toBe(1);
  });

  it('counts failures seen by another process on the same database, and prunes what left the window', async () => {
    const here = new LoginThrottle(new LoginFailureRepository(t.store.db), { ...options, windowMs: 60_000 });
    const there = new LoginThrottle(new LoginFailureRepository(t.store.db), { ...options, windowMs: 60_000 });
    const keys = here.keysFor('admin', '1.1.1.1');
    await here.fail(keys, 10);
    await there.fail(keys, 20);
    await here.fail(keys, 30);
    expect(await there.retryAfter(keys, 30)).toBe(1);
    for (let i = 0; i < 100; i += 1) await here.fail([`user:guess${i}@1.1.1.1`], 200_000);
    const left = await t.store.db.selectFrom('login_failures').select('key').where('key', '=', 'user:admin@1.1.1.1').execute();
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
