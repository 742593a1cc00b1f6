import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { hostileMessage, startHostileImap, type HostileImapServer } from '../../servers/hostile-imap.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';
import { syncSource } from '../../support/mail.js';

/**
 * Defect 6 of issue #12, the server that lies: RFC822.SIZE says 1000 bytes, the body is 20 MB.
 * With mail.maxMessageBytes at 64 KiB the IMAP client buffers at most 17 MiB per literal, so the
 * connection fails instead of taking the message in (imapflow's default would be 1 GiB). The pass
 * fails, its messages get an attempt each, later passes fetch them one by one, and the liar is
 * given up after sync.maxItemAttempts: the mailbox does not stop for good.
 */
let t: TestStore;
let server: HostileImapServer;
beforeEach(async () => {
  t = await createTestStore();
  const liar = { ...hostileMessage(2, { body: 'x'.repeat(20_000_000) }), reportedSize: 1000 };
  server = await startHostileImap({ folders: { INBOX: [hostileMessage(1), liar, hostileMessage(3)] } });
});
afterEach(async () => {
  await server.close();
  await t.close();
});

describe('a server that sends more than the RFC822.SIZE it announced (hostile IMAP server)', () => {
  it('never buffers past the cap; the message is given up and the rest imported', async () => {
    const config = configSchema.parse({
      mail: { maxMessageBytes: 65_536 },
      sync: { maxItemAttempts: 2 },
      sharedMailboxes: [{ id: 'support', address: 'support@example.com', imap: { host: server.host, port: server.port, security: 'none', username: 'support@example.com', password: 'secret' } }],
    });
    const outcomes: string[] = [];
    for (let pass = 0; pass < 4; pass += 1) {
      outcomes.push(
        await syncSource(t.store, config, 'shared-mailbox:support').then(
          () => 'ok',
          (error: { code?: string }) => error.code ?? 'error',
        ),
      );
    }
    expect(outcomes).toEqual(['PAYLOAD_TOO_LARGE', 'PAYLOAD_TOO_LARGE', 'ok', 'ok']);
    expect((await t.store.activities.list({}, { limit: 10 })).items.map((activity) => activity.subject).sort()).toEqual(['Message 1', 'Message 3']);
    const errors = await t.store.syncErrors.recent(50, 'shared-mailbox:support');
    expect(errors.some((error) => error.itemRef === 'INBOX;UIDVALIDITY=1;UID=2' && error.code === 'PAYLOAD_TOO_LARGE' && /given up after 2 attempts/.test(error.message))).toBe(true);
  });
});
