import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { createMailUsers } from '../../servers/users.js';
import { startApi, type ApiHarness } from '../../support/api-server.js';
import { buildMessage, imapClient, newMessageId, syncSource } from '../../support/mail.js';

const servers = inject('servers');
let api: ApiHarness | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function setup(options: { smart?: boolean; smtpPort?: number; autoTrack?: string; debugHeaders?: boolean } = {}) {
  const [alice, bob] = await createMailUsers(servers, ['alice', 'bob']);
  const imap = (username: string) => ({ host: servers.dovecot.host, port: servers.dovecot.imapPort, security: 'none', username, password: 'secret' });
  const smtp = (username: string) => ({ host: servers.smtp.host, port: options.smtpPort ?? servers.smtp.port, security: 'none', username, password: 'secret' });
  api = await startApi(
    {
      mail: { domain: 'crm.example.com', trackingToken: { enabled: true, prefix: 'CRM:' }, smartMatching: { enabled: options.smart ?? false, minParticipants: 2, windowDays: 30 }, debugHeaders: options.debugHeaders ?? false },
      users: [{ id: 'alice', name: 'Alice Sender', email: alice!.username, imap: imap(alice!.username), smtp: smtp(alice!.username), mail: { autoTrack: options.autoTrack ?? 'replies' } }],
    },
    { mail: true },
  );
  const deal = (await api.call('POST', '/api/v1/opportunities', { body: { name: 'Licences' } })).body as { id: string };
  const send = async (extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    api!.call('POST', '/api/v1/emails', { body: { from: 'alice', to: [bob!.username], subject: 'Offer for 20 licences', text: 'Dear Bob, here is our offer.', regarding: { type: 'opportunity', id: deal.id }, ...extra }, headers });
  const aliceSync = () => syncSource(api!.t.store, api!.config, 'imap:alice');
  const reply = async (raw: Buffer) => {
    const client = await imapClient(servers, alice!.username);
    await client.append('INBOX', raw);
    await client.logout();
  };
  return { alice: alice!.username, bob: bob!.username, deal, send, aliceSync, reply };
}

async function waitForMessage(username: string, messageId: string): Promise<string> {
  const client = await imapClient(servers, username);
  try {
    for (let i = 0; i < 100; i += 1) {
      const lock = await client.getMailboxLock('INBOX');
      try {
        for await (const message of client.fetch('1:*', { envelope: true, source: true })) {
          if (message.envelope?.messageId === messageId) return message.source!.toString();
        }
      } finally {
        lock.release();
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  } finally {
    await client.logout();
  }
  throw new Error(`${messageId} never reached ${username}`);
}

describe('sending from the CRM (harness SMTP into Dovecot)', () => {
  it('sends with a signed Message-ID and a tracking token, files a copy in Sent, and a reply with intact headers is correlated', async () => {
    const { alice, bob, deal, send, aliceSync, reply } = await setup();
    const sent = await send();
    expect(sent.status).toBe(201);
    const mail = sent.body as { id: string; messageId: string; subject: string; delivery: { state: string }; status: string; threadId: string; regarding: unknown; parties: Array<{ role: string; userId: string | null }> };
    expect(mail).toMatchObject({ kind: 'email_out', owner: 'alice', status: 'completed', delivery: { state: 'sent', attempts: 1 }, regarding: { type: 'opportunity', id: deal.id } });
    expect(mail.messageId).toMatch(new RegExp(`^<${mail.id.toLowerCase()}\\.h[0-9a-z]{16}@crm\\.example\\.com>$`));
    expect(mail.subject).toMatch(/^Offer for 20 licences \[CRM:01\d{5}\]$/);
    expect(mail.parties.find((party) => party.role === 'from')?.userId).toBe('alice');
    const delivered = await waitForMessage(bob, mail.messageId);
    expect(delivered).toContain('Subject: Offer for 20 licences [CRM:');
    // No internal header reaches the recipient (mail.debugHeaders is off).
    expect(delivered).not.toMatch(/X-CRM-Bridge/i);
    const sentCopy = await imapClient(servers, alice);
    const status = await sentCopy.status('Sent', { messages: true });
    await sentCopy.logout();
    expect(status && status.messages).toBe(1);

    const replyId = newMessageId('bob.example');
    await reply(buildMessage({ from: bob, to: alice, subject: `Re: ${mail.subject}`, messageId: replyId, inReplyTo: mail.messageId, references: mail.messageId, date: new Date(Date.now() + 60_000).toUTCString() }));
    await aliceSync();
    const [answer] = (await api!.t.store.activities.list({ messageId: replyId }, { limit: 1 })).items;
    expect(answer).toMatchObject({ kind: 'email_in', correlation: { method: 'in-reply-to', activityId: mail.id }, regarding: { type: 'opportunity', id: deal.id }, threadId: mail.threadId });
    // The Sent copy is the same activity, not a second one.
    expect((await api!.t.store.activities.list({ messageId: mail.messageId }, { limit: 5 })).items).toHaveLength(1);
    const thread = await api!.call('GET', `/api/v1/threads/${encodeURIComponent(mail.threadId)}`);
    expect(thread.body.items.map((item: { id: string }) => item.id)).toEqual([mail.id, answer!.id]);

    // A reply from the CRM to that answer carries In-Reply-To and References and stays in the thread.
    const second = (await send({ subject: 'Re: Offer', replyTo: answer!.id })).body as { messageId: string; inReplyTo: string; references: string[]; threadId: string };
    expect(second).toMatchObject({ inReplyTo: replyId, references: [mail.messageId, replyId], threadId: mail.threadId });
    const secondRaw = await waitForMessage(bob, second.messageId);
    expect(secondRaw).toContain(`In-Reply-To: ${replyId}`);
  });

  it('a send refused for good shows failed with its reason and in /metrics; retried once fixed it goes out, and a cancelled one never does', async () => {
    const [alice, bob] = await createMailUsers(servers, ['alice', 'bob']);
    const smtp = { host: servers.smtp.host, port: servers.smtp.port, security: 'none', username: alice!.username, password: 'not-the-password' };
    api = await startApi({ mail: { domain: 'crm.example.com' }, users: [{ id: 'alice', name: 'Alice', email: alice!.username, smtp }] }, { mail: true });
    const send = async (subject: string) => (await api!.call('POST', '/api/v1/emails', { body: { from: 'alice', to: [bob!.username], subject, text: 'Dear Bob.' } })).body as { id: string; messageId: string; status: string; delivery: { state: string; attempts: number; lastError: string | null } };
    const first = await send('Offer');
    expect(first.delivery).toMatchObject({ state: 'failed', attempts: 1 });
    expect(first.delivery.lastError).toMatch(/refused the login/);
    expect(first.delivery.lastError).not.toContain('not-the-password');
    const metrics = await api.call('GET', '/metrics', { token: null });
    expect(metrics.body).toContain('crm_bridge_outbox_messages{state="failed"} 1');
    expect(metrics.body).toContain('crm_bridge_outbox_messages{state="uncertain"} 0');

    // Retried while the password is still wrong: failed again, counted.
    const again = await api.call('POST', `/api/v1/emails/${first.id}/retry`);
    expect(again.status).toBe(200);
    expect(again.body.delivery).toMatchObject({ state: 'failed', attempts: 2 });
    // The password fixed (the running configuration): the retry sends it.
    (api.config.users[0]!.smtp as { password: string }).password = 'secret';
    const sent = await api.call('POST', `/api/v1/emails/${first.id}/retry`);
    expect(sent.body).toMatchObject({ status: 'completed', delivery: { state: 'sent', attempts: 3 } });
    expect(await waitForMessage(bob!.username, first.messageId)).toContain('Subject: Offer');
    const twice = await api.call('POST', `/api/v1/emails/${first.id}/retry`);
    expect(twice.status).toBe(409);
    expect(twice.body).toMatchObject({ code: 'CONFLICT', error: `mail ${first.id} is sent: only a failed or uncertain one can be retried` });
    expect((await api.call('POST', `/api/v1/emails/${first.id}/cancel`)).status).toBe(409);

    (api.config.users[0]!.smtp as { password: string }).password = 'wrong-again';
    const second = await send('Second offer');
    expect(second.delivery.state).toBe('failed');
    const cancelled = await api.call('POST', `/api/v1/emails/${second.id}/cancel`);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', delivery: { state: 'cancelled' } });
    expect((await api.call('POST', `/api/v1/emails/${second.id}/retry`)).status).toBe(409);
    expect((await api.call('POST', '/api/v1/emails/act_nope/retry')).status).toBe(404);
  });

  it('adds X-CRM-Bridge-Activity to sent mail only with mail.debugHeaders', async () => {
    const { bob, send } = await setup({ debugHeaders: true });
    const mail = (await send()).body as { id: string; messageId: string };
    expect(await waitForMessage(bob, mail.messageId)).toContain(`\r\nX-CRM-Bridge-Activity: ${mail.id}\r\n`);
  });

  it('correlates by tracking token when the headers are lost, but not a forward, nor a stranger using the token', async () => {
    const { alice, bob, send, aliceSync, reply } = await setup();
    const mail = (await send()).body as { id: string; subject: string };
    const token = /\[(CRM:\d+)\]/.exec(mail.subject)![1]!;
    const byToken = newMessageId('bob.example');
    const forward = newMessageId('bob.example');
    const stranger = newMessageId('elsewhere.example');
    await reply(buildMessage({ from: bob, to: alice, subject: `AW: Offer for 20 licences [${token}]`, messageId: byToken }));
    await reply(buildMessage({ from: bob, to: alice, subject: `Fwd: Offer for 20 licences [${token}]`, messageId: forward }));
    await reply(buildMessage({ from: 'someone@elsewhere.example', to: alice, subject: `Ticket [${token}]`, messageId: stranger }));
    await aliceSync();
    const [answer] = (await api!.t.store.activities.list({ messageId: byToken }, { limit: 1 })).items;
    expect(answer?.correlation).toEqual({ method: 'token', activityId: mail.id });
    // Untracked: under `replies` only correlated mail is tracked.
    expect((await api!.t.store.activities.list({ messageId: forward }, { limit: 1 })).items).toEqual([]);
    expect((await api!.t.store.activities.list({ messageId: stranger }, { limit: 1 })).items).toEqual([]);
  });

  it('smart matching links a reply without headers or token (AW: prefix) only when enabled', async () => {
    for (const smart of [false, true]) {
      const { alice, bob, send, aliceSync, reply } = await setup({ smart });
      const mail = (await send({ cc: [alice] })).body as { id: string };
      const bare = newMessageId('bob.example');
      await reply(buildMessage({ from: bob, to: alice, subject: 'AW: Offer for 20 licences', messageId: bare }));
      await aliceSync();
      const found = (await api!.t.store.activities.list({ messageId: bare }, { limit: 1 })).items[0];
      if (smart) expect(found?.correlation).toEqual({ method: 'smart', activityId: mail.id });
      else expect(found).toBeUndefined();
      await api!.close();
      api = undefined;
    }
  });

  it('auto-replies correlate but never create leads; a reply that arrived before its original is linked when the original comes', async () => {
    const { alice, bob, send, aliceSync, reply } = await setup({ autoTrack: 'all' });
    const mail = (await send()).body as { id: string; messageId: string; subject: string };
    const auto = newMessageId('bob.example');
    await reply(buildMessage({ from: bob, to: alice, subject: `Automatic reply: ${mail.subject}`, messageId: auto, inReplyTo: mail.messageId, headers: { 'Auto-Submitted': 'auto-replied' } }));
    const original = newMessageId('carol.example');
    const early = newMessageId('bob.example');
    await reply(buildMessage({ from: bob, to: alice, subject: 'Re: Meeting', messageId: early, inReplyTo: original, references: original }));
    await aliceSync();
    expect((await api!.t.store.activities.list({ messageId: auto }, { limit: 1 })).items[0]).toMatchObject({ classification: 'out_of_office', correlation: { method: 'in-reply-to', activityId: mail.id } });
    expect((await api!.t.store.leads.list({}, { limit: 10 })).items).toEqual([]);
    expect((await api!.t.store.activities.list({ messageId: early }, { limit: 1 })).items[0]?.correlation).toBeNull();
    await reply(buildMessage({ from: 'carol@carol.example', to: alice, subject: 'Meeting', messageId: original }));
    await aliceSync();
    const [first] = (await api!.t.store.activities.list({ messageId: original }, { limit: 1 })).items;
    const [late] = (await api!.t.store.activities.list({ messageId: early }, { limit: 1 })).items;
    expect(late).toMatchObject({ correlation: { method: 'in-reply-to', activityId: first!.id }, threadId: first!.threadId });
  });

  it('honours Idempotency-Key: the same request sends once and answers the same; another body with the key is refused', async () => {
    const { bob, send } = await setup();
    const first = await send({}, { 'Idempotency-Key': 'order-42' });
    const again = await send({}, { 'Idempotency-Key': 'order-42' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expect((await send({ text: 'different' }, { 'Idempotency-Key': 'order-42' })).status).toBe(409);
    await waitForMessage(bob, first.body.messageId);
    const client = await imapClient(servers, bob);
    const status = await client.status('INBOX', { messages: true });
    await client.logout();
    expect(status && status.messages).toBe(1);
  });

  it('queues mail while the SMTP server is down, retries with backoff, and never re-sends an interrupted send', async () => {
    // A port that refuses connections until a relay to the harness SMTP server is put on it.
    const probe: Server = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const { bob, send } = await setup({ smtpPort: port });
    const queued = await send();
    expect(queued.status).toBe(201);
    expect(queued.body).toMatchObject({ status: 'open', delivery: { state: 'queued', attempts: 1 } });
    expect(queued.body.delivery.lastError).toMatch(/unreachable|refused|ECONNREFUSED/i);
    expect(Date.parse(queued.body.delivery.nextAttemptAt)).toBeGreaterThan(Date.now());

    const sockets: Socket[] = [];
    const relay = createServer((socket) => {
      const upstream = connect(servers.smtp.port, servers.smtp.host);
      sockets.push(socket, upstream);
      socket.pipe(upstream).pipe(socket);
    });
    await new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve));
    try {
      const outbox = api!.t.store.outbox;
      expect(await outbox.due(new Date().toISOString())).toEqual([]);
      const worker = (await import('../../../src/runtime/runners.js')).createMail(api!.config, api!.t.store, (await import('pino')).pino({ level: 'silent' })).outbox;
      await worker.runDue(new Date(Date.now() + 2 * 3600_000));
      const after = (await api!.call('GET', `/api/v1/activities/${queued.body.id}`)).body;
      expect(after).toMatchObject({ status: 'completed', delivery: { state: 'sent', attempts: 2, lastError: null } });
      await waitForMessage(bob, queued.body.messageId);

      // A send interrupted by a crash is marked uncertain at start-up and not sent again.
      const other = (await send({ subject: 'second' })).body as { id: string };
      await outbox.update(other.id, { state: 'sending' });
      await worker.recover();
      await worker.runDue(new Date(Date.now() + 3 * 3600_000));
      expect((await api!.call('GET', `/api/v1/activities/${other.id}`)).body.delivery.state).toBe('uncertain');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => relay.close(() => resolve()));
    }
  });

  it('rejects a sender without SMTP settings and an unknown replyTo with the field path', async () => {
    const { send } = await setup();
    expect((await send({ replyTo: 'act_missing' })).body).toMatchObject({ code: 'INVALID_INPUT', details: [{ path: 'replyTo' }] });
    expect((await send({ from: 'nobody' })).body).toMatchObject({ code: 'INVALID_INPUT', details: [{ path: 'from' }] });
    expect((await send({ to: ['not-an-address'] })).body.details[0].path).toBe('to[0]');
  });
});
