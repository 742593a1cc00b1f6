// Under `serve` with IMAP IDLE, a CRM deletion of a mail activity changes nothing in the mailbox,
// so the follower must run the mail source itself for the tracking keywords to come off at once.
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MailChangeFollower } from '../../../../src/sync/mail/change-follower.js';
import { createTestStore, type TestStore } from '../../../support/memory-store.js';

const log = pino({ level: 'silent' });

let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
  await t.store.users.upsert({ id: 'alice', name: 'Alice', email: 'alice@example.com' });
});
afterEach(async () => t.close());

async function trackedMail(sourceId: string, uid: number): Promise<string> {
  const activity = await t.store.activities.create({ kind: 'email_in', owner: 'alice', subject: `Mail ${uid}` });
  await t.store.mailMessages.put({ sourceId, folder: 'INBOX', uidValidity: '1', uid, messageKey: `m${uid}@x`, flags: ['$CRMTracked'], modseq: null, activityId: activity.id, trackedBy: 'folder', state: 'tracked', attempts: 0, lastError: null });
  return activity.id;
}

describe('mail change follower', () => {
  it('asks for the mail sources with messages to untrack after an activity deletion, and for nothing else', async () => {
    const follower = new MailChangeFollower(t.store, log, ['imap:alice', 'shared-mailbox:support']);
    const requests: string[] = [];
    const request = (id: string) => requests.push(id);
    await follower.poll(request); // notes where the feed stands
    const mail = await trackedMail('imap:alice', 7);
    await trackedMail('shared-mailbox:support', 8);
    const task = await t.store.activities.create({ kind: 'task', owner: 'alice', subject: 'Call' });
    await follower.poll(request);
    expect(requests).toEqual([]); // creations untrack nothing

    await t.store.activities.delete(task.id);
    await follower.poll(request);
    expect(requests).toEqual([]); // no message lost its activity

    await t.store.activities.delete(mail);
    await follower.poll(request);
    expect(requests).toEqual(['imap:alice']);
    expect((await t.store.mailMessages.get('imap:alice', 'INBOX', '1', 7))?.state).toBe('untrack');

    // Once the pass took the keywords off, a later deletion asks for nothing.
    await t.store.mailMessages.put({ ...(await t.store.mailMessages.get('imap:alice', 'INBOX', '1', 7))!, state: 'seen' });
    requests.length = 0;
    const other = await t.store.activities.create({ kind: 'appointment', owner: 'alice', subject: 'Meet' });
    await t.store.activities.delete(other.id);
    await follower.poll(request);
    expect(requests).toEqual([]);
  });
});
