import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContactChangeFollower } from '../../../../src/sync/contacts/change-follower.js';
import { createTestStore, type TestStore } from '../../../support/memory-store.js';

let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
  for (const id of ['alice', 'bob', 'carol']) await t.store.users.upsert({ id, name: id, email: `${id}@example.com` });
});
afterEach(async () => t.close());

describe('following the change feed for contacts', () => {
  it('asks for the carddav sources of the owner, the account owner and every address book holding the contact', async () => {
    const follower = new ContactChangeFollower(t.store, pino({ level: 'silent' }));
    const requested: string[] = [];
    const request = (id: string) => requested.push(id);
    await follower.poll(request); // starts after what is already in the feed
    const account = await t.store.accounts.create({ name: 'Acme', owner: 'bob' });
    await follower.poll(request);
    expect(requested).toEqual(['carddav:bob']);

    requested.length = 0;
    const contact = await t.store.contacts.create({ displayName: 'Ada', owner: 'alice', accountId: account.id });
    await follower.poll(request);
    expect(requested.sort()).toEqual(['carddav:alice', 'carddav:bob']);

    requested.length = 0;
    await t.store.syncStatus.put({ pair: 'contacts:carol', identity: 'uid-1', crm: { ref: contact.id, version: null, hash: null }, remote: { ref: null, version: null, hash: null }, origin: 'remote', tombstone: false, pending: null });
    await t.store.contacts.delete(contact.id);
    await follower.poll(request);
    expect(requested).toEqual(['carddav:carol']);
    await follower.stop();
  });
});
