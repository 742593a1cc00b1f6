// The outbox with several processes on one PostgreSQL (issue 14): any process sends at once for the
// API request it took, one process runs the outbox loop, and a process may die in the middle of an
// SMTP transaction while the others run on. "Never sent twice" then needs to know which `sending`
// rows still have a live sender: those are left alone, and one whose sender died becomes uncertain
// at the next outbox run, not only when some process restarts.
import { sql } from 'kysely';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { SEND_LOCK_SPACE } from '../../../src/store/lock-spaces.js';
import type { Store } from '../../../src/store/store.js';
import { OutboxWorker } from '../../../src/sync/outbox-worker.js';
import type { MailSender, SendResult } from '../../../src/ports/sending.js';
import type { MailboxConnector } from '../../../src/ports/mail.js';
import { createTestStore, openPeerStore, type TestStore } from '../../support/memory-store.js';

const config = configSchema.parse({ users: [{ id: 'alice', name: 'Alice', email: 'alice@example.com', smtp: { host: '127.0.0.1', port: 1, security: 'none', username: 'alice', password: 'secret' } }] });
const noImap: MailboxConnector = { connect: () => Promise.reject(new Error('no IMAP in this test')) };
const log = pino({ level: 'silent' });

/** An SMTP server that accepts each message only when the test says so. */
class HeldSmtp implements MailSender {
  readonly sends: string[] = [];
  private readonly held: Array<{ release: () => void; fail: (error: Error) => void }> = [];
  compose = () => Promise.reject(new Error('not used'));
  send = (_settings: unknown, envelope: { to: string[] }): Promise<SendResult> => {
    this.sends.push(envelope.to.join(','));
    return new Promise((resolve, reject) => this.held.push({ release: () => resolve({ accepted: envelope.to, rejected: [], response: '250 2.0.0 Ok' }), fail: reject }));
  };
  async started(count: number): Promise<void> {
    while (this.sends.length < count) await new Promise((resolve) => setTimeout(resolve, 10));
  }
  releaseAll(): void {
    for (const entry of this.held.splice(0)) entry.release();
  }
  failAll(): void {
    for (const entry of this.held.splice(0)) entry.fail(new Error('the process is gone'));
  }
}

let t: TestStore;
let other: ReturnType<typeof openPeerStore>;
let otherStore: Store;
beforeEach(async () => {
  t = await createTestStore();
  other = openPeerStore(t);
  otherStore = other.store;
  await t.store.users.upsert({ id: 'alice', name: 'Alice', email: 'alice@example.com' });
});
afterEach(async () => {
  await other.close();
  await t.close();
});

async function queued(subject: string): Promise<string> {
  const activity = await t.store.activities.create({ kind: 'email_out', subject, owner: 'alice' });
  const raw = await t.store.blobs.put(Buffer.from(`Subject: ${subject}\r\n\r\nHello\r\n`));
  await t.store.outbox.enqueue({ activityId: activity.id, userId: 'alice', rawSha256: raw.sha256, envelope: { from: 'alice@example.com', to: ['bob@example.org'] }, sentCopy: 'none' });
  return activity.id;
}

describe('outbox shared by processes on PostgreSQL', () => {
  it("leaves another process's running send alone, sends nothing twice, and marks it uncertain once that process died", async () => {
    const id = await queued('Offer');
    const smtpA = new HeldSmtp();
    const smtpB = new HeldSmtp();
    const a = new OutboxWorker(t.store, config, smtpA, noImap, log);
    const b = new OutboxWorker(otherStore, config, smtpB, noImap, log);

    // A sends for the API request it took; the SMTP transaction is running.
    const sending = a.deliver(id).catch(() => undefined);
    await smtpA.started(1);
    expect((await t.store.outbox.get(id))!.state).toBe('sending');
    // B runs the outbox loop meanwhile: A is alive, its send is not interrupted, and not sent again.
    expect(await otherStore.outbox.markInterrupted()).toBe(0);
    await b.runDue();
    await b.deliver(id);
    expect(smtpB.sends).toEqual([]);
    expect((await otherStore.outbox.get(id))!.state).toBe('sending');

    // A dies mid-send: its connections end (the server drops its locks).
    await sql`select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' and classid = ${SEND_LOCK_SPACE}::int::oid and granted`.execute(t.store.db);
    await b.runDue();
    const entry = (await otherStore.outbox.get(id))!;
    expect(entry.state).toBe('uncertain');
    expect(entry.lastError).toMatch(/may or may not have been sent/);
    expect(smtpB.sends).toEqual([]);
    smtpA.failAll();
    await sending;
  });

  it('a send that finishes is sent once and never marked uncertain by the other process', async () => {
    const id = await queued('Quote');
    const smtpA = new HeldSmtp();
    const a = new OutboxWorker(t.store, config, smtpA, noImap, log);
    const b = new OutboxWorker(otherStore, config, new HeldSmtp(), noImap, log);
    const sending = a.deliver(id);
    await smtpA.started(1);
    const checking = b.runDue();
    smtpA.releaseAll();
    await Promise.all([sending, checking]);
    await b.runDue();
    expect((await otherStore.outbox.get(id))!.state).toBe('sent');
    expect(smtpA.sends).toHaveLength(1);
  });
});
