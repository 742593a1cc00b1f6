import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { BridgeError } from '../../../src/domain/errors.js';
import { OutboxWorker } from '../../../src/sync/outbox-worker.js';
import type { MailSender } from '../../../src/ports/sending.js';
import type { MailboxConnector, MailboxSession } from '../../../src/ports/mail.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';

/** An IMAP server that cannot be reached: every copy into Sent fails. */
class UnreachableImap implements MailboxConnector {
  attempts = 0;
  connect(): Promise<MailboxSession> {
    this.attempts += 1;
    return Promise.reject(new BridgeError('TEMPORARY', 'connection refused'));
  }
}

const sender: MailSender = {
  compose: () => Promise.reject(new Error('not used')),
  send: () => Promise.reject(new Error('not used')),
};

let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());

describe('copy of sent mail into the Sent folder', () => {
  it('is retried less and less often while it fails, and given up after three days', async () => {
    const config = configSchema.parse({ users: [{ id: 'alice', name: 'Alice', email: 'alice@example.com', imap: { host: '127.0.0.1', port: 1, security: 'none', username: 'alice', password: 'secret' } }] });
    await t.store.users.upsert({ id: 'alice', name: 'Alice', email: 'alice@example.com' });
    const activity = await t.store.activities.create({ kind: 'email_out', subject: 'Offer', owner: 'alice' });
    const sentAt = new Date('2030-01-01T10:00:00Z');
    const raw = await t.store.blobs.put(Buffer.from('Subject: Offer\r\n\r\nHello\r\n'));
    await t.store.outbox.enqueue({ activityId: activity.id, userId: 'alice', rawSha256: raw.sha256, envelope: { from: 'alice@example.com', to: ['bob@example.org'] }, sentCopy: 'pending' });
    await t.store.outbox.update(activity.id, { state: 'sent', sentAt: sentAt.toISOString(), nextAttemptAt: null });
    const imap = new UnreachableImap();
    const worker = new OutboxWorker(t.store, config, sender, imap, pino({ level: 'silent' }));
    const at = (minutes: number) => new Date(sentAt.getTime() + minutes * 60_000);

    await worker.runDue(at(1));
    expect(imap.attempts).toBe(1);
    // Next try a minute later (a quarter of the age, at least a minute): not before.
    await worker.runDue(at(1.5));
    expect(imap.attempts).toBe(1);
    await worker.runDue(at(2));
    expect(imap.attempts).toBe(2);
    // A day later the gap is an hour at most.
    await worker.runDue(at(24 * 60));
    expect(imap.attempts).toBe(3);
    const next = (await t.store.outbox.get(activity.id))!.nextAttemptAt!;
    expect(Date.parse(next) - at(24 * 60).getTime()).toBe(3_600_000);
    // After three days it stops for good.
    await worker.runDue(at(3 * 24 * 60 + 61));
    expect(imap.attempts).toBe(4);
    expect((await t.store.outbox.get(activity.id))!.sentCopy).toBe('failed');
    await worker.runDue(at(10 * 24 * 60));
    expect(imap.attempts).toBe(4);
  });
});
