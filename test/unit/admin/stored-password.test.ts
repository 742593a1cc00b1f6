import { describe, expect, it } from 'vitest';
import { destinationChanges, passwordFor } from '../../../src/admin/stored-password.js';

const imap = { host: 'mail.example.com', port: 993, security: 'tls', username: 'bob', password: 'stored-pw', allowInsecureTls: false };
const dav = { url: 'https://dav.example.com/bob/', username: 'bob', password: 'stored-pw' };

describe('reusing a stored connection password', () => {
  it('reuses it for the same destination, whatever the spelling of host case and port', () => {
    expect(destinationChanges('imap', { host: 'MAIL.example.com ', port: '993', security: 'tls', username: 'bob' }, imap)).toEqual([]);
    expect(passwordFor('imap', { host: 'mail.example.com', port: '993', username: 'bob' }, '', imap)).toEqual({ password: 'stored-pw' });
    expect(passwordFor('caldav', { url: 'https://dav.example.com/other/path/', username: 'bob' }, undefined, dav)).toEqual({ password: 'stored-pw' });
  });

  it('names every change of destination or account and gives no password', () => {
    expect(destinationChanges('smtp', { host: 'evil.example', port: '25', security: 'none', username: 'eve', allowInsecureTls: true }, imap)).toEqual(['host', 'port', 'security', 'self-signed certificates', 'user name']);
    expect(passwordFor('imap', { ...imap, host: 'evil.example', password: '' }, '', imap)).toEqual({ password: '', refusal: 'the host changed: type the password again (a stored password is only sent to the server and account it was saved for)' });
    // Trusting another CA file could let a man in the middle read the password; keeping it, or none, is fine.
    expect(destinationChanges('imap', { ...imap, tls: { ca: '/tmp/attacker-ca.pem' } }, { ...imap, tls: { ca: '/etc/ssl/corp-ca.pem' } })).toEqual(['trusted CA certificates']);
    expect(destinationChanges('imap', { ...imap, tls: { ca: '/tmp/attacker-ca.pem' } }, imap)).toEqual(['trusted CA certificates']);
    expect(destinationChanges('imap', { ...imap, tls: { ca: '/etc/ssl/corp-ca.pem' } }, { ...imap, tls: { ca: '/etc/ssl/corp-ca.pem' } })).toEqual([]);
    expect(destinationChanges('imap', imap, { ...imap, tls: { ca: '/etc/ssl/corp-ca.pem' } })).toEqual([]);
    expect(destinationChanges('caldav', { ...dav, tls: { ca: '/tmp/attacker-ca.pem' } }, dav)).toEqual(['trusted CA certificates']);
    // Switching self-signed certificates off is no risk.
    expect(destinationChanges('imap', { ...imap, allowInsecureTls: false }, { ...imap, allowInsecureTls: true })).toEqual([]);
    for (const url of ['http://dav.example.com/bob/', 'https://dav.example.com:8443/bob/', 'https://dav.attacker.example/bob/', 'not a url']) {
      expect(destinationChanges('carddav', { url, username: 'bob' }, dav)).toEqual(['server (URL scheme, host or port)']);
    }
    expect(passwordFor('carddav', { ...dav, username: 'mallory' }, '', dav).refusal).toMatch(/^the user name changed/);
  });

  it('takes a typed password anywhere, and has nothing to refuse without a stored one', () => {
    expect(passwordFor('imap', { host: 'other.example' }, 'typed', imap)).toEqual({ password: 'typed' });
    expect(passwordFor('imap', { host: 'other.example' }, '', {})).toEqual({ password: '' });
    expect(passwordFor('imap', { host: 'other.example' }, '', undefined)).toEqual({ password: '' });
  });
});
