import { randomBytes } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import { pino } from 'pino';
import type { TestServers } from '../servers/types.js';
import { configSchema, type Config } from '../../src/config/schema.js';
import { ImapConnector } from '../../adapters/imap/index.js';
import { mailboxSpecOf, mailSyncDeps } from '../../src/sync/mail/mail-runner.js';
import { syncMailbox, type MailSyncResult } from '../../src/sync/mail/mailbox-sync.js';
import { sourcesOf } from '../../src/sync/sources.js';
import type { Store } from '../../src/store/store.js';

/** A plain RFC 5322 message; every field can be overridden, headers appended. */
export function buildMessage(options: {
  from?: string;
  to?: string;
  cc?: string;
  subject?: string;
  messageId?: string | null;
  inReplyTo?: string;
  references?: string;
  date?: string;
  body?: string;
  headers?: Record<string, string>;
} = {}): Buffer {
  const lines: string[] = [];
  lines.push(`From: ${options.from ?? 'Customer <customer@acme.example>'}`);
  lines.push(`To: ${options.to ?? 'support@example.com'}`);
  if (options.cc) lines.push(`Cc: ${options.cc}`);
  lines.push(`Subject: ${options.subject ?? 'Hello'}`);
  lines.push(`Date: ${options.date ?? new Date().toUTCString()}`);
  if (options.messageId !== null) lines.push(`Message-ID: ${options.messageId ?? newMessageId()}`);
  if (options.inReplyTo) lines.push(`In-Reply-To: ${options.inReplyTo}`);
  if (options.references) lines.push(`References: ${options.references}`);
  for (const [name, value] of Object.entries(options.headers ?? {})) lines.push(`${name}: ${value}`);
  lines.push('MIME-Version: 1.0', 'Content-Type: text/plain; charset=utf-8', '', options.body ?? 'Body text.', '');
  return Buffer.from(lines.join('\r\n'));
}

export function newMessageId(domain = 'acme.example'): string {
  return `<${randomBytes(8).toString('hex')}@${domain}>`;
}

/** A direct IMAP client of the harness Dovecot for arranging test data, as a user's mail client would. */
export function imapClient(servers: Pick<TestServers, 'dovecot'>, username: string, password = 'secret'): Promise<ImapFlow> {
  return imapClientAt({ host: servers.dovecot.host, port: servers.dovecot.imapPort }, username, password);
}

/** The same for the IMAP server at `server` (plain text, no STARTTLS even when offered), logged in. */
export async function imapClientAt(server: { host: string; port: number }, username: string, password = 'secret'): Promise<ImapFlow> {
  const client = new ImapFlow({ host: server.host, port: server.port, secure: false, doSTARTTLS: false, auth: { user: username, pass: password }, logger: false, disableAutoIdle: true });
  // An 'error' event without a listener would crash the test process.
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

export async function appendMessages(client: ImapFlow, folder: string, messages: Buffer[], flags: string[] = []): Promise<void> {
  for (const message of messages) await client.append(folder, message, flags);
}

export interface MailTestConfig {
  users?: Array<{ id: string; email: string; mail?: Record<string, unknown> }>;
  shared?: Array<{ id: string; address: string; extra?: Record<string, unknown> }>;
}

/** A configuration whose mailboxes live on the harness Dovecot. */
export function mailConfig(servers: Pick<TestServers, 'dovecot'>, spec: MailTestConfig): Config {
  return mailConfigOn({ host: servers.dovecot.host, port: servers.dovecot.imapPort }, spec);
}

/**
 * The configuration of `spec` with every mailbox on the IMAP server at `server`; `login` maps an
 * address to its IMAP username (Dovecot logs in with the address itself, Cyrus with a plain name).
 */
export function mailConfigOn(server: { host: string; port: number }, spec: MailTestConfig, login: (address: string) => string = (address) => address): Config {
  const imap = (address: string) => ({ host: server.host, port: server.port, security: 'none', username: login(address), password: 'secret' });
  return configSchema.parse({
    users: (spec.users ?? []).map((user) => ({ id: user.id, name: user.id, email: user.email, imap: imap(user.email), mail: user.mail ?? {} })),
    sharedMailboxes: (spec.shared ?? []).map((box) => ({ id: box.id, address: box.address, imap: imap(box.address), ...(box.extra ?? {}) })),
  });
}

/** One sync pass of one configured source through the real adapter. */
export async function syncSource(store: Store, config: Config, sourceId: string): Promise<MailSyncResult> {
  const source = sourcesOf(config).find((entry) => entry.id === sourceId);
  if (!source) throw new Error(`no source ${sourceId}`);
  for (const user of config.users) await store.users.upsert(user);
  return syncMailbox(mailboxSpecOf(config, source), mailSyncDeps(config, store, new ImapConnector(), pino({ level: 'silent' })), new AbortController().signal);
}

export async function flagsOf(client: ImapFlow, folder: string): Promise<Map<string, string[]>> {
  const lock = await client.getMailboxLock(folder);
  try {
    const out = new Map<string, string[]>();
    for await (const message of client.fetch('1:*', { envelope: true, flags: true })) out.set(message.envelope?.messageId ?? String(message.uid), [...(message.flags ?? [])]);
    return out;
  } finally {
    lock.release();
  }
}
