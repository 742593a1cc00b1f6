import { CalDavConnector } from '../../adapters/caldav/index.js';
import { CardDavConnector } from '../../adapters/carddav/index.js';
import { ImapConnector } from '../../adapters/imap/index.js';
import { SmtpSender } from '../../adapters/smtp/index.js';
import type { DavServerConfig, MailServerConfig } from '../config/schema.js';
import { BridgeError, isBridgeError, type ErrorCode } from '../domain/errors.js';
import { maskSecrets } from '../domain/mask-secrets.js';
import { serverSettings } from '../sync/mail/mail-runner.js';
import type { ConnectionKind } from './entry-forms.js';

export type ConnectionTestResult = { ok: true; summary: string; items: string[] } | { ok: false; code: ErrorCode; message: string };

const timeoutMs = 20_000;

/**
 * "Test connection": really log in with the adapters the sync uses and list what the account
 * holds: IMAP folders, CalDAV calendars and task lists, CardDAV address books; SMTP logs in
 * without sending. The password never appears in the result (it is cut out of messages too).
 */
export async function testConnection(kind: ConnectionKind, settings: MailServerConfig | DavServerConfig): Promise<ConnectionTestResult> {
  try {
    return await withTimeout(run(kind, settings));
  } catch (error) {
    const code = isBridgeError(error) ? error.code : 'INTERNAL';
    const raw = error instanceof Error ? error.message : String(error);
    const message = maskSecrets(raw, [settings.password]);
    return { ok: false, code, message };
  }
}

async function run(kind: ConnectionKind, settings: MailServerConfig | DavServerConfig): Promise<ConnectionTestResult> {
  if (kind === 'imap') {
    const session = await new ImapConnector().connect({ ...serverSettings(settings as MailServerConfig), timeoutMs });
    try {
      const folders = await session.listFolders();
      return { ok: true, summary: `logged in; ${folders.length} folder(s)`, items: folders.map((folder) => folder.path).sort() };
    } finally {
      await session.close();
    }
  }
  if (kind === 'smtp') {
    await new SmtpSender().verify({ ...serverSettings(settings as MailServerConfig), timeoutMs });
    return { ok: true, summary: 'connected and logged in (nothing sent)', items: [] };
  }
  const dav = settings as DavServerConfig;
  const server = { url: dav.url, username: dav.username, password: dav.password, timeoutMs };
  const collections = kind === 'caldav' ? await (await new CalDavConnector().connect(server)).listCalendars() : await (await new CardDavConnector().connect(server)).listAddressBooks();
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
