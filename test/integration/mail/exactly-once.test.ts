import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { createMailUsers } from '../../servers/users.js';
import { runCli, spawnCli, tempDir, writeConfig } from '../../support/cli.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';
import { appendMessages, buildMessage, imapClient, mailConfig, newMessageId, syncSource } from '../../support/mail.js';

const servers = inject('servers');

describe('exactly once (real Dovecot)', () => {
  it('loses and duplicates nothing when sync --once is killed with SIGKILL mid-import and run again', async () => {
    const [support] = await createMailUsers(servers, ['support']);
    const client = await imapClient(servers, support!.username);
    const total = 400;
    await appendMessages(client, 'INBOX', Array.from({ length: total }, (_, i) => buildMessage({ subject: `Message ${i}`, body: `Body ${i} `.repeat(200) })));
    await client.logout();

    const dir = tempDir();
    const file = writeConfig(dir, `
database: sqlite:./data/bridge.db
secretKey: kill-test-secret-key-0123456789
logging: { level: warn }
sharedMailboxes:
  - id: support
    address: ${support!.username}
    imap: { host: ${servers.dovecot.host}, port: ${servers.dovecot.imapPort}, security: none, username: ${support!.username}, password: secret }
`);
    const dbFile = join(dir, 'data', 'bridge.db');
    const count = () => {
      try {
        const db = new Database(dbFile, { readonly: true, fileMustExist: true });
        try {
          return (db.prepare('select count(*) as n from activities').get() as { n: number }).n;
        } finally {
          db.close();
        }
      } catch {
        return 0;
      }
    };
    const child = spawnCli(['sync', '--once', '--config', file], { cwd: dir });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const deadline = Date.now() + 60_000;
    while (count() < 60 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGKILL');
    await exited;
    const atKill = count();
    expect(atKill).toBeGreaterThan(0);
    expect(atKill).toBeLessThan(total);

    const second = await runCli(['sync', '--once', '--config', file], { cwd: dir });
    expect(second.code, second.stderr).toBe(0);
    const db = new Database(dbFile, { readonly: true });
    try {
      expect((db.prepare('select count(*) as n from activities').get() as { n: number }).n).toBe(total);
      expect((db.prepare('select count(distinct message_key) as n from activities').get() as { n: number }).n).toBe(total);
      expect((db.prepare('select count(*) as n from activity_sources').get() as { n: number }).n).toBe(total);
      expect((db.prepare("select count(*) as n from mail_messages where state = 'tracked'").get() as { n: number }).n).toBe(total);
    } finally {
      db.close();
    }
    const check = await imapClient(servers, support!.username);
    const lock = await check.getMailboxLock('INBOX');
    try {
      const unmarked = await check.search({ unKeyword: '$CRMImported' });
      expect(unmarked).toEqual([]);
    } finally {
      lock.release();
      await check.logout();
    }
  });
});

describe('UIDVALIDITY changes (real Dovecot)', () => {
  let t: TestStore;
  beforeEach(async () => {
    t = await createTestStore();
  });
  afterEach(async () => t.close());

  it('re-matches a recreated folder by Message-ID (and content hash when there is none) without duplicates', async () => {
    const [alice] = await createMailUsers(servers, ['alice']);
    const config = mailConfig(servers, { users: [{ id: 'alice', email: alice!.username, mail: { autoTrack: 'none' } }] });
    const client = await imapClient(servers, alice!.username);
    await syncSource(t.store, config, 'imap:alice');
    const messages = [buildMessage({ messageId: newMessageId(), subject: 'one' }), buildMessage({ messageId: newMessageId(), subject: 'two' }), buildMessage({ messageId: null, subject: 'no id', date: 'Mon, 2 Nov 2026 10:00:00 +0000' })];
    await appendMessages(client, 'CRM', messages);
    expect(await syncSource(t.store, config, 'imap:alice')).toMatchObject({ changed: 3 });
    const before = (await client.status('CRM', { uidValidity: true })) as { uidValidity?: bigint };

    await client.mailboxDelete('CRM');
    await new Promise((r) => setTimeout(r, 1100));
    await client.mailboxCreate('CRM');
    await appendMessages(client, 'CRM', messages);
    const after = (await client.status('CRM', { uidValidity: true })) as { uidValidity?: bigint };
    expect(after.uidValidity).not.toBe(before.uidValidity);

    expect(await syncSource(t.store, config, 'imap:alice')).toMatchObject({ changed: 0, itemErrors: 0 });
    const activities = (await t.store.activities.list({}, { limit: 10 })).items;
    expect(activities.map((activity) => activity.subject).sort()).toEqual(['no id', 'one', 'two']);
    for (const activity of activities) {
      expect(activity.sources).toHaveLength(1);
      expect(activity.sources[0]!.ref).toContain(`UIDVALIDITY=${String(after.uidValidity)}`);
    }
    await client.logout();
  });
});
