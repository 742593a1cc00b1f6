import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contactFieldKeys } from '../../../../src/contacts/card-fields.js';
import { syncAddressBook, type ContactSyncSpec } from '../../../../src/sync/contacts/address-book-sync.js';
import { createTestStore, type TestStore } from '../../../support/memory-store.js';
import { measureStall } from '../../../support/event-loop-stall.js';
import { MemoryDav } from '../../../support/memory-dav.js';

const BOOK = 'https://dav.test/alice/contacts/crm/';
const fixture = (name: string) => readFileSync(`test/fixtures/vcard/${name}`, 'utf8');

/** The shared in-memory server (it stores whatever it is sent, no validation) with the CRM address book. */
function memoryBook(): MemoryDav {
  const dav = new MemoryDav();
  dav.createAddressBook('CRM');
  return dav;
}
const add = (book: MemoryDav, name: string, data: string) => book.write(BOOK + name, data);
const cards = (book: MemoryDav) => book.objects(BOOK);

let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
  await t.store.users.upsert({ id: 'alice', name: 'Alice', email: 'alice@example.com' });
});
afterEach(async () => t.close());

const spec: ContactSyncSpec = {
  sourceId: 'carddav:alice',
  userId: 'alice',
  server: { url: 'https://dav.test/', username: 'alice', password: 'x' },
  addressBook: 'CRM',
  direction: 'two-way',
  filter: { owned: true, accounts: true, where: [] },
  fields: [...contactFieldKeys],
  phoneRegion: null,
  maxCardBytes: 1024 * 1024,
};
const run = (book: MemoryDav) => syncAddressBook(spec, { store: t.store, connector: book, log: pino({ level: 'silent' }) }, new AbortController().signal);

describe('address book pass over a server that stores anything', () => {
  it('records unparseable cards per item and syncs the others', async () => {
    const book = memoryBook();
    add(book, 'broken.vcf', fixture('broken-unterminated.vcf'));
    add(book, 'junk.vcf', fixture('not-a-vcard.vcf'));
    add(book, 'two.vcf', `${fixture('apple-v3.vcf')}${fixture('nextcloud-v4.vcf')}`);
    add(book, 'good.vcf', fixture('nextcloud-v4.vcf'));
    expect(await run(book)).toEqual({ changed: 1, itemErrors: 3 });
    const errors = (await t.store.syncErrors.recent(10, 'carddav:alice')).map((e) => `${e.code} ${e.itemRef} ${e.message}`);
    expect(errors).toContainEqual(expect.stringMatching(/^INVALID_INPUT .*broken\.vcf .*cannot be parsed/));
    expect(errors).toContainEqual(expect.stringMatching(/^INVALID_INPUT .*junk\.vcf .*cannot be parsed/));
    expect(errors).toContainEqual(expect.stringMatching(/^INVALID_INPUT .*two\.vcf .*holds 2 vCards/));
    expect((await t.store.contacts.list({}, { limit: 10 })).items.map((c) => c.displayName)).toEqual(['Renée Müller']);
    // Nothing was written to the broken resources.
    expect(book.object(`${BOOK}broken.vcf`)?.data).toBe(fixture('broken-unterminated.vcf'));
  });

  it('a no-change pass with a stored cursor makes one request (no discovery)', async () => {
    const book = memoryBook();
    add(book, 'good.vcf', fixture('nextcloud-v4.vcf'));
    await run(book);
    book.requests = 0;
    expect(await run(book)).toEqual({ changed: 0, itemErrors: 0 });
    expect(book.requests).toBe(1);
  });

  it('writes new cards in the version the address book holds, also on later passes that read no card', async () => {
    const book = memoryBook();
    add(book, 'v4.vcf', fixture('nextcloud-v4.vcf'));
    await t.store.contacts.create({ displayName: 'First New', emails: ['first@x.example'], owner: 'alice' });
    await run(book);
    const text = (id: string) => cards(book).find((v) => v.data.includes(id))?.data ?? '';
    expect(text('first@x.example')).toMatch(/^BEGIN:VCARD\r\nVERSION:4\.0\r\n/);
    // The next pass reads no card at all (here: the cards were deleted in the client; on a real
    // server, a pass with nothing changed): the version comes from the cursor.
    for (const card of cards(book)) book.delete(card.href);
    await t.store.contacts.create({ displayName: 'Second New', emails: ['second@x.example'], owner: 'alice' });
    await run(book);
    expect(text('second@x.example')).toMatch(/^BEGIN:VCARD\r\nVERSION:4\.0\r\n/);
  });

  it('does not empty the address book when the CRM suddenly selects no contact', async () => {
    const book = memoryBook();
    const ids = [];
    for (const n of [1, 2, 3]) ids.push((await t.store.contacts.create({ displayName: `Delivered ${n}`, owner: 'alice' })).id);
    await run(book);
    expect(cards(book).length).toBe(3);
    await t.store.users.upsert({ id: 'bob', name: 'Bob', email: 'bob@example.com' });
    for (const id of ids) await t.store.contacts.update(id, { owner: 'bob' });
    expect(await run(book)).toEqual({ changed: 0, itemErrors: 1 });
    expect(cards(book).length).toBe(3);
    expect((await t.store.syncErrors.recent(1, 'carddav:alice'))[0]?.message).toMatch(/selects no contact for alice but 3 delivered cards would be removed/);
    // One contact still selected: the others leave as the ownership rules say.
    await t.store.contacts.update(ids[0]!, { owner: 'alice' });
    expect(await run(book)).toMatchObject({ changed: 2 });
    expect(cards(book).length).toBe(1);
  });
});

describe('address book pass pacing', () => {
  it('hands the event loop back while it parses a large address book (no stall of the whole book)', async () => {
    // 24 cards of 20,000 short properties each (~0.5 MB, under maxCardBytes): tens of ms to parse
    // one, a second or more for the book. Parsing is synchronous; the pass must yield between cards.
    const book = memoryBook();
    const filler = Array.from({ length: 20_000 }, (_, i) => `X-FILLER-${i}:v`).join('\r\n');
    for (let n = 0; n < 24; n++) add(book, `big-${n}.vcf`, `BEGIN:VCARD\r\nVERSION:4.0\r\nUID:big-${n}\r\nFN:Big ${n}\r\nEMAIL:big${n}@x.example\r\n${filler}\r\nEND:VCARD\r\n`);
    const { result, stallMs: longestGap, totalMs: total } = await measureStall(() => run(book));
    expect(result).toMatchObject({ status: 'fulfilled', value: { changed: 24 } });
    // The whole pass took far longer than any one gap: the timer kept running in between.
    expect(total).toBeGreaterThan(longestGap * 3);
  });
});

describe('address book pass on a server that forgets cards created and deleted after a token (Xandikos)', () => {
  it('sees the deletion of a card it created while the client edited another one during the pass', async () => {
    const book = memoryBook();
    book.forgetsCreatedThenDeleted = true;
    add(book, 'client.vcf', 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:client-1\r\nFN:Client Card\r\nEMAIL:client@x.example\r\nEND:VCARD\r\n');
    await run(book);
    const contact = await t.store.contacts.create({ displayName: 'Delivered Now', emails: ['now@x.example'], owner: 'alice' });
    // The client edits its own card while the pass writes the new one.
    book.beforeBridgeWrite.push(() => void book.write(`${BOOK}client.vcf`, book.object(`${BOOK}client.vcf`)!.data.replace('FN:Client Card', 'FN:Client Edited')));
    await run(book);
    // Then the client deletes the card the bridge created: the next pass must see it.
    const delivered = cards(book).find((c) => c.data.includes('now@x.example'))!;
    book.delete(delivered.href);
    await run(book);
    expect((await t.store.contacts.list({ owner: 'alice' }, { limit: 10 })).items.map((c) => c.displayName).sort()).toEqual(['Client Edited', 'Delivered Now']);
    expect(await t.store.syncStatus.findByCrmRef('contacts:alice', contact.id)).toMatchObject({ tombstone: true, remote: { ref: null } });
    expect(await run(book)).toEqual({ changed: 0, itemErrors: 0 });
  });

  it('sees the deletion of a card it created that the client deleted during the same pass', async () => {
    const book = memoryBook();
    book.forgetsCreatedThenDeleted = true;
    add(book, 'client.vcf', 'BEGIN:VCARD\r\nVERSION:3.0\r\nUID:client-1\r\nFN:Client Card\r\nEMAIL:client@x.example\r\nEND:VCARD\r\n');
    await run(book);
    const first = await t.store.contacts.create({ displayName: 'First', emails: ['first@x.example'], owner: 'alice' });
    await t.store.contacts.create({ displayName: 'Second', emails: ['second@x.example'], owner: 'alice' });
    // Right before the second PUT, the client deletes the card of the first one.
    book.beforeBridgeWrite.push(() => undefined);
    book.beforeBridgeWrite.push(() => {
      const card = cards(book).find((c) => c.data.includes('first@x.example'));
      if (card) book.delete(card.href);
    });
    await run(book);
    expect(await t.store.syncStatus.findByCrmRef('contacts:alice', first.id)).toMatchObject({ tombstone: true, remote: { ref: null } });
    expect(await run(book)).toEqual({ changed: 0, itemErrors: 0 });
  });
});

describe('address book pass after a pass that did not finish, on a server that forgets (Xandikos)', () => {
  it('sees the deletion of a card that the unfinished pass created', async () => {
    const book = memoryBook();
    book.forgetsCreatedThenDeleted = true;
    await t.store.contacts.create({ displayName: 'Anchor', emails: ['anchor@x.example'], owner: 'alice' });
    await run(book);
    const first = await t.store.contacts.create({ displayName: 'First', emails: ['first@x.example'], owner: 'alice' });
    await t.store.contacts.create({ displayName: 'Second', emails: ['second@x.example'], owner: 'alice' });
    // The first PUT is answered; the second is stored but its answer is lost: the pass ends there.
    const draws = [0.9, 0.1];
    book.random = () => draws.shift() ?? 0.9;
    book.lostAnswers = 0.5;
    await expect(run(book)).rejects.toMatchObject({ code: 'TEMPORARY' });
    book.lostAnswers = 0;
    const delivered = cards(book).find((c) => c.data.includes('first@x.example'))!;
    book.delete(delivered.href);
    await run(book);
    expect(await t.store.syncStatus.findByCrmRef('contacts:alice', first.id)).toMatchObject({ tombstone: true, remote: { ref: null } });
    expect(await run(book)).toEqual({ changed: 0, itemErrors: 0 });
  });
});
