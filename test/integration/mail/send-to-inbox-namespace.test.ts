// Sending from the CRM for a user whose mailbox is on Cyrus or Courier (their INBOX. namespace): the
// message goes out through the harness SMTP server (logged in with a relay account, as many
// organisations separate the two) to a Dovecot recipient, its copy is filed in the user's Sent folder
// (INBOX.Sent: found by SPECIAL-USE on Cyrus, by its name on Courier, which has no SPECIAL-USE), and a
// reply that arrives in that INBOX is correlated. Dovecot's side is the CLI/REST mail contract.

import { afterEach, describe, expect, inject, it } from 'vitest';
import { createMailUsers } from '../../servers/users.js';
import { startApi, type ApiHarness } from '../../support/api-server.js';
import { imapTargets } from '../../support/imap-targets.js';
import { buildMessage, newMessageId, syncSource } from '../../support/mail.js';

const servers = inject('servers');
let api: ApiHarness | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

describe.each(imapTargets(servers).filter((target) => target.name !== 'dovecot'))('sending from the CRM for a mailbox on $title', (target) => {
  it('files the copy in INBOX.Sent once, and a reply in its INBOX is correlated with the sent mail', async () => {
    const [alice] = await target.createUsers(['sender']);
    const { address } = alice!;
    const [relay, bob] = await createMailUsers(servers, ['relay', 'bob']);
    api = await startApi(
      {
        mail: { domain: 'crm.example.com', trackingToken: { enabled: true, prefix: 'CRM:' } },
        users: [{
          id: 'alice', name: 'Alice Sender', email: address,
          imap: { host: target.host, port: target.port, security: 'none', username: alice!.username, password: alice!.password },
          smtp: { host: servers.smtp.host, port: servers.smtp.port, security: 'none', username: relay!.username, password: 'secret' },
          mail: { autoTrack: 'replies' },
        }],
      },
      { mail: true },
    );
    const sent = await api.call('POST', '/api/v1/emails', { body: { from: 'alice', to: [bob!.username], subject: 'Offer', text: 'Dear Bob, our offer.' } });
    expect(sent.status).toBe(201);
    const mail = sent.body as { id: string; messageId: string; subject: string; threadId: string; delivery: { state: string } };
    expect(mail.delivery.state).toBe('sent');

    const client = await target.client(alice!);
    try {
      // The copy is filed after the send settled: wait for it, then check there is exactly one.
      let copies = 0;
      for (let i = 0; i < 100 && copies === 0; i += 1) {
        const status = await client.status(target.sent, { messages: true });
        copies = status === false ? 0 : (status.messages ?? 0);
        if (copies === 0) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(copies).toBe(1);

      const replyId = newMessageId('bob.example');
      await client.append('INBOX', buildMessage({ from: bob!.username, to: address, subject: `Re: ${mail.subject}`, messageId: replyId, inReplyTo: mail.messageId, references: mail.messageId }));
      await syncSource(api.t.store, api.config, 'imap:alice');
      const [answer] = (await api.t.store.activities.list({ messageId: replyId }, { limit: 1 })).items;
      expect(answer).toMatchObject({ kind: 'email_in', owner: 'alice', correlation: { method: 'in-reply-to', activityId: mail.id }, threadId: mail.threadId });
      // The Sent copy is the same activity, not a second one.
      expect((await api.t.store.activities.list({ messageId: mail.messageId }, { limit: 5 })).items).toHaveLength(1);
      expect((await client.status(target.sent, { messages: true })) || { messages: -1 }).toMatchObject({ messages: 1 });
    } finally {
      await client.logout();
    }
  });
});
