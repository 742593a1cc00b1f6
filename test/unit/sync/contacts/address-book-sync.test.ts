import { readFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contactFieldKeys } from '../../../../src/contacts/card-fields.js';
import { BridgeError } from '../../../../src/domain/errors.js';
import { syncAddressBook, type ContactSyncSpec } from '../../../../src/sync/contacts/address-book-sync.js';
import type { AddressBookConnector, AddressBookSession } from '../../../../src/ports/address-book.js';
import type { DavChanges, DavCollection, DavObject } from '../../../../src/ports/dav.js';
import { createTestStore, type TestStore } from '../../../support/memory-store.js';
import { measureStall } from '../../../support/event-loop-stall.js';

const BOOK = 'http://dav.example/alice/crm/';
const fixture = (name: string) => readFileSync(`test/fixtures/vcard/${name}`, 'utf8');

/** An address book in memory with a server that stores whatever it is sent (no validation). */
class MemoryBook implements AddressBookConnector {
  readonly items = new Map<string, { etag: string; data: string }>();
  requests = 0;
  private n = 0;
  connect(): Promise<AddressBookSession> {
    return Promise.resolve(this.session());
  }
  resume(): AddressBookSession {
    return this.session();
  }
  add(name: string, data: string): void {
    this.items.set(BOOK + name, { etag: `"${++this.n}"`, data });
  }
  private session(): AddressBookSession {
    const collection: DavCollection = { href: BOOK, displayName: 'CRM', components: [], kind: 'addressbook', ctag: null, syncToken: null, readOnly: false, color: null };
    const objects = (hrefs?: readonly string[]): DavObject[] => [...this.items].filter(([href]) => !hrefs || hrefs.includes(href)).map(([href, v]) => ({ href, ...v }));
    return {
      principalUrl: 'http://dav.example/alice/',
      addressbookHomeUrl: 'http://dav.example/alice/',
      listAddressBooks: () => Promise.resolve([collection]),
      createAddressBook: () => Promise.resolve(collection),
      changes: (): Promise<DavChanges> => {
        this.requests++;
        return Promise.resolve({ changed: objects(), deleted: [], failed: [], syncToken: null, fullResync: false });
      },
      fetch: (_c, hrefs) => Promise.resolve(objects(hrefs)),
      put: (href, data, etag) => {
        const current = this.items.get(href);
        if ((etag === null && current) || (etag !== null && current?.etag !== etag)) return Promise.reject(new BridgeError('PRECONDITION_FAILED', '412'));
        this.items.set(href, { etag: `"${++this.n}"`, data });
        return Promise.resolve({ etag: `"${this.n}"` });
      },
      remove: (href) => {
        this.items.delete(href);
        return Promise.resolve();
      },
    };
  }
}

let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
  await t.store.users.upsert({ id: 'alice', name: 'Alice', email: 'alice@example.com' });
});
afterEach(async () => t.close());

const spec: ContactSyncSpec = {
  sourceId: 'carddav:alice',
  userId: 'alice',
  server: { url: 'http://dav.example/', username: 'alice', password: 'x' },
  addressBook: 'CRM',
  direction: 'two-way',
  filter: { owned: true, accounts: true, where: [] },
  fields: [...contactFieldKeys],
  phoneRegion: null,
  maxCardBytes: 1024 * 1024,
};
const run = (book: MemoryBook) => syncAddressBook(spec, { store: t.store, connector: book, log: pino({ level: 'silent' }) }, new AbortController().signal);

describe('address book pass over a server that stores anything', () => {
  it('records unparseable cards per item and syncs the others', async () => {
    const book = new MemoryBook();
    book.add('broken.vcf', fixture('broken-unterminated.vcf'));
    book.add('junk.vcf', fixture('not-a-vcard.vcf'));
    book.add('two.vcf', `${fixture('apple-v3.vcf')}${fixture('nextcloud-v4.vcf')}`);
    book.add('good.vcf', fixture('nextcloud-v4.vcf'));
    expect(await run(book)).toEqual({ changed: 1, itemErrors: 3 });
    const errors = (await t.store.syncErrors.recent(10, 'carddav:alice')).map((e) => `${e.code} ${e.itemRef} ${e.message}`);
    expect(errors).toContainEqual(expect.stringMatching(/^INVALID_INPUT .*broken\.vcf .*cannot be parsed/));
    expect(errors).toContainEqual(expect.stringMatching(/^INVALID_INPUT .*junk\.vcf .*cannot be parsed/));
    expect(errors).toContainEqual(expect.stringMatching(/^INVALID_INPUT .*two\.vcf .*holds 2 vCards/));
    expect((await t.store.contacts.list({}, { limit: 10 })).items.map((c) => c.displayName)).toEqual(['Renée Müller']);
    // Nothing was written to the broken resources.
    expect(book.items.get(`${BOOK}broken.vcf`)?.data).toBe(fixture('broken-unterminated.vcf'));
  });

  it('a no-change pass with a stored cursor makes one request (no discovery)', async () => {
    const book = new MemoryBook();
    book.add('good.vcf', fixture('nextcloud-v4.vcf'));
    await run(book);
    book.requests = 0;
    expect(await run(book)).toEqual({ changed: 0, itemErrors: 0 });
    expect(book.requests).toBe(1);
  });

  it('writes new cards in the version the address book holds, also on later passes that read no card', async () => {
    const book = new MemoryBook();
    book.add('v4.vcf', fixture('nextcloud-v4.vcf'));
    await t.store.contacts.create({ displayName: 'First New', emails: ['first@x.example'], owner: 'alice' });
    await run(book);
    const text = (id: string) => [...book.items.values()].find((v) => v.data.includes(id))?.data ?? '';
    expect(text('first@x.example')).toMatch(/^BEGIN:VCARD\r\nVERSION:4\.0\r\n/);
    // The next pass reads no card at all (here: the cards were deleted in the client; on a real
    // server, a pass with nothing changed): the version comes from the cursor.
    book.items.clear();
    await t.store.contacts.create({ displayName: 'Second New', emails: ['second@x.example'], owner: 'alice' });
    await run(book);
    expect(text('second@x.example')).toMatch(/^BEGIN:VCARD\r\nVERSION:4\.0\r\n/);
  });

  it('does not empty the address book when the CRM suddenly selects no contact', async () => {
    const book = new MemoryBook();
    const ids = [];
    for (const n of [1, 2, 3]) ids.push((await t.store.contacts.create({ displayName: `Delivered ${n}`, owner: 'alice' })).id);
    await run(book);
    expect(book.items.size).toBe(3);
    await t.store.users.upsert({ id: 'bob', name: 'Bob', email: 'bob@example.com' });
    for (const id of ids) await t.store.contacts.update(id, { owner: 'bob' });
    expect(await run(book)).toEqual({ changed: 0, itemErrors: 1 });
    expect(book.items.size).toBe(3);
    expect((await t.store.syncErrors.recent(1, 'carddav:alice'))[0]?.message).toMatch(/selects no contact for alice but 3 delivered cards would be removed/);
    // One contact still selected: the others leave as the ownership rules say.
    await t.store.contacts.update(ids[0]!, { owner: 'alice' });
    expect(await run(book)).toMatchObject({ changed: 2 });
    expect(book.items.size).toBe(1);
  });
});

describe('address book pass pacing', () => {
  it('hands the event loop back while it parses a large address book (no stall of the whole book)', async () => {
    // 24 cards of 20,000 short properties each (~0.5 MB, under maxCardBytes): tens of ms to parse
    // one, a second or more for the book. Parsing is synchronous; the pass must yield between cards.
    const book = new MemoryBook();
    const filler = Array.from({ length: 20_000 }, (_, i) => `X-FILLER-${i}:v`).join('\r\n');
    for (let n = 0; n < 24; n++) book.add(`big-${n}.vcf`, `BEGIN:VCARD\r\nVERSION:4.0\r\nUID:big-${n}\r\nFN:Big ${n}\r\nEMAIL:big${n}@x.example\r\n${filler}\r\nEND:VCARD\r\n`);
    const { result, stallMs: longestGap, totalMs: total } = await measureStall(() => run(book));
    expect(result).toMatchObject({ status: 'fulfilled', value: { changed: 24 } });
    // The whole pass took far longer than any one gap: the timer kept running in between.
    expect(total).toBeGreaterThan(longestGap * 3);
  });
});
