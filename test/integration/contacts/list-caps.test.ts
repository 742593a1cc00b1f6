// A vCard with 30,000 e-mail addresses (issue 12, defect 6), PUT straight to Radicale and
// Xandikos: imported with the API's cap on list fields (the first 50, src/domain/contact.ts) and a
// recorded warning, instead of failing with "too many SQL variables" on every pass; the other
// cards sync, and a later write from the CRM leaves the addresses past the cap in the card.

import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { parseVCardComponent } from '../../../src/contacts/vcard.js';
import { MAX_CONTACT_EMAILS } from '../../../src/domain/contact.js';
import type { DavServerSettings } from '../../../src/ports/dav.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';
import { Client, contactsConfig, davAccount, serverNames, syncContacts, uniqueBookName, vcard } from './support.js';

const servers = inject('servers');
let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());

describe.each(serverNames)('list caps on %s', (server) => {
  let settings: DavServerSettings;
  let book: string;
  const config = () => contactsConfig(settings, { addressBook: book });

  beforeEach(async () => {
    settings = await davAccount(servers, server);
    book = uniqueBookName();
    await t.store.users.upsert({ id: 'alice', name: 'Alice', email: 'alice@example.com' });
  });

  it('imports a card with 30,000 addresses with the first 50 and a warning; the other cards sync; the rest stay in the card', async () => {
    await syncContacts(t.store, config());
    const client = await Client.open(settings, book);
    const uid = randomUUID();
    const addresses = Array.from({ length: 30_000 }, (_, i) => `a${i}@x.io`);
    const href = await client.create(vcard(uid, 'Many Addresses', addresses.map((a) => `EMAIL:${a}`)));
    await client.create(vcard(randomUUID(), 'Plain Person', ['EMAIL:plain@x.io']));

    const first = await syncContacts(t.store, config());
    const contacts = (await t.store.contacts.list({}, { limit: 10 })).items;
    expect(contacts.map((c) => c.displayName).sort()).toEqual(['Many Addresses', 'Plain Person']);
    const many = contacts.find((c) => c.displayName === 'Many Addresses')!;
    expect(many.emails).toEqual(addresses.slice(0, MAX_CONTACT_EMAILS));
    expect(first.itemErrors).toBe(1);
    const errors = await t.store.syncErrors.recent(10, 'carddav:alice');
    expect(errors.map((e) => [e.itemRef, e.code])).toEqual([[href, 'INVALID_INPUT']]);
    expect(errors[0]?.message).toMatch(/30000 EMAIL.*first 50/);

    // A change in the CRM is written into the card without dropping the 29,950 addresses past the cap.
    await t.store.contacts.update(many.id, { title: 'Collector' });
    await syncContacts(t.store, config());
    const card = (await client.cards()).find((c) => c.data.includes(uid))!;
    const component = parseVCardComponent(card.data);
    expect(component.getFirstPropertyValue('title')).toBe('Collector');
    expect(component.getAllProperties('email')).toHaveLength(30_000);
  });
});
