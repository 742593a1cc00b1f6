// How far a failure reaches in a mail pass (src/sync/engine/failure.ts): a folder the server
// refuses is recorded and skipped while the others sync; a lost connection or rejected
// credentials end the pass for the source, recorded once by the runner, not per folder.
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BridgeError } from '../../../../src/domain/errors.js';
import { syncMailbox, type MailboxSpec, type MailSyncDeps } from '../../../../src/sync/mail/mailbox-sync.js';
import { MemoryImap } from '../../../support/memory-imap.js';
import { createTestStore, type TestStore } from '../../../support/memory-store.js';

const server = { host: 'memory', port: 143, security: 'none' as const, username: 'x', password: 'x', allowInsecureTls: false };
const spec: MailboxSpec = {
  sourceId: 'imap:alice',
  mailbox: 'personal',
  ownerId: 'alice',
  ownerEmail: 'alice@example.com',
  queue: null,
  server,
  personal: { trackedFolders: ['CRM', 'Projects'], trackingKeyword: '$CRM', autoTrack: 'none', extraFolders: [], createContacts: false },
};

function message(id: string): Buffer {
  return Buffer.from([`From: Customer <customer@customer.example>`, 'To: alice@example.com', `Subject: About ${id}`, 'Date: Mon, 05 Jan 2026 09:00:00 +0000', `Message-ID: <${id}@customer.example>`, '', 'Hello.', ''].join('\r\n'));
}

let t: TestStore;
let imap: MemoryImap;
beforeEach(async () => {
  t = await createTestStore();
  await t.store.users.upsert({ id: 'alice', name: 'Alice', email: 'alice@example.com' });
  imap = new MemoryImap([{ path: 'INBOX' }, { path: 'CRM' }, { path: 'Projects' }]);
  imap.deliver('CRM', message('in-crm'));
  imap.deliver('Projects', message('in-projects'));
});
afterEach(async () => t.close());

function deps(): MailSyncDeps {
  return {
    store: t.store,
    connector: imap,
    log: pino({ level: 'silent' }),
    users: [{ id: 'alice', email: 'alice@example.com' }],
    maxItemAttempts: 3,
    correlation: { domain: 'example.com', messageIdKey: t.store.box.derivedKey('message-id'), token: { enabled: false, prefix: 'CRM' }, smart: { enabled: false, minParticipants: 2, windowDays: 30 } },
  };
}

const subjects = async () => (await t.store.activities.list({}, { limit: 10 })).items.map((activity) => activity.subject).sort();

describe('failure scope of a mail pass', () => {
  it('a folder the server refuses (an answered TEMPORARY) is recorded and skipped; the other folders sync', async () => {
    imap.refusing.set('CRM', new BridgeError('TEMPORARY', 'IMAP SELECT "CRM" failed: the server refused [UNAVAILABLE]'));
    const result = await syncMailbox(spec, deps(), new AbortController().signal);
    expect(result).toMatchObject({ changed: 1, itemErrors: 1 });
    expect(await subjects()).toEqual(['About in-projects']);
    expect((await t.store.syncErrors.recent(10)).map((row) => [row.itemRef, row.code])).toEqual([['CRM', 'TEMPORARY']]);
    // Once the server lets the folder be read again, its mail comes in.
    imap.refusing.clear();
    expect(await syncMailbox(spec, deps(), new AbortController().signal)).toMatchObject({ changed: 1, itemErrors: 0 });
    expect(await subjects()).toEqual(['About in-crm', 'About in-projects']);
  });

  it.each([
    ['a lost connection', new BridgeError('TEMPORARY', 'IMAP SELECT "CRM" failed: the connection to the server was lost (EConnectionClosed)', { connectionLost: true })],
    ['rejected credentials', new BridgeError('AUTH', 'IMAP SELECT "CRM" rejected: the session expired')],
  ])('%s ends the pass for the source without an error row per folder', async (_name, error) => {
    imap.refusing.set('CRM', error);
    await expect(syncMailbox(spec, deps(), new AbortController().signal)).rejects.toBe(error);
    expect(await t.store.syncErrors.recent(10)).toEqual([]);
  });
});
