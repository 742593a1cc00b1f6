// Contract tests of the IMAP adapter (adapters/imap) against every IMAP server the harness starts
// (Dovecot; Cyrus and Courier with their INBOX. namespace; Courier without CONDSTORE, QRESYNC, MOVE
// and SPECIAL-USE: test/support/imap-targets.ts), one suite: connecting and error mapping, folders,
// APPEND/SELECT/FETCH, UID paging, CONDSTORE/QRESYNC changes (or their absence), searches, flags,
// MOVE (or COPY + EXPUNGE), and what happens when a selected folder is deleted under us.

import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import type { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ImapConnector, ImapSession } from '../../../adapters/imap/index.js';
import type { MailboxSession, MailServerSettings } from '../../../src/ports/mail.js';
import type { Credentials } from '../../servers/users.js';
import { findFreePort } from '../../servers/util.js';
import { rejection } from '../../support/errors.js';
import { imapTargets, OPTIONAL_EXTENSIONS, type ImapTarget, type MailAccount } from '../../support/imap-targets.js';

const servers = inject('servers');

function settingsFor(server: ImapTarget, user: Credentials, extra: Partial<MailServerSettings> = {}): MailServerSettings {
  return {
    host: server.host,
    port: server.port,
    security: 'none',
    username: user.username,
    password: user.password,
    allowInsecureTls: false,
    timeoutMs: 10_000,
    ...extra,
  };
}


function message(n: number, extra = ''): Buffer {
  return Buffer.from(
    [
      'From: Customer <customer@acme.example>',
      'To: alice@example.com',
      `Subject: Message ${n} ${extra}`,
      `Message-ID: <m${n}-${randomBytes(6).toString('hex')}@acme.example>`,
      'Date: Mon, 6 Jan 2025 10:00:00 +0000',
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      'Content-Transfer-Encoding: 8bit',
      '',
      `Body of message ${n}: grüße, bytes ü\u00e9 and a trailing space `,
      '',
    ].join('\r\n'),
  );
}

function randomFolderName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}


describe.each(imapTargets(servers))('IMAP adapter against $title', (server) => {
  /** A second, independent client: "another mail program" changing the mailbox. */
  const otherClient = (user: Credentials): Promise<ImapFlow> => server.client(user);
  const folderName = (prefix: string): string => server.folder(randomFolderName(prefix));
  /** What a mod-sequence field holds: a positive number with CONDSTORE (RFC 7162), else null. */
  const modseqOrNull = server.offers.has('CONDSTORE') ? expect.stringMatching(/^[1-9][0-9]*$/) : null;
  let user: Credentials;
  let other: Credentials;
  let session: MailboxSession;
  const connector = new ImapConnector();

  beforeAll(async () => {
    [user, other] = (await server.createUsers(['imap', 'imapauth'])) as [MailAccount, MailAccount];
    session = await connector.connect(settingsFor(server, user));
  });

  afterAll(async () => {
    await session?.close();
  });

  describe('connect', () => {
    it('connects and reports capabilities in upper case', () => {
      for (const cap of ['IMAP4REV1', 'IDLE', 'UIDPLUS']) expect(session.capabilities.has(cap), cap).toBe(true);
      for (const cap of OPTIONAL_EXTENSIONS) expect(session.capabilities.has(cap), cap).toBe(server.offers.has(cap));
    });

    it('maps a wrong password to AUTH without ever showing the password', async () => {
      const password = `pw-${randomBytes(8).toString('hex')}`;
      const error = await rejection(connector.connect(settingsFor(server, { username: other.username, password })));
      expect(error.code).toBe('AUTH');
      expect(error.message).toContain(`IMAP login to ${server.host}:${server.port} as ${other.username} rejected`);
      expect(error.message).not.toContain(password);
      // Not in the cause chain either, however deep a logger digs.
      expect(inspect(error, { depth: 20, showHidden: true })).not.toContain(password);
      expect(JSON.stringify(error, Object.getOwnPropertyNames(error))).not.toContain(password);
    });

    it('maps an unknown user to AUTH', async () => {
      const error = await rejection(connector.connect(settingsFor(server, { username: `nobody-${randomBytes(4).toString('hex')}@example.com`, password: 'secret' })));
      expect(error.code).toBe('AUTH');
    });

    it('fails fast with TEMPORARY when nothing listens on the port', async () => {
      const port = await findFreePort();
      const started = Date.now();
      const error = await rejection(connector.connect(settingsFor(server, user, { port })));
      expect(error.code).toBe('TEMPORARY');
      expect(error.message).toContain(`127.0.0.1:${port}`);
      expect(error.message).toContain('ECONNREFUSED');
      expect(Date.now() - started).toBeLessThan(2000);
    });

    it('refuses to log in in clear text when STARTTLS is required but not offered (CONFIG), or not trusted (AUTH)', async () => {
      // Dovecot and Courier here have no TLS and do not announce STARTTLS: CONFIG. Cyrus offers it
      // with a certificate of the run's own CA, which this connection does not trust
      // (tls-own-ca.test.ts): AUTH, as every untrusted certificate. No password goes out either way.
      const error = await rejection(connector.connect(settingsFor(server, user, { security: 'starttls' })));
      expect(error.code).toBe(server.name === 'cyrus' ? 'AUTH' : 'CONFIG');
      expect(error.message).not.toContain(user.password);
    });

    it('gives every connect a fresh client (sessions are independent)', async () => {
      const a = await connector.connect(settingsFor(server, user));
      const b = await connector.connect(settingsFor(server, user));
      await a.close();
      await a.close(); // idempotent
      expect((await b.listFolders()).length).toBeGreaterThan(0);
      await b.close();
      const error = await rejection(a.listFolders());
      expect(error.code).toBe('INTERNAL');
    });
  });

  describe('folders', () => {
    it('lists INBOX and the special-use folders', async () => {
      const folders = await session.listFolders();
      const inbox = folders.find((f) => f.path === 'INBOX');
      expect(inbox).toMatchObject({ selectable: true, specialUse: null, delimiter: server.separator });
      expect(folders.find((f) => f.specialUse === '\\Sent')?.path).toBe(server.sent);
      expect(folders.find((f) => f.specialUse === '\\Trash')?.path).toBe(server.trash);
    });

    it('creates a folder, and creating it again is fine', async () => {
      const name = folderName('Twice');
      await session.createFolder(name);
      await session.createFolder(name);
      const folders = await session.listFolders();
      expect(folders.filter((f) => f.path === name)).toHaveLength(1);
    });

    it('creates nested folders with the server delimiter, with spaces and non-ASCII names', async () => {
      const folders = await session.listFolders();
      const delimiter = folders.find((f) => f.path === 'INBOX')?.delimiter ?? '/';
      const root = folderName('CRM');
      const nested = `${root}${delimiter}Acme Corp`;
      const unicode = `${root}${delimiter}Müller & Söhne`;
      await session.createFolder(nested);
      await session.createFolder(unicode);
      await session.createFolder(nested);
      const after = await session.listFolders();
      expect(after.map((f) => f.path)).toEqual(expect.arrayContaining([root, nested, unicode]));
      const state = await session.openFolder(nested);
      expect(state.path).toBe(nested);
      expect(state.messages).toBe(0);
      const unicodeState = await session.openFolder(unicode);
      expect(unicodeState.path).toBe(unicode);
    });

    it('subscribes created folders', async () => {
      const name = folderName('Subscribed');
      await session.createFolder(name);
      const client = await otherClient(user);
      try {
        const entry = (await client.list()).find((f) => f.path === name);
        expect(entry?.subscribed).toBe(true);
      } finally {
        await client.logout();
      }
    });

    it('gives NOT_FOUND for a folder that does not exist', async () => {
      const name = folderName('Missing');
      const error = await rejection(session.openFolder(name));
      expect(error.code).toBe('NOT_FOUND');
      expect(error.message).toContain(`IMAP folder "${name}" does not exist`);
      // The session is still usable afterwards.
      expect((await session.openFolder('INBOX')).path).toBe('INBOX');
    });
  });

  describe('messages', () => {
    const folder = folderName('Messages');
    const sources: Buffer[] = [];
    const uids: number[] = [];

    beforeAll(async () => {
      await session.createFolder(folder);
      for (let i = 1; i <= 3; i++) {
        const source = message(i);
        const { uid } = await session.append(folder, source, i === 1 ? ['\\Seen'] : [], new Date('2025-01-06T10:00:00Z'));
        expect(uid).not.toBeNull();
        sources.push(source);
        uids.push(uid as number);
      }
    });

    it('opens a folder with UIDVALIDITY, UIDNEXT, HIGHESTMODSEQ and the message count', async () => {
      const state = await session.openFolder(folder);
      expect(state.path).toBe(folder);
      expect(state.uidValidity).toMatch(/^[1-9][0-9]*$/);
      expect(state.uidNext).toBe(Math.max(...uids) + 1);
      // Without CONDSTORE there is no mod-sequence, and the adapter says so instead of inventing one.
      expect(state.highestModseq).toEqual(modseqOrNull);
      expect(state.messages).toBe(3);
      // Stable across selections and sessions.
      await session.openFolder('INBOX');
      const again = await session.openFolder(folder);
      expect(again.uidValidity).toBe(state.uidValidity);
      const second = await connector.connect(settingsFor(server, user));
      try {
        expect((await second.openFolder(folder)).uidValidity).toBe(state.uidValidity);
      } finally {
        await second.close();
      }
    });

    it('re-selects to report fresh UIDNEXT and HIGHESTMODSEQ when the folder is already selected', async () => {
      const before = await session.openFolder(folder);
      const client = await otherClient(user);
      let added: number;
      try {
        const appended = await client.append(folder, message(99));
        expect(appended).not.toBe(false);
        added = appended === false ? 0 : (appended.uid ?? 0);
      } finally {
        await client.logout();
      }
      const after = await session.openFolder(folder);
      expect(after.uidNext).toBe(added + 1);
      expect(after.messages).toBe(before.messages + 1);
      if (server.offers.has('CONDSTORE')) expect(BigInt(after.highestModseq ?? '0')).toBeGreaterThan(BigInt(before.highestModseq ?? '0'));
      else expect(after.highestModseq).toBeNull();
      uids.push(added);
      sources.push(message(99));
    });

    it('returns summaries for an explicit UID range only', async () => {
      const [first, second, third] = uids as [number, number, number];
      const summaries = await session.summaries(folder, first, third);
      expect(summaries.map((s) => s.uid)).toEqual([first, second, third]);
      const s1 = summaries[0];
      expect(s1?.flags).toEqual(['\\Seen']);
      expect(s1?.size).toBe(sources[0]?.length);
      expect(s1?.internalDate).toBe('2025-01-06T10:00:00.000Z');
      expect(s1?.modseq).toEqual(modseqOrNull);
      expect(summaries[1]?.flags).toEqual([]);
      // A range above every UID is empty, not "the last message" as n:* would be.
      expect(await session.summaries(folder, 10_000, 20_000)).toEqual([]);
      // An empty range needs no round trip.
      expect(await session.summaries(folder, 5, 4)).toEqual([]);
      expect(await session.summaries(folder, second, second)).toHaveLength(1);
    });

    it('fetches the exact bytes that were appended', async () => {
      const raws = await session.fetchSources(folder, [uids[1] as number, uids[0] as number, uids[0] as number]);
      expect(raws.map((r) => r.uid)).toEqual([uids[0], uids[1]]);
      expect(raws[0]?.source.equals(sources[0] as Buffer)).toBe(true);
      expect(raws[1]?.source.equals(sources[1] as Buffer)).toBe(true);
      expect(raws[0]?.flags).toEqual(['\\Seen']);
      expect(raws[0]?.internalDate).toBe('2025-01-06T10:00:00.000Z');
      expect(raws[0]?.modseq).toEqual(modseqOrNull);
      // Fetching does not mark messages \Seen (BODY.PEEK).
      expect((await session.summaries(folder, uids[1] as number, uids[1] as number))[0]?.flags).toEqual([]);
    });

    it('fetches only the header block', async () => {
      const [raw] = await session.fetchHeaders(folder, [uids[1] as number]);
      const full = sources[1] as Buffer;
      const end = full.indexOf('\r\n\r\n') + 4;
      expect(raw?.source.equals(full.subarray(0, end))).toBe(true);
      expect(raw?.source.toString()).not.toContain('Body of message');
    });

    it('returns fewer results for UIDs that no longer exist', async () => {
      const raws = await session.fetchSources(folder, [uids[0] as number, 987_654]);
      expect(raws.map((r) => r.uid)).toEqual([uids[0]]);
      expect(await session.fetchSources(folder, [])).toEqual([]);
      expect(await session.fetchHeaders(folder, [987_654])).toEqual([]);
    });

    it('rejects invalid UIDs as INVALID_INPUT', async () => {
      expect((await rejection(session.fetchSources(folder, [0]))).code).toBe('INVALID_INPUT');
      expect((await rejection(session.fetchSources(folder, [1.5]))).code).toBe('INVALID_INPUT');
      expect((await rejection(session.summaries(folder, Number.NaN, 3))).code).toBe('INVALID_INPUT');
    });

    it('lists every UID', async () => {
      expect(await session.allUids(folder)).toEqual([...uids].sort((a, b) => a - b));
    });
  });

  describe('paging', () => {
    it('pages 250 messages in UID ranges of 100, each exactly once', async () => {
      const folder = folderName('Paging');
      await session.createFolder(folder);
      const client = await otherClient(user);
      try {
        for (let i = 1; i <= 250; i++) await client.append(folder, message(i));
      } finally {
        await client.logout();
      }
      const state = await session.openFolder(folder);
      expect(state.messages).toBe(250);
      const seen: number[] = [];
      for (let from = 1; from < state.uidNext; from += 100) {
        const page = await session.summaries(folder, from, Math.min(from + 99, state.uidNext - 1));
        expect(page.length).toBeLessThanOrEqual(100);
        seen.push(...page.map((s) => s.uid));
      }
      expect(seen).toHaveLength(250);
      expect(new Set(seen).size).toBe(250);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
      const sources = await session.fetchSources(folder, seen.slice(0, 120));
      expect(sources).toHaveLength(120);
    });
  });

  // A server without CONDSTORE (Courier) gets the other branch: the mail sync compares UIDs and
  // flags instead (src/sync/mail/read-folder.ts), which test/integration/mail/ runs against it.
  if (server.offers.has('CONDSTORE')) describe('changes (CONDSTORE / QRESYNC)', () => {
    const folder = folderName('Changes');
    const uids: number[] = [];

    beforeAll(async () => {
      await session.createFolder(folder);
      for (let i = 1; i <= 5; i++) uids.push((await session.append(folder, message(i))).uid as number);
    });

    it('reports exactly the message whose flags changed', async () => {
      const before = await session.openFolder(folder);
      expect(before.highestModseq).not.toBeNull();
      const target = uids[2] as number;
      await session.addFlags(folder, [target], ['$CRMTracked']);
      const changes = await session.changesSince(folder, before.highestModseq as string, before.uidNext - 1);
      expect(changes.changed.map((c) => c.uid)).toEqual([target]);
      expect(changes.changed[0]?.flags).toContain('$CRMTracked');
      expect(BigInt(changes.changed[0]?.modseq ?? '0')).toBeGreaterThan(BigInt(before.highestModseq as string));
      expect(changes.vanished).toEqual([]);
    });

    it('reports a change made by another client, and nothing when nothing changed', async () => {
      const before = await session.openFolder(folder);
      expect((await session.changesSince(folder, before.highestModseq as string, before.uidNext - 1)).changed).toEqual([]);
      const client = await otherClient(user);
      try {
        await client.mailboxOpen(folder);
        await client.messageFlagsAdd(String(uids[0]), ['\\Flagged'], { uid: true });
      } finally {
        await client.logout();
      }
      const changes = await session.changesSince(folder, before.highestModseq as string, before.uidNext - 1);
      expect(changes.changed.map((c) => c.uid)).toEqual([uids[0]]);
      expect(changes.changed[0]?.flags).toContain('\\Flagged');
    });

    it('reports an expunge by another client in vanished (QRESYNC VANISHED EARLIER)', async () => {
      const before = await session.openFolder(folder);
      const gone = uids[1] as number;
      const client = await otherClient(user);
      try {
        await client.mailboxOpen(folder);
        expect(await client.messageDelete(String(gone), { uid: true })).toBe(true);
      } finally {
        await client.logout();
      }
      const changes = await session.changesSince(folder, before.highestModseq as string, before.uidNext - 1);
      expect(changes.changed).toEqual([]);
      expect(changes.vanished).toEqual([gone]);
      // upTo bounds what is reported.
      const bounded = await session.changesSince(folder, before.highestModseq as string, gone - 1);
      expect(bounded.vanished).toEqual([]);
      expect(await session.allUids(folder)).toEqual(uids.filter((u) => u !== gone));
    });

    it('reports messages this session moved away as vanished too', async () => {
      const before = await session.openFolder(folder);
      const moved = uids[3] as number;
      const target = folderName('MovedAway');
      await session.createFolder(target);
      await session.move(folder, [moved], target);
      const changes = await session.changesSince(folder, before.highestModseq as string, before.uidNext - 1);
      expect(changes.vanished).toEqual([moved]);
    });

    it('rejects a malformed mod-sequence', async () => {
      expect((await rejection(session.changesSince(folder, 'abc', 10))).code).toBe('INVALID_INPUT');
      expect((await rejection(session.changesSince(folder, '0', 10))).code).toBe('INVALID_INPUT');
    });
  }); else describe('changes without CONDSTORE', () => {
    it('has no mod-sequences, and asking for changes since one is UNSUPPORTED (not "everything changed")', async () => {
      const folder = folderName('NoModseq');
      await session.createFolder(folder);
      const uid = (await session.append(folder, message(1))).uid as number;
      const state = await session.openFolder(folder);
      expect(state.highestModseq).toBeNull();
      await session.addFlags(folder, [uid], ['$CRMTracked']);
      const error = await rejection(session.changesSince(folder, '1', state.uidNext - 1));
      expect(error.code).toBe('UNSUPPORTED');
      expect(error.message).toContain(`IMAP folder "${folder}"`);
      expect(error.message).toContain('CONDSTORE');
      // The flag itself is there for the fallback's full comparison to find.
      expect((await session.summaries(folder, uid, uid))[0]?.flags).toContain('$CRMTracked');
    });
  });

  describe('search', () => {
    it('finds messages by INTERNALDATE within an explicit UID range', async () => {
      const folder = folderName('Search');
      await session.createFolder(folder);
      const old1 = (await session.append(folder, message(1), [], new Date('2020-03-01T12:00:00Z'))).uid as number;
      const new1 = (await session.append(folder, message(2), [], new Date('2025-05-01T12:00:00Z'))).uid as number;
      const old2 = (await session.append(folder, message(3), [], new Date('2019-01-01T12:00:00Z'))).uid as number;
      const new2 = (await session.append(folder, message(4), [], new Date('2025-06-01T12:00:00Z'))).uid as number;
      const since = new Date('2024-01-01T00:00:00Z');
      expect(await session.searchSince(folder, since, 1, new2)).toEqual([new1, new2]);
      expect(await session.searchSince(folder, since, 1, new1)).toEqual([new1]);
      expect(await session.searchSince(folder, since, new2 + 1, new2 + 100)).toEqual([]);
      expect(await session.searchSince(folder, new Date('2000-01-01T00:00:00Z'), 1, new2)).toEqual([old1, new1, old2, new2]);
      expect(await session.allUids(folder)).toEqual([old1, new1, old2, new2]);
    });

    it('finds which Message-IDs are in a folder: exact matches only, in the spelling asked for, past one SEARCH', async () => {
      const folder = folderName('Ids');
      await session.createFolder(folder);
      const tag = randomBytes(4).toString('hex');
      const withId = (id: string, folded = false) =>
        Buffer.from([`From: a@acme.example`, folded ? `Message-ID:\r\n <${id}>` : `Message-ID: <${id}>`, 'Subject: x', '', 'body', ''].join('\r\n'));
      // 30 messages: more than one SEARCH's worth of OR terms; one header folded; one id containing another.
      for (let i = 0; i < 30; i++) await session.append(folder, withId(`m${i}-${tag}@acme.example`, i === 7));
      await session.append(folder, withId(`xa-${tag}@acme.example`));
      const asked = [...Array.from({ length: 30 }, (_, i) => `<M${i}-${tag}@ACME.example>`), `<a-${tag}@acme.example>`, `<absent-${tag}@acme.example>`];
      const found = await session.findMessageIds(folder, asked);
      // <a-…> is only a substring of <xa-…> (HEADER matches substrings): not found.
      expect(found).toEqual(asked.slice(0, 30));
      // The same search with the UIDs: one message per id here, the folded header found too.
      const located = await session.locateMessageIds(folder, asked);
      expect([...located.keys()].sort()).toEqual(asked.slice(0, 30).sort());
      expect(new Set([...located.values()].flat()).size).toBe(30);
      const [foldedUid] = located.get(asked[7]!)!;
      const [header] = await session.fetchHeaders(folder, [foldedUid!]);
      expect(header!.source.toString()).toMatch(new RegExp(`Message-ID:\\r\\n <m7-${tag}@acme\\.example>`));
      expect(await session.findMessageIds(folder, [])).toEqual([]);
      expect(await session.findMessageIds('INBOX', [`<m1-${tag}@acme.example>`])).toEqual([]);
      await expect(session.findMessageIds(folderName('Missing'), [`<m1-${tag}@acme.example>`])).rejects.toMatchObject({ code: 'NOT_FOUND' });
    });
  });

  describe('flags', () => {
    const folder = folderName('Flags');
    const uids: number[] = [];

    beforeAll(async () => {
      await session.createFolder(folder);
      for (let i = 1; i <= 3; i++) uids.push((await session.append(folder, message(i))).uid as number);
    });

    it('can store custom keywords (PERMANENTFLAGS \\*)', async () => {
      const state = await session.openFolder(folder);
      expect(state.canStoreKeyword('$CRMTracked')).toBe(true);
    });

    it('adds and removes $CRMTracked, verified by re-fetching', async () => {
      const [a, b, c] = uids as [number, number, number];
      await session.addFlags(folder, [a, c], ['$CRMTracked', '\\Flagged']);
      let summaries = await session.summaries(folder, a, c);
      expect(summaries.map((s) => [s.uid, [...s.flags].sort()])).toEqual([
        [a, ['$CRMTracked', '\\Flagged']],
        [b, []],
        [c, ['$CRMTracked', '\\Flagged']],
      ]);
      await session.removeFlags(folder, [a], ['$CRMTracked']);
      summaries = await session.summaries(folder, a, c);
      expect(summaries.map((s) => [...s.flags].sort())).toEqual([['\\Flagged'], [], ['$CRMTracked', '\\Flagged']]);
      // Another session sees the stored keyword (it is permanent, not session state).
      const second = await connector.connect(settingsFor(server, user));
      try {
        expect((await second.summaries(folder, c, c))[0]?.flags).toContain('$CRMTracked');
      } finally {
        await second.close();
      }
      // No-ops.
      await session.addFlags(folder, [], ['$CRMTracked']);
      await session.addFlags(folder, [a], []);
    });

    it('rejects flags that are not valid keywords', async () => {
      expect((await rejection(session.addFlags(folder, [uids[0] as number], ['bad flag']))).code).toBe('INVALID_INPUT');
      expect((await rejection(session.addFlags(folder, [uids[0] as number], ['\\Recent']))).code).toBe('INVALID_INPUT');
      expect((await rejection(session.addFlags(folder, [uids[0] as number], ['$x)(']))).code).toBe('INVALID_INPUT');
    });
  });

  describe('move', () => {
    it('moves messages to another folder', async () => {
      const source = folderName('MoveFrom');
      const target = folderName('MoveTo');
      await session.createFolder(source);
      await session.createFolder(target);
      const bodies = [message(1), message(2), message(3)];
      const uids: number[] = [];
      for (const body of bodies) uids.push((await session.append(source, body)).uid as number);
      await session.move(source, [uids[0] as number, uids[2] as number], target);
      expect(await session.allUids(source)).toEqual([uids[1]]);
      const moved = await session.allUids(target);
      expect(moved).toHaveLength(2);
      const raws = await session.fetchSources(target, moved);
      expect(raws.map((r) => r.source.toString())).toEqual([bodies[0]?.toString(), bodies[2]?.toString()]);
      // Moving nothing, or into the same folder, changes nothing.
      await session.move(source, [], target);
      await session.move(source, [uids[1] as number], source);
      expect(await session.allUids(source)).toEqual([uids[1]]);
    });

    it('gives NOT_FOUND when the destination does not exist, and leaves the message alone', async () => {
      const source = folderName('MoveFrom');
      await session.createFolder(source);
      const uid = (await session.append(source, message(1))).uid as number;
      const missing = folderName('NoSuchTarget');
      const error = await rejection(session.move(source, [uid], missing));
      expect(error.code).toBe('NOT_FOUND');
      expect(error.message).toContain(`IMAP folder "${missing}" does not exist`);
      expect(await session.allUids(source)).toEqual([uid]);
    });

    it('falls back to COPY + STORE \\Deleted + UID EXPUNGE without MOVE (RFC 6851 missing)', async () => {
      const source = folderName('NoMoveFrom');
      const target = folderName('NoMoveTo');
      await session.createFolder(source);
      await session.createFolder(target);
      const keep = (await session.append(source, message(1), ['\\Deleted'])).uid as number;
      const move = (await session.append(source, message(2))).uid as number;
      // A client that believes the server has no MOVE.
      const client = await otherClient(user);
      client.capabilities.delete('MOVE');
      const noMove = new ImapSession(client, settingsFor(server, user));
      try {
        expect(noMove.capabilities.has('MOVE')).toBe(false);
        await noMove.move(source, [move], target);
        // UID EXPUNGE (RFC 4315) removed only the moved message, not the other \Deleted one.
        expect(await noMove.allUids(source)).toEqual([keep]);
        expect(await noMove.allUids(target)).toHaveLength(1);
        const missing = folderName('NoSuchTarget');
        const error = await rejection(noMove.move(source, [keep], missing));
        expect(error.code).toBe('NOT_FOUND');
        expect(await noMove.allUids(source)).toEqual([keep]);
      } finally {
        await noMove.close();
      }
    });
  });

  describe('append', () => {
    it('returns the APPENDUID and keeps flags and INTERNALDATE', async () => {
      const folder = folderName('Append');
      await session.createFolder(folder);
      const first = await session.append(folder, message(1), ['\\Seen', '$CRMTracked'], new Date('2024-02-29T23:59:59Z'));
      const second = await session.append(folder, message(2));
      expect(second.uid).toBe((first.uid as number) + 1);
      const [summary] = await session.summaries(folder, first.uid as number, first.uid as number);
      expect(summary?.flags.sort()).toEqual(['$CRMTracked', '\\Seen']);
      expect(summary?.internalDate).toBe('2024-02-29T23:59:59.000Z');
    });

    it('gives NOT_FOUND when appending to a missing folder', async () => {
      const missing = folderName('NoSuchFolder');
      const error = await rejection(session.append(missing, message(1)));
      expect(error.code).toBe('NOT_FOUND');
      expect(error.message).toContain(`IMAP folder "${missing}" does not exist`);
    });
  });

  describe('a quiet session', () => {
    it('stays usable across pauses longer than the timeout, with and without a folder selected', async () => {
      const quiet = await connector.connect(settingsFor(server, user, { timeoutMs: 1000 }));
      try {
        await quiet.listFolders();
        await new Promise((resolve) => setTimeout(resolve, 2500));
        const state = await quiet.openFolder('INBOX');
        await new Promise((resolve) => setTimeout(resolve, 2500));
        expect(await quiet.summaries('INBOX', 1, state.uidNext)).toBeInstanceOf(Array);
      } finally {
        await quiet.close();
      }
    });
  });

  describe('a folder deleted by another client while selected', () => {
    it('does not hang: a clear error (TEMPORARY, or NOT_FOUND when selected again), then fails fast or goes on', async () => {
      const own = await connector.connect(settingsFor(server, user));
      const folder = folderName('Doomed');
      try {
        await own.createFolder(folder);
        await own.append(folder, message(1));
        await own.openFolder(folder);
        const client = await otherClient(user);
        try {
          await client.mailboxDelete(folder);
        } finally {
          await client.logout();
        }
        const started = Date.now();
        if (server.name === 'courier') {
          // Courier answers from the state it selected (no hang, nothing new), and selecting the
          // folder again finds it gone; the session keeps working for other folders.
          expect((await own.summaries(folder, 1, 10)).length).toBeLessThanOrEqual(1);
          const again = await rejection(own.openFolder(folder));
          expect(again.code).toBe('NOT_FOUND');
          expect(again.message).toContain(`IMAP folder "${folder}" does not exist`);
          expect((await own.openFolder('INBOX')).path).toBe('INBOX');
        } else {
          const error = await rejection(own.summaries(folder, 1, 10));
          expect(error.code).toBe('TEMPORARY');
          expect(error.message).toContain(`IMAP folder "${folder}"`);
          if (server.name === 'dovecot') {
            // Dovecot drops the connection ("Mailbox was deleted under us"); later calls fail at once.
            const next = await rejection(own.openFolder('INBOX'));
            expect(next.code).toBe('TEMPORARY');
          } else {
            // Cyrus answers NO "Mailbox does not exist" and keeps the session: other folders still open.
            expect((await own.openFolder('INBOX')).path).toBe('INBOX');
          }
        }
        expect(Date.now() - started).toBeLessThan(3000);
      } finally {
        await own.close();
      }
      // A new session sees the folder as missing.
      const fresh = await connector.connect(settingsFor(server, user));
      try {
        expect((await rejection(fresh.openFolder(folder))).code).toBe('NOT_FOUND');
      } finally {
        await fresh.close();
      }
    });
  });
});
