// The mail import (and the Sent copy of CRM mail) against servers whose folders are not laid out
// like the harness's default Dovecot (issue #3): a Cyrus/Courier-style namespace (prefix `INBOX.`,
// delimiter `.`) and a Gmail-style one (special-use folders below a `[Gmail]` container). Each
// layout runs on its own real Dovecot, started here (test/servers/dovecot.ts `layout`), with the
// real bridge code.

import type { ImapFlow } from 'imapflow';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDovecot, type DovecotServer } from '../../servers/dovecot.js';
import { startSmtp } from '../../servers/smtp.js';
import { randomUsername } from '../../servers/users.js';
import { startApi } from '../../support/api-server.js';
import { buildMessage, flagsOf, imapClient, mailConfig, newMessageId, syncSource } from '../../support/mail.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';

// Every test gets its own mailbox; created with the server, so no passwd-file reload is waited for.
const cyrusUsers = ['tracked', 'sent', 'shared'].map((prefix) => randomUsername(`cyrus-${prefix}`, 'example.com'));
const bareUsers = ['bare', 'shared', 'relink'].map((prefix) => randomUsername(`cyrus-${prefix}`, 'example.com'));
const gmailUsers = ['sent', 'labels', 'named-sent', 'outbox', 'untrack'].map((prefix) => randomUsername(`gmail-${prefix}`, 'example.com'));
// A fresh Cyrus account shows nothing but INBOX: no special-use folder is created for it.
const noSpecialFolders = ['Drafts', 'Sent', 'Trash', 'Junk'].map((name) => `namespace inbox {\n  mailbox ${name} {\n    auto = no\n  }\n}\n`).join('');

let cyrus: DovecotServer;
let cyrusBare: DovecotServer;
let gmail: DovecotServer;
beforeAll(async () => {
  // All at once; whichever started is stopped in afterAll even when another one failed.
  const [c, b, g] = await Promise.allSettled([
    startDovecot({ layout: 'cyrus', users: cyrusUsers }),
    startDovecot({ layout: 'cyrus', users: bareUsers, extraConfig: noSpecialFolders }),
    startDovecot({ layout: 'gmail', users: gmailUsers }),
  ]);
  if (c.status === 'fulfilled') cyrus = c.value;
  if (b.status === 'fulfilled') cyrusBare = b.value;
  if (g.status === 'fulfilled') gmail = g.value;
  for (const result of [c, b, g]) if (result.status === 'rejected') throw result.reason;
});
afterAll(async () => {
  await Promise.all([cyrus?.stop(), cyrusBare?.stop(), gmail?.stop()]);
});

let t: TestStore;
let clients: ImapFlow[] = [];
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => {
  await Promise.all(clients.map((client) => client.logout().catch(() => undefined)));
  clients = [];
  await t.close();
});

async function setup(server: DovecotServer, email: string, mail: Record<string, unknown>) {
  const servers = { dovecot: server.info };
  const config = mailConfig(servers, { users: [{ id: 'alice', email, mail }] });
  const client = await imapClient(servers, email);
  clients.push(client);
  for (const user of config.users) await t.store.users.upsert(user);
  return { client, sync: () => syncSource(t.store, config, 'imap:alice') };
}

/** A shared mailbox that moves what it imported into `Processed` (a configured name, mapped onto the server). */
async function setupShared(server: DovecotServer, address: string) {
  const servers = { dovecot: server.info };
  const config = mailConfig(servers, { shared: [{ id: 'support', address, extra: { folders: ['INBOX'], unknownSender: 'unresolved', processed: { moveTo: 'Processed' } } }] });
  const client = await imapClient(servers, address);
  clients.push(client);
  return { client, sync: () => syncSource(t.store, config, 'shared-mailbox:support') };
}

async function folderPaths(client: ImapFlow): Promise<string[]> {
  return (await client.list()).map((folder) => folder.path).sort();
}

async function activityOf(messageId: string) {
  const { items } = await t.store.activities.list({ messageId }, { limit: 10 });
  return items;
}

/** The folders an activity's IMAP sources point at (ref = `folder;UIDVALIDITY=..;UID=..`). */
function sourceFolders(activity: { sources: Array<{ ref: string }> }): string[] {
  return activity.sources.map((source) => source.ref.split(';UIDVALIDITY=')[0]!).sort();
}

describe('Cyrus-style layout: prefix INBOX., delimiter "." (real Dovecot)', () => {
  it('creates the tracked folder and the account/opportunity folders below INBOX with "."; mail there is tracked and regarding the record', async () => {
    const { client, sync } = await setup(cyrus, cyrusUsers[0]!, { autoTrack: 'none', trackedFolders: ['CRM', 'Projects/Big'] });
    const account = await t.store.accounts.create({ name: 'Acme Inc.', owner: 'alice' });
    const deal = await t.store.opportunities.create({ name: 'Renewal 2027', owner: 'alice' });
    await t.store.accounts.create({ name: 'Someone else', owner: null });
    // Configured names use `/`; sub-folders are not worth an IDLE connection, the roots and \Sent are.
    expect(await sync()).toEqual({ changed: 0, itemErrors: 0, watch: ['INBOX.CRM', 'INBOX.Projects.Big', 'INBOX', 'INBOX.Sent'] });

    const folders = await folderPaths(client);
    // `.` in the account name is the delimiter here: it must not open a further level.
    expect(folders).toEqual(['INBOX', 'INBOX.CRM', 'INBOX.CRM.Acme Inc-', 'INBOX.CRM.Renewal 2027', 'INBOX.Drafts', 'INBOX.Junk', 'INBOX.Projects', 'INBOX.Projects.Big', 'INBOX.Sent', 'INBOX.Trash']);
    const links = await t.store.mailMessages.folderLinks('imap:alice');
    expect(Object.fromEntries(links)).toEqual({ 'INBOX.CRM.Acme Inc-': { type: 'account', id: account.id }, 'INBOX.CRM.Renewal 2027': { type: 'opportunity', id: deal.id } });

    const forAccount = newMessageId();
    const plain = newMessageId();
    const notTracked = newMessageId();
    const project = newMessageId();
    await client.append('INBOX.CRM.Acme Inc-', buildMessage({ messageId: forAccount, subject: 'Order for Acme' }));
    await client.append('INBOX.CRM', buildMessage({ messageId: plain, subject: 'Filed by hand' }));
    await client.append('INBOX.Projects.Big', buildMessage({ messageId: project, subject: 'Project mail' }));
    await client.append('INBOX', buildMessage({ messageId: notTracked, subject: 'Stays private' }));
    expect(await sync()).toMatchObject({ changed: 3, itemErrors: 0 });

    const [onAccount] = await activityOf(forAccount);
    expect(onAccount).toMatchObject({ kind: 'email_in', owner: 'alice', subject: 'Order for Acme', regarding: { type: 'account', id: account.id } });
    expect(sourceFolders(onAccount!)).toEqual(['INBOX.CRM.Acme Inc-']);
    const [filed] = await activityOf(plain);
    expect(filed).toMatchObject({ kind: 'email_in', regarding: null });
    expect(sourceFolders(filed!)).toEqual(['INBOX.CRM']);
    expect(await activityOf(project)).toMatchObject([{ kind: 'email_in', subject: 'Project mail', regarding: null }]);
    expect(await activityOf(notTracked)).toEqual([]);
    expect((await flagsOf(client, 'INBOX.CRM.Acme Inc-')).get(forAccount)).toContain('$CRMTracked');
    expect((await flagsOf(client, 'INBOX.CRM')).get(plain)).toContain('$CRMTracked');
    expect((await flagsOf(client, 'INBOX')).get(notTracked)).not.toContain('$CRMTracked');
    // A second pass finds everything in place: no new folder, no new activity.
    expect(await sync()).toMatchObject({ changed: 0, itemErrors: 0 });
    expect(await folderPaths(client)).toEqual(folders);
  });

  it('reads INBOX.Sent (found by \\Sent) as sent mail and never reads INBOX.Trash or INBOX.Junk', async () => {
    const { client, sync } = await setup(cyrus, cyrusUsers[1]!, { autoTrack: 'all' });
    const incoming = newMessageId();
    const sent = newMessageId();
    const trashed = newMessageId();
    const junk = newMessageId();
    await client.append('INBOX', buildMessage({ messageId: incoming, subject: 'Question' }));
    // Sent from an alias the bridge does not know: only the folder's role makes it outgoing.
    await client.append('INBOX.Sent', buildMessage({ messageId: sent, from: 'Alice <alice.alias@example.org>', to: 'customer@acme.example', subject: 'Answer' }));
    await client.append('INBOX.Trash', buildMessage({ messageId: trashed, subject: 'Deleted' }));
    await client.append('INBOX.Junk', buildMessage({ messageId: junk, subject: 'Spam' }));
    expect(await sync()).toMatchObject({ changed: 2, itemErrors: 0 });

    const [inbound] = await activityOf(incoming);
    expect(inbound).toMatchObject({ kind: 'email_in', subject: 'Question' });
    const [outbound] = await activityOf(sent);
    expect(outbound).toMatchObject({ kind: 'email_out', subject: 'Answer', owner: 'alice' });
    expect(sourceFolders(outbound!)).toEqual(['INBOX.Sent']);
    expect(await activityOf(trashed)).toEqual([]);
    expect(await activityOf(junk)).toEqual([]);
    expect((await t.store.activities.list({}, { limit: 10 })).items).toHaveLength(2);
    // Not even selected: no cursor exists for them.
    expect(await t.store.syncCursors.get('imap:alice', 'INBOX.Trash')).toBeUndefined();
    expect(await t.store.syncCursors.get('imap:alice', 'INBOX.Junk')).toBeUndefined();
    expect(await t.store.syncCursors.get('imap:alice', 'INBOX.Sent')).toBeDefined();
    expect((await flagsOf(client, 'INBOX.Trash')).get(trashed)).not.toContain('$CRMTracked');
  });

  it('on an account that lists only INBOX, the CRM folders still go below INBOX. and the account folder is linked by its real path', async () => {
    const { client, sync } = await setup(cyrusBare, bareUsers[0]!, { autoTrack: 'none' });
    expect(await folderPaths(client)).toEqual(['INBOX']);
    const account = await t.store.accounts.create({ name: 'Acme Inc.', owner: 'alice' });
    expect(await sync()).toMatchObject({ changed: 0, itemErrors: 0 });
    expect(await folderPaths(client)).toEqual(['INBOX', 'INBOX.CRM', 'INBOX.CRM.Acme Inc-']);
    expect(Object.fromEntries(await t.store.mailMessages.folderLinks('imap:alice'))).toEqual({ 'INBOX.CRM.Acme Inc-': { type: 'account', id: account.id } });

    const id = newMessageId();
    await client.append('INBOX.CRM.Acme Inc-', buildMessage({ messageId: id, subject: 'Order for Acme' }));
    expect(await sync()).toMatchObject({ changed: 1, itemErrors: 0 });
    const [activity] = await activityOf(id);
    expect(activity).toMatchObject({ kind: 'email_in', regarding: { type: 'account', id: account.id } });
    expect(sourceFolders(activity!)).toEqual(['INBOX.CRM.Acme Inc-']);
    expect((await flagsOf(client, 'INBOX.CRM.Acme Inc-')).get(id)).toContain('$CRMTracked');
  });

  it('repairs an account folder link stored without the INBOX. prefix the server added (made before the fix)', async () => {
    const { client, sync } = await setup(cyrusBare, bareUsers[2]!, { autoTrack: 'none' });
    const account = await t.store.accounts.create({ name: 'Acme Inc.', owner: 'alice' });
    // What an earlier version stored: the path it asked for, while the server created INBOX.CRM.Acme Inc-.
    await client.mailboxCreate('INBOX.CRM');
    await client.mailboxCreate('INBOX.CRM.Acme Inc-');
    await t.store.mailMessages.linkFolder('imap:alice', 'CRM.Acme Inc-', { type: 'account', id: account.id });
    const id = newMessageId();
    await client.append('INBOX.CRM.Acme Inc-', buildMessage({ messageId: id, subject: 'Order for Acme' }));
    expect(await sync()).toMatchObject({ changed: 1, itemErrors: 0 });
    expect(Object.fromEntries(await t.store.mailMessages.folderLinks('imap:alice'))).toEqual({ 'INBOX.CRM.Acme Inc-': { type: 'account', id: account.id } });
    expect(await folderPaths(client)).toEqual(['INBOX', 'INBOX.CRM', 'INBOX.CRM.Acme Inc-']);
    expect(await activityOf(id)).toMatchObject([{ regarding: { type: 'account', id: account.id } }]);
  });

  it.each([
    ['with INBOX.Sent and friends', () => cyrus, () => cyrusUsers[2]!],
    ['listing only INBOX', () => cyrusBare, () => bareUsers[1]!],
  ])('a shared mailbox (%s) moves what it imported into INBOX.Processed', async (_label, server, user) => {
    const { client, sync } = await setupShared(server(), user());
    const first = newMessageId();
    const second = newMessageId();
    await client.append('INBOX', buildMessage({ messageId: first, subject: 'First' }));
    expect(await sync()).toEqual({ changed: 1, itemErrors: 0, watch: ['INBOX'] });
    expect(await folderPaths(client)).toContain('INBOX.Processed');
    expect(await folderPaths(client)).not.toContain('Processed');
    await client.append('INBOX', buildMessage({ messageId: second, subject: 'Second' }));
    expect(await sync()).toMatchObject({ changed: 1, itemErrors: 0 });
    expect([...(await flagsOf(client, 'INBOX.Processed')).keys()].sort()).toEqual([first, second].sort());
    expect((await flagsOf(client, 'INBOX')).size).toBe(0);
    for (const id of [first, second]) expect(await activityOf(id)).toMatchObject([{ kind: 'email_in', queue: 'support' }]);
  });
});

describe('Gmail-style layout: [Gmail]/Sent Mail, All Mail, Spam, Trash (real Dovecot)', () => {
  it('finds Sent Mail by \\Sent, imports a message in INBOX, a label and All Mail once, and never reads All Mail, Spam or Trash', async () => {
    const { client, sync } = await setup(gmail, gmailUsers[0]!, { autoTrack: 'all' });
    await sync(); // creates the CRM label
    const incoming = newMessageId();
    const sent = newMessageId();
    const archived = newMessageId();
    const spam = newMessageId();
    const trashed = newMessageId();
    // Gmail shows one message in every folder (label) it carries, and always in All Mail.
    const message = buildMessage({ messageId: incoming, subject: 'Pricing' });
    for (const folder of ['INBOX', 'CRM', '[Gmail]/All Mail']) await client.append(folder, message);
    const reply = buildMessage({ messageId: sent, from: 'Alice <alice.alias@example.org>', to: 'customer@acme.example', inReplyTo: incoming, subject: 'Re: Pricing' });
    for (const folder of ['[Gmail]/Sent Mail', '[Gmail]/All Mail']) await client.append(folder, reply);
    await client.append('[Gmail]/All Mail', buildMessage({ messageId: archived, subject: 'Archived only' }));
    await client.append('[Gmail]/Spam', buildMessage({ messageId: spam, subject: 'Cheap pills' }));
    await client.append('[Gmail]/Trash', buildMessage({ messageId: trashed, subject: 'Deleted' }));

    // The layout under test: `[Gmail]` is a container only, and the bridge created CRM at the top.
    const listed = await client.list();
    expect(listed.find((folder) => folder.path === '[Gmail]')?.flags).toContain('\\Noselect');
    expect(listed.map((folder) => folder.path)).toContain('CRM');
    expect(listed.map((folder) => folder.path)).not.toContain('INBOX/CRM');

    // `[Gmail]` is no folder to watch, nor are All Mail, Spam and Trash.
    expect(await sync()).toEqual({ changed: 2, itemErrors: 0, watch: ['CRM', 'INBOX', '[Gmail]/Sent Mail'] });
    const inbound = await activityOf(incoming);
    expect(inbound).toHaveLength(1);
    expect(inbound[0]).toMatchObject({ kind: 'email_in', owner: 'alice', subject: 'Pricing' });
    expect(sourceFolders(inbound[0]!)).toEqual(['CRM', 'INBOX']);
    const outbound = await activityOf(sent);
    expect(outbound).toHaveLength(1);
    expect(outbound[0]).toMatchObject({ kind: 'email_out', subject: 'Re: Pricing', correlation: { method: 'in-reply-to', activityId: inbound[0]!.id } });
    expect(sourceFolders(outbound[0]!)).toEqual(['[Gmail]/Sent Mail']);
    for (const id of [archived, spam, trashed]) expect(await activityOf(id)).toEqual([]);
    expect((await t.store.activities.list({}, { limit: 10 })).items).toHaveLength(2);
    for (const folder of ['[Gmail]/All Mail', '[Gmail]/Spam', '[Gmail]/Trash', '[Gmail]/Drafts', '[Gmail]']) {
      expect(await t.store.syncCursors.get('imap:alice', folder)).toBeUndefined();
    }
    expect((await flagsOf(client, '[Gmail]/All Mail')).get(incoming)).not.toContain('$CRMTracked');
    expect((await flagsOf(client, 'CRM')).get(incoming)).toContain('$CRMTracked');
    expect(await sync()).toMatchObject({ changed: 0, itemErrors: 0 });
  });

  it('a configured sent folder the server does not have (`sentFolder: Sent`) falls back to the \\Sent folder', async () => {
    const { client, sync } = await setup(gmail, gmailUsers[2]!, { autoTrack: 'all', sentFolder: 'Sent' });
    const sent = newMessageId();
    await client.append('[Gmail]/Sent Mail', buildMessage({ messageId: sent, from: 'Alice <alice.alias@example.org>', to: 'customer@acme.example', subject: 'Quote' }));
    expect(await sync()).toMatchObject({ changed: 1, itemErrors: 0 });
    const outbound = await activityOf(sent);
    expect(outbound).toMatchObject([{ kind: 'email_out', subject: 'Quote' }]);
    expect(sourceFolders(outbound[0]!)).toEqual(['[Gmail]/Sent Mail']);
    // Nothing named Sent was made up.
    expect(await folderPaths(client)).not.toContain('Sent');
  });

  it('taking the CRM label off (the message stays in All Mail) untracks it; moved to [Gmail]/Trash or [Gmail]/Spam it keeps its activity', async () => {
    const { client, sync } = await setup(gmail, gmailUsers[4]!, { autoTrack: 'none' });
    await sync(); // creates the CRM label
    const ids = { unlabelled: newMessageId(), trashed: newMessageId(), spam: newMessageId() };
    const messages = new Map(Object.values(ids).map((id) => [id, buildMessage({ messageId: id })]));
    for (const message of messages.values()) await client.append('CRM', message);
    // On Gmail a trashed or spam message leaves All Mail; one whose label is taken off stays there
    // (the same message: the same bytes).
    await client.append('[Gmail]/All Mail', messages.get(ids.unlabelled)!);
    expect(await sync()).toMatchObject({ changed: 3, itemErrors: 0 });
    const before = Object.fromEntries(await Promise.all(Object.entries(ids).map(async ([name, id]) => [name, (await activityOf(id))[0]!.id])));

    await client.mailboxOpen('CRM');
    const uidOf = async (id: string) => (await client.search({ header: { 'message-id': id } }, { uid: true })) as number[];
    // Gmail's default for an expunge in a label: the label comes off, the message is archived.
    await client.messageDelete(await uidOf(ids.unlabelled), { uid: true });
    await client.messageMove(await uidOf(ids.trashed), '[Gmail]/Trash', { uid: true });
    await client.messageMove(await uidOf(ids.spam), '[Gmail]/Spam', { uid: true });
    expect(await sync()).toMatchObject({ itemErrors: 0 });

    expect(await t.store.activities.get(before['unlabelled']!)).toBeUndefined();
    expect(await t.store.activities.get(before['trashed']!)).toMatchObject({ messageId: ids.trashed });
    expect(await t.store.activities.get(before['spam']!)).toMatchObject({ messageId: ids.spam });
    expect(await sync()).toMatchObject({ changed: 0, itemErrors: 0 });
    expect((await t.store.activities.list({}, { limit: 10 })).items.map((activity) => activity.messageId).sort()).toEqual([ids.trashed, ids.spam].sort());
  });

  it('mail sent from the CRM is filed in [Gmail]/Sent Mail (not a new Sent folder) and the next pass keeps it one activity', async () => {
    // An SMTP server that authenticates against and delivers into the Gmail-style Dovecot.
    const smtp = await startSmtp({ dovecot: gmail.info });
    const email = gmailUsers[3]!;
    const api = await startApi(
      {
        mail: { domain: 'crm.example.com' },
        users: [{
          id: 'alice', name: 'Alice', email,
          imap: { host: gmail.info.host, port: gmail.info.imapPort, security: 'none', username: email, password: 'secret' },
          smtp: { host: smtp.info.host, port: smtp.info.port, security: 'none', username: email, password: 'secret' },
          mail: { sentFolder: 'Sent', autoTrack: 'all' },
        }],
      },
      { mail: true },
    );
    try {
      const sent = await api.call('POST', '/api/v1/emails', { body: { from: 'alice', to: ['bob@example.com'], subject: 'Offer', text: 'Our offer.' } });
      expect(sent.body).toMatchObject({ kind: 'email_out', delivery: { state: 'sent' } });
      const mail = sent.body as { id: string; messageId: string };
      const client = await imapClient({ dovecot: gmail.info }, email);
      clients.push(client);
      expect(await client.status('[Gmail]/Sent Mail', { messages: true })).toMatchObject({ messages: 1 });
      expect(await folderPaths(client)).not.toContain('Sent');

      expect(await syncSource(api.t.store, api.config, 'imap:alice')).toMatchObject({ itemErrors: 0 });
      const { items } = await api.t.store.activities.list({ messageId: mail.messageId }, { limit: 5 });
      expect(items.map((activity) => activity.id)).toEqual([mail.id]);
      expect(items[0]).toMatchObject({ kind: 'email_out' });
      expect(sourceFolders({ sources: items[0]!.sources.filter((source) => source.type === 'imap') })).toEqual(['[Gmail]/Sent Mail']);
    } finally {
      await api.close();
      await smtp.stop();
    }
  });

  it('gives an account whose name holds the delimiter and brackets one valid sub-folder; mail moved there is regarding it', async () => {
    const { client, sync } = await setup(gmail, gmailUsers[1]!, { autoTrack: 'none', trackingKeyword: '$CRM' });
    const account = await t.store.accounts.create({ name: 'Acme/Europe [EU]', owner: 'alice' });
    const deal = await t.store.opportunities.create({ name: '50% * [Gmail]/Spam', owner: 'alice' });
    expect(await sync()).toMatchObject({ changed: 0, itemErrors: 0 });

    const folders = await client.list();
    const below = folders.filter((folder) => folder.path.startsWith('CRM/')).map((folder) => folder.path).sort();
    // One segment each: the delimiter becomes `-`, IMAP wildcards are dropped, brackets stay.
    expect(below).toEqual(['CRM/50 [Gmail]-Spam', 'CRM/Acme-Europe [EU]']);
    for (const path of below) expect(folders.find((folder) => folder.path === path)?.flags).not.toContain('\\Noselect');
    expect(folders.map((folder) => folder.path)).not.toContain('CRM/Acme');

    const keyworded = newMessageId();
    const moved = newMessageId();
    await client.append('INBOX', buildMessage({ messageId: keyworded, subject: 'By keyword' }), ['$CRM']);
    await client.append('INBOX', buildMessage({ messageId: moved, subject: 'For Europe' }));
    await client.mailboxOpen('INBOX');
    await client.messageMove({ header: { 'message-id': moved } }, 'CRM/Acme-Europe [EU]');
    await client.append('CRM/50 [Gmail]-Spam', buildMessage({ subject: 'For the deal' }));
    expect(await sync()).toMatchObject({ changed: 3, itemErrors: 0 });

    expect(await activityOf(keyworded)).toMatchObject([{ kind: 'email_in', regarding: null }]);
    const [europe] = await activityOf(moved);
    expect(europe).toMatchObject({ kind: 'email_in', regarding: { type: 'account', id: account.id } });
    expect(sourceFolders(europe!)).toEqual(['CRM/Acme-Europe [EU]']);
    expect((await t.store.activities.list({ regarding: deal.id }, { limit: 5 })).items.map((activity) => activity.subject)).toEqual(['For the deal']);
    expect((await flagsOf(client, 'CRM/Acme-Europe [EU]')).get(moved)).toContain('$CRMTracked');
    // The real [Gmail]/Spam is still not read.
    expect(await t.store.syncCursors.get('imap:alice', '[Gmail]/Spam')).toBeUndefined();
  });
});
