import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { imapTargets } from '../../support/imap-targets.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';
import { appendMessages, buildMessage, flagsOf, mailConfigOn, newMessageId, syncSource } from '../../support/mail.js';

const servers = inject('servers');
let t: TestStore;
beforeEach(async () => {
  t = await createTestStore({ maxAttachmentBytes: 1024 * 1024 });
});
afterEach(async () => t.close());

// Against every IMAP server of the matrix (test/support/imap-targets.ts).
describe.each(imapTargets(servers))('shared mailboxes on $title', (server) => {
  const accounts = new Map<string, string>();
  const createUsers = async (prefixes: string[]) => {
    const made = await server.createUsers(prefixes);
    for (const account of made) accounts.set(account.address, account.username);
    return made;
  };
  const mailConfig = (spec: Parameters<typeof mailConfigOn>[1]) => mailConfigOn(server, spec, (address) => accounts.get(address) ?? address);
  it('turns every message into an email_in activity of the queue, creates leads only for unknown human senders, classifies automatic mail, marks processed', async () => {
    const [support] = await createUsers(['support']);
    const client = await server.client(support!);
    const known = await t.store.contacts.create({ displayName: 'Known Person', emails: ['known@customer.example'] });
    const normal = newMessageId();
    const outOfOffice = newMessageId();
    const bounce = newMessageId();
    await appendMessages(client, 'INBOX', [
      buildMessage({ from: 'New Prospect <prospect@newco.example>', to: support!.address, subject: 'Pricing?', messageId: normal }),
      buildMessage({ from: 'Known Person <known@customer.example>', to: support!.address, subject: 'Question' }),
      buildMessage({ from: 'Away <away@elsewhere.example>', to: support!.address, subject: 'Automatic reply: Pricing?', messageId: outOfOffice, headers: { 'Auto-Submitted': 'auto-replied' } }),
      Buffer.from(
        [
          'From: Mail Delivery System <MAILER-DAEMON@mx.example>',
          `To: ${support!.address}`,
          'Subject: Undelivered Mail Returned to Sender',
          `Message-ID: ${bounce}`,
          'MIME-Version: 1.0',
          'Content-Type: multipart/report; report-type=delivery-status; boundary="b1"',
          '',
          '--b1',
          'Content-Type: text/plain',
          '',
          'Delivery failed.',
          '--b1',
          'Content-Type: message/delivery-status',
          '',
          'Reporting-MTA: dns; mx.example',
          '',
          'Final-Recipient: rfc822; gone@nowhere.example',
          'Action: failed',
          'Status: 5.1.1',
          '--b1--',
          '',
        ].join('\r\n'),
      ),
    ]);
    const config = mailConfig({ shared: [{ id: 'support', address: support!.address, extra: { unknownSender: 'lead' } }] });
    const result = await syncSource(t.store, config, 'shared-mailbox:support');
    expect(result).toMatchObject({ changed: 4, itemErrors: 0 });

    const activities = (await t.store.activities.list({ queue: 'support' }, { limit: 50 })).items;
    expect(activities).toHaveLength(4);
    expect(activities.every((activity) => activity.kind === 'email_in' && activity.queue === 'support')).toBe(true);
    const byId = new Map(activities.map((activity) => [activity.messageId, activity]));
    expect(byId.get(outOfOffice)?.classification).toBe('out_of_office');
    expect(byId.get(bounce)?.classification).toBe('bounce');
    expect(byId.get(normal)?.classification).toBe('normal');

    const leads = (await t.store.leads.list({}, { limit: 50 })).items;
    expect(leads.map((lead) => lead.email)).toEqual(['prospect@newco.example']);
    expect(leads[0]).toMatchObject({ firstName: 'New', lastName: 'Prospect', source: 'mailbox:support' });
    expect(byId.get(normal)?.parties.find((party) => party.role === 'from')?.leadId).toBe(leads[0]!.id);
    const knownActivity = activities.find((activity) => activity.subject === 'Question')!;
    expect(knownActivity.parties.find((party) => party.role === 'from')?.contactId).toBe(known.id);

    const flags = await flagsOf(client, 'INBOX');
    expect([...flags.values()].every((entry) => entry.includes('$CRMImported'))).toBe(true);

    // A second pass imports nothing again.
    expect(await syncSource(t.store, config, 'shared-mailbox:support')).toMatchObject({ changed: 0, itemErrors: 0 });
    expect((await t.store.activities.list({}, { limit: 50 })).items).toHaveLength(4);
    await client.logout();
  });

  it('creates one lead for an unknown sender however many of their messages one pass imports', async () => {
    const [support] = await createUsers(['support']);
    const client = await server.client(support!);
    await appendMessages(client, 'INBOX', [1, 2, 3].map((i) => buildMessage({ from: 'Repeat Prospect <repeat@newco.example>', to: support!.address, subject: `Question ${i}` })));
    await client.logout();
    const config = mailConfig({ shared: [{ id: 'support', address: support!.address, extra: { unknownSender: 'lead' } }] });
    expect(await syncSource(t.store, config, 'shared-mailbox:support')).toMatchObject({ changed: 3, itemErrors: 0 });
    const leads = (await t.store.leads.list({}, { limit: 10 })).items;
    expect(leads.map((lead) => lead.email)).toEqual(['repeat@newco.example']);
    const activities = (await t.store.activities.list({ queue: 'support' }, { limit: 10 })).items;
    expect(activities.map((activity) => activity.parties.find((party) => party.role === 'from')?.leadId)).toEqual([leads[0]!.id, leads[0]!.id, leads[0]!.id]);
  });

  it('moves processed messages when configured, and honours importSince on the first import', async () => {
    const [sales] = await createUsers(['sales']);
    const client = await server.client(sales!);
    await client.append('INBOX', buildMessage({ subject: 'old' }), [], new Date('2020-01-05T10:00:00Z'));
    await client.append('INBOX', buildMessage({ subject: 'new' }), [], new Date());
    const config = mailConfig({ shared: [{ id: 'sales', address: sales!.address, extra: { processed: { moveTo: 'Processed' }, importSince: '2024-01-01' } }] });
    expect(await syncSource(t.store, config, 'shared-mailbox:sales')).toMatchObject({ changed: 1, itemErrors: 0 });
    expect((await t.store.activities.list({ queue: 'sales' }, { limit: 10 })).items.map((activity) => activity.subject)).toEqual(['new']);
    const inbox = await client.status('INBOX', { messages: true });
    const processed = await client.status(server.folder('Processed'), { messages: true });
    expect([inbox && inbox.messages, processed && processed.messages]).toEqual([1, 1]);
    expect(await syncSource(t.store, config, 'shared-mailbox:sales')).toMatchObject({ changed: 0 });
    await client.logout();
  });

  it('stores the same Message-ID seen in two mailboxes as one activity with two sources', async () => {
    const [support, sales] = await createUsers(['support', 'sales']);
    const id = newMessageId();
    const message = buildMessage({ to: `${support!.address}, ${sales!.address}`, messageId: id, subject: 'To both' });
    for (const account of [support!, sales!]) {
      const client = await server.client(account!);
      await client.append('INBOX', message);
      await client.logout();
    }
    const config = mailConfig({ shared: [{ id: 'support', address: support!.address }, { id: 'sales', address: sales!.address }] });
    await syncSource(t.store, config, 'shared-mailbox:support');
    await syncSource(t.store, config, 'shared-mailbox:sales');
    const found = await t.store.activities.list({ messageId: id }, { limit: 10 });
    expect(found.items).toHaveLength(1);
    expect(found.items[0]!.sources.map((source) => source.sourceId).sort()).toEqual(['shared-mailbox:sales', 'shared-mailbox:support']);
  });
});
