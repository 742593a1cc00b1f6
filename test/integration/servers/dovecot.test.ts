// Smoke test of the private Dovecot started by test/servers/global-setup.ts, using a real
// IMAP client (imapflow): throwaway users, capabilities, special-use folders, APPEND/FETCH,
// CONDSTORE mod-sequences, IDLE notifications and rejected logins.

import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { addDovecotUser, createMailUser, type Credentials } from '../../servers/users.js';

const servers = inject('servers');

function imap(creds: Credentials, extra: Partial<ConstructorParameters<typeof ImapFlow>[0]> = {}): ImapFlow {
  return new ImapFlow({
    host: servers.dovecot.host,
    port: servers.dovecot.imapPort,
    secure: false,
    auth: { user: creds.username, pass: creds.password },
    logger: false,
    ...extra,
  });
}

function rawMessage(o: { from: string; to: string; subject: string; body: string; messageId: string }): string {
  return [
    `From: ${o.from}`,
    `To: ${o.to}`,
    `Subject: ${o.subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: ${o.messageId}`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
    '',
    o.body,
    '',
  ].join('\r\n');
}

describe('Dovecot test server', () => {
  let user: Credentials;
  let client: ImapFlow;

  beforeAll(async () => {
    user = await createMailUser(servers, 'alice');
    client = imap(user, { qresync: true });
    await client.connect();
  });

  afterAll(async () => {
    await client?.logout().catch(() => undefined);
  });

  it('lets a throwaway user log in and announces CONDSTORE, QRESYNC and IDLE after login', () => {
    expect(user.username).toMatch(/^alice-[0-9a-f]{8}@example\.com$/);
    expect(client.usable).toBe(true);
    for (const cap of ['IMAP4rev1', 'IDLE', 'CONDSTORE', 'QRESYNC', 'UIDPLUS', 'MOVE', 'SPECIAL-USE']) {
      expect(client.capabilities.has(cap), `capability ${cap}`).toBe(true);
    }
    // imapflow ENABLEs these when the server supports them and qresync is requested.
    expect(client.enabled.has('CONDSTORE') || client.enabled.has('QRESYNC')).toBe(true);
  });

  it('auto-creates and subscribes the special-use folders', async () => {
    const list = await client.list();
    const byUse = new Map(list.filter((m) => m.specialUse !== undefined).map((m) => [m.specialUse, m]));
    for (const [use, name] of [
      ['\\Sent', 'Sent'],
      ['\\Drafts', 'Drafts'],
      ['\\Trash', 'Trash'],
      ['\\Junk', 'Junk'],
      ['\\Archive', 'Archive'],
    ] as const) {
      const box = byUse.get(use);
      expect(box?.path, use).toBe(name);
      expect(box?.specialUseSource).toBe('extension');
      expect(box?.subscribed).toBe(true);
    }
    expect(list.some((m) => m.path === 'INBOX')).toBe(true);
    expect(list[0]?.delimiter).toBe(servers.dovecot.separator);
  });

  it('creates a mailbox, APPENDs a message and fetches it back', async () => {
    const folder = `Clients/Acme-${randomBytes(3).toString('hex')}`;
    const created = await client.mailboxCreate(folder);
    expect(created.created).toBe(true);

    const subject = `Quote für Acme ${randomBytes(4).toString('hex')}`;
    const body = 'Hello Acme,\r\nhere is the quote you asked for.\r\n-- \r\nAlice';
    const messageId = `<${randomBytes(8).toString('hex')}@example.com>`;
    const appended = await client.append(
      folder,
      rawMessage({ from: user.username, to: 'customer@acme.example', subject: `=?utf-8?B?${Buffer.from(subject).toString('base64')}?=`, body, messageId }),
      ['\\Seen', '$CrmSynced'],
    );
    expect(appended).not.toBe(false);
    if (appended === false) return;
    expect(appended.uid).toBeGreaterThan(0);

    const mailbox = await client.mailboxOpen(folder);
    expect(mailbox.exists).toBe(1);
    expect(typeof mailbox.highestModseq).toBe('bigint');
    expect(mailbox.uidValidity).toBe(appended.uidValidity);

    const msg = await client.fetchOne(String(appended.uid), { envelope: true, source: true, flags: true, uid: true }, { uid: true });
    expect(msg).not.toBe(false);
    if (msg === false) return;
    expect(msg.envelope?.subject).toBe(subject);
    expect(msg.envelope?.messageId).toBe(messageId);
    expect(msg.flags?.has('\\Seen')).toBe(true);
    expect(msg.flags?.has('$CrmSynced')).toBe(true);
    const source = msg.source?.toString('utf8') ?? '';
    expect(source.split('\r\n\r\n').slice(1).join('\r\n\r\n')).toBe(`${body}\r\n`);

    // CONDSTORE: changing flags raises the message's MODSEQ.
    const before = await client.fetchOne(String(appended.uid), { uid: true }, { uid: true });
    await client.messageFlagsAdd(String(appended.uid), ['\\Flagged'], { uid: true });
    const after = await client.fetchOne(String(appended.uid), { uid: true, flags: true }, { uid: true });
    expect(before).not.toBe(false);
    expect(after).not.toBe(false);
    if (before === false || after === false) return;
    expect(after.flags?.has('\\Flagged')).toBe(true);
    expect(typeof after.modseq).toBe('bigint');
    expect((after.modseq ?? 0n) > (before.modseq ?? 0n)).toBe(true);

    await client.mailboxClose();
  });

  it('stores the Maildir as the unprivileged Dovecot user', async () => {
    const home = join(servers.dovecot.homeRoot, user.username);
    const st = await stat(join(home, 'Maildir'));
    expect(st.isDirectory()).toBe(true);
    expect(st.uid).toBe(servers.dovecot.uid);
    if (process.getuid?.() === 0) {
      expect(servers.dovecot.uid).not.toBe(0);
      expect(servers.dovecot.user).toBe('crmbridge-test');
    }
  });

  it('notifies an IDLE client of a new message', async () => {
    const watcher = imap(user);
    await watcher.connect();
    try {
      const lock = await watcher.getMailboxLock('INBOX');
      try {
        const startCount = watcher.mailbox === false ? 0 : watcher.mailbox.exists;
        const seen = new Promise<number>((resolve) => {
          watcher.on('exists', (data: { count: number }) => resolve(data.count));
        });
        const idling = watcher.idle().catch(() => undefined);
        await client.append('INBOX', rawMessage({ from: 'bob@example.com', to: user.username, subject: 'ping', body: 'ping', messageId: `<${randomBytes(6).toString('hex')}@example.com>` }));
        const count = await Promise.race([
          seen,
          new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no EXISTS during IDLE within 10 s')), 10_000)),
        ]);
        expect(count).toBe(startCount + 1);
        void idling;
      } finally {
        lock.release();
      }
    } finally {
      await watcher.logout().catch(() => undefined);
    }
  });

  it('rejects a wrong password and an unknown user', async () => {
    for (const creds of [
      { username: user.username, password: 'wrong-password' },
      { username: `nobody-${randomBytes(4).toString('hex')}@example.com`, password: 'secret' },
    ]) {
      const bad = imap(creds);
      bad.on('error', () => undefined);
      const err = await bad.connect().then(
        () => undefined,
        (e: unknown) => e as { authenticationFailed?: boolean; serverResponseCode?: string },
      );
      expect(err, creds.username).toBeDefined();
      expect(err?.authenticationFailed).toBe(true);
      expect(err?.serverResponseCode).toBe('AUTHENTICATIONFAILED');
      bad.close();
    }
  });

  it('picks up users appended to the passwd-file while running (addDovecotUser)', async () => {
    const creds = await addDovecotUser(servers.dovecot, `late-${randomBytes(4).toString('hex')}@example.com`, 'pw-late');
    const late = imap(creds);
    await late.connect();
    const status = await late.status('INBOX', { messages: true });
    expect(status === false ? undefined : status.messages).toBe(0);
    await late.logout();
  });
});
