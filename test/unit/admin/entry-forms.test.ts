import { describe, expect, it } from 'vitest';
import { extraOf, parseExtra, sharedMailboxDocumentFromForm, typedSecrets, userDocumentFromForm } from '../../../src/admin/entry-forms.js';
import { userConfigSchema } from '../../../src/config/schema.js';

const base = { id: 'bob', name: 'Bob', email: 'bob@example.com' };

describe('admin forms to configuration entries', () => {
  it('builds a users[] entry from the structured fields, with lists split and empty fields left to the defaults', () => {
    const { document, errors } = userDocumentFromForm({
      ...base,
      'imap.enabled': 'on',
      'imap.host': 'mail.example.com',
      'imap.port': '993',
      'imap.security': 'tls',
      'imap.username': 'bob',
      'imap.password': 'pw-1',
      'smtp.host': 'ignored.example.com',
      'mail.trackedFolders': 'CRM, Customers ,',
      'mail.autoTrack': 'known-senders',
      'mail.sentFolder': '',
      'calendar.crmCalendar': 'Work',
      'calendar.conflictPolicy': 'newest',
      'contacts.direction': 'crm-to-client',
    });
    expect(errors).toEqual([]);
    expect(document).toMatchObject({ id: 'bob', imap: { host: 'mail.example.com', port: '993', password: 'pw-1', allowInsecureTls: false } });
    expect(document).not.toHaveProperty('smtp');
    const parsed = userConfigSchema.parse(document);
    expect(parsed.mail).toMatchObject({ trackedFolders: ['CRM', 'Customers'], autoTrack: 'known-senders', trackingKeyword: '$CRM' });
    expect(parsed.mail.sentFolder).toBeUndefined();
    expect(parsed.calendar).toEqual({ crmCalendar: 'Work', trackCategory: 'CRM', conflictPolicy: 'newest', busyStatusMap: { free: 'free', tentative: 'tentative', busy: 'busy', oof: 'oof' }, maxObjectBytes: 2 * 1024 * 1024 });
    expect(parsed.contacts.direction).toBe('crm-to-client');
  });

  it('takes the CA certificates file of a mail connection (tls.ca), and none when the field is empty', () => {
    const connection = { 'imap.enabled': 'on', 'imap.host': 'mail.example.com', 'imap.port': '993', 'imap.security': 'tls', 'imap.username': 'bob', 'imap.password': 'pw-1' };
    const withCa = userDocumentFromForm({ ...base, ...connection, 'imap.tls.ca': ' /etc/ssl/corp-ca.pem ' }, {});
    expect(withCa.errors).toEqual([]);
    expect(userConfigSchema.parse(withCa.document).imap?.tls).toEqual({ ca: '/etc/ssl/corp-ca.pem' });
    expect(userDocumentFromForm({ ...base, ...connection, 'imap.tls.ca': '' }, {}).document['imap']).not.toHaveProperty('tls');
  });

  it('keeps the stored password when the password field is left empty (passwords are never sent to the browser)', () => {
    const previous = { ...base, caldav: { url: 'http://dav.example.com/', username: 'bob', password: 'stored-pw' } };
    const kept = userDocumentFromForm({ ...base, 'caldav.enabled': 'on', 'caldav.url': 'http://dav.example.com/', 'caldav.username': 'bob', 'caldav.password': '' }, previous);
    expect(kept.document['caldav']).toMatchObject({ password: 'stored-pw' });
    const changed = userDocumentFromForm({ ...base, 'caldav.enabled': 'on', 'caldav.url': 'http://dav.example.com/', 'caldav.username': 'bob', 'caldav.password': 'new-pw' }, previous);
    expect(changed.document['caldav']).toMatchObject({ password: 'new-pw' });
  });

  it('signs a connection in with OAuth2 from the sign-in fields, keeping a stored client secret only for the same client and token URL', () => {
    const oauth = {
      ...base,
      'imap.enabled': 'on', 'imap.host': 'imap.gmail.com', 'imap.port': '993', 'imap.security': 'tls', 'imap.username': 'bob@example.com', 'imap.password': '',
      'imap.auth.type': 'oauth2', 'imap.auth.provider': 'google', 'imap.auth.clientId': 'client-1', 'imap.auth.clientSecret': 'typed-secret', 'imap.auth.scopes': '', 'imap.auth.tokenUrl': '',
    };
    const typed = userDocumentFromForm(oauth, {});
    expect(typed.errors).toEqual([]);
    expect(typed.document['imap']).toEqual({ host: 'imap.gmail.com', port: '993', security: 'tls', username: 'bob@example.com', allowInsecureTls: false, auth: { type: 'oauth2', provider: 'google', clientId: 'client-1', clientSecret: 'typed-secret' } });
    expect(userConfigSchema.parse(typed.document).imap?.auth).toMatchObject({ type: 'oauth2', provider: 'google' });

    const previous = { ...base, imap: typed.document['imap'] };
    const kept = userDocumentFromForm({ ...oauth, 'imap.auth.clientSecret': '' }, previous);
    expect(kept.errors).toEqual([]);
    expect(kept.document['imap']).toMatchObject({ auth: { clientSecret: 'typed-secret' } });
    // The secret goes to the token URL: another one needs it typed again.
    const moved = userDocumentFromForm({ ...oauth, 'imap.auth.clientSecret': '', 'imap.auth.provider': 'custom', 'imap.auth.authorizeUrl': 'https://evil.example/authorize', 'imap.auth.tokenUrl': 'https://evil.example/token' }, previous);
    expect(moved.document['imap']).not.toHaveProperty('auth.clientSecret');
    expect(moved.errors).toEqual([{ path: 'imap.auth.clientSecret', message: 'the provider and token URL changed: type the client secret again (a stored secret is only sent to the token endpoint it was saved for)' }]);

    // A custom provider names its endpoints; scopes are a list.
    const custom = userDocumentFromForm({ ...oauth, 'imap.auth.provider': 'custom', 'imap.auth.scopes': 'openid, email', 'imap.auth.tokenUrl': 'https://id.example/token' }, {});
    expect(custom.document['imap']).toMatchObject({ auth: { provider: 'custom', scopes: ['openid', 'email'], tokenUrl: 'https://id.example/token' } });
    expect(custom.errors).toEqual([{ path: 'imap.auth.authorizeUrl', message: 'is required with provider: custom' }]);
    // Sign in with: password (the default) leaves the OAuth2 fields out.
    const withPassword = userDocumentFromForm({ ...oauth, 'imap.auth.type': 'password', 'imap.password': 'pw-2' }, {});
    expect(withPassword.document['imap']).toMatchObject({ password: 'pw-2' });
    expect(withPassword.document['imap']).not.toHaveProperty('auth');
  });

  it('refuses a connection without its credential instead of saving one that fails every pass', () => {
    const imap = { 'imap.enabled': 'on', 'imap.host': 'mail.example.com', 'imap.port': '993', 'imap.security': 'tls', 'imap.username': 'bob', 'imap.password': '' };
    expect(userDocumentFromForm({ ...base, ...imap }, {}).errors).toEqual([{ path: 'imap.password', message: 'is required: type the password (or choose Sign in with: oauth2)' }]);
    expect(sharedMailboxDocumentFromForm({ id: 'sales', address: 'sales@example.com', ...imap }, {}).errors).toContainEqual({ path: 'imap.password', message: 'is required: type the password (or choose Sign in with: oauth2)' });
    // Stored for this destination: kept, no error.
    expect(userDocumentFromForm({ ...base, ...imap }, { imap: { host: 'mail.example.com', port: 993, security: 'tls', username: 'bob', password: 'stored' } }).errors).toEqual([]);
  });

  it('names the typed secrets a form that is not saved drops', () => {
    expect(typedSecrets({ 'imap.password': 'x', 'smtp.password': '', 'caldav.auth.clientSecret': 'y', name: 'Bob', 'imap.host': 'h' }).sort()).toEqual(['caldav.auth.clientSecret', 'imap.password']);
  });

  it('reports schema errors with their key paths, like check-config', () => {
    const { errors } = userDocumentFromForm({ ...base, email: 'nope', 'imap.enabled': 'on', 'imap.host': 'h', 'imap.port': 'abc', 'imap.username': 'u', 'mail.autoTrack': 'sometimes' });
    const paths = errors.map((error) => error.path);
    expect(paths).toEqual(expect.arrayContaining(['email', 'imap.port', 'mail.autoTrack']));
  });

  it('takes any other key from the "more settings" YAML and shows only those keys there', () => {
    const { document, errors } = userDocumentFromForm({ ...base, extra: 'contacts:\n  addressBook: Team\ntasks:\n  conflictPolicy: client-wins\n', 'contacts.addressBook': '' });
    expect(errors).toEqual([]);
    expect(document['contacts']).toMatchObject({ addressBook: 'Team' });
    expect(document['tasks']).toMatchObject({ conflictPolicy: 'client-wins' });
    expect(parseExtra('- a list')).toEqual({ error: { path: 'more settings', message: 'expected a YAML mapping of keys to values' } });
    expect('error' in parseExtra('a: [')).toBe(true);
    expect(extraOf({ id: 'x', mail: { autoTrack: 'all', custom: 1 }, future: { on: true } })).toBe('mail:\n  custom: 1\nfuture:\n  on: true\n');
  });

  it('sets the contact filter, synced and secure fields and phone region from the contact fields of the form', () => {
    const { document, errors } = userDocumentFromForm({
      ...base,
      'contacts.form': '1',
      'contacts.filter.accounts': 'on',
      'contacts.filter.where': 'company = "Acme GmbH"',
      'contacts.field.displayName': 'on',
      'contacts.field.emails': 'on',
      'contacts.field.phones': 'on',
      'contacts.secure.phones': 'on',
      'contacts.phoneRegion': 'de',
    });
    expect(errors).toEqual([]);
    const parsed = userConfigSchema.parse(document);
    expect(parsed.contacts).toMatchObject({ filter: { owned: false, accounts: true, where: 'company = "Acme GmbH"' }, fields: ['displayName', 'emails', 'phones'], secureFields: ['phones'], phoneRegion: 'DE' });
    expect(userDocumentFromForm({ ...base, 'contacts.form': '1', 'contacts.filter.where': 'company ?? x' }).errors.map((error) => error.path)).toContain('contacts.filter.where');
    // A form without the contact fields (or a YAML box that sets them) leaves them alone.
    expect(userConfigSchema.parse(userDocumentFromForm({ ...base, extra: 'contacts:\n  secureFields: [title]\n' }).document).contacts.secureFields).toEqual(['title']);
  });

  it('builds a sharedMailboxes[] entry with the processed rule as keyword or move', () => {
    const form = { id: 'support', address: 'support@example.com', 'imap.host': 'h', 'imap.port': '143', 'imap.security': 'none', 'imap.username': 'support', 'imap.password': 'pw', folders: 'INBOX, Queue', unknownSender: 'lead', 'processed.mode': 'moveTo', 'processed.value': 'Done' };
    const { document, errors } = sharedMailboxDocumentFromForm(form);
    expect(errors).toEqual([]);
    expect(document).toMatchObject({ folders: ['INBOX', 'Queue'], unknownSender: 'lead', processed: { moveTo: 'Done' }, imap: { password: 'pw' } });
    expect(sharedMailboxDocumentFromForm({ ...form, 'processed.mode': 'keyword', 'processed.value': '$Done' }).document['processed']).toEqual({ keyword: '$Done' });
  });
});
