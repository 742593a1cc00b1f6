import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { backoffSeconds } from '../domain/backoff.js';
import { BridgeError, isBridgeError } from '../domain/errors.js';
import type { OutboxEntry } from '../store/outbox.js';
import type { Store } from '../store/store.js';
import type { MailboxConnector } from '../ports/mail.js';
import { sentFolderPath } from './mail/folder-plan.js';
import { serverSettings } from '../config/server-settings.js';
import type { MailSender } from '../ports/sending.js';
import { errorLogFields } from '../domain/log-fields.js';

const SENT_COPY_GIVE_UP_MS = 3 * 86_400_000;

/**
 * Delivers the outbox: one SMTP transaction per queued mail, a temporary failure retried with
 * capped exponential backoff (up to an hour apart), a permanent one (refused login, refused message)
 * marked failed; then a copy appended to the user's Sent folder (RFC 6154 \Sent) over IMAP. The
 * activity shows the state (`delivery`); the mail becomes `completed` once sent.
 */
export class OutboxWorker {
  constructor(
    private readonly store: Store,
    private readonly config: Config,
    private readonly sender: MailSender,
    private readonly connector: MailboxConnector,
    private readonly log: Logger,
  ) {}

  /** Call once at start-up, before any delivery. */
  async recover(): Promise<void> {
    const interrupted = await this.store.outbox.markInterrupted();
    if (interrupted > 0) this.log.warn({ interrupted }, 'sends interrupted by a stop are marked uncertain and not repeated');
  }

  /** Deliver what is due; returns how many messages were attempted. */
  async runDue(now = new Date()): Promise<number> {
    // Several processes (PostgreSQL): one that died mid-send is noticed while the others run.
    if (this.store.outbox.seesLiveSenders) await this.recover();
    const due = await this.store.outbox.due(now.toISOString());
    for (const entry of due) await this.deliver(entry.activityId);
    for (const entry of await this.store.outbox.copiesPending(now.toISOString())) await this.copyToSent(entry, now);
    return due.length;
  }

  /** One attempt at one queued mail (no-op unless it is queued and due, or another process is sending it). */
  async deliver(activityId: string): Promise<void> {
    let sent: OutboxEntry | null = null;
    await this.store.outbox.whileSending(activityId, async () => {
      sent = await this.attempt(activityId);
    });
    // After the send is settled and no longer held: the IMAP copy is not part of it.
    if (sent) await this.copyToSent(sent);
  }

  /** The SMTP attempt; returns the entry when it was sent and its user keeps a Sent folder. */
  private async attempt(activityId: string): Promise<OutboxEntry | null> {
    const entry = await this.store.outbox.get(activityId);
    if (!entry || entry.state !== 'queued' || !(await this.store.outbox.claim(activityId))) return null;
    const user = this.config.users.find((candidate) => candidate.id === entry.userId);
    const attempts = entry.attempts + 1;
    try {
      if (!user?.smtp) throw new BridgeError('CONFIG', `user "${entry.userId}" has no smtp settings any more`);
      const raw = await this.store.blobs.read(entry.rawSha256);
      // Bounded (adapters/smtp/send-deadline.ts): a stalled server holds the outbox for
      // sync.commandTimeoutSeconds plus the upload time, not for ever.
      const result = await this.sender.send({ ...serverSettings(user.smtp, { type: 'user', id: user.id, kind: 'smtp' }), commandTimeoutMs: this.config.sync.commandTimeoutSeconds * 1000 }, entry.envelope, raw);
      const sentAt = new Date().toISOString();
      await this.store.atomically(async (tx) => {
        await tx.outbox.update(activityId, { state: 'sent', attempts, sentAt, nextAttemptAt: null, lastError: result.rejected.length > 0 ? `refused recipients: ${result.rejected.join(', ')}` : null });
        await tx.activities.update(activityId, { status: 'completed' });
      });
      this.log.info({ activity: activityId, accepted: result.accepted.length, rejected: result.rejected.length }, 'mail sent');
      return user.imap ? { ...entry, state: 'sent', sentAt } : null;
    } catch (error) {
      const code = isBridgeError(error) ? error.code : 'INTERNAL';
      const message = error instanceof Error ? error.message : String(error);
      if (code === 'TEMPORARY') {
        const delay = backoffSeconds(attempts, 3600);
        await this.store.outbox.update(activityId, { state: 'queued', attempts, lastError: message, nextAttemptAt: new Date(Date.now() + delay * 1000).toISOString() });
        this.log.warn({ activity: activityId, attempts, retryInSeconds: Math.round(delay), ...errorLogFields(error) }, 'mail not sent yet; will retry');
      } else {
        await this.store.outbox.update(activityId, { state: 'failed', attempts, lastError: message, nextAttemptAt: null });
        this.log.error({ activity: activityId, ...errorLogFields(error), code }, 'mail could not be sent');
      }
      return null;
    }
  }

  private async copyToSent(entry: OutboxEntry, now = new Date()): Promise<void> {
    const user = this.config.users.find((candidate) => candidate.id === entry.userId);
    if (!user?.imap) return;
    try {
      const session = await this.connector.connect(serverSettings(user.imap, { type: 'user', id: user.id, kind: 'imap' }));
      try {
        const folders = await session.listFolders();
        const sent = sentFolderPath(folders, user.mail.sentFolder);
        if (!folders.some((folder) => folder.path === sent)) await session.createFolder(sent);
        await session.append(sent, await this.store.blobs.read(entry.rawSha256), ['\\Seen'], entry.sentAt ? new Date(entry.sentAt) : new Date());
      } finally {
        await session.close().catch(() => undefined);
      }
      await this.store.outbox.update(entry.activityId, { sentCopy: 'done' });
    } catch (error) {
      // The mail itself went out. The copy is retried, less often the longer it fails (a quarter of
      // the time since sending, between a minute and an hour apart), and given up after three days.
      const age = now.getTime() - (entry.sentAt ? Date.parse(entry.sentAt) : now.getTime());
      if (age > SENT_COPY_GIVE_UP_MS) {
        await this.store.outbox.update(entry.activityId, { sentCopy: 'failed' });
        this.log.error({ activity: entry.activityId, ...errorLogFields(error) }, 'gave up putting a copy into the Sent folder after three days');
        return;
      }
      const delay = Math.min(Math.max(age / 4, 60_000), 3_600_000);
      await this.store.outbox.update(entry.activityId, { nextAttemptAt: new Date(now.getTime() + delay).toISOString() });
      this.log.warn({ activity: entry.activityId, retryInSeconds: Math.round(delay / 1000), ...errorLogFields(error) }, 'could not put a copy into the Sent folder; will retry');
    }
  }
}
