import { describe, expect, it } from 'vitest';
import { changesBetween, redact } from '../../../src/domain/audit-redaction.js';
import { LoginThrottle } from '../../../src/admin/login-throttle.js';

describe('login rate limit', () => {
  it('blocks a key after 5 failures within 15 minutes, until the oldest failure leaves the window', () => {
    const throttle = new LoginThrottle(5, 15 * 60_000);
    const t0 = 1_000_000;
    const keys = ['ip:1.2.3.4', 'user:admin'];
    for (let i = 0; i < 4; i++) throttle.fail(keys, t0 + i * 1000);
    expect(throttle.retryAfter(keys, t0 + 5000)).toBe(0);
    throttle.fail(keys, t0 + 5000);
    expect(throttle.retryAfter(['user:admin'], t0 + 6000)).toBe(15 * 60 - 6);
    expect(throttle.retryAfter(['ip:9.9.9.9', 'user:admin'], t0 + 6000)).toBeGreaterThan(0);
    expect(throttle.retryAfter(['ip:9.9.9.9', 'user:other'], t0 + 6000)).toBe(0);
    expect(throttle.retryAfter(keys, t0 + 15 * 60_000 + 1)).toBe(0);
  });

  it('forgets the failures of a key after a successful login', () => {
    const throttle = new LoginThrottle(2, 60_000);
    throttle.fail(['user:a'], 0);
    throttle.succeed(['user:a']);
    throttle.fail(['user:a'], 1);
    expect(throttle.retryAfter(['user:a'], 2)).toBe(0);
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
