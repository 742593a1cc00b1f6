import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { BridgeError } from '../../../src/domain/errors.js';
import type { MailMessageStatus } from '../../../src/store/mail-messages.js';
import type { Store } from '../../../src/store/store.js';
import { createMailUsers } from '../../servers/users.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';
import { appendMessages, buildMessage, imapClient, mailConfig, newMessageId, syncSource } from '../../support/mail.js';

// The import writes a fetched batch (up to 100 messages) in one transaction, each message under a
// savepoint. These tests break the write of one message's status row in the middle of a batch.
const servers = inject('servers');
let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());

/** Make status-row writes inside a transaction that match `when` fail with `error`, until restored. */
function failStatusWrites(store: Store, when: (status: MailMessageStatus, count: number) => boolean, error: Error): () => void {
  const original = store.atomically.bind(store);
  let writes = 0;
  store.atomically = <T>(work: (tx: Store) => Promise<T>) =>
    original(async (tx) => {
      const put = tx.mailMessages.put.bind(tx.mailMessages);
      tx.mailMessages.put = async (status: MailMessageStatus, now?: string) => {
        writes += 1;
        if (when(status, writes)) throw error;
        return put(status, now);
      };
      return work(tx);
    });
  return () => {
    store.atomically = original;
  };
}

function counts(store: Store) {
  return Promise.all([
    store.activities.list({}, { limit: 1000 }).then((page) => page.items),
    store.db.selectFrom('mail_messages').selectAll().execute(),
    store.db.selectFrom('activity_sources').selectAll().execute(),
  ]);
}

describe('batched import (real Dovecot)', () => {
  it('loses and duplicates nothing when the pass dies in the middle of a batch, and commits whole batches only', async () => {
    const [support] = await createMailUsers(servers, ['support']);
    const client = await imapClient(servers, support!.username);
    const total = 150;
    const original = newMessageId();
    await appendMessages(client, 'INBOX', [
      // A reply stored before its original and one after it, all in the second batch.
      ...Array.from({ length: 110 }, (_, i) => buildMessage({ subject: `Message ${i}`, to: support!.username })),
      buildMessage({ subject: 'Re: Offer', inReplyTo: original, to: support!.username }),
      buildMessage({ subject: 'Offer', messageId: original, to: support!.username }),
      buildMessage({ subject: 'Re: Offer again', inReplyTo: original, references: original, to: support!.username }),
      ...Array.from({ length: total - 113 }, (_, i) => buildMessage({ subject: `Later ${i}`, to: support!.username })),
    ]);
    const config = mailConfig(servers, { shared: [{ id: 'support', address: support!.username }] });

    // Message 120 is in the second batch (messages 101-150): a crash there (anything but a
    // per-message error ends the pass) keeps the first batch and nothing of the second.
    const restore = failStatusWrites(t.store, (_, count) => count === 120, new BridgeError('TEMPORARY', 'simulated crash in the middle of a batch'));
    await expect(syncSource(t.store, config, 'shared-mailbox:support')).rejects.toThrow(/simulated crash/);
    restore();
    let [activities, statuses, sources] = await counts(t.store);
    expect(activities).toHaveLength(100);
    expect(statuses).toHaveLength(100);
    expect(sources).toHaveLength(100);

    expect(await syncSource(t.store, config, 'shared-mailbox:support')).toMatchObject({ changed: total - 100, itemErrors: 0 });
    [activities, statuses, sources] = await counts(t.store);
    expect(activities).toHaveLength(total);
    expect(new Set(activities.map((activity) => activity.messageId)).size).toBe(total);
    expect(statuses.filter((row) => row.state === 'tracked')).toHaveLength(total);
    expect(sources).toHaveLength(total);
    // Replies in the same batch as their original are linked to it, whichever came first.
    const offer = activities.find((activity) => activity.subject === 'Offer')!;
    const replies = activities.filter((activity) => activity.subject.startsWith('Re: Offer'));
    expect(replies).toHaveLength(2);
    for (const reply of replies) expect(reply.correlation?.activityId).toBe(offer.id);

    const lock = await client.getMailboxLock('INBOX');
    try {
      expect(await client.search({ unKeyword: '$CRMImported' }, { uid: true })).toEqual([]);
    } finally {
      lock.release();
      await client.logout();
    }
  });

  it('rolls back only the message that failed inside a batch, records it, and imports it on the next pass', async () => {
    const [support] = await createMailUsers(servers, ['support']);
    const client = await imapClient(servers, support!.username);
    await appendMessages(client, 'INBOX', Array.from({ length: 10 }, (_, i) => buildMessage({ subject: `Message ${i}`, to: support!.username })));
    await client.logout();
    const config = mailConfig(servers, { shared: [{ id: 'support', address: support!.username }] });

    // UID 5 fails in its batch; the same pass does not try it again (sync.maxItemAttempts counts passes).
    const restore = failStatusWrites(t.store, (status) => status.uid === 5 && status.state === 'tracked', new Error('disk trouble for one row'));
    expect(await syncSource(t.store, config, 'shared-mailbox:support')).toMatchObject({ changed: 9, itemErrors: 1 });
    restore();
    let [activities, statuses] = await counts(t.store);
    expect(activities.map((activity) => activity.subject)).not.toContain('Message 4');
    expect(activities).toHaveLength(9);
    expect(statuses.filter((row) => row.state === 'failed').map((row) => [row.uid, row.last_error])).toEqual([[5, 'disk trouble for one row']]);
    expect((await t.store.syncErrors.recent(10)).map((error) => error.message)).toContainEqual(expect.stringContaining('disk trouble for one row'));

    expect(await syncSource(t.store, config, 'shared-mailbox:support')).toMatchObject({ changed: 1, itemErrors: 0 });
    [activities, statuses] = await counts(t.store);
    expect(activities).toHaveLength(10);
    expect(statuses.filter((row) => row.state === 'tracked')).toHaveLength(10);
  });
});
