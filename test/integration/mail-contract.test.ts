// The mail part of CONTRACT.md checked the way an acceptance test sees it: the real CLI
// (check-config, sync --once, serve) with a configuration in the contract's YAML shape, mailboxes on
// the harness Dovecot, mail sent through the harness SMTP server, and only the REST API to look.
// - a shared mailbox: a lead for an unknown human sender, none for an auto-reply, $CRMImported set
//   (or the message moved to Processed), one activity for a Message-ID also tracked by a user;
// - a personal mailbox: tracked by the CRM folder, by $CRM, Sent mail as email_out, untracked by
//   removing $CRM or by DELETE, a reply to mail sent from the CRM auto-tracked and correlated;
// - every Activity field of the contract, the list filters, pagination and their errors;
// - sync --once fails for an unreachable server or a wrong password and still does the other sources.
import type { ImapFlow } from 'imapflow';
import nodemailer from 'nodemailer';
import { describe, expect, inject, it } from 'vitest';
import { createMailUsers } from '../servers/users.js';
import { eventually, freePort, runCli, serverConfigYaml, startServe, tempDir, writeConfig } from '../support/cli.js';
import { buildMessage, flagsOf, imapClient, newMessageId } from '../support/mail.js';

const servers = inject('servers');
const token = 'mail-contract-token-0123456789';
const env = { TEST_SECRET_KEY: 'mail-contract-secret-key-0123456789', TEST_API_TOKEN: token, CRM_BRIDGE_ADMIN_PASSWORD: 'admin-pw-mail-contract' };

const imapOf = (username: string, password = 'secret', port = servers.dovecot.imapPort) =>
  `{ host: ${servers.dovecot.host}, port: ${port}, security: none, username: ${username}, password: ${password} }`;

// The fields CONTRACT.md lists for an Activity and for a party, in its words.
const activityKeys = ['id', 'kind', 'subject', 'owner', 'start', 'end', 'due', 'status', 'busyStatus', 'messageId', 'inReplyTo', 'threadId', 'regarding', 'parties', 'correlation', 'queue', 'sources', 'createdAt', 'updatedAt'];
const partyKeys = ['role', 'address', 'name', 'contactId', 'accountId', 'leadId', 'userId'];

interface Party { role: string; address: string; name: string | null; contactId: string | null; accountId: string | null; leadId: string | null; userId: string | null }
interface Activity {
  id: string; kind: string; subject: string; owner: string | null; start: string | null; end: string | null; due: string | null;
  status: string; busyStatus: string | null; messageId: string | null; inReplyTo: string | null; threadId: string | null;
  regarding: { type: string; id: string } | null; parties: Party[]; correlation: { method: string; activityId: string } | null;
  queue: string | null; sources: Array<{ sourceId: string; ref: string }>; createdAt: string; updatedAt: string;
}

/** An e-mail activity has every contract field, with the contract's types. */
function expectMailActivity(activity: Activity): void {
  for (const key of activityKeys) expect(activity, key).toHaveProperty(key);
  expect(activity.id).toMatch(/^\S+$/);
  expect(['email_in', 'email_out']).toContain(activity.kind);
  expect([activity.end, activity.due, activity.busyStatus]).toEqual([null, null, null]);
  expect(activity.start === null || !Number.isNaN(Date.parse(activity.start))).toBe(true);
  expect(activity.messageId).toMatch(/^<[^<>\s]+@[^<>\s]+>$/);
  expect(activity.threadId).toEqual(expect.any(String));
  for (const party of activity.parties) expect(Object.keys(party).sort()).toEqual([...partyKeys].sort());
  expect(activity.sources.length).toBeGreaterThan(0);
  for (const stamp of [activity.createdAt, activity.updatedAt]) expect(new Date(stamp).toISOString()).toBe(stamp);
}

/** The flags of a message; a message that is not in the folder fails the test. */
async function folderFlags(client: ImapFlow, folder: string, messageId: string): Promise<string[]> {
  const flags = (await flagsOf(client, folder)).get(messageId);
  if (!flags) throw new Error(`${messageId} is not in ${folder}`);
  return flags;
}

describe('the mail contract through the CLI and the REST API (real Dovecot and SMTP)', () => {
  it('shared and personal mailboxes, every Activity field, the list filters and untracking', async () => {
    const [alice, bob, support, sales] = await createMailUsers(servers, ['alice', 'bob', 'support', 'sales']);
    const dir = tempDir();
    const port = await freePort();
    const file = writeConfig(dir, `
${serverConfigYaml(port)}mail:
  domain: crm.example.com
  trackingToken: { enabled: true, prefix: "CRM:" }
sync:
  idle: false
  intervalSeconds: 86400
users:
  - id: alice
    name: Alice Example
    email: ${alice!.username}
    imap:    ${imapOf(alice!.username)}
    smtp:    { host: ${servers.smtp.host}, port: ${servers.smtp.port}, security: none, username: ${alice!.username}, password: secret }
    mail:
      trackedFolders: [CRM]
      trackingKeyword: $CRM
      autoTrack: replies
      sentFolder: Sent
sharedMailboxes:
  - id: support
    address: ${support!.username}
    imap: ${imapOf(support!.username)}
    folders: [INBOX]
    unknownSender: lead
    processed: { keyword: $CRMImported }
  - id: sales
    address: ${sales!.username}
    imap: ${imapOf(sales!.username)}
    folders: [INBOX]
    unknownSender: lead
    processed: { moveTo: Processed }
`);
    const checked = await runCli(['check-config', '--config', file], { cwd: dir, env });
    expect(checked.code, checked.stderr).toBe(0);
    expect(checked.stdout).toContain('configuration is valid (1 user(s), 2 shared mailbox(es)');
    expect(checked.stderr).not.toContain('warning');

    const serve = await startServe(file, dir, env);
    const supportBox = await imapClient(servers, support!.username);
    const salesBox = await imapClient(servers, sales!.username);
    const aliceBox = await imapClient(servers, alice!.username);
    try {
      const call = async (path: string, method = 'GET', body?: unknown): Promise<{ status: number; body: any }> => { // eslint-disable-line @typescript-eslint/no-explicit-any
        const response = await fetch(`${serve.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body ? { body: JSON.stringify(body) } : {}) });
        return { status: response.status, body: response.status === 204 ? undefined : await response.json() };
      };
      const api = async (path: string, method = 'GET', body?: unknown) => {
        const response = await call(path, method, body);
        expect(response.status, `${method} ${path}: ${JSON.stringify(response.body)}`).toBeLessThan(300);
        return response.body;
      };
      const expectError = async (path: string, status: number, code: string, method = 'GET', body?: unknown) => {
        const response = await call(path, method, body);
        expect(response.status, `${method} ${path}`).toBe(status);
        expect(response.body, `${method} ${path}`).toEqual(expect.objectContaining({ error: expect.any(String), code }));
        expect(response.body.error.length).toBeGreaterThan(0);
      };
      const byMessageId = async (messageId: string): Promise<Activity[]> => (await api(`/activities?messageId=${encodeURIComponent(messageId)}`)).items;
      const one = async (messageId: string): Promise<Activity> => {
        const found = await byMessageId(messageId);
        expect(found, messageId).toHaveLength(1);
        expectMailActivity(found[0]!);
        return found[0]!;
      };
      const ids = async (query: string): Promise<string[]> => ((await api(`/activities?${query}`)).items as Activity[]).map((item) => item.id).sort();
      const pass = async () => {
        const result = await runCli(['sync', '--once', '--config', file], { cwd: dir, env });
        expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
        return result.stdout;
      };
      // serve's own first pass (sync.intervalSeconds keeps it from running another) is over before
      // the mail arrives, so each message below is imported by a sync --once.
      await eventually(async () => {
        const metrics = await (await fetch(`${serve.url}/metrics`)).text();
        // Both shared mailboxes (the last sources of a pass) were run once.
        return /^crm_bridge_sync_runs_total\{source="shared-mailbox",outcome="ok"\} 2$/m.test(metrics) ? true : undefined;
      });

      // The CRM knows Carol and her company by its domain, before her mail comes in.
      const acme = await api('/accounts', 'POST', { name: 'Acme', domains: ['acme.test'], owner: 'alice' });
      const carol = await api('/contacts', 'POST', { firstName: 'Carol', lastName: 'Customer', emails: ['carol@acme.test'], accountId: acme.id, owner: 'alice' });

      // Mail as it lies on the servers before the pass.
      const human = newMessageId('unknown.test');
      const autoReply = newMessageId('away.test');
      const both = newMessageId('acme.test');
      const toSales = newMessageId('prospect.test');
      const copied = newMessageId('acme.test');
      const flagged = newMessageId('acme.test');
      const sentByAlice = newMessageId('example.com');
      const sentReply = newMessageId('example.com');
      const untouched = newMessageId('acme.test');
      const later = newMessageId('vendor.test');
      const sentFiled = newMessageId('example.com');
      const ccSupport = newMessageId('example.com');
      const wander = newMessageId('wander.test');
      await supportBox.append('INBOX', buildMessage({ from: 'Uma Unknown <uma@unknown.test>', to: support!.username, subject: 'Need help with my order', messageId: human }));
      await supportBox.append('INBOX', buildMessage({ from: 'Otto Away <otto@away.test>', to: support!.username, subject: 'Out of office: Need help', messageId: autoReply, headers: { 'Auto-Submitted': 'auto-replied' } }));
      // One message delivered to two mailboxes is the same bytes (and Date) in each: build it once.
      const bothMessage = buildMessage({ from: 'Carol Customer <carol@acme.test>', to: `${support!.username}, ${alice!.username}`, subject: 'Invoice question', messageId: both });
      await supportBox.append('INBOX', bothMessage);
      // To support and alice; alice tracks it only after the shared mailbox imported it.
      const laterMessage = buildMessage({ from: 'Vic Vendor <vic@vendor.test>', to: `${support!.username}, ${alice!.username}`, subject: 'Price list', messageId: later });
      await supportBox.append('INBOX', laterMessage);
      await aliceBox.append('INBOX', laterMessage);
      // alice writes from her mail client with support in Cc; she tracks her Sent copy only later.
      const ccMessage = buildMessage({ from: `Alice Example <${alice!.username}>`, to: 'Erin <erin@elsewhere.test>', cc: support!.username, subject: 'Your ticket', messageId: ccSupport });
      await supportBox.append('INBOX', ccMessage);
      await aliceBox.append('Sent', ccMessage, ['\\Seen']);
      await salesBox.append('INBOX', buildMessage({ from: 'Sam Prospect <sam@prospect.test>', to: sales!.username, subject: 'Quote please', messageId: toSales }));
      // serve's pass created the tracked folder.
      expect((await aliceBox.list()).map((folder) => folder.path)).toContain('CRM');
      for (const [id, subject] of [[copied, 'Order 42'], [flagged, 'Delivery date'], [both, 'Invoice question'], [untouched, 'Lunch?']] as const) {
        await aliceBox.append('INBOX', id === both ? bothMessage : buildMessage({ from: 'Carol Customer <carol@acme.test>', to: alice!.username, subject, messageId: id }));
      }
      await aliceBox.mailboxOpen('INBOX');
      // Copied (not moved) into CRM, as a user drags with Ctrl; the $CRM keyword on another.
      await aliceBox.messageCopy({ header: { 'message-id': copied } }, 'CRM');
      await aliceBox.messageCopy({ header: { 'message-id': both } }, 'CRM');
      await aliceBox.messageFlagsAdd({ header: { 'message-id': flagged } }, ['$CRM']);
      // Tracked by $CRM in INBOX, later moved into CRM, then out again (below).
      await aliceBox.append('INBOX', buildMessage({ from: 'Walt <walt@wander.test>', to: alice!.username, subject: 'Moving around', messageId: wander }), ['$CRM']);
      // Sent mail: alice's answer to the copied message (autoTrack: replies), and one she flagged $CRM.
      await aliceBox.append('Sent', buildMessage({ from: `Alice Example <${alice!.username}>`, to: 'Carol Customer <carol@acme.test>', subject: 'Re: Order 42', messageId: sentReply, inReplyTo: copied, references: copied }), ['\\Seen']);
      await aliceBox.append('Sent', buildMessage({ from: `Alice Example <${alice!.username}>`, to: 'Dan Other <dan@acme.test>', subject: 'Our offer', messageId: sentByAlice }), ['\\Seen', '$CRM']);
      // A sent message copied from Sent into CRM: outgoing because it is from alice.
      await aliceBox.append('Sent', buildMessage({ from: `Alice Example <${alice!.username}>`, to: 'Erin <erin@elsewhere.test>', subject: 'Meeting notes', messageId: sentFiled }), ['\\Seen']);
      await aliceBox.mailboxOpen('Sent');
      await aliceBox.messageCopy({ header: { 'message-id': sentFiled } }, 'CRM');

      const first = await pass();
      expect(first).toMatch(/^imap:alice: ok, \d+ changed, 0 item error\(s\)$/m);
      expect(first).toMatch(/^shared-mailbox:support: ok, \d+ changed, 0 item error\(s\)$/m);
      expect(first).toMatch(/^shared-mailbox:sales: ok, 1 changed, 0 item error\(s\)$/m);
      expect(first).toContain('sync pass: 3 source(s), 0 failed, 0 item error(s)');

      // Shared mailbox: the unknown human sender gets a lead, the auto-reply none.
      const [lead, ...moreLeads] = (await api('/leads?email=uma@unknown.test')).items;
      expect(moreLeads).toEqual([]);
      expect(lead).toMatchObject({ firstName: 'Uma', lastName: 'Unknown', email: 'uma@unknown.test' });
      expect((await api('/leads?email=otto@away.test')).items).toEqual([]);
      expect((await api('/leads?email=Uma@Unknown.TEST')).items.map((item: { id: string }) => item.id)).toEqual([lead.id]);
      expect((await api('/leads?email=carol@acme.test')).items).toEqual([]);
      const ticket = await one(human);
      expect(ticket).toMatchObject({ kind: 'email_in', subject: 'Need help with my order', owner: null, queue: 'support', status: 'completed', inReplyTo: null, correlation: null, regarding: null });
      expect(ticket.parties).toEqual([
        { role: 'from', address: 'uma@unknown.test', name: 'Uma Unknown', contactId: null, accountId: null, leadId: lead.id, userId: null },
        { role: 'to', address: support!.username, name: null, contactId: null, accountId: null, leadId: null, userId: null },
      ]);
      expect(ticket.sources.map((source) => source.sourceId)).toEqual(['shared-mailbox:support']);
      const away = await one(autoReply);
      expect(away).toMatchObject({ kind: 'email_in', queue: 'support' });
      expect(away.parties[0]).toMatchObject({ role: 'from', address: 'otto@away.test', leadId: null });
      for (const id of [human, autoReply, both]) expect(await folderFlags(supportBox, 'INBOX', id), id).toContain('$CRMImported');
      // { moveTo: Processed }: the message left INBOX.
      const quote = await one(toSales);
      expect(quote).toMatchObject({ kind: 'email_in', queue: 'sales' });
      const salesInbox = await salesBox.status('INBOX', { messages: true });
      expect(salesInbox && salesInbox.messages).toBe(0);
      expect(await folderFlags(salesBox, 'Processed', toSales)).toBeDefined();
      expect((await api('/leads?email=sam@prospect.test')).items).toHaveLength(1);

      // Same Message-ID in the shared mailbox and tracked by alice: one activity, two sources.
      const priceList = await one(later);
      expect(priceList).toMatchObject({ queue: 'support', owner: null });
      const ticketAnswer = await one(ccSupport);
      expect(ticketAnswer).toMatchObject({ kind: 'email_in', queue: 'support', owner: null });
      expect(ticketAnswer.parties[0]).toMatchObject({ role: 'from', userId: 'alice' });
      const shared = await one(both);
      expect(shared).toMatchObject({ queue: 'support', owner: 'alice' });
      expect(shared.sources.map((source) => source.sourceId).sort()).toEqual(['imap:alice', 'shared-mailbox:support']);

      // Personal mailbox: copied into CRM, flagged $CRM, and Sent mail; parties resolved.
      const order = await one(copied);
      expect(order).toMatchObject({ kind: 'email_in', owner: 'alice', subject: 'Order 42', queue: null, regarding: null });
      expect(order.parties).toEqual([
        { role: 'from', address: 'carol@acme.test', name: 'Carol Customer', contactId: carol.id, accountId: acme.id, leadId: null, userId: null },
        { role: 'to', address: alice!.username, name: null, contactId: null, accountId: null, leadId: null, userId: 'alice' },
      ]);
      expect(order.sources.map((source) => source.sourceId)).toEqual(['imap:alice']);
      expect(await folderFlags(aliceBox, 'CRM', copied)).toContain('$CRMTracked');
      const delivery = await one(flagged);
      expect(delivery).toMatchObject({ kind: 'email_in', owner: 'alice', subject: 'Delivery date' });
      expect(await folderFlags(aliceBox, 'INBOX', flagged)).toEqual(expect.arrayContaining(['$CRM', '$CRMTracked']));
      const offer = await one(sentByAlice);
      expect(offer).toMatchObject({ kind: 'email_out', owner: 'alice', subject: 'Our offer' });
      expect(offer.parties).toEqual([
        { role: 'from', address: alice!.username, name: 'Alice Example', contactId: null, accountId: null, leadId: null, userId: 'alice' },
        { role: 'to', address: 'dan@acme.test', name: 'Dan Other', contactId: null, accountId: acme.id, leadId: null, userId: null },
      ]);
      const notes = await one(sentFiled);
      expect(notes).toMatchObject({ kind: 'email_out', owner: 'alice', subject: 'Meeting notes' });
      expect(notes.sources.map((source) => source.ref.split(';')[0])).toEqual(['CRM']);
      const answer = await one(sentReply);
      expect(answer).toMatchObject({ kind: 'email_out', owner: 'alice', inReplyTo: copied, correlation: { method: 'in-reply-to', activityId: order.id }, threadId: order.threadId });
      expect(await folderFlags(aliceBox, 'Sent', sentReply)).toContain('$CRMTracked');
      expect(await byMessageId(untouched)).toEqual([]);
      expect((await folderFlags(aliceBox, 'INBOX', untouched)).filter((flag) => ['$CRMTracked'].includes(flag))).toEqual([]);
      // GET by id answers the same record as the list.
      expect(await api(`/activities/${order.id}`)).toEqual(order);

      // The list filters.
      const wandering = await one(wander);
      expect(wandering).toMatchObject({ kind: 'email_in', owner: 'alice' });
      const all = [ticket, away, priceList, ticketAnswer, shared, quote, order, delivery, offer, notes, answer, wandering].map((activity) => activity.id).sort();
      expect(await ids('limit=500')).toEqual(all);
      expect(await ids('kind=email_out')).toEqual([offer.id, notes.id, answer.id].sort());
      expect(await ids('kind=email_in&owner=alice')).toEqual([shared.id, order.id, delivery.id, wandering.id].sort());
      expect(await ids('owner=alice')).toEqual([shared.id, order.id, delivery.id, offer.id, notes.id, answer.id, wandering.id].sort());
      expect(await ids('owner=nobody')).toEqual([]);
      expect(await ids(`contact=${carol.id}`)).toEqual([shared.id, order.id, delivery.id, answer.id].sort());
      expect(await ids(`account=${acme.id}`)).toEqual([shared.id, order.id, delivery.id, offer.id, answer.id].sort());
      expect(await ids('queue=support')).toEqual([ticket.id, away.id, priceList.id, ticketAnswer.id, shared.id].sort());
      expect(await ids('queue=sales')).toEqual([quote.id]);
      expect(await ids(`since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).toEqual([]);
      expect(await ids(`since=${encodeURIComponent(new Date(Date.now() - 600_000).toISOString())}&queue=sales`)).toEqual([quote.id]);
      // Pages of two: every activity once, `next` null on the last page.
      const paged: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const page: { items: Activity[]; next: string | null } = await api(`/activities?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
        expect(page.items.length).toBeLessThanOrEqual(2);
        expect(page).toHaveProperty('next');
        paged.push(...page.items.map((item) => item.id));
        cursor = page.next;
        pages += 1;
      } while (cursor !== null && pages < 10);
      expect(pages).toBe(Math.ceil(all.length / 2));
      expect([...paged].sort()).toEqual(all);
      // With a filter, the cursor goes on within it.
      const firstPage = await api('/activities?queue=support&limit=3');
      expect(firstPage.items).toHaveLength(3);
      const secondPage = await api(`/activities?queue=support&limit=3&cursor=${encodeURIComponent(firstPage.next)}`);
      expect(secondPage.next).toBeNull();
      expect([...firstPage.items, ...secondPage.items].map((item: Activity) => item.id).sort()).toEqual([ticket.id, away.id, priceList.id, ticketAnswer.id, shared.id].sort());
      // openapi.json names every filter of the contract on the list route, and how regarding is written.
      const doc = (await (await fetch(`${serve.url}/api/v1/openapi.json`)).json()) as { paths: Record<string, { get?: { parameters?: Array<{ name: string; description?: string }> } }> };
      const parameters = doc.paths['/api/v1/activities']?.get?.parameters ?? [];
      expect(parameters.map((parameter) => parameter.name)).toEqual(expect.arrayContaining(['kind', 'owner', 'contact', 'account', 'regarding', 'queue', 'since', 'limit', 'cursor']));
      expect(parameters.find((parameter) => parameter.name === 'regarding')?.description).toContain('type:id');
      // Regarding: set through the API, found by id and by type:id.
      const deal = await api('/opportunities', 'POST', { name: 'Acme renewal', accountId: acme.id, owner: 'alice' });
      const linked = await api(`/activities/${delivery.id}/regarding`, 'POST', { type: 'opportunity', id: deal.id });
      expect(linked).toMatchObject({ id: delivery.id, regarding: { type: 'opportunity', id: deal.id } });
      expect((await api(`/activities/${delivery.id}`)).regarding).toEqual({ type: 'opportunity', id: deal.id });
      expect(await ids(`regarding=${deal.id}`)).toEqual([delivery.id]);
      expect(await ids(`regarding=opportunity:${deal.id}`)).toEqual([delivery.id]);
      expect(await ids(`regarding=account:${deal.id}`)).toEqual([]);
      // Bad filter values and requests: { error, code } with a 4xx status.
      await expectError('/activities?kind=fax', 400, 'INVALID_INPUT');
      // A type that is none of account, contact, lead, opportunity is a bad value, not an empty result.
      await expectError(`/activities?regarding=deal:${deal.id}`, 400, 'INVALID_INPUT');
      await expectError('/activities?regarding=', 400, 'INVALID_INPUT');
      await expectError('/activities?since=yesterday', 400, 'INVALID_INPUT');
      await expectError('/activities?limit=0', 400, 'INVALID_INPUT');
      await expectError('/activities?limit=many', 400, 'INVALID_INPUT');
      expect((await call('/activities?limit=2.5')).body).toMatchObject({ error: 'limit: expected an integer', code: 'INVALID_INPUT' });
      await expectError('/activities?cursor=not-a-cursor', 400, 'INVALID_INPUT');
      await expectError(`/activities/${delivery.id}/regarding`, 400, 'INVALID_INPUT', 'POST', { type: 'planet', id: deal.id });
      // A regarding record that does not exist is a bad body (the product's convention for references), naming the field.
      await expectError(`/activities/${delivery.id}/regarding`, 400, 'INVALID_INPUT', 'POST', { type: 'opportunity', id: 'opp_00000000000000000000000000' });
      expect((await call(`/activities/${delivery.id}/regarding`, 'POST', { type: 'account', id: deal.id })).body.error).toContain('regarding.id');
      await expectError('/activities/act_00000000000000000000000000/regarding', 404, 'NOT_FOUND', 'POST', { type: 'opportunity', id: deal.id });

      // Untracking: $CRM taken off, and DELETE in the CRM.
      await aliceBox.mailboxOpen('INBOX');
      await aliceBox.messageFlagsRemove({ header: { 'message-id': flagged } }, ['$CRM']);
      // alice now tracks the price list the shared mailbox imported: it becomes hers, still one activity.
      await aliceBox.messageFlagsAdd({ header: { 'message-id': later } }, ['$CRM']);
      await aliceBox.mailboxOpen('Sent');
      await aliceBox.messageFlagsAdd({ header: { 'message-id': ccSupport } }, ['$CRM']);
      await aliceBox.mailboxOpen('INBOX');
      await aliceBox.messageMove({ header: { 'message-id': wander } }, 'CRM');
      const removed = await call(`/activities/${offer.id}`, 'DELETE');
      expect(removed.status).toBe(204);
      await expectError(`/activities/${offer.id}`, 404, 'NOT_FOUND');
      await pass();
      await expectError(`/activities/${delivery.id}`, 404, 'NOT_FOUND');
      expect((await folderFlags(aliceBox, 'INBOX', flagged)).filter((flag) => ['$CRM', '$CRMTracked'].includes(flag))).toEqual([]);
      expect((await folderFlags(aliceBox, 'Sent', sentByAlice)).filter((flag) => ['$CRM', '$CRMTracked'].includes(flag))).toEqual([]);
      expect(await folderFlags(aliceBox, 'Sent', sentByAlice)).toContain('\\Seen');
      expect(await byMessageId(sentByAlice)).toEqual([]);
      const tracked = await one(later);
      expect(tracked).toMatchObject({ id: priceList.id, queue: 'support', owner: 'alice' });
      expect(tracked.sources.map((source) => source.sourceId).sort()).toEqual(['imap:alice', 'shared-mailbox:support']);
      // Her own mail, tracked from Sent: outgoing and hers, as if her mailbox had been read first.
      const answered = await one(ccSupport);
      expect(answered).toMatchObject({ id: ticketAnswer.id, kind: 'email_out', queue: 'support', owner: 'alice' });
      expect(answered.sources.map((source) => source.sourceId).sort()).toEqual(['imap:alice', 'shared-mailbox:support']);

      // Mail sent from the CRM, and bob's answer: auto-tracked, correlated, same thread.
      const sent = await api('/emails', 'POST', { from: 'alice', to: [bob!.username], subject: 'Renewal offer', text: 'Dear Bob, our offer.', regarding: { type: 'opportunity', id: deal.id } });
      expect(sent).toMatchObject({ kind: 'email_out', owner: 'alice', regarding: { type: 'opportunity', id: deal.id } });
      expectMailActivity(sent);
      const bobBox = await imapClient(servers, bob!.username);
      try {
        await eventually(async () => ((await flagsOf(bobBox, 'INBOX')).has(sent.messageId) ? true : undefined));
      } finally {
        await bobBox.logout();
      }
      // In CRM now (the keyword came along): one activity; $CRM taken off there, the folder still tracks it.
      const moved = await one(wander);
      expect(moved.id).toBe(wandering.id);
      expect(moved.sources.map((source) => source.ref.split(';')[0])).toContain('CRM');
      await aliceBox.mailboxOpen('CRM');
      await aliceBox.messageFlagsRemove({ header: { 'message-id': wander } }, ['$CRM']);
      const bobReply = newMessageId('bob.example');
      await aliceBox.append('INBOX', buildMessage({ from: `Bob Buyer <${bob!.username}>`, to: alice!.username, subject: `Re: ${sent.subject}`, messageId: bobReply, inReplyTo: sent.messageId, references: sent.messageId }));
      await pass();
      // Another pass changes nothing: the untracked messages are not imported again, nothing doubles.
      const again = await pass();
      expect(again).toMatch(/^imap:alice: ok, 0 changed, 0 item error\(s\)$/m);
      const reply = await one(bobReply);
      expect(reply).toMatchObject({ kind: 'email_in', owner: 'alice', inReplyTo: sent.messageId, correlation: { method: 'in-reply-to', activityId: sent.id }, threadId: sent.threadId, regarding: { type: 'opportunity', id: deal.id } });
      expect(await folderFlags(aliceBox, 'INBOX', bobReply)).toContain('$CRMTracked');
      // The Sent copy the bridge filed is the same activity.
      const sentAgain = await one(sent.messageId);
      expect(sentAgain.id).toBe(sent.id);
      expect(sentAgain.sources.map((source) => source.sourceId)).toContain('imap:alice');
      expect(await byMessageId(sentByAlice)).toEqual([]);
      await expectError(`/activities/${delivery.id}`, 404, 'NOT_FOUND');
      expect(await ids('limit=500')).toEqual([...all.filter((id) => id !== offer.id && id !== delivery.id), sent.id, reply.id].sort());
      // The auto-tracked reply filed into CRM: the same activity, held by CRM only.
      await aliceBox.mailboxOpen('INBOX');
      await aliceBox.messageMove({ header: { 'message-id': bobReply } }, 'CRM');
      await pass();
      const filedReply = await one(bobReply);
      expect(filedReply.id).toBe(reply.id);
      expect(filedReply.sources.filter((source) => source.sourceId === 'imap:alice').map((source) => source.ref.split(';')[0])).toEqual(['CRM']);
      // An auto-tracked reply deleted in the CRM is not tracked again by the policy that tracked it.
      expect((await call(`/activities/${reply.id}`, 'DELETE')).status).toBe(204);
      await pass();
      expect(await byMessageId(bobReply)).toEqual([]);
      expect((await one(wander)).id).toBe(wandering.id);
      // Moved out of CRM into INBOX (no keyword any more): untracked, although it was once tracked in INBOX.
      await aliceBox.mailboxOpen('CRM');
      await aliceBox.messageMove({ header: { 'message-id': wander } }, 'INBOX');
      await pass();
      await expectError(`/activities/${wandering.id}`, 404, 'NOT_FOUND');
      expect((await folderFlags(aliceBox, 'CRM', bobReply)).filter((flag) => ['$CRMTracked'].includes(flag))).toEqual([]);
    } finally {
      await serve.stop();
      for (const client of [supportBox, salesBox, aliceBox]) await client.logout();
    }
  });
});

describe('serve with the default sync settings (IMAP IDLE)', () => {
  it('tracks and untracks at once: $CRM set and taken off, mail into and out of CRM, DELETE, shared mailbox mail, a reply by SMTP', async () => {
    const [alice, support, bob] = await createMailUsers(servers, ['alice', 'support', 'bob']);
    const dir = tempDir();
    const port = await freePort();
    const file = writeConfig(dir, `
${serverConfigYaml(port)}users:
  - id: alice
    name: Alice Example
    email: ${alice!.username}
    imap: ${imapOf(alice!.username)}
    smtp: { host: ${servers.smtp.host}, port: ${servers.smtp.port}, security: none, username: ${alice!.username}, password: secret }
    mail: { trackedFolders: [CRM], trackingKeyword: $CRM, autoTrack: replies, sentFolder: Sent }
sharedMailboxes:
  - id: support
    address: ${support!.username}
    imap: ${imapOf(support!.username)}
    folders: [INBOX]
    unknownSender: lead
    processed: { keyword: $CRMImported }
`);
    const serve = await startServe(file, dir, env);
    const aliceBox = await imapClient(servers, alice!.username);
    const supportBox = await imapClient(servers, support!.username);
    try {
      const call = async (path: string, method = 'GET'): Promise<Response> => fetch(`${serve.url}/api/v1${path}`, { method, headers: { authorization: `Bearer ${token}` } });
      const find = async (messageId: string): Promise<Activity | undefined> => ((await (await call(`/activities?messageId=${encodeURIComponent(messageId)}`)).json()) as { items: Activity[] }).items[0];
      const gone = async (messageId: string) => ((await find(messageId)) === undefined ? true : undefined);
      await eventually(async () => ((await aliceBox.list()).some((folder) => folder.path === 'CRM') ? true : undefined));

      const flagged = newMessageId('acme.test');
      const filed = newMessageId('acme.test');
      const ticket = newMessageId('unknown.test');
      const movedOut = newMessageId('acme.test');
      await aliceBox.append('INBOX', buildMessage({ from: 'Carol <carol@acme.test>', to: alice!.username, subject: 'Flag me', messageId: flagged }));
      await aliceBox.append('CRM', buildMessage({ from: 'Carol <carol@acme.test>', to: alice!.username, subject: 'Filed by mistake', messageId: movedOut }));
      await aliceBox.append('CRM', buildMessage({ from: 'Carol <carol@acme.test>', to: alice!.username, subject: 'File me', messageId: filed }));
      await supportBox.append('INBOX', buildMessage({ from: 'Uma <uma@unknown.test>', to: support!.username, subject: 'Help', messageId: ticket }));
      await aliceBox.mailboxOpen('INBOX');
      await aliceBox.messageFlagsAdd({ header: { 'message-id': flagged } }, ['$CRM']);

      const byFlag = await eventually(() => find(flagged));
      expect(byFlag).toMatchObject({ kind: 'email_in', owner: 'alice', subject: 'Flag me' });
      const byFolder = await eventually(() => find(filed));
      expect(byFolder).toMatchObject({ kind: 'email_in', owner: 'alice', subject: 'File me' });
      expect(await eventually(() => find(ticket))).toMatchObject({ kind: 'email_in', queue: 'support' });
      await eventually(async () => ((await folderFlags(supportBox, 'INBOX', ticket)).includes('$CRMImported') ? true : undefined));

      // Taking $CRM off untracks; DELETE in the CRM takes the keyword off the message.
      await aliceBox.mailboxOpen('INBOX');
      await aliceBox.messageFlagsRemove({ header: { 'message-id': flagged } }, ['$CRM']);
      await eventually(() => gone(flagged));
      expect((await call(`/activities/${byFlag.id}`)).status).toBe(404);
      // Let the passes the untracking above set off end: the mailbox then stays quiet, so only the
      // CRM deletion can wake the source (IDLE hears nothing; the interval is 5 minutes).
      await new Promise((resolve) => setTimeout(resolve, 2000));
      expect((await call(`/activities/${byFolder.id}`, 'DELETE')).status).toBe(204);
      await eventually(async () => ((await folderFlags(aliceBox, 'CRM', filed)).includes('$CRMTracked') ? undefined : true));
      expect(await find(filed)).toBeUndefined();
      // Moved out of CRM into INBOX: untracked.
      expect(await eventually(() => find(movedOut))).toMatchObject({ owner: 'alice' });
      await aliceBox.mailboxOpen('CRM');
      await aliceBox.messageMove({ header: { 'message-id': movedOut } }, 'INBOX');
      await eventually(() => gone(movedOut));

      // Sent from the CRM; bob answers through the SMTP server: tracked within moments, correlated.
      const response = await fetch(`${serve.url}/api/v1/emails`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify({ from: 'alice', to: [bob!.username], subject: 'Your quote', text: 'Attached.' }) });
      expect(response.status).toBe(201);
      const sent = (await response.json()) as Activity;
      const transport = nodemailer.createTransport({ host: servers.smtp.host, port: servers.smtp.port, secure: false, ignoreTLS: true });
      const answer = await transport.sendMail({ from: `Bob <${bob!.username}>`, to: alice!.username, subject: `Re: ${sent.subject}`, text: 'Thanks!', inReplyTo: sent.messageId!, references: [sent.messageId!] });
      const reply = await eventually(() => find(answer.messageId));
      expect(reply).toMatchObject({ kind: 'email_in', owner: 'alice', correlation: { method: 'in-reply-to', activityId: sent.id }, threadId: sent.threadId });
      expectMailActivity(reply);
    } finally {
      await serve.stop();
      for (const client of [aliceBox, supportBox]) await client.logout();
    }
  });
});

describe('sync --once exit status with mail sources', () => {
  it('is non-zero when an IMAP server is unreachable or the password is wrong, and the other sources are still synced', async () => {
    const [good, other] = await createMailUsers(servers, ['good', 'other']);
    const dir = tempDir();
    const client = await imapClient(servers, good!.username);
    try {
      await client.mailboxCreate('CRM');
      const yaml = (broken: string) => `
database: sqlite:./data/crm-bridge.db
secretKey: \${TEST_SECRET_KEY}
users:
${broken}
  - id: good
    name: Good Example
    email: ${good!.username}
    imap: ${imapOf(good!.username)}
    mail: { trackedFolders: [CRM] }
`;
      const cases = [
        { source: 'imap:wrongpw', code: 'AUTH', broken: `  - id: wrongpw\n    name: Wrong Password\n    email: ${other!.username}\n    imap: ${imapOf(other!.username, 'not-the-password')}` },
        { source: 'shared-mailbox:down', code: 'TEMPORARY', broken: '' },
      ];
      const downPort = await freePort();
      for (const [index, entry] of cases.entries()) {
        const messageId = newMessageId('acme.test');
        await client.append('CRM', buildMessage({ subject: `Case ${index}`, messageId }));
        const shared = entry.source === 'shared-mailbox:down' ? `sharedMailboxes:\n  - { id: down, address: down@example.com, imap: ${imapOf('down@example.com', 'secret', downPort)} }\n` : '';
        const file = writeConfig(dir, yaml(entry.broken) + shared);
        const checked = await runCli(['check-config', '--config', file], { cwd: dir, env });
        expect(checked.code, checked.stderr).toBe(0);
        const result = await runCli(['sync', '--once', '--config', file], { cwd: dir, env });
        expect(result.code, result.stdout).toBe(1);
        expect(result.stdout).toMatch(new RegExp(`^${entry.source}: FAILED ${entry.code}`, 'm'));
        expect(result.stdout).toMatch(/^imap:good: ok, 1 changed, 0 item error\(s\)$/m);
        expect(result.stdout).toContain('sync pass: 2 source(s), 1 failed');
        expect(await folderFlags(client, 'CRM', messageId)).toContain('$CRMTracked');
      }
    } finally {
      await client.logout();
    }
  });
});

describe('check-config and IMAP keywords', () => {
  it('rejects a tracking or processed keyword no IMAP server can store, naming its key; accepts a system flag', async () => {
    const dir = tempDir();
    const yaml = (trackingKeyword: string, processedKeyword: string) => `
secretKey: \${TEST_SECRET_KEY}
users:
  - id: alice
    name: Alice Example
    email: alice@example.com
    imap: ${imapOf('alice@example.com')}
    mail: { trackedFolders: [CRM], trackingKeyword: ${trackingKeyword}, autoTrack: replies, sentFolder: Sent }
sharedMailboxes:
  - id: support
    address: support@example.com
    imap: ${imapOf('support@example.com')}
    folders: [INBOX]
    unknownSender: lead
    processed: { keyword: ${processedKeyword} }
`;
    const bad = await runCli(['check-config', '--config', writeConfig(dir, yaml("'CRM track'", "'done(1)'"))], { cwd: dir, env });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('users[0].mail.trackingKeyword: expected an IMAP keyword');
    expect(bad.stderr).toContain('sharedMailboxes[0].processed.keyword: expected an IMAP keyword');
    const good = await runCli(['check-config', '--config', writeConfig(dir, yaml('\\Flagged', '$CRMImported'))], { cwd: dir, env });
    expect(good.code, good.stderr).toBe(0);
  });
});
