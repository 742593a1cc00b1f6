import type { DavServerConfig, MailServerConfig } from '../config/schema.js';
import { davSettings, serverSettings } from '../config/server-settings.js';
import { BridgeError, isBridgeError, type ErrorCode } from '../domain/errors.js';
import { maskSecrets } from '../domain/mask-secrets.js';
import type { AddressBookConnector } from '../ports/address-book.js';
import type { DavConnector } from '../ports/dav.js';
import type { MailboxConnector } from '../ports/mail.js';
import type { OAuthAuthorizer } from '../ports/oauth.js';
import type { MailLogin } from '../ports/sending.js';
import type { ConnectionKind } from './entry-forms.js';

/** The adapters a connection test logs in with: the ones the sync uses (src/runtime wires them). */
export interface ConnectionAdapters {
  imap: MailboxConnector;
  smtp: MailLogin;
  caldav: DavConnector;
  carddav: AddressBookConnector;
  /** The OAuth2 authorization server side of Connect (pages/oauth-connect.ts). */
  oauth: OAuthAuthorizer;
}

export type ConnectionTestResult = { ok: true; summary: string; items: string[] } | { ok: false; code: ErrorCode; message: string };

const timeoutMs = 20_000;

/**
 * "Test connection": really log in with the adapters the sync uses and list what the account
 * holds: IMAP folders, CalDAV calendars and task lists, CardDAV address books; SMTP logs in
 * without sending. The password never appears in the result (it is cut out of messages too).
 */
export async function testConnection(adapters: ConnectionAdapters, kind: ConnectionKind, settings: MailServerConfig | DavServerConfig): Promise<ConnectionTestResult> {
  try {
    return await withTimeout(run(adapters, kind, settings));
  } catch (error) {
    const code = isBridgeError(error) ? error.code : 'INTERNAL';
    const raw = error instanceof Error ? error.message : String(error);
    const message = maskSecrets(raw, [settings.password ?? '']);
    return { ok: false, code, message };
  }
}

async function run(adapters: ConnectionAdapters, kind: ConnectionKind, settings: MailServerConfig | DavServerConfig): Promise<ConnectionTestResult> {
  if (settings.auth?.type === 'oauth2') {
    // The access token comes from the grant Connect stores, which a connection being typed has not got yet.
    return { ok: false, code: 'UNSUPPORTED', message: 'this connection signs in with OAuth2: save it, then press Connect; the status page shows whether the sign-in works' };
  }
  if (kind === 'imap') {
    const session = await adapters.imap.connect({ ...serverSettings(settings as MailServerConfig), timeoutMs });
    try {
      const folders = await session.listFolders();
      return { ok: true, summary: `logged in; ${folders.length} folder(s)`, items: folders.map((folder) => folder.path).sort() };
    } finally {
      await session.close();
    }
  }
  if (kind === 'smtp') {
    await adapters.smtp.verify({ ...serverSettings(settings as MailServerConfig), timeoutMs });
    return { ok: true, summary: 'connected and logged in (nothing sent)', items: [] };
  }
  const dav = settings as DavServerConfig;
  const server = davSettings(dav, undefined, { timeoutMs });
  const collections = kind === 'caldav' ? await (await adapters.caldav.connect(server)).listCalendars() : await (await adapters.carddav.connect(server)).listAddressBooks();
  const what = kind === 'caldav' ? 'calendar(s) and task list(s)' : 'address book(s)';
  return {
    ok: true,
    summary: `logged in; ${collections.length} ${what}`,
    items: collections.map((collection) => `${collection.displayName ?? '(no name)'}${collection.components.length > 0 ? ` [${collection.components.join(', ')}]` : ''} ${collection.href}`),
  };
}

function withTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new BridgeError('TEMPORARY', `no answer within ${timeoutMs / 1000} s`)), timeoutMs + 2000);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
