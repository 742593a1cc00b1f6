// Contact sync against real CardDAV servers: first-sync duplicate matching, reset, vCard versions
// and round trips, bad input, crash-safe creates and the empty-address-book rail. Every test runs
// against Radicale and Xandikos.

import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { parseCard } from '../../../src/contacts/vcard.js';
import { bridgeUid } from '../../../src/sync/contacts/address-book-sync.js';
import { resetUserSync } from '../../../src/sync/reset-user-sync.js';
import type { DavServerSettings } from '../../../src/ports/dav.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';
import { Client, contactsConfig, davAccount, hookedConnector, serverNames, syncContacts, uniqueBookName, vcard } from './support.js';

const servers = inject('servers');
const fixture = (name: string) => readFileSync(`test/fixtures/vcard/${name}`, 'utf8');
let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());

describe.each(serverNames)('contact sync on %s', (server) => {
  let settings: DavServerSettings;
  let book: string;
  const config = (contacts: Record<string, unknown> = {}) => contactsConfig(settings, { addressBook: book, phoneRegion: 'DE', ...contacts });
  const errors = async () => (await t.store.syncErrors.recent(50, 'carddav:alice')).map((e) => `${e.code} ${e.message}`);
  const allContacts = async () => (await t.store.contacts.list({}, { limit: 100 })).items;

  beforeEach(async () => {
    settings = await davAccount(servers, server);
    book = uniqueBookName();
    await t.store.users.upsert({ id: 'alice', name: 'Alice', email: 'alice@example.com' });
  });

  async function emptyBook(): Promise<Client> {
    await syncContacts(t.store, config());
    return Client.open(settings, book);
  }

  it('first sync links existing cards by e-mail, then E.164 phone, then name + company, and reports ambiguous ones without merging', async () => {
    // The address book exists before the bridge syncs it (the user's existing contacts).
    const client = await emptyBook();
    await t.store.syncCursors.remove('contacts:alice', 'addressbook');
    const byEmail = await t.store.contacts.create({ displayName: 'Erik Email', emails: ['erik@match.example'], owner: 'alice' });
    const byPhone = await t.store.contacts.create({ displayName: 'Paula Phone', phones: ['+49 30 5550001'], owner: 'alice' });
    const byName = await t.store.contacts.create({ firstName: 'Nora', lastName: 'Name', company: 'Acme GmbH', owner: 'alice' });
    await t.store.contacts.create({ displayName: 'Twin One', emails: ['twins@match.example'], owner: 'alice' });
    await t.store.contacts.create({ displayName: 'Twin Two', emails: ['twins@match.example'], owner: 'alice' });
    await client.create(vcard(randomUUID(), 'E. Email', ['EMAIL;TYPE=INTERNET:ERIK@match.example', 'TITLE:Engineer']));
    await client.create(vcard(randomUUID(), 'P. Phone', ['TEL;TYPE=CELL:030 555-0001']));
    await client.create(vcard(randomUUID(), 'Nora Name', ['ORG:acme gmbh']));
    await client.create(vcard(randomUUID(), 'Twins', ['EMAIL:twins@match.example']));

    const result = await syncContacts(t.store, config());
    expect(result.itemErrors).toBe(1);
    expect(await errors()).toContainEqual(expect.stringMatching(/^CONFLICT card "Twins" .* matches 2 CRM contacts by email .*not linked and not imported/));
    // Linked, not duplicated: the CRM keeps its 5 contacts, with what the cards added.
    expect(await allContacts()).toHaveLength(5);
    expect(await t.store.contacts.get(byEmail.id)).toMatchObject({ title: 'Engineer', displayName: 'Erik Email' });
    for (const contact of [byEmail, byPhone, byName]) {
      expect(await t.store.syncStatus.findByCrmRef('contacts:alice', contact.id), contact.displayName).toMatchObject({ origin: 'remote', pending: null });
    }
    const names = (await client.cards()).map((c) => parseCard(c.data).fields.displayName).sort();
    // The matched cards took the CRM's display names; the twins were delivered as CRM contacts next to the ambiguous card.
    expect(names).toEqual(['Erik Email', 'Nora Name', 'Paula Phone', 'Twin One', 'Twin Two', 'Twins']);
  });

  it('links a card to a CRM contact of another owner with its e-mail address instead of importing it again', async () => {
    await t.store.users.upsert({ id: 'bob', name: 'Bob', email: 'bob@example.com' });
    const bobs = await t.store.contacts.create({ displayName: 'Shared Person', emails: ['shared@x.example'], owner: 'bob' });
    const client = await emptyBook();
    const uid = randomUUID();
    await client.create(vcard(uid, 'Shared P.', ['EMAIL:Shared@x.example', 'TITLE:Partner']));
    await syncContacts(t.store, config());
    expect(await t.store.syncStatus.get('contacts:alice', uid)).toMatchObject({ crm: { ref: bobs.id }, origin: 'remote' });
    expect(await t.store.contacts.get(bobs.id)).toMatchObject({ owner: 'bob', title: 'Partner' });
    expect((await allContacts()).map((c) => c.displayName)).toEqual(['Shared Person']);
  });

  it('reset re-delivers a contact deleted in the client by mistake, and a whole reset duplicates nothing', async () => {
    const contact = await t.store.contacts.create({ displayName: 'Mistaken Deletion', emails: ['oops@x.example'], owner: 'alice' });
    const kept = await t.store.contacts.create({ displayName: 'Still There', emails: ['kept@x.example'], owner: 'alice' });
    await syncContacts(t.store, config());
    const client = await Client.open(settings, book);
    const imported = randomUUID();
    await client.create(vcard(imported, 'From Client', []));
    await syncContacts(t.store, config());
    await client.remove((await client.byUid(bridgeUid(contact.id)))!);
    await client.remove((await client.byUid(imported))!);
    await syncContacts(t.store, config());
    expect(await client.byUid(bridgeUid(contact.id))).toBeUndefined();

    expect(await resetUserSync(t.store, 'alice', 'contacts', contact.id)).toEqual({ mappings: 1, cursors: 0 });
    await syncContacts(t.store, config());
    expect(parseCard((await client.byUid(bridgeUid(contact.id)))!.data).fields.displayName).toBe('Mistaken Deletion');

    expect(await resetUserSync(t.store, 'alice', 'contacts')).toEqual({ mappings: 3, cursors: 1 });
    expect(await syncContacts(t.store, config())).toMatchObject({ itemErrors: 0 });
    const cards = await client.cards();
    expect(cards.map((c) => parseCard(c.data).uid).sort()).toEqual([bridgeUid(contact.id), bridgeUid(kept.id), imported].sort());
    expect(await allContacts()).toHaveLength(3);
    expect(await syncContacts(t.store, config())).toEqual({ changed: 0, itemErrors: 0 });
  });

  it('keeps vCard 3.0 and 4.0 in their version and round-trips unknown properties and groups', async () => {
    const client = await emptyBook();
    const apple = fixture('apple-v3.vcf');
    const v4 = fixture('nextcloud-v4.vcf');
    await client.create(apple);
    await client.create(v4);
    await syncContacts(t.store, config());
    const [johnny] = (await t.store.contacts.list({ email: 'johnny@orchard.example' }, { limit: 1 })).items;
    const [renee] = (await t.store.contacts.list({ email: 'renee@firma.example' }, { limit: 1 })).items;
    await t.store.contacts.update(johnny!.id, { title: 'Head Planter' });
    await t.store.contacts.update(renee!.id, { title: 'Geschäftsführerin' });
    expect(await syncContacts(t.store, config())).toMatchObject({ changed: 2, itemErrors: 0 });
    // Unfolded: Cyrus stores the card re-serialized (folded at 75 octets, group names upper-cased,
    // a multi-valued TYPE as repeated parameters), which says the same (RFC 6350 §3.2, §5).
    const outApple = (await client.byUid('apple-3f1c2d9e-0001'))!.data.replace(/\r?\n[ \t]/g, '');
    expect(outApple).toMatch(/^VERSION:3\.0\r?$/m);
    expect(outApple).toMatch(/^TITLE:Head Planter\r?$/m);
    expect(outApple).toMatch(/^item2\.ADR;TYPE=HOME(,|;TYPE=)pref:;;1 Orchard Lane;Cupertino;CA;95014;United States\r?$/im);
    expect(outApple).toMatch(/^item2\.X-ABADR:us\r?$/im);
    expect(outApple).toMatch(/^item1\.X-ABLabel:_\$!<Other>!\$_\r?$/im);
    expect(outApple).toMatch(/^X-SOCIALPROFILE;TYPE=twitter:x-apple:johnnyapple\r?$/im);
    expect(outApple).toMatch(/^NOTE:Likes apples\\, pears and plums\r?$/m);
    const outV4 = (await client.byUid('urn:uuid:4fbe8971-0bc3-424c-9c26-36c3e1eff6b1'))!.data.replace(/\r?\n[ \t]/g, '');
    if (server === 'cyrus') {
      // Cyrus 3.6 stores every card as vCard 3.0: it converted the 4.0 card (KIND becomes the
      // CalendarServer X-ADDRESSBOOKSERVER-KIND), also the one the bridge wrote back.
      expect(outV4).toMatch(/^VERSION:3\.0\r?$/m);
      expect(outV4).toMatch(/^X-ADDRESSBOOKSERVER-KIND:individual\r?$/m);
    } else {
      expect(outV4).toMatch(/^VERSION:4\.0\r?$/m);
      expect(outV4).toMatch(/^KIND:individual\r?$/m);
    }
    expect(outV4).toMatch(/^TITLE:Geschäftsführerin\r?$/m);
    expect(outV4).toMatch(/^X-CUSTOM;X-PARAM=a:keep me\r?$/m);
  });

  it('records broken cards, missing UID or FN, huge photos and duplicate UIDs per item and syncs the rest', async () => {
    const client = await emptyBook();
    // Radicale 3.1 refuses a second resource with the UID of another (HTTP 400/409); such cards
    // still reach address books (other servers, file copies), so on Radicale it is put into its
    // storage directly. Xandikos, sabre/dav 1.8 and Cyrus store it; Xandikos and sabre/dav also
    // store cards without FN or UID, which Radicale and Cyrus refuse.
    const lenient = server === 'xandikos' || server === 'sabre';
    const plant = async (text: string, name: string) => {
      if (lenient || server === 'cyrus') return void (await client.create(text, name));
      await expect(client.create(text, name)).rejects.toMatchObject({ code: expect.stringMatching(/^(INVALID_INPUT|CONFLICT)$/) });
      await writeFile(join(servers.radicale.dataDir, 'collections', 'collection-root', decodeURIComponent(new URL(client.book.href).pathname), name), text);
    };
    const photo = 'A'.repeat(1_400_000).replace(/(.{74})/g, '$1\r\n ');
    await client.create(vcard(randomUUID(), 'Huge Photo', [`PHOTO;ENCODING=b;TYPE=JPEG:${photo.trimEnd()}`]));
    const dup = randomUUID();
    await client.create(vcard(dup, 'Dup First', ['EMAIL:dup1@x.example']), 'a-first.vcf');
    await plant(vcard(dup, 'Dup Second', ['EMAIL:dup2@x.example']), 'b-second.vcf');
    await client.create(vcard(randomUUID(), 'Good Card', ['EMAIL:good@x.example']));
    if (lenient) {
      await client.create(fixture('no-fn.vcf'), 'no-fn.vcf');
      await client.create(fixture('no-uid.vcf'), 'no-uid.vcf');
    } else {
      // Radicale 3.1 and Cyrus refuse cards without UID or FN (on Radicale a stored one makes every
      // REPORT on the collection fail with 500), so no address book on them can hold one.
      await expect(client.create(fixture('no-fn.vcf'), 'no-fn.vcf')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
      await expect(client.create(fixture('no-uid.vcf'), 'no-uid.vcf')).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    }
    const result = await syncContacts(t.store, config());
    // sabre/dav 1.8 gives a card without UID one of its own when storing it (its vCard
    // validation), so that card syncs there.
    const uidAdded = server === 'sabre';
    expect(result.itemErrors).toBe(server === 'xandikos' ? 4 : uidAdded ? 3 : 2);
    const recorded = await errors();
    if (lenient) {
      if (!uidAdded) expect(recorded).toContainEqual(expect.stringMatching(/^INVALID_INPUT .*no UID/));
      expect(recorded).toContainEqual(expect.stringMatching(/^INVALID_INPUT .*no FN/));
    }
    expect(recorded).toContainEqual(expect.stringMatching(/^PAYLOAD_TOO_LARGE vCard .* bytes \(limit 1048576/));
    expect(recorded).toContainEqual(expect.stringMatching(new RegExp(`^CONFLICT vCard .* has the UID ${dup} of .* \\(duplicate UID\\)`)));
    const names = (await allContacts()).map((c) => c.displayName).sort();
    expect(names).toHaveLength(uidAdded ? 3 : 2);
    expect(names).toContain('Good Card');
    if (uidAdded) expect(names).toContain('No Uid');
    expect(names.some((n) => n.startsWith('Dup '))).toBe(true);
  });

  it('a crash between PUT and bookkeeping duplicates nothing: the next pass adopts the card', async () => {
    const contact = await t.store.contacts.create({ displayName: 'Crash Test', emails: ['crash@x.example'], owner: 'alice' });
    const crashing = hookedConnector({
      afterPut: () => Promise.reject(new Error('killed after PUT')),
    });
    const first = await syncContacts(t.store, config(), crashing);
    expect(first.itemErrors).toBe(1);
    expect(await t.store.syncStatus.findByCrmRef('contacts:alice', contact.id)).toMatchObject({ pending: 'create', identity: bridgeUid(contact.id) });
    expect(await syncContacts(t.store, config())).toMatchObject({ itemErrors: 0 });
    const client = await Client.open(settings, book);
    expect(await client.byFn('Crash Test')).toHaveLength(1);
    expect(await t.store.syncStatus.findByCrmRef('contacts:alice', contact.id)).toMatchObject({ pending: null });
    expect(await allContacts()).toHaveLength(1);
  });

  it('does not believe an address book that suddenly looks empty', async () => {
    for (const n of [1, 2, 3]) await t.store.contacts.create({ displayName: `Kept ${n}`, emails: [`kept${n}@x.example`], owner: 'alice' });
    await syncContacts(t.store, config());
    const client = await Client.open(settings, book);
    for (const card of await client.cards()) await client.remove(card);
    // The server lost its state (the sync token is gone too): the pass sees an empty listing.
    await t.store.syncCursors.remove('contacts:alice', 'addressbook');
    const result = await syncContacts(t.store, config());
    expect(result).toMatchObject({ changed: 0, itemErrors: 1 });
    expect(await errors()).toContainEqual(expect.stringMatching(/looks empty but 3 synced cards were in it/));
    expect((await t.store.syncStatus.listPair('contacts:alice')).filter((s) => s.tombstone)).toHaveLength(0);
    expect(await allContacts()).toHaveLength(3);
  });
});
