// Statements over long lists are sliced (src/store/chunks.ts): SQLite refuses more than 32,766
// bound parameters ("too many SQL variables"). The store itself does not cap list fields (the API
// and the vCard import do), so it must hold whatever it is given.

import { afterEach, beforeEach, expect, it } from 'vitest';
import { createTestStore, type TestStore } from '../../support/memory-store.js';

let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());

it('stores and reads a contact with 10,000 e-mail addresses and phone numbers (40,000 parameters in one INSERT before)', async () => {
  const emails = Array.from({ length: 10_000 }, (_, i) => `a${i}@x.io`);
  const phones = Array.from({ length: 10_000 }, (_, i) => `+49 30 ${1_000_000 + i}`);
  const contact = await t.store.contacts.create({ displayName: 'Many', emails, phones });
  expect((await t.store.contacts.get(contact.id))?.emails).toEqual(emails);
  expect((await t.store.contacts.get(contact.id))?.phones).toEqual(phones);
  const updated = await t.store.contacts.update(contact.id, { emails: emails.slice(5000) });
  expect(updated.emails).toEqual(emails.slice(5000));
});

it('finds the accounts of a domain list with 12,000 domains (36,000 parameters before)', async () => {
  const domains = Array.from({ length: 12_000 }, (_, i) => `d${i}.example`);
  const account = await t.store.accounts.create({ name: 'Wide', domains });
  expect((await t.store.accounts.get(account.id))?.domains).toHaveLength(12_000);
});
