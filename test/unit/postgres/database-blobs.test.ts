// attachments.store: database (issue 14): attachment content and outgoing mail as content-addressed
// rows in PostgreSQL, for bridge processes on several machines that share no folder.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { messageKey } from '../../../src/domain/message-id.js';
import { prepareIngest, writeIngest, type IngestOptions } from '../../../src/mail/ingest-message.js';
import { parseMessage } from '../../../src/mail/parse-message.js';
import { DatabaseBlobStore } from '../../../src/store/database-blob-store.js';
import { openDatabase, type OpenDatabase } from '../../../src/store/database.js';
import { StoreDirectory } from '../../../src/store/party-directory.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';

let t: TestStore;
beforeEach(async () => {
  t = await createTestStore({ attachments: 'database', maxAttachmentBytes: 4 * 1024 * 1024 });
});
afterEach(async () => t.close());

async function count(table: 'blobs' | 'blob_chunks'): Promise<number> {
  const row = await t.store.db.selectFrom(table).select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
  return Number(row.n);
}

describe('attachments in PostgreSQL', () => {
  it('stores content once under its hash, in chunks of 1 MiB, and reads it back whole', async () => {
    const large = randomBytes(2.5 * 1024 * 1024);
    const stored = await t.store.blobs.put(large);
    expect(stored).toMatchObject({ size: large.length, stored: true });
    expect(await count('blob_chunks')).toBe(3);
    expect((await t.store.blobs.read(stored.sha256)).equals(large)).toBe(true);
    // The same content again (another message with the same attachment): nothing new.
    expect(await t.store.blobs.put(Buffer.from(large))).toEqual(stored);
    expect([await count('blobs'), await count('blob_chunks')]).toEqual([1, 3]);
    // Empty content is a blob too.
    const empty = await t.store.blobs.put(Buffer.alloc(0));
    expect((await t.store.blobs.read(empty.sha256)).length).toBe(0);
    expect(await t.store.blobs.has(empty.sha256)).toBe(true);
  });

  it('keeps only hash and size over attachments.maxBytes, unless forced (outgoing mail), and names a missing hash', async () => {
    const over = randomBytes(4 * 1024 * 1024 + 1);
    const skipped = await t.store.blobs.put(over);
    expect(skipped.stored).toBe(false);
    expect(await t.store.blobs.has(skipped.sha256)).toBe(false);
    await expect(t.store.blobs.read(skipped.sha256)).rejects.toMatchObject({ code: 'NOT_FOUND', message: expect.stringContaining(skipped.sha256) });
    expect((await t.store.blobs.put(over, { force: true })).stored).toBe(true);
    expect((await t.store.blobs.read(skipped.sha256)).equals(over)).toBe(true);
  });

  it('two processes storing the same content at once store it once', async () => {
    const others: OpenDatabase[] = [openDatabase(t.url), openDatabase(t.url)];
    try {
      const content = randomBytes(1.5 * 1024 * 1024);
      const stores = [t.store.blobs, ...others.map((other) => new DatabaseBlobStore(other.db, 4 * 1024 * 1024))];
      const results = await Promise.all(stores.flatMap((store) => [store.put(content), store.put(content)]));
      expect(new Set(results.map((result) => result.sha256)).size).toBe(1);
      expect([await count('blobs'), await count('blob_chunks')]).toEqual([1, 2]);
      expect((await stores[2]!.read(results[0]!.sha256)).equals(content)).toBe(true);
    } finally {
      for (const other of others) await other.close();
    }
  });

  it('an imported message’s attachment lands in the database and its row names it', async () => {
    const source = Buffer.from(
      [
        'From: Ann Buyer <ann@example.org>',
        'To: sales@example.com',
        'Subject: Order',
        'Message-ID: <order-db@example.org>',
        'MIME-Version: 1.0',
        'Content-Type: multipart/mixed; boundary="b"',
        '',
        '--b',
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Order attached.',
        '--b',
        'Content-Type: application/pdf; name="order.pdf"',
        'Content-Transfer-Encoding: base64',
        'Content-Disposition: attachment; filename="order.pdf"',
        '',
        Buffer.from('%PDF-1.4 order').toString('base64'),
        '--b--',
        '',
      ].join('\r\n'),
    );
    const options: IngestOptions = {
      correlation: { domain: null, messageIdKey: 'k'.repeat(32), token: { enabled: false, prefix: 'CRM' }, smart: { enabled: false, minParticipants: 2, windowDays: 30 } },
      source: { sourceId: 'shared-mailbox:sales', ref: 'INBOX/1/1' },
      owner: null,
      kind: 'email_in',
      queue: 'sales',
      regarding: null,
      createLeadForUnknownSender: false,
      createContacts: false,
    };
    const directory = new StoreDirectory(t.store, []);
    const prepared = await prepareIngest(t.store, directory, await parseMessage(source), options, true);
    await t.store.atomically((tx) => writeIngest(tx, directory, prepared));
    const [activity] = await t.store.activities.findByMessageKey(messageKey('<order-db@example.org>'));
    const attachment = activity!.attachments[0]!;
    expect(attachment).toMatchObject({ filename: 'order.pdf', stored: true });
    expect((await t.store.blobs.read(attachment.sha256)).toString()).toBe('%PDF-1.4 order');
  });
});
