import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ingestMessage, prepareIngest, writeIngest, type IngestOptions, type PreparedIngest } from '../../../src/mail/ingest-message.js';
import { messageKey } from '../../../src/domain/message-id.js';
import { matchIdentity } from '../../../src/mail/message-identity.js';
import { parseMessage } from '../../../src/mail/parse-message.js';
import { StoreDirectory } from '../../../src/store/party-directory.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';

let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
  await t.store.users.upsert({ id: 'alice', name: 'Alice', email: 'alice@example.com' });
});
afterEach(async () => t.close());

function mail(lines: string[], body: string, attachment?: string): Buffer {
  if (attachment === undefined) return Buffer.from([...lines, 'Content-Type: text/plain; charset=utf-8', '', body, ''].join('\r\n'));
  return Buffer.from(
    [...lines, 'MIME-Version: 1.0', 'Content-Type: multipart/mixed; boundary="b"', '', '--b', 'Content-Type: text/plain', '', body, '--b', 'Content-Type: application/octet-stream; name="a.bin"', 'Content-Disposition: attachment; filename="a.bin"', '', attachment, '--b--', ''].join('\r\n'),
  );
}

const genuineHeaders = ['From: Bob Buyer <bob@customer.example>', 'To: support@example.com', 'Subject: Order 42', 'Date: Mon, 23 Nov 2026 10:00:00 +0000', 'Message-ID: <order-42@customer.example>'];
const genuine = mail(genuineHeaders, 'Please ship order 42 to our Berlin office.');

function options(sourceId: string, ref: string, owner: string | null = null): IngestOptions {
  return {
    correlation: { domain: null, messageIdKey: 'k'.repeat(32), token: { enabled: false, prefix: 'CRM' }, smart: { enabled: false, minParticipants: 2, windowDays: 30 } },
    source: { sourceId, ref },
    owner,
    kind: 'email_in',
    queue: owner === null ? 'support' : null,
    regarding: null,
    createLeadForUnknownSender: false,
    createContacts: false,
  };
}

describe('message fingerprint', () => {
  it('is the same for copies that differ in trace and delivery headers and line-end whitespace', async () => {
    const base = await parseMessage(genuine);
    const delivered = Buffer.concat([Buffer.from('Received: from mx2 by mx; Mon, 23 Nov 2026 10:00:02 +0000\r\nDelivered-To: alice@example.com\r\nX-Spam-Score: 0.1\r\n'), genuine]);
    expect((await parseMessage(delivered)).fingerprint).toBe(base.fingerprint);
    const rewrapped = mail(genuineHeaders, 'Please ship order 42   \r\nto our Berlin office.  ');
    expect((await parseMessage(rewrapped)).fingerprint).toBe(base.fingerprint);
  });

  it('differs when From, Date, Subject, body or an attachment differ', async () => {
    const base = (await parseMessage(genuine)).fingerprint;
    const variants = [
      mail(genuineHeaders.map((line) => line.replace('bob@customer.example', 'eve@attacker.example')), 'Please ship order 42 to our Berlin office.'),
      mail(genuineHeaders.map((line) => line.replace('10:00:00', '10:00:01')), 'Please ship order 42 to our Berlin office.'),
      mail(genuineHeaders.map((line) => line.replace('Order 42', 'Order 43')), 'Please ship order 42 to our Berlin office.'),
      mail(genuineHeaders, 'Please ship order 42 to this new address instead.'),
      mail(genuineHeaders, 'Please ship order 42 to our Berlin office.', 'one'),
      mail(genuineHeaders, 'Please ship order 42 to our Berlin office.', 'two'),
    ];
    const prints = await Promise.all(variants.map(async (variant) => (await parseMessage(variant)).fingerprint));
    expect(new Set([base, ...prints]).size).toBe(prints.length + 1);
  });
});

describe('matchIdentity', () => {
  it('joins the same fingerprint, adopts an unknown one, and otherwise reports the collision', () => {
    expect(matchIdentity([], 'f1')).toEqual({ same: false, collidesWith: [] });
    expect(matchIdentity([{ id: 'a', fingerprint: 'f0' }, { id: 'b', fingerprint: 'f1' }], 'f1')).toEqual({ same: true, id: 'b', adopt: false });
    expect(matchIdentity([{ id: 'a', fingerprint: 'f0' }, { id: 'b', fingerprint: '' }], 'f1')).toEqual({ same: true, id: 'b', adopt: true });
    expect(matchIdentity([{ id: 'a', fingerprint: 'f0' }], 'f1')).toEqual({ same: false, collidesWith: ['a'] });
  });
});

describe('de-duplication by Message-ID and fingerprint', () => {
  it('a forged copy with the Message-ID of a genuine message, imported first, does not replace the genuine one', async () => {
    const directory = new StoreDirectory(t.store, []);
    const forged = mail([...genuineHeaders.map((line) => line.replace('Bob Buyer <bob@customer.example>', 'Bob <eve@attacker.example>'))], 'Our bank details changed: pay to IBAN XX00 EVIL.');
    const first = await ingestMessage(t.store, directory, await parseMessage(forged), options('shared-mailbox:support', 'INBOX;UIDVALIDITY=1;UID=1'));
    const tracked = await ingestMessage(t.store, directory, await parseMessage(genuine), options('imap:alice', 'CRM;UIDVALIDITY=7;UID=3', 'alice'));
    expect(tracked.created).toBe(true);
    expect(tracked.activityId).not.toBe(first.activityId);
    const mine = await t.store.activities.get(tracked.activityId);
    expect(mine).toMatchObject({ owner: 'alice', bodyText: expect.stringContaining('Berlin office'), messageId: '<order-42@customer.example>' });
    expect(mine!.parties.find((party) => party.role === 'from')?.address).toBe('bob@customer.example');
    expect(mine!.sources.map((source) => source.sourceId)).toEqual(['imap:alice']);
    // The stranger's activity keeps the stranger's text and is not the user's.
    expect(await t.store.activities.get(first.activityId)).toMatchObject({ owner: null, bodyText: expect.stringContaining('IBAN') });
    const [collision, ...others] = await t.store.syncErrors.recent(10);
    expect(others).toEqual([]);
    expect(collision).toMatchObject({ source: 'imap:alice', itemRef: 'CRM;UIDVALIDITY=7;UID=3', code: 'CONFLICT' });
    expect(collision!.message).toContain('<order-42@customer.example>');
    expect(collision!.message).toContain(`activity ${first.activityId} (shared-mailbox:support INBOX;UIDVALIDITY=1;UID=1)`);

    // Another copy of the genuine message (INBOX as well as CRM) joins the user's activity, no new collision.
    const again = await ingestMessage(t.store, directory, await parseMessage(Buffer.concat([Buffer.from('Delivered-To: alice@example.com\r\n'), genuine])), options('imap:alice', 'INBOX;UIDVALIDITY=7;UID=9', 'alice'));
    expect(again).toEqual({ activityId: tracked.activityId, created: false });
    expect(await t.store.syncErrors.recent(10)).toHaveLength(1);
    expect(await t.store.activities.findByMessageKey(messageKey('<order-42@customer.example>'))).toHaveLength(2);

    // A reply to the genuine message correlates with the genuine activity (the one it shares addresses with).
    const reply = mail(['From: alice@example.com', 'To: Bob Buyer <bob@customer.example>', 'Subject: Re: Order 42', 'Date: Mon, 23 Nov 2026 12:00:00 +0000', 'Message-ID: <reply-42@example.com>', 'In-Reply-To: <order-42@customer.example>'], 'Shipped.');
    const answered = await ingestMessage(t.store, directory, await parseMessage(reply), options('imap:alice', 'Sent;UIDVALIDITY=7;UID=1', 'alice'));
    expect((await t.store.activities.get(answered.activityId))?.correlation).toEqual({ method: 'in-reply-to', activityId: tracked.activityId });
  });

  it('copies of one message in two mailboxes are one activity; the one stored without a fingerprint lends it the first copy\'s', async () => {
    const directory = new StoreDirectory(t.store, []);
    const shared = await ingestMessage(t.store, directory, await parseMessage(genuine), options('shared-mailbox:support', 'INBOX;UIDVALIDITY=1;UID=1'));
    const personal = await ingestMessage(t.store, directory, await parseMessage(genuine), options('imap:alice', 'CRM;UIDVALIDITY=7;UID=3', 'alice'));
    expect(personal).toEqual({ activityId: shared.activityId, created: false });
    expect(await t.store.activities.get(shared.activityId)).toMatchObject({ owner: 'alice' });

    // As the bridge's own sent mail is stored (and mail stored before fingerprints existed): none.
    const sent = await t.store.activities.create({ kind: 'email_out', subject: 'Hi', messageId: '<sent-1@example.com>', messageKey: 'sent-1@example.com', bodyText: 'Hi' });
    const sentCopy = mail(['From: alice@example.com', 'To: bob@customer.example', 'Subject: Hi', 'Date: Mon, 23 Nov 2026 11:00:00 +0000', 'Message-ID: <sent-1@example.com>'], 'Hi');
    expect(await ingestMessage(t.store, directory, await parseMessage(sentCopy), options('imap:alice', 'Sent;UIDVALIDITY=7;UID=1', 'alice'))).toEqual({ activityId: sent.id, created: false });
    const forgedReply = mail(['From: eve@attacker.example', 'To: alice@example.com', 'Subject: Hi', 'Date: Mon, 23 Nov 2026 11:00:00 +0000', 'Message-ID: <sent-1@example.com>'], 'Not what Alice wrote');
    expect((await ingestMessage(t.store, directory, await parseMessage(forgedReply), options('shared-mailbox:support', 'INBOX;UIDVALIDITY=1;UID=2'))).created).toBe(true);
    expect(await t.store.activities.get(sent.id)).toMatchObject({ bodyText: 'Hi' });
  });

  it('mail without Message-ID: two From-only messages with different bodies are two activities, the same message twice is one', async () => {
    const directory = new StoreDirectory(t.store, []);
    const one = mail(['From: bob@customer.example'], 'First note');
    const two = mail(['From: bob@customer.example'], 'Second note, another message');
    const [a, b] = [await parseMessage(one), await parseMessage(two)];
    expect(a.syntheticMessageId && b.syntheticMessageId).toBe(true);
    const first = await ingestMessage(t.store, directory, a, options('shared-mailbox:support', 'INBOX;UIDVALIDITY=1;UID=1'));
    const second = await ingestMessage(t.store, directory, b, options('shared-mailbox:support', 'INBOX;UIDVALIDITY=1;UID=2'));
    expect(second.created).toBe(true);
    expect(second.activityId).not.toBe(first.activityId);
    expect((await t.store.activities.get(second.activityId))?.bodyText).toContain('Second note');
    const copy = await ingestMessage(t.store, directory, await parseMessage(Buffer.concat([Buffer.from('Received: by mx\r\n'), one])), options('imap:alice', 'INBOX;UIDVALIDITY=7;UID=1', 'alice'));
    expect(copy).toEqual({ activityId: first.activityId, created: false });
    // No collision is recorded: a synthetic id is no claim of the sender's.
    expect(await t.store.syncErrors.recent(10)).toEqual([]);
  });

  it('within one batch transaction, a second copy joins and a forged one is separate', async () => {
    const directory = new StoreDirectory(t.store, []);
    const forged = mail(genuineHeaders, 'Forged body');
    const items: PreparedIngest[] = [];
    for (const [source, ref] of [[genuine, 'INBOX;UIDVALIDITY=1;UID=1'], [genuine, 'INBOX;UIDVALIDITY=1;UID=2'], [forged, 'INBOX;UIDVALIDITY=1;UID=3']] as const) {
      items.push(await prepareIngest(t.store, directory, await parseMessage(source), options('shared-mailbox:support', ref), true));
    }
    const results = await t.store.atomically(async (tx) => {
      const out = [];
      for (const item of items) out.push(await writeIngest(tx, directory, item));
      return out;
    });
    expect(results.map((result) => result.created)).toEqual([true, false, true]);
    expect(results[1]!.activityId).toBe(results[0]!.activityId);
    expect(results[2]!.activityId).not.toBe(results[0]!.activityId);
  });
});
