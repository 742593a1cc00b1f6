// Which RFC 6764 well-known redirects move the DAV credentials to a new origin (adapters/caldav/http.ts).

import { describe, expect, it } from 'vitest';
import { trustRedirect } from '../../../adapters/caldav/http.js';

const u = (s: string) => new URL(s);

describe('trustRedirect', () => {
  it('trusts a /.well-known redirect to https on another host', () => {
    expect(trustRedirect(u('https://example.com/.well-known/caldav'), u('https://dav.example.com/dav/'))).toBe(true);
    expect(trustRedirect(u('http://example.com/.well-known/carddav'), u('https://dav.example.com/'))).toBe(true);
  });
  it('trusts a /.well-known redirect to another port or scheme of the same host', () => {
    expect(trustRedirect(u('http://127.0.0.1:8080/.well-known/caldav'), u('http://127.0.0.1:5232/'))).toBe(true);
  });
  it('does not trust a /.well-known redirect to plain http on another host', () => {
    expect(trustRedirect(u('https://example.com/.well-known/caldav'), u('http://attacker.example/'))).toBe(false);
  });
  it('does not trust redirects of any other path', () => {
    expect(trustRedirect(u('https://example.com/dav/principal/'), u('https://attacker.example/'))).toBe(false);
  });
});
