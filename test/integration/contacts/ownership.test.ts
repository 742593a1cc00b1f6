// Contact sync against real CardDAV servers: delivery, the ownership rules of issue 6 point 3
// (one test each), direction, merges and conflicts. Every test runs against Radicale and Xandikos.

import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { parseCard } from '../../../src/contacts/vcard.js';
import type { DavServerSettings } from '../../../src/ports/dav.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';
import { Client, contactsConfig, davAccount, hookedConnector, serverNames, syncContacts, uniqueBookName, vcard } from './support.js';

const servers = inject('servers');
let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());

describe.each(serverNames)('contact sync on %s', (server) => {
  let settings: DavServerSettings;
  let book: string;
  const config = (contacts: Record<string, unknown> = {}) => contactsConfig(settings, { addressBook: book, ...contacts });
  const errors = async () => (await t.store.syncErrors.recent(50, 'carddav:alice')).map((e) => `${e.code} ${e.message}`);

  beforeEach(async () => {
    settings = await davAccount(servers, server);
    book = uniqueBookName();
  });

  /** A contact created in the client and imported by a first pass. */
  async function clientContact(cfg = config()) {
    await syncContacts(t.store, cfg); // creates the address book
    const client = await Client.open(settings, book);
    const uid = randomUUID();
    await client.create(vcard(uid, 'Carla Client', ['EMAIL;TYPE=INTERNET:carla@client.example', 'ORG:Client Co']));
    expect(await syncContacts(t.store, cfg)).toMatchObject({ changed: 1, itemErrors: 0 });
    const [contact] = (await t.store.contacts.list({ email: 'carla@client.example' }, { limit: 10 })).items;
    expect(contact).toMatchObject({ displayName: 'Carla Client', company: 'Client Co', owner: 'alice' });
    return { client, uid, contact: contact! };
  }

  /** A contact created in the CRM and delivered by a pass. */
  async function crmContact(cfg = config()) {
    await t.store.users.upsert({ id: 'alice', name: 'Alice', email: 'alice@example.com' });
    const contact = await t.store.contacts.create({ firstName: 'Rita', lastName: 'Record', emails: ['rita@crm.example'], phones: ['+49 30 1234567'], company: 'CRM Corp', title: 'Buyer', owner: 'alice' });
    expect(await syncContacts(t.store, cfg)).toMatchObject({ changed: 1, itemErrors: 0 });
    const client = await Client.open(settings, book);
    const [card] = await client.byFn('Rita Record');
    expect(card).toBeDefined();
    return { client, contact, card: card! };
  }

  it('creates the address book, delivers selected CRM contacts with the selected fields only, and a second pass changes nothing', async () => {
    await t.store.users.upsert({ id: 'alice', name: 'Alice', email: 'alice@example.com' });
    await t.store.users.upsert({ id: 'bob', name: 'Bob', email: 'bob@example.com' });
    const account = await t.store.accounts.create({ name: 'Alice Account', owner: 'alice' });
    await t.store.contacts.create({ displayName: 'Owned One', emails: ['one@x.example'], phones: ['+1 555 0100 001'], title: 'Secret title', owner: 'alice' });
    await t.store.contacts.create({ displayName: 'Via Account', emails: ['acct@x.example'], owner: 'bob', accountId: account.id });
    await t.store.contacts.create({ displayName: 'Bobs Own', emails: ['bob@x.example'], owner: 'bob' });
    await t.store.contacts.create({ displayName: 'Inactive', emails: ['off@x.example'], owner: 'alice', active: false });
    const cfg = config({ secureFields: ['phones', 'title'] });
    expect(await syncContacts(t.store, cfg)).toEqual({ changed: 2, itemErrors: 0 });
    const client = await Client.open(settings, book);
    const cards = (await client.cards()).map((c) => parseCard(c.data).fields).sort((a, b) => a.displayName.localeCompare(b.displayName));
    expect(cards.map((c) => c.displayName)).toEqual(['Owned One', 'Via Account']);
    expect(cards[0]).toMatchObject({ emails: ['one@x.example'], phones: [], title: null });
    // The token stored after the bridge's own writes already includes them: the next pass without
    // changes is one REPORT, with no discovery and no listing (the cursor knows the address book);
    // on sabre/dav 1.8 (no sync-collection) one PROPFIND Depth 0 of the ctag (listing-token.ts).
    const realFetch = globalThis.fetch;
    const requests: string[] = [];
    globalThis.fetch = (input, init) => {
      requests.push(`${init?.method ?? 'GET'} ${String(input)}`);
      return realFetch(input, init);
    };
    try {
      expect(await syncContacts(t.store, cfg)).toEqual({ changed: 0, itemErrors: 0 });
    } finally {
      globalThis.fetch = realFetch;
    }
    expect(requests).toEqual([expect.stringMatching(server === 'sabre' ? /^PROPFIND http.*\/$/ : /^REPORT http/)]);
    const status = await t.store.syncStatus.listPair('contacts:alice');
    expect(status).toHaveLength(2);
    expect(status.every((s) => s.origin === 'crm' && s.remote.ref?.endsWith(`${s.identity}.vcf`) && s.pending === null)).toBe(true);
  });

  it('a field made secure after delivery is taken out of the cards the CRM created, once, and kept in the CRM; client cards keep theirs', async () => {
    const { client, contact } = await crmContact();
    const { uid: clientUid } = await clientContactWithTitle(client);
    expect(parseCard((await client.byFn('Rita Record'))[0]!.data).fields).toMatchObject({ title: 'Buyer', phones: ['+49 30 1234567'] });
    const secure = config({ secureFields: ['title', 'phones'] });
    expect(await syncContacts(t.store, secure)).toEqual({ changed: 1, itemErrors: 0 });
    expect(parseCard((await client.byFn('Rita Record'))[0]!.data).fields).toMatchObject({ title: null, phones: [], emails: ['rita@crm.example'], company: 'CRM Corp' });
    // The CRM keeps the values; a card the client made keeps its own title.
    expect(await t.store.contacts.get(contact.id)).toMatchObject({ title: 'Buyer', phones: ['+49 30 1234567'] });
    expect(parseCard((await client.byUid(clientUid))!.data).fields.title).toBe('Client Title');
    expect(await syncContacts(t.store, secure)).toEqual({ changed: 0, itemErrors: 0 });
  });

  /** A card made in the client with a TITLE, imported by a pass. */
  async function clientContactWithTitle(client: Client) {
    const uid = randomUUID();
    await client.create(vcard(uid, 'Tom Title', ['EMAIL;TYPE=INTERNET:tom@client.example', 'TITLE:Client Title']));
    expect(await syncContacts(t.store, config())).toMatchObject({ changed: 1, itemErrors: 0 });
    return { uid };
  }

  it('rule 1: created in the client, edited in the client -> the CRM is updated; edited in the CRM -> the client is updated', async () => {
    const { client, uid, contact } = await clientContact();
    const card = await client.byUid(uid);
    await client.edit(card!, (text) => text.replace('ORG:Client Co', 'ORG:Client Co;Sales\r\nTITLE:Chief Buyer'));
    expect(await syncContacts(t.store, config())).toMatchObject({ changed: 1, itemErrors: 0 });
    expect(await t.store.contacts.get(contact.id)).toMatchObject({ title: 'Chief Buyer', company: 'Client Co' });

    await t.store.contacts.update(contact.id, { phones: ['+49 89 765432'], lastName: 'Clientele' });
    expect(await syncContacts(t.store, config())).toMatchObject({ changed: 1, itemErrors: 0 });
    const after = await client.byUid(uid);
    expect(parseCard(after!.data).fields).toMatchObject({ lastName: 'Clientele', phones: ['+49 89 765432'], title: 'Chief Buyer' });
    expect(after!.data).toMatch(/^ORG:Client Co;Sales\r?$/m);
  });

  it('rule 2: created in the client, deactivated or deleted in the CRM -> stays in the client', async () => {
    const { client, uid, contact } = await clientContact();
    const other = randomUUID();
    await client.create(vcard(other, 'Dora Deleted', ['EMAIL:dora@client.example']));
    await syncContacts(t.store, config());
    const [dora] = (await t.store.contacts.list({ email: 'dora@client.example' }, { limit: 1 })).items;

    await t.store.contacts.update(contact.id, { active: false });
    await t.store.contacts.delete(dora!.id);
    await syncContacts(t.store, config());
    expect(await client.byUid(uid)).toBeDefined();
    expect(await client.byUid(other)).toBeDefined();
    // ... and stays there on later passes, with the CRM contact left as it is.
    await syncContacts(t.store, config());
    expect(await client.byUid(uid)).toBeDefined();
    expect(await t.store.contacts.get(contact.id)).toMatchObject({ active: false });
  });

  it('rule 3: created in the client, deleted in the client -> stays in the CRM', async () => {
    const { client, uid, contact } = await clientContact();
    await client.remove((await client.byUid(uid))!);
    await syncContacts(t.store, config());
    expect(await t.store.contacts.get(contact.id)).toMatchObject({ displayName: 'Carla Client' });
    // Not re-delivered either (the user deleted it), until a reset.
    await syncContacts(t.store, config());
    expect(await client.byUid(uid)).toBeUndefined();
    expect(await t.store.syncStatus.get('contacts:alice', uid)).toMatchObject({ tombstone: true, crm: { ref: contact.id } });
  });

  it('rule 4: created in the CRM, no longer matching the filter -> removed from the client', async () => {
    const { client, contact } = await crmContact();
    await t.store.users.upsert({ id: 'bob', name: 'Bob', email: 'bob@example.com' });
    await t.store.contacts.update(contact.id, { owner: 'bob' });
    expect(await syncContacts(t.store, config())).toMatchObject({ changed: 1, itemErrors: 0 });
    expect(await client.byFn('Rita Record')).toHaveLength(0);
    expect(await t.store.contacts.get(contact.id)).toBeDefined();
    expect(await t.store.syncStatus.findByCrmRef('contacts:alice', contact.id)).toBeUndefined();
    // The card that left the address book is not mistaken for a new client card either.
    expect((await t.store.contacts.list({}, { limit: 10 })).items).toHaveLength(1);
  });

  it('rule 5: created in the client, no longer matching the filter -> stays, and keeps syncing both ways', async () => {
    const { client, uid, contact } = await clientContact();
    await t.store.users.upsert({ id: 'bob', name: 'Bob', email: 'bob@example.com' });
    await t.store.contacts.update(contact.id, { owner: 'bob' });
    await syncContacts(t.store, config());
    expect(await client.byUid(uid)).toBeDefined();
    await t.store.contacts.update(contact.id, { title: 'Moved On' });
    await syncContacts(t.store, config());
    expect(parseCard((await client.byUid(uid))!.data).fields.title).toBe('Moved On');
    const card = await client.byUid(uid);
    await client.edit(card!, (text) => text.replace('EMAIL;TYPE=INTERNET:carla@client.example', 'EMAIL;TYPE=INTERNET:carla@moved.example'));
    await syncContacts(t.store, config());
    expect((await t.store.contacts.get(contact.id))!.emails).toEqual(['carla@moved.example']);
  });

  it('rule 6: created in the CRM, deleted in the client -> stays in the CRM', async () => {
    const { client, contact, card } = await crmContact();
    await client.remove(card);
    await syncContacts(t.store, config());
    expect(await t.store.contacts.get(contact.id)).toMatchObject({ displayName: 'Rita Record', active: true });
    await syncContacts(t.store, config());
    expect(await client.byFn('Rita Record')).toHaveLength(0);
  });

  it('direction crm-to-client: client edits are reverted on the next sync and reported; deletions are restored', async () => {
    const cfg = config({ direction: 'crm-to-client' });
    const { client, contact, card } = await crmContact(cfg);
    await client.edit(card, (text) => text.replace('TITLE:Buyer', 'TITLE:Client title'));
    expect(await syncContacts(t.store, cfg)).toMatchObject({ changed: 1, itemErrors: 1 });
    expect(parseCard((await client.byFn('Rita Record'))[0]!.data).fields.title).toBe('Buyer');
    expect((await t.store.contacts.get(contact.id))!.title).toBe('Buyer');
    expect(await errors()).toContainEqual(expect.stringMatching(/^CONFLICT contact .*Rita Record.*title reverted \(direction crm-to-client\)/));

    await client.remove((await client.byFn('Rita Record'))[0]!);
    await syncContacts(t.store, cfg);
    expect(await client.byFn('Rita Record')).toHaveLength(1);

    // A card created in the client is not imported, and reported.
    await client.create(vcard(randomUUID(), 'Client Only', ['EMAIL:only@client.example']));
    await syncContacts(t.store, cfg);
    expect((await t.store.contacts.list({ email: 'only@client.example' }, { limit: 1 })).items).toHaveLength(0);
    expect(await errors()).toContainEqual(expect.stringMatching(/Client Only.*not imported \(direction crm-to-client\)/));
  });

  it('merges field by field: changes on both sides are kept, a conflict keeps the CRM value and is recorded', async () => {
    const { client, contact, card } = await crmContact();
    await t.store.contacts.update(contact.id, { title: 'Head Buyer', company: 'CRM Corp International' });
    await client.edit(card, (text) => text.replace('TITLE:Buyer', 'TITLE:Client Buyer').replace(/^N:.*$/m, 'N:Recorded;Rita;;;').replace('EMAIL;TYPE=INTERNET:rita@crm.example', 'EMAIL;TYPE=INTERNET:rita@crm.example\r\nEMAIL;TYPE=INTERNET:rita@home.example'));
    const result = await syncContacts(t.store, config());
    expect(result).toMatchObject({ itemErrors: 1 });
    expect(await t.store.contacts.get(contact.id)).toMatchObject({ title: 'Head Buyer', lastName: 'Recorded', company: 'CRM Corp International', emails: ['rita@crm.example', 'rita@home.example'] });
    const fields = parseCard((await client.byFn('Rita Record'))[0]!.data).fields;
    expect(fields).toMatchObject({ title: 'Head Buyer', lastName: 'Recorded', company: 'CRM Corp International' });
    expect(await errors()).toContainEqual(expect.stringMatching(new RegExp(`^CONFLICT contact ${contact.id} "Rita Record": title changed in the CRM and in the client`)));
  });

  it('a client holding old data never overwrites newer CRM data, also when it writes during the sync (412: re-read, merge, retry)', async () => {
    const { client, contact } = await crmContact();
    await t.store.contacts.update(contact.id, { title: 'Newer CRM title' });
    let raced = false;
    const racing = hookedConnector({
      beforePut: async () => {
        if (raced) return;
        raced = true;
        // The client saves its (stale-titled) copy with a new phone number just before our write.
        const current = (await client.byFn('Rita Record'))[0]!;
        await client.edit(current, (text) => text.replace('END:VCARD', 'TEL:+49 40 555555\r\nEND:VCARD'));
      },
    });
    await syncContacts(t.store, config(), racing);
    expect(raced).toBe(true);
    const fields = parseCard((await client.byFn('Rita Record'))[0]!.data).fields;
    expect(fields.title).toBe('Newer CRM title');
    expect(fields.phones).toEqual(expect.arrayContaining(['+49 40 555555']));
    expect((await t.store.contacts.get(contact.id))!.phones).toEqual(['+49 30 1234567', '+49 40 555555']);
  });
});
