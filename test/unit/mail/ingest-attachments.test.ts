import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestMessage, prepareIngest, writeIngest, type IngestOptions, type PreparedIngest } from '../../../src/mail/ingest-message.js';
import { messageKey } from '../../../src/domain/message-id.js';
import { parseMessage } from '../../../src/mail/parse-message.js';
import { StoreDirectory } from '../../../src/store/party-directory.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';

let t: TestStore;
beforeEach(async () => {
  t = await createTestStore({ maxAttachmentBytes: 1024 * 1024 });
});
afterEach(async () => t.close());

function withAttachment(n: number): Buffer {
  const body = Buffer.from(`attachment number ${n} `.repeat(200)).toString('base64').replace(/.{76}/g, '$&\r\n');
  return Buffer.from(
    [
      'From: Ann Buyer <ann@example.org>',
      'To: sales@example.com',
      `Subject: Order ${n}`,
      `Message-ID: <order-${n}@example.org>`,
      'Date: Mon, 23 Nov 2026 10:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: multipart/mixed; boundary="b"',
      '',
      '--b',
      'Content-Type: text/plain; charset=utf-8',
      '',
      `Please find order ${n} attached.`,
      '--b',
      `Content-Type: application/pdf; name="order-${n}.pdf"`,
      'Content-Transfer-Encoding: base64',
      `Content-Disposition: attachment; filename="order-${n}.pdf"`,
      '',
      body,
      '--b--',
      '',
    ].join('\r\n'),
  );
}

function options(ref: string): IngestOptions {
  return {
    correlation: { domain: null, messageIdKey: 'k'.repeat(32), token: { enabled: false, prefix: 'CRM' }, smart: { enabled: false, minParticipants: 2, windowDays: 30 } },
    source: { sourceId: 'shared-mailbox:sales', ref },
    owner: null,
    kind: 'email_in',
    queue: 'sales',
    regarding: null,
    createLeadForUnknownSender: false,
    createContacts: false,
  };
}

describe('attachments of imported mail', () => {
  it('are written while a batch is prepared, and every attachment row of the batch names a file that exists', async () => {
    const directory = new StoreDirectory(t.store, []);
    // As an import does: every message of the batch prepared first (the writes overlap), then one transaction.
    const prepared: PreparedIngest[] = [];
    for (let n = 1; n <= 20; n += 1) prepared.push(await prepareIngest(t.store, directory, await parseMessage(withAttachment(n)), options(`INBOX/1/${n}`), true));
    await t.store.atomically(async (tx) => {
      for (const item of prepared) expect((await writeIngest(tx, directory, item)).created).toBe(true);
    });
    for (let n = 1; n <= 20; n += 1) {
      const [activity] = await t.store.activities.findByMessageKey(messageKey(`<order-${n}@example.org>`));
      expect(activity?.attachments).toHaveLength(1);
      const attachment = activity!.attachments[0]!;
      expect(attachment).toMatchObject({ filename: `order-${n}.pdf`, stored: true });
      expect((await t.store.blobs.read(attachment.sha256)).toString()).toBe(`attachment number ${n} `.repeat(200));
    }
  });

  it('that cannot be written fail their message before any row refers to them', async () => {
    const directory = new StoreDirectory(t.store, []);
    rmSync(join(t.dir, 'blobs'), { recursive: true, force: true });
    writeFileSync(join(t.dir, 'blobs'), 'a file where the attachment folder should be');
    await expect(ingestMessage(t.store, directory, await parseMessage(withAttachment(1)), options('INBOX/1/1'))).rejects.toMatchObject({ code: expect.stringMatching(/^(ENOTDIR|EEXIST)$/) });
    expect(await t.store.activities.findByMessageKey(messageKey('<order-1@example.org>'))).toEqual([]);
    // Prepared but never written (its batch failed elsewhere): the failed write is not an unhandled rejection.
    await prepareIngest(t.store, directory, await parseMessage(withAttachment(2)), options('INBOX/1/2'), true);
    await new Promise((resolve) => setTimeout(resolve, 50));
  });
});
