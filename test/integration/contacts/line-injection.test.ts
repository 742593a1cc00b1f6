// Line injection (issue #12, defect 2): a CR or CRLF in a single-line CRM field must not become a
// property of its own in the object the server stores (RFC 6350 §3.2, RFC 5545 §3.1). The CRM
// records are written to the store directly (the API refuses such text with 400) or arrive by mail
// (an RFC 2047 encoded CR in a From display name, with createContacts on). The objects are read
// back from the real servers: what Radicale and Xandikos stored, not what the bridge sent.
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { CardDavConnector } from '../../../adapters/carddav/index.js';
import { ImapConnector } from '../../../adapters/imap/index.js';
import { configSchema } from '../../../src/config/schema.js';
import { contactRunner } from '../../../src/sync/contacts/contacts-runner.js';
import { mailboxSpecOf, mailSyncDeps } from '../../../src/sync/mail/mail-runner.js';
import { syncMailbox } from '../../../src/sync/mail/mailbox-sync.js';
import { sourcesOf } from '../../../src/sync/sources.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';
import { appendMessages, buildMessage, imapClient } from '../../support/mail.js';
import { createMailUser, createRadicaleUser } from '../../servers/users.js';
import { calendarConfig, calendarUser, clientSession, collectionNamed, hoursAhead, objectsOf, serverNames as calendarServers, syncOnce } from '../calendar/support.js';
import { Client, contactsConfig, davAccount, serverNames, syncContacts, uniqueBookName } from './support.js';

const servers = inject('servers');
let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());

/** Property names of stored iCalendar/vCard text, split at every line break a lenient parser sees. */
function propertyNames(text: string): string[] {
  return text
    .replace(/\r\n[ \t]/g, '')
    .split(/\r\n|[\r\n]/)
    .filter((line) => line !== '')
    .map((line) => /^[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)?/.exec(line)?.[0]?.toUpperCase() ?? line);
}

const injected = 'Eve\r\nEMAIL:evil@attacker.example\rTEL:+15550100\nX-INJECTED:1';

describe.each(serverNames)('CardDAV on %s', (server) => {
  it('a CR or CRLF in lastName, company, title and displayName adds no EMAIL or TEL to the stored card', async () => {
    const settings = await davAccount(servers, server);
    const book = uniqueBookName();
    await t.store.users.upsert({ id: 'alice', name: 'Alice', email: 'alice@example.com' });
    await t.store.contacts.create({ firstName: 'Eve', lastName: injected, displayName: injected, company: injected, title: injected, emails: ['eve@customer.example'], owner: 'alice' });
    expect(await syncContacts(t.store, contactsConfig(settings, { addressBook: book }))).toMatchObject({ itemErrors: 0 });

    const [card, ...others] = await (await Client.open(settings, book)).cards();
    expect(others).toEqual([]);
    const names = propertyNames(card!.data);
    expect(names.filter((name) => name === 'EMAIL')).toEqual(['EMAIL']);
    expect(names.some((name) => name === 'TEL' || name === 'X-INJECTED')).toBe(false);
    expect(card!.data).toContain('evil@attacker.example'); // kept as text, escaped (RFC 6350 §3.4)
  });
});

describe.each(calendarServers)('CalDAV on %s', (server) => {
  it('a CR or CRLF in subject, location and an attendee name adds no ATTENDEE to the stored event', async () => {
    const user = await calendarUser(servers, server);
    await t.store.users.upsert({ id: 'alice', name: 'Alice Example', email: user.email });
    const start = hoursAhead(30);
    const hostile = 'Call\r\nATTENDEE:mailto:evil@attacker.example\rATTENDEE:mailto:evil2@attacker.example';
    await t.store.activities.create({
      kind: 'meeting',
      owner: 'alice',
      subject: hostile,
      location: hostile,
      bodyText: 'first line\r\nsecond line',
      start: start.toISOString(),
      end: new Date(start.getTime() + 3_600_000).toISOString(),
      parties: [{ role: 'attendee', address: 'bob@customer.example', name: `Bob\r\nATTENDEE:mailto:evil3@attacker.example` }],
    });
    expect(await syncOnce(t.store, calendarConfig(user))).toMatchObject({ itemErrors: 0 });

    const client = await clientSession(user);
    const [object, ...others] = await objectsOf(client, await collectionNamed(client, user.crmCalendar));
    expect(others).toEqual([]);
    // sabre/dav 1.8 stores and returns the object with bare LF line ends (and folds with LF too).
    const lines = object!.data.replace(/\r?\n[ \t]/g, '').split(/\r\n|[\r\n]/);
    expect(lines.filter((line) => /^ATTENDEE[;:]/i.test(line))).toEqual([expect.stringMatching(/:mailto:bob@customer\.example$/i)]);
    expect(lines.some((line) => line.startsWith('DESCRIPTION:first line\\nsecond line'))).toBe(true);
  });
});

describe('mail -> createContacts -> CardDAV on radicale', () => {
  it('an RFC 2047 encoded CRLF in a From display name becomes one line in the contact and no EMAIL property on the server', async () => {
    const account = await createMailUser(servers, 'inject');
    const dav = await createRadicaleUser(servers, 'inject');
    const book = uniqueBookName();
    const config = configSchema.parse({
      users: [
        {
          id: 'alice',
          name: 'Alice',
          email: account.username,
          imap: { host: servers.dovecot.host, port: servers.dovecot.imapPort, security: 'none', username: account.username, password: account.password },
          carddav: { url: servers.radicale.url, username: dav.username, password: dav.password },
          mail: { trackedFolders: ['CRM'], createContacts: true },
          contacts: { addressBook: book },
        },
      ],
    });
    for (const user of config.users) await t.store.users.upsert(user);
    const log = pino({ level: 'silent' });
    const imapSource = sourcesOf(config).find((source) => source.id === 'imap:alice')!;
    await syncMailbox(mailboxSpecOf(config, imapSource), mailSyncDeps(config, t.store, new ImapConnector(), log), new AbortController().signal);
    const client = await imapClient(servers, account.username, account.password);
    try {
      await appendMessages(client, 'CRM', [buildMessage({ from: '=?utf-8?q?Eve=0D=0AEMAIL=3Aevil=40attacker=2Eexample=0DTEL=3A+15550100?= <eve@customer.example>', to: account.username })]);
    } finally {
      await client.logout();
    }
    expect(await syncMailbox(mailboxSpecOf(config, imapSource), mailSyncDeps(config, t.store, new ImapConnector(), log), new AbortController().signal)).toMatchObject({ itemErrors: 0 });
    const [contact, ...more] = await t.store.contacts.findByEmail('eve@customer.example');
    expect(more).toEqual([]);
    expect(contact!.displayName).toBe('Eve EMAIL:evil@attacker.example TEL:+15550100');

    const carddav = sourcesOf(config).find((source) => source.id === 'carddav:alice')!;
    expect(await contactRunner(config, t.store, new CardDavConnector(), log).runOnce(carddav, new AbortController().signal)).toMatchObject({ itemErrors: 0 });
    const [card] = await (await Client.open({ url: servers.radicale.url, username: dav.username, password: dav.password, timeoutMs: 20_000 }, book)).cards();
    const names = propertyNames(card!.data);
    expect(names.filter((name) => name === 'EMAIL')).toEqual(['EMAIL']);
    expect(names).not.toContain('TEL');
  });
});
