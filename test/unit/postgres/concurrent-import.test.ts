// One message imported by two processes at the same moment on one PostgreSQL (issue 14): the same
// Message-ID delivered to two mailboxes that two processes hold, or `sync --once` next to `serve`.
// Both look the message up, find nothing, and insert; the unique index refuses the second. The
// second must then find the first's activity and add its place to it, not fail the message.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { messageKey } from '../../../src/domain/message-id.js';
import { prepareIngest, type IngestOptions } from '../../../src/mail/ingest-message.js';
import { parseMessage } from '../../../src/mail/parse-message.js';
import { StoreDirectory } from '../../../src/store/party-directory.js';
import { writeMessage } from '../../../src/sync/mail/import-batch.js';
import { createTestStore, openPeerStore, type TestStore } from '../../support/memory-store.js';

let t: TestStore;
let other: ReturnType<typeof openPeerStore>;
beforeEach(async () => {
  t = await createTestStore();
  other = openPeerStore(t);
});
afterEach(async () => {
  await other.close();
  await t.close();
});

const source = Buffer.from(['From: Carol <carol@acme.test>', 'To: support@example.com, sales@example.com', 'Subject: Invoice question', 'Message-ID: <both@acme.test>', 'Date: Mon, 07 Dec 2026 10:00:00 +0000', '', 'Hello.', ''].join('\r\n'));

function options(sourceId: string): IngestOptions {
  return {
    correlation: { domain: null, messageIdKey: 'k'.repeat(32), token: { enabled: false, prefix: 'CRM' }, smart: { enabled: false, minParticipants: 2, windowDays: 30 } },
    source: { sourceId, ref: 'INBOX;UIDVALIDITY=1;UID=1' },
    owner: null,
    kind: 'email_in',
    queue: sourceId,
    regarding: null,
    createLeadForUnknownSender: false,
    createContacts: false,
  };
}

describe('one message imported by two processes at once (PostgreSQL)', () => {
  it('becomes one activity with both places, and neither import fails', async () => {
    const stores = [t.store, other.store];
    const prepared = await Promise.all(stores.map(async (store, i) => prepareIngest(store, new StoreDirectory(store, []), await parseMessage(source), options(`shared-mailbox:box${i}`), true)));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const firstInserted = new Promise<void>((resolve) => (inserted = resolve));
    // The first process inserts and keeps its transaction open a moment (the rest of its batch).
    const first = stores[0]!.atomically(async (tx) => {
      const result = await writeMessage(tx, new StoreDirectory(tx, []), prepared[0]!);
      inserted();
      await held;
      return result;
    });
    await firstInserted;
    // The second looked before the first committed: its insert waits on the index, then is refused.
    const second = stores[1]!.atomically((tx) => writeMessage(tx, new StoreDirectory(tx, []), prepared[1]!));
    await new Promise((resolve) => setTimeout(resolve, 200));
    release();
    expect(await first).toMatchObject({ created: true });
    expect(await second).toMatchObject({ created: false });
    const activities = await t.store.activities.findByMessageKey(messageKey('<both@acme.test>'));
    expect(activities).toHaveLength(1);
    expect(activities[0]!.sources.map((place) => place.sourceId).sort()).toEqual(['shared-mailbox:box0', 'shared-mailbox:box1']);
  });
});
