import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { grantKeyOf, mergeSpecs, oauthClientSpec } from '../../../src/oauth/providers.js';

describe('OAuth2 providers', () => {
  it('knows Google\'s endpoints and scopes, and asks for offline access', () => {
    const imap = oauthClientSpec({ type: 'oauth2', provider: 'google', clientId: 'id.apps.googleusercontent.com', clientSecret: 'x' }, 'imap');
    expect(imap).toMatchObject({ authorizeUrl: 'https://accounts.google.com/o/oauth2/v2/auth', tokenUrl: 'https://oauth2.googleapis.com/token', issuer: 'https://accounts.google.com', scopes: ['https://mail.google.com/'], authorizeParams: { access_type: 'offline', prompt: 'consent' } });
    const caldav = oauthClientSpec({ type: 'oauth2', provider: 'google', clientId: 'id.apps.googleusercontent.com', clientSecret: 'x' }, 'caldav');
    expect(grantKeyOf(imap)).toBe(grantKeyOf(caldav));
    expect(mergeSpecs([imap, caldav]).scopes).toEqual(['https://mail.google.com/', 'https://www.googleapis.com/auth/calendar']);
  });

  it('asks Microsoft for the IMAP and SMTP scopes plus offline_access, and a public client has no secret', () => {
    const smtp = oauthClientSpec({ type: 'oauth2', provider: 'microsoft', clientId: 'app' }, 'smtp');
    expect(smtp.scopes).toEqual(['https://outlook.office.com/SMTP.Send', 'offline_access']);
    expect(smtp.clientSecret).toBeUndefined();
  });

  it('takes a custom server\'s URLs, its issuer defaulting to the token URL\'s origin', () => {
    const spec = oauthClientSpec({ type: 'oauth2', provider: 'custom', clientId: 'c', authorizeUrl: 'https://id.example/auth', tokenUrl: 'https://id.example:8443/oauth/token', scopes: ['mail'] }, 'imap');
    expect(spec).toMatchObject({ issuer: 'https://id.example:8443', scopes: ['mail'] });
  });

  it('validates auth in the configuration: custom needs its URLs, a password is not needed with oauth2, Microsoft has no CalDAV', () => {
    const user = (extra: Record<string, unknown>) => ({ users: [{ id: 'a', name: 'A', email: 'a@example.com', ...extra }] });
    const imap = { host: 'imap.example', port: 993, username: 'a@example.com' };
    const custom = configSchema.safeParse(user({ imap: { ...imap, auth: { type: 'oauth2', provider: 'custom', clientId: 'c' } } }));
    expect(custom.success).toBe(false);
    expect(custom.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)).toEqual(['users.0.imap.auth.authorizeUrl: is required with provider: custom', 'users.0.imap.auth.tokenUrl: is required with provider: custom']);
    expect(configSchema.safeParse(user({ imap: { ...imap, auth: { type: 'oauth2', provider: 'google', clientId: 'c' } } })).success).toBe(true);
    const noPassword = configSchema.safeParse(user({ imap }));
    expect(noPassword.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)).toEqual(['users.0.imap.password: is required (or auth: { type: oauth2, ... })']);
    const microsoftDav = configSchema.safeParse(user({ caldav: { url: 'https://dav.example/', username: 'a', auth: { type: 'oauth2', provider: 'microsoft', clientId: 'c' } } }));
    expect(microsoftDav.error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`)).toEqual(['users.0.caldav.auth.provider: microsoft offers no CalDAV; use provider: custom with its URLs, or a password']);
  });
});
