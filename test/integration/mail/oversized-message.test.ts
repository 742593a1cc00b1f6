import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { ImapConnector } from '../../../adapters/imap/index.js';
import { configSchema } from '../../../src/config/schema.js';
import type { MailboxConnector, MailboxSession } from '../../../src/ports/mail.js';
import { mailboxSpecOf, mailSyncDeps } from '../../../src/sync/mail/mail-runner.js';
import { syncMailbox } from '../../../src/sync/mail/mailbox-sync.js';
import { sourcesOf } from '../../../src/sync/sources.js';
import { createMailUsers } from '../../servers/users.js';
import { buildMessage, imapClient, mailConfig, newMessageId } from '../../support/mail.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';

/** The real Dovecot session, remembering which UIDs were fetched whole (BODY.PEEK[]). */
class RecordingConnector implements MailboxConnector {
  readonly fetchedWhole: number[] = [];
  private readonly inner = new ImapConnector();
  async connect(settings: Parameters<MailboxConnector['connect']>[0]): Promise<MailboxSession> {
    const session = await this.inner.connect(settings);
    const fetchedWhole = this.fetchedWhole;
    return new Proxy(session, {
      get(target, property, receiver) {
        if (property === 'fetchSources') {
          return (path: string, uids: readonly number[]) => {
            fetchedWhole.push(...uids);
            return target.fetchSources(path, uids);
          };
        }
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
  }
}

/** multipart/mixed: a short text and a base64 PDF of `pdfBytes`. */
function messageWithAttachment(messageId: string, pdfBytes: number): Buffer {
  const pdf = Buffer.alloc(pdfBytes, 0x25).toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    [
      'From: Customer <customer@acme.example>',
      'To: support@example.com',
      'Subject: The big offer',
      'Date: Mon, 02 Nov 2026 10:00:00 +0000',
      `Message-ID: ${messageId}`,
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b1"',
      '',
      '--b1',
      'Content-Type: text/plain; charset=utf-8',
      '',
      'The offer is attached.',
      '--b1',
      'Content-Type: application/pdf; name="offer.pdf"',
      'Content-Disposition: attachment; filename="offer.pdf"',
      'Content-Transfer-Encoding: base64',
      '',
      pdf,
      '--b1--',
      '',
    ].join('\r\n'),
  );
}

const servers = inject('servers');
let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());

describe('a message over mail.maxMessageBytes (real Dovecot, limit 1 MiB)', () => {
  it('becomes an activity from its headers and BODYSTRUCTURE without being fetched whole; the sync goes on', async () => {
    const [support] = await createMailUsers(servers, ['support']);
    const client = await imapClient(servers, support!.username);
    const bigId = newMessageId();
    const smallId = newMessageId();
    await client.append('INBOX', messageWithAttachment(bigId, 1_200_000));
    await client.append('INBOX', buildMessage({ messageId: smallId, subject: 'Small one', to: support!.username }));
    const base = mailConfig(servers, { shared: [{ id: 'support', address: support!.username }] });
    const config = configSchema.parse({ ...base, mail: { ...base.mail, maxMessageBytes: 1024 * 1024 } });
    const connector = new RecordingConnector();
    const source = sourcesOf(config).find((entry) => entry.id === 'shared-mailbox:support')!;
    const sync = () => syncMailbox(mailboxSpecOf(config, source), mailSyncDeps(config, t.store, connector, pino({ level: 'silent' })), new AbortController().signal);

    expect(await sync()).toMatchObject({ changed: 2, itemErrors: 0 });
    expect(connector.fetchedWhole).toEqual([2]);
    const activities = (await t.store.activities.list({}, { limit: 10 })).items;
    const big = activities.find((activity) => activity.messageId === bigId);
    expect(big).toMatchObject({ subject: 'The big offer', kind: 'email_in' });
    expect(big!.parties.map((party) => party.address)).toContain('customer@acme.example');
    const body = JSON.stringify(await t.store.activities.get(big!.id));
    expect(body).toContain('larger than the 1.0 MB the bridge downloads (mail.maxMessageBytes)');
    expect(body).toContain('offer.pdf (application/pdf, 1.2 MB)');
    expect(activities.find((activity) => activity.messageId === smallId)).toMatchObject({ subject: 'Small one' });
    const errors = await t.store.syncErrors.recent(10, 'shared-mailbox:support');
    expect(errors).toContainEqual(expect.objectContaining({ itemRef: expect.stringMatching(/^INBOX;UIDVALIDITY=\d+;UID=1$/), code: 'PAYLOAD_TOO_LARGE' }));

    // The next pass neither fails nor fetches it.
    await client.append('INBOX', buildMessage({ subject: 'After', to: support!.username }));
    expect(await sync()).toMatchObject({ changed: 1, itemErrors: 0 });
    expect(connector.fetchedWhole).toEqual([2, 3]);
    await client.logout();
  });
});
