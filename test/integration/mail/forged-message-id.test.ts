// A forged copy must not replace the real mail (issue #12, defect 3), against the harness Dovecot:
// a stranger sends a message with the Message-ID of a genuine one to the shared mailbox first; the
// user then tracks the genuine message. The user's activity has the genuine body and sender, the
// collision is recorded, and copies of the genuine message elsewhere still join that one activity.
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { createMailUsers } from '../../servers/users.js';
import { buildMessage, imapClient, mailConfig, newMessageId, syncSource } from '../../support/mail.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';

const servers = inject('servers');
let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());

describe('forged Message-ID', () => {
  it('a forged copy in the shared mailbox first does not become the activity the user tracks', async () => {
    const [support, alice] = await createMailUsers(servers, ['support', 'alice']);
    const config = mailConfig(servers, {
      users: [{ id: 'alice', email: alice!.username, mail: { trackedFolders: ['CRM'] } }],
      shared: [{ id: 'support', address: support!.username, extra: { unknownSender: 'unresolved' } }],
    });
    const id = newMessageId('customer.example');
    const date = 'Mon, 23 Nov 2026 10:00:00 +0000';
    const genuine = buildMessage({ from: 'Bob Buyer <bob@customer.example>', to: `${alice!.username}, ${support!.username}`, subject: 'Order 42', date, messageId: id, body: 'Please ship order 42 to our Berlin office.' });
    const forged = buildMessage({ from: 'Bob Buyer <bob@customer-billing.example>', to: support!.username, subject: 'Order 42', date, messageId: id, body: 'Our bank details changed: pay to IBAN XX00 EVIL.' });

    const shared = await imapClient(servers, support!.username);
    const personal = await imapClient(servers, alice!.username);
    try {
      await shared.append('INBOX', forged);
      await syncSource(t.store, config, 'imap:alice'); // creates the CRM folder
      expect(await syncSource(t.store, config, 'shared-mailbox:support')).toMatchObject({ changed: 1, itemErrors: 0 });

      // The user files the genuine message into CRM (and has it in INBOX too).
      await personal.append('INBOX', genuine);
      await personal.append('CRM', genuine);
      expect(await syncSource(t.store, config, 'imap:alice')).toMatchObject({ itemErrors: 0 });

      const all = (await t.store.activities.list({ messageId: id }, { limit: 10 })).items;
      expect(all).toHaveLength(2);
      const mine = all.find((activity) => activity.owner === 'alice')!;
      const stranger = all.find((activity) => activity.owner !== 'alice')!;
      expect(mine.bodyText).toContain('Berlin office');
      expect(mine.parties.find((party) => party.role === 'from')?.address).toBe('bob@customer.example');
      expect(mine.sources.map((source) => source.sourceId)).toEqual(['imap:alice']);
      expect(stranger).toMatchObject({ queue: 'support', bodyText: expect.stringContaining('IBAN') });

      const conflicts = (await t.store.syncErrors.recent(20)).filter((error) => error.code === 'CONFLICT');
      expect(conflicts).toHaveLength(1);
      expect(conflicts[0]).toMatchObject({ source: 'imap:alice', itemRef: expect.stringMatching(/^CRM;UIDVALIDITY=\d+;UID=1$/) });
      expect(conflicts[0]!.message).toMatch(new RegExp(`${stranger.id} \\(shared-mailbox:support INBOX;UIDVALIDITY=\\d+;UID=1\\)`));

      // The genuine message reaching the shared mailbox too is the same message: one activity.
      await shared.append('INBOX', genuine);
      expect(await syncSource(t.store, config, 'shared-mailbox:support')).toMatchObject({ itemErrors: 0 });
      const after = (await t.store.activities.list({ messageId: id }, { limit: 10 })).items;
      expect(after).toHaveLength(2);
      expect((await t.store.activities.get(mine.id))!.sources.map((source) => source.sourceId).sort()).toEqual(['imap:alice', 'shared-mailbox:support']);
      expect((await t.store.syncErrors.recent(20)).filter((error) => error.code === 'CONFLICT')).toHaveLength(1);
    } finally {
      await shared.logout();
      await personal.logout();
    }
  });

  it('mail without Message-ID: two From-only messages with different bodies are two activities; the same message twice is one', async () => {
    const [support] = await createMailUsers(servers, ['support']);
    const config = mailConfig(servers, { shared: [{ id: 'support', address: support!.username, extra: { unknownSender: 'unresolved' } }] });
    const fromOnly = (body: string) => Buffer.from(`From: bob@customer.example\r\n\r\n${body}\r\n`);
    const first = fromOnly('First note.');
    const client = await imapClient(servers, support!.username);
    try {
      await client.append('INBOX', first);
      await client.append('INBOX', fromOnly('Second note, another message.'));
      await client.append('INBOX', first);
      expect(await syncSource(t.store, config, 'shared-mailbox:support')).toMatchObject({ itemErrors: 0 });
    } finally {
      await client.logout();
    }
    const activities = (await t.store.activities.list({}, { limit: 10 })).items;
    expect(activities.map((activity) => activity.bodyText?.trim()).sort()).toEqual(['First note.', 'Second note, another message.']);
    expect(activities.find((activity) => activity.bodyText?.startsWith('First'))!.sources).toHaveLength(2);
    expect((await t.store.syncErrors.recent(10)).filter((error) => error.code === 'CONFLICT')).toEqual([]);
  });
});
