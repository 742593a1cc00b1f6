// One slow server must not stall everyone (issue #12, defect 5). A hostile user whose IMAP and
// CalDAV servers drip one byte a second (test/servers/dripping-server.ts) comes first in the
// configuration; a shared mailbox on the real Dovecot and a calendar on the real Radicale come
// after it. Through the real command line, the good sources are synced while the hostile ones
// are still hanging, and the hostile ones fail TEMPORARY with a message naming the deadline.

import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { createMetrics } from '../../../src/metrics.js';
import { createScheduler } from '../../../src/runtime/runners.js';
import { SourceStates } from '../../../src/sync/source-states.js';
import { BlobStore } from '../../../src/store/blob-store.js';
import { openDatabase } from '../../../src/store/database.js';
import { SecretBox } from '../../../src/store/secret-box.js';
import { Store } from '../../../src/store/store.js';
import { httpPropfindDrip, imapAfterGreeting, startDrippingServer, type DrippingServer } from '../../servers/dripping-server.js';
import { createMailUsers, createRadicaleUser } from '../../servers/users.js';
import { cliDatabaseUrl, eventually, runCli, spawnCli, tempDir, writeConfig } from '../../support/cli.js';
import { buildMessage, imapClient, newMessageId } from '../../support/mail.js';
import { createTestStore } from '../../support/memory-store.js';

const servers = inject('servers');
const env = { TEST_SECRET_KEY: 'isolation-secret-key-0123456789abcdef' };

let imapDrip: DrippingServer;
let davDrip: DrippingServer;
beforeEach(async () => {
  imapDrip = await startDrippingServer(imapAfterGreeting(1000));
  davDrip = await startDrippingServer(httpPropfindDrip(1000));
});
afterEach(async () => {
  await imapDrip.close();
  await davDrip.close();
});

async function withStore<T>(dir: string, work: (store: Store) => Promise<T>): Promise<T> {
  const database = openDatabase(cliDatabaseUrl(dir));
  try {
    return await work(new Store(database.db, new SecretBox(env.TEST_SECRET_KEY), new BlobStore(join(dir, 'data', 'blobs'), 1024)));
  } finally {
    await database.close();
  }
}

/** A hostile user first, then a good shared mailbox (Dovecot) and a good calendar (Radicale). */
async function scenario(sync: string) {
  const [support] = await createMailUsers(servers, ['iso-support']);
  const dav = await createRadicaleUser(servers, 'iso');
  const messageId = newMessageId();
  const client = await imapClient(servers, support!.username);
  await client.append('INBOX', buildMessage({ subject: 'synced despite the slow neighbour', messageId }));
  await client.logout();
  const dir = tempDir();
  const file = writeConfig(
    dir,
    `
database: sqlite:./data/bridge.db
dataDir: ./data
secretKey: \${TEST_SECRET_KEY}
sync: ${sync}
users:
  - id: mallory
    name: Mallory Slow
    email: mallory@example.com
    imap: { host: ${imapDrip.host}, port: ${imapDrip.port}, security: none, username: mallory@example.com, password: secret }
    caldav: { url: ${davDrip.url}, username: mallory, password: secret }
  - id: alice
    name: Alice Example
    email: alice@example.com
    caldav: { url: ${servers.radicale.url}, username: ${dav.username}, password: ${dav.password} }
sharedMailboxes:
  - id: support
    address: ${support!.username}
    imap: { host: ${servers.dovecot.host}, port: ${servers.dovecot.imapPort}, security: none, username: ${support!.username}, password: secret }
    folders: [INBOX]
    unknownSender: lead
`,
  );
  expect((await runCli(['migrate', '--config', file], { cwd: dir, env })).code).toBe(0);
  return { dir, file, messageId };
}

function startSync(file: string, dir: string) {
  const child = spawnCli(['sync', '--once', '--config', file], { cwd: dir, env });
  let stdout = '';
  child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  return { running: () => child.exitCode === null, exited, stdout: () => stdout };
}

describe('sync --once: a dripping server holds up only its own sources', () => {
  it('syncs the good sources while the hostile ones hang, then fails them TEMPORARY at the command deadline', async () => {
    const { dir, file, messageId } = await scenario('{ commandTimeoutSeconds: 20, sourceDeadlineSeconds: 40 }');
    const sync = startSync(file, dir);
    // The good shared mailbox's message is in the CRM while the CLI still waits for the hostile servers.
    const imported = await eventually(async () => {
      const found = await withStore(dir, async (store) => (await store.activities.list({ messageId }, { limit: 1 })).items[0]).catch(() => undefined);
      return found ? { activity: found, whileRunning: sync.running() } : undefined;
    }, 40_000);
    expect(imported.activity.subject).toBe('synced despite the slow neighbour');
    expect(imported.whileRunning).toBe(true);
    expect(imapDrip.connections).toBeGreaterThan(0);

    expect(await sync.exited).toBe(1);
    const out = sync.stdout();
    expect(out).toContain('shared-mailbox:support: ok, 1 changed, 0 item error(s)');
    expect(out).toMatch(/caldav:alice: ok, \d+ changed, 0 item error\(s\)/);
    expect(out).toMatch(/imap:mallory: FAILED TEMPORARY: IMAP login to 127\.0\.0\.1:\d+ as mallory@example\.com did not complete within 20 s \(sync\.commandTimeoutSeconds\)/);
    expect(out).toMatch(/caldav:mallory: FAILED TEMPORARY: .*did not answer in time \(20 s, sync\.commandTimeoutSeconds\)/);
    expect(out).toContain('sync pass: 4 source(s), 2 failed, 0 item error(s)');
    // The bridge hung up on the hostile servers instead of leaving the sockets open.
    await eventually(async () => (imapDrip.open === 0 && davDrip.open === 0 ? true : undefined), 10_000);
  }, 90_000);

  it('ends a hostile source at its pass deadline even when each command may take longer', async () => {
    const { dir, file } = await scenario('{ commandTimeoutSeconds: 600, sourceDeadlineSeconds: 5 }');
    const started = Date.now();
    const result = await runCli(['sync', '--once', '--config', file], { cwd: dir, env });
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('shared-mailbox:support: ok, 1 changed, 0 item error(s)');
    expect(result.stdout).toMatch(/imap:mallory: FAILED TEMPORARY: .*the sync pass did not finish within 5 s \(sync\.sourceDeadlineSeconds\)/);
    expect(result.stdout).toMatch(/caldav:mallory: FAILED TEMPORARY: .*the sync pass did not finish within 5 s \(sync\.sourceDeadlineSeconds\)/);
    // Generous: the command timeout (600 s) did not decide it, the pass deadline did.
    expect(Date.now() - started).toBeLessThan(60_000);
    await eventually(async () => (imapDrip.open === 0 && davDrip.open === 0 ? true : undefined), 10_000);
  }, 90_000);
});

describe('serve: the scheduler keeps the good sources going while a dripping server hangs', () => {
  it('imports new mail of the good mailbox at every pass while the hostile source waits for its deadline', async () => {
    const [support] = await createMailUsers(servers, ['iso-serve']);
    const imap = (host: string, port: number, username: string) => ({ host, port, security: 'none', username, password: 'secret' });
    const config = configSchema.parse({
      // IDLE off: the good mailbox is only read by the interval tick, which must not wait for the hostile one.
      sync: { intervalSeconds: 5, idle: false, commandTimeoutSeconds: 20, sourceDeadlineSeconds: 40 },
      users: [{ id: 'mallory', name: 'Mallory Slow', email: 'mallory@example.com', imap: imap(imapDrip.host, imapDrip.port, 'mallory@example.com') }],
      sharedMailboxes: [{ id: 'support', address: support!.username, imap: imap(servers.dovecot.host, servers.dovecot.imapPort, support!.username), folders: ['INBOX'], unknownSender: 'lead' }],
    });
    const t = await createTestStore();
    const states = new SourceStates();
    const scheduler = createScheduler(config, t.store, pino({ level: 'silent' }), createMetrics(), states);
    try {
      for (const user of config.users) await t.store.users.upsert(user);
      scheduler.start();
      const client = await imapClient(servers, support!.username);
      const first = newMessageId();
      await client.append('INBOX', buildMessage({ subject: 'first', messageId: first }));
      const found = (id: string) => async () => ((await t.store.activities.list({ messageId: id }, { limit: 1 })).items[0] ? true : undefined);
      await eventually(found(first), 15_000);
      // A second message arrives later: the next tick (5 s) reads it although the hostile source
      // has been hanging since the first tick.
      const second = newMessageId();
      await client.append('INBOX', buildMessage({ subject: 'second', messageId: second }));
      await client.logout();
      await eventually(found(second), 15_000);
      expect(states.get('imap:mallory')?.state).toBe('syncing');
      // Then the hostile source fails at its command deadline, TEMPORARY, naming the key.
      const failed = await eventually(async () => states.get('imap:mallory')?.error ?? undefined, 40_000);
      expect(failed.code).toBe('TEMPORARY');
      expect(failed.message).toContain('sync.commandTimeoutSeconds');
    } finally {
      await scheduler.stop();
      await t.close();
    }
  }, 90_000);
});

