import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { ImapConnector } from '../../../adapters/imap/index.js';
import type { MailboxConnector, MailboxSession } from '../../../src/ports/mail.js';
import { mailboxSpecOf, mailSyncDeps } from '../../../src/sync/mail/mail-runner.js';
import { syncMailbox } from '../../../src/sync/mail/mailbox-sync.js';
import { sourcesOf } from '../../../src/sync/sources.js';
import { createMailUsers } from '../../servers/users.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';
import { buildMessage, imapClient, mailConfig, newMessageId } from '../../support/mail.js';

/**
 * Servers without CONDSTORE/QRESYNC (older Cyrus, some hosted IMAP): the real Dovecot session with
 * those capabilities hidden and no mod-sequences reported, so the engine must compare flags and
 * search UIDs to notice keyword changes and expunges.
 */
class PlainImapConnector implements MailboxConnector {
  private readonly inner = new ImapConnector();
  async connect(settings: Parameters<MailboxConnector['connect']>[0]): Promise<MailboxSession> {
    const session = await this.inner.connect(settings);
    const capabilities = new Set([...session.capabilities].filter((name) => name !== 'CONDSTORE' && name !== 'QRESYNC'));
    return new Proxy(session, {
      get(target, property, receiver) {
        if (property === 'capabilities') return capabilities;
        if (property === 'openFolder') return async (path: string) => ({ ...(await target.openFolder(path)), highestModseq: null, canStoreKeyword: () => true });
        if (property === 'changesSince') return async () => {
          throw new Error('changesSince must not be used without CONDSTORE');
        };
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
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

describe('mailboxes on servers without CONDSTORE (real Dovecot, capabilities hidden)', () => {
  it('notices keywords added and removed, and moves out of the tracked folder, by comparing flags and UIDs', async () => {
    const [alice] = await createMailUsers(servers, ['alice']);
    const config = mailConfig(servers, { users: [{ id: 'alice', email: alice!.username, mail: { autoTrack: 'none' } }] });
    await t.store.users.upsert(config.users[0]!);
    const source = sourcesOf(config).find((entry) => entry.id === 'imap:alice')!;
    const sync = () => syncMailbox(mailboxSpecOf(config, source), mailSyncDeps(config, t.store, new PlainImapConnector(), pino({ level: 'silent' })), new AbortController().signal);
    const client = await imapClient(servers, alice!.username);
    await sync();
    const byKeyword = newMessageId();
    const byFolder = newMessageId();
    await client.append('INBOX', buildMessage({ messageId: byKeyword }));
    await client.append('CRM', buildMessage({ messageId: byFolder }));
    expect(await sync()).toMatchObject({ changed: 1 });
    await client.mailboxOpen('INBOX');
    await client.messageFlagsAdd('1:*', ['$CRM']);
    expect(await sync()).toMatchObject({ changed: 1 });
    expect((await t.store.activities.list({}, { limit: 10 })).items.map((activity) => activity.messageId).sort()).toEqual([byFolder, byKeyword].sort());

    await client.messageFlagsRemove('1:*', ['$CRM']);
    await client.mailboxOpen('CRM');
    await client.messageMove('1:*', 'INBOX');
    await sync();
    expect((await t.store.activities.list({}, { limit: 10 })).items).toEqual([]);
    await client.logout();
  });
});
