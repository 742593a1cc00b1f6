import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { createRunners } from '../../../src/runtime/runners.js';
import { runSyncPass } from '../../../src/sync/run-once.js';
import { sourcesOf } from '../../../src/sync/sources.js';
import { createMailUsers } from '../../servers/users.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';
import { buildMessage, imapClient, mailConfig, newMessageId, syncSource } from '../../support/mail.js';

const servers = inject('servers');
const log = pino({ level: 'silent' });
let t: TestStore;
beforeEach(async () => {
  t = await createTestStore({ maxAttachmentBytes: 1024 * 1024 });
});
afterEach(async () => t.close());

const crlf = (lines: string[]) => Buffer.from(lines.join('\r\n'));

describe('bad input never stops the sync (real Dovecot)', () => {
  it('imports malformed MIME, unknown charsets, broken headers and a 50 MB message; records a missing folder; goes on', async () => {
    const [support] = await createMailUsers(servers, ['support']);
    const client = await imapClient(servers, support!.username);
    await client.mailboxCreate('Empty');
    const truncated = newMessageId();
    const unknownCharset = newMessageId();
    const broken = newMessageId();
    const big = newMessageId();
    await client.append('INBOX', crlf([`Message-ID: ${truncated}`, 'From: a@acme.example', 'Subject: truncated multipart', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="xyz"', '', '--xyz', 'Content-Type: text/plain', '', 'first part and then nothing']));
    await client.append('INBOX', crlf([`Message-ID: ${unknownCharset}`, 'From: b@acme.example', 'Subject: =?x-unknown-foo?Q?caf=E9?=', 'MIME-Version: 1.0', 'Content-Type: text/plain; charset=x-unknown-foo', '', 'caf\xe9']));
    await client.append('INBOX', crlf([`Message-ID: ${broken}`, 'From: "Unclosed <c@acme.example', 'this line has no colon', 'Subject: =?utf-8?B?broken', 'Date: not a date', '', 'body']));
    const attachment = Buffer.alloc(50 * 1024 * 1024, 'A').toString('base64').replace(/(.{76})/g, '$1\r\n');
    await client.append('INBOX', Buffer.concat([crlf([`Message-ID: ${big}`, 'From: d@acme.example', 'Subject: big', 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: text/plain', '', 'see attachment', '--b', 'Content-Type: application/octet-stream; name="big.bin"', 'Content-Disposition: attachment; filename="big.bin"', 'Content-Transfer-Encoding: base64', '', '']), Buffer.from(attachment), crlf(['', '--b--', ''])]));
    await client.append('INBOX', buildMessage({ subject: 'ordinary' }));
    await client.logout();

    // The big message (69 MB as sent) is over the default mail.maxMessageBytes; raised here, it is
    // fetched whole and its attachment is over attachments.maxBytes (oversized-message.test.ts
    // covers the limit itself).
    const base = mailConfig(servers, { shared: [{ id: 'support', address: support!.username, extra: { folders: ['INBOX', 'Empty', 'Does/Not/Exist'] } }] });
    const config = configSchema.parse({ ...base, mail: { ...base.mail, maxMessageBytes: 100 * 1024 * 1024 } });
    const result = await syncSource(t.store, config, 'shared-mailbox:support');
    expect(result.changed).toBe(5);
    expect(result.itemErrors).toBeGreaterThanOrEqual(1);
    const errors = await t.store.syncErrors.recent(50, 'shared-mailbox:support');
    expect(errors.some((error) => error.code === 'NOT_FOUND' && /Does\/Not\/Exist/.test(error.message))).toBe(true);

    const byId = async (id: string) => (await t.store.activities.list({ messageId: id }, { limit: 1 })).items[0];
    expect((await byId(truncated))?.bodyText).toContain('first part');
    expect((await byId(unknownCharset))?.bodyText).toBeTruthy();
    expect((await byId(broken))?.start).toBeNull();
    const bigActivity = await byId(big);
    expect(bigActivity?.attachments).toEqual([expect.objectContaining({ filename: 'big.bin', size: 50 * 1024 * 1024, stored: false })]);
  }, 120_000);

  it('reports a wrong password and an unreachable or dropping server as a failed source, and goes on with the others', async () => {
    const [good, bad] = await createMailUsers(servers, ['good', 'bad']);
    const client = await imapClient(servers, good!.username);
    await client.append('INBOX', buildMessage({ subject: 'still imported' }));
    await client.logout();
    const dropper: Server = createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => dropper.listen(0, '127.0.0.1', resolve));
    const dropPort = (dropper.address() as AddressInfo).port;
    try {
      const imap = (username: string, password = 'secret', port = servers.dovecot.imapPort) => ({ host: '127.0.0.1', port, security: 'none', username, password });
      const config = configSchema.parse({
        sharedMailboxes: [
          { id: 'wrongpw', address: bad!.username, imap: imap(bad!.username, 'not-the-password') },
          { id: 'dropping', address: 'drop@example.com', imap: imap('drop@example.com', 'x', dropPort) },
          { id: 'good', address: good!.username, imap: imap(good!.username) },
        ],
      });
      const started = Date.now();
      const summary = await runSyncPass(sourcesOf(config), createRunners(config, t.store, log), t.store, log, new AbortController().signal);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(summary.ok).toBe(false);
      const [wrong, dropping, fine] = summary.results;
      expect(wrong).toMatchObject({ reached: false, error: { code: 'AUTH' } });
      expect(wrong!.error!.message).not.toContain('not-the-password');
      expect(dropping).toMatchObject({ reached: false, error: { code: 'TEMPORARY' } });
      expect(fine).toMatchObject({ reached: true, changed: 1 });
      expect((await t.store.syncErrors.recent(10)).map((error) => error.source).sort()).toEqual(['shared-mailbox:dropping', 'shared-mailbox:wrongpw']);
    } finally {
      dropper.close();
    }
  });

  it('imports binary garbage as what it can make of it, and the next message too', async () => {
    const [support] = await createMailUsers(servers, ['support']);
    const client = await imapClient(servers, support!.username);
    await client.append('INBOX', Buffer.from('\x00\x01\x02 not a mail at all \xff\xfe'));
    await client.append('INBOX', buildMessage({ subject: 'after garbage' }));
    await client.logout();
    const config = mailConfig(servers, { shared: [{ id: 'support', address: support!.username }] });
    await syncSource(t.store, config, 'shared-mailbox:support');
    const subjects = (await t.store.activities.list({}, { limit: 10 })).items.map((activity) => activity.subject);
    expect(subjects).toContain('after garbage');
  });
});
