import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { ImapConnector } from '../../../adapters/imap/index.js';
import type { MailboxConnector, MailboxSession } from '../../../src/ports/mail.js';
import { mailboxSpecOf, mailSyncDeps } from '../../../src/sync/mail/mail-runner.js';
import { syncMailbox } from '../../../src/sync/mail/mailbox-sync.js';
import { sourcesOf } from '../../../src/sync/sources.js';
import { createMailUsers } from '../../servers/users.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';
import { appendMessages, buildMessage, imapClient, mailConfig } from '../../support/mail.js';

/** The real adapter, with every session call counted. */
class CountingConnector implements MailboxConnector {
  readonly calls = new Map<string, number>();
  private readonly inner = new ImapConnector();
  async connect(settings: Parameters<MailboxConnector['connect']>[0]): Promise<MailboxSession> {
    const session = await this.inner.connect(settings);
    const calls = this.calls;
    return new Proxy(session, {
      get(target, property, receiver) {
        const value = Reflect.get(target, property, receiver) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          calls.set(String(property), (calls.get(String(property)) ?? 0) + 1);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
  }
}

const servers = inject('servers');
let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());

describe('a pass with nothing changed (real Dovecot, CONDSTORE)', () => {
  it('costs one SELECT per folder, even right after an import that stored keywords', async () => {
    const [support] = await createMailUsers(servers, ['support']);
    const client = await imapClient(servers, support!.username);
    await appendMessages(client, 'INBOX', Array.from({ length: 30 }, (_, i) => buildMessage({ subject: `m${i}` })));
    await client.logout();
    const config = mailConfig(servers, { shared: [{ id: 'support', address: support!.username }] });
    const source = sourcesOf(config)[0]!;
    const pass = async () => {
      const connector = new CountingConnector();
      const result = await syncMailbox(mailboxSpecOf(config, source), mailSyncDeps(config, t.store, connector, pino({ level: 'silent' })), new AbortController().signal);
      return { result, calls: Object.fromEntries(connector.calls) };
    };
    const first = await pass();
    expect(first.result).toMatchObject({ changed: 30, itemErrors: 0 });
    const second = await pass();
    expect(second.result).toMatchObject({ changed: 0, itemErrors: 0 });
    expect(second.calls).toEqual({ listFolders: 1, openFolder: 1, close: 1 });
  });
});
