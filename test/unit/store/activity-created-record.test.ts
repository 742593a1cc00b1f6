import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ActivityWrite } from '../../../src/domain/activity.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';

// ActivityRepository.create() builds the returned record (and its change-feed entry) from what it
// inserted instead of reading it back; it must be exactly what reading it back gives.
let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
  await t.store.users.upsert({ id: 'alice', name: 'Alice', email: 'alice@example.com' });
});
afterEach(async () => t.close());

describe('activities.create without a read-back', () => {
  it('returns the same record as reading it back, for every kind of input', async () => {
    const contact = await t.store.contacts.create({ firstName: 'Ada', lastName: 'Lovelace', emails: ['ada@example.org'] });
    const inputs: ActivityWrite[] = [
      { kind: 'task', subject: 'Call back' },
      { kind: 'meeting', subject: 'Kick-off', start: '2026-12-01T10:00:00+01:00', end: '2026-12-01T11:00:00+01:00', allDay: false, timeZone: 'Europe/Berlin', location: 'Room 1', owner: 'alice' },
      { kind: 'appointment', subject: 'All day', start: '2026-12-02', allDay: true, busyStatus: 'free', priority: 'high' },
      {
        kind: 'email_in',
        subject: 'Re: Quote',
        owner: 'alice',
        start: 'Mon, 30 Nov 2026 10:00:00 +0000',
        messageId: '<b@example.org>',
        inReplyTo: '<a@example.org>',
        references: ['<z@example.org>', '<a@example.org>'],
        threadId: 'z@example.org',
        subjectKey: 'quote',
        regarding: { type: 'contact', id: contact.id },
        correlation: { method: 'references', activityId: 'act_unknown' },
        parties: [
          { role: 'from', address: 'Ada@Example.org', name: 'Ada', contactId: contact.id },
          { role: 'to', address: 'alice@example.com', userId: 'alice' },
          { role: 'cc', address: 'nobody@example.net' },
        ],
        queue: 'support',
        bodyText: 'Hello',
        bodyHtml: '<p>Hello</p>',
        classification: 'normal',
        messageKey: 'b@example.org',
      },
    ];
    for (const input of inputs) {
      const created = await t.store.activities.create(input);
      expect(created).toEqual(await t.store.activities.get(created.id));
      const feed = await t.store.changes.listAfter(0, 1000);
      expect(feed.find((change) => change.id === created.id)?.data).toEqual(JSON.parse(JSON.stringify(await t.store.activities.get(created.id))));
    }
  });
});
