import { z } from 'zod';
import { regardingSchema, type Activity } from '../domain/activity.js';
import { BridgeError } from '../domain/errors.js';
import { emailAddress, longText, recordId, shortText, userId } from '../domain/fields.js';
import { idPrefixes, newId } from '../domain/ids.js';
import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import { bridgeMessageId } from './bridge-message-id.js';
import { messageKey } from '../domain/message-id.js';
import { resolveParties, type AddressWithRole } from '../domain/resolve-parties.js';
import type { MailSender } from '../ports/sending.js';
import { sanitizeMailHtmlBounded } from './sanitize-bounded.js';
import { StoreDirectory } from '../store/party-directory.js';
import { formatToken, subjectKey } from './subject.js';

export const emailInputSchema = z
  .object({
    from: userId.describe('the sending CRM user; their users[].smtp settings are used'),
    to: z.array(emailAddress).min(1).max(100),
    cc: z.array(emailAddress).max(100).optional(),
    bcc: z.array(emailAddress).max(100).optional(),
    subject: shortText,
    text: longText,
    html: longText.optional(),
    regarding: regardingSchema.optional(),
    replyTo: recordId.optional().describe('id of the activity this mail answers: sets In-Reply-To, References, thread and (by default) regarding'),
  })
  .strict()
  .meta({ id: 'EmailInput' });
export type EmailInput = z.infer<typeof emailInputSchema>;

const invalid = (path: string, message: string) => new BridgeError('INVALID_INPUT', `${path}: ${message}`, { details: [{ path, message }] });

/**
 * Turn a send request into an email_out activity and an outbox entry (src/sync/outbox-worker.ts
 * delivers it). The Message-ID is generated here and signed (bridge-message-id.ts); the tracking
 * token goes at the end of the subject; the composed bytes are kept so every SMTP attempt and the
 * copy in the Sent folder are the same message.
 */
/**
 * Queue a mail for sending; `inTransaction` runs in the transaction that creates the activity and
 * its outbox entry, with the new activity's id (the API reserves the request's Idempotency-Key
 * there: throwing rolls everything back).
 */
export async function queueEmail(store: Store, config: Config, sender: MailSender, input: EmailInput, now = new Date(), inTransaction?: (tx: Store, activityId: string) => Promise<void>): Promise<Activity> {
  const user = config.users.find((entry) => entry.id === input.from);
  if (!user) throw invalid('from', `no user with id "${input.from}"`);
  if (!user.smtp) throw invalid('from', `user "${user.id}" has no smtp settings (users[].smtp)`);
  const original = input.replyTo ? await store.activities.get(input.replyTo) : undefined;
  if (input.replyTo && !original) throw invalid('replyTo', `no activity with id "${input.replyTo}"`);
  // The stored copy is sanitized like an incoming body; off the event loop when it is large.
  const storedHtml = input.html ? await sanitizeMailHtmlBounded(input.html) : null;
  if (storedHtml && storedHtml.html === null) throw invalid('html', storedHtml.reason);

  const domain = config.mail.domain ?? user.email.split('@')[1]!;
  const id = newId(idPrefixes.activity, now.getTime());
  const messageId = bridgeMessageId(id, domain, store.box.derivedKey('message-id'));
  let subject = input.subject;
  let trackingToken: string | null = null;
  if (config.mail.trackingToken.enabled) {
    const { userNumber, counter } = await store.atomically((tx) => tx.tokenCounters.next(user.id));
    trackingToken = formatToken(config.mail.trackingToken.prefix, userNumber, counter);
    subject = `${subject} [${trackingToken}]`;
  }
  const references = original?.messageId ? [...original.references, original.messageId].slice(-50) : [];
  const raw = await sender.compose({
    from: { address: user.email, name: user.name },
    to: input.to.map((address) => ({ address })),
    cc: (input.cc ?? []).map((address) => ({ address })),
    bcc: (input.bcc ?? []).map((address) => ({ address })),
    subject,
    text: input.text,
    html: input.html ?? null,
    messageId,
    inReplyTo: original?.messageId ?? null,
    references,
    date: now,
    // Recipients see every header: internal ones only when asked for (mail.debugHeaders).
    ...(config.mail.debugHeaders ? { headers: { 'X-CRM-Bridge-Activity': id } } : {}),
  });
  const blob = await store.blobs.put(raw, { force: true });

  const addresses: AddressWithRole[] = [
    { role: 'from', address: user.email, name: user.name },
    ...input.to.map((address) => ({ role: 'to' as const, address, name: null })),
    ...(input.cc ?? []).map((address) => ({ role: 'cc' as const, address, name: null })),
    ...(input.bcc ?? []).map((address) => ({ role: 'bcc' as const, address, name: null })),
  ];
  const parties = await resolveParties(addresses, new StoreDirectory(store, config.users));
  return store.atomically(async (tx) => {
    await inTransaction?.(tx, id);
    const activity = await tx.activities.create(
      {
        kind: 'email_out',
        subject: subject.slice(0, 500),
        owner: user.id,
        start: now.toISOString(),
        status: 'open',
        messageId,
        inReplyTo: original?.messageId ?? null,
        references,
        threadId: original?.threadId ?? messageKey(messageId),
        regarding: input.regarding ?? original?.regarding ?? null,
        parties,
        bodyText: input.text,
        bodyHtml: storedHtml?.html ?? null,
        classification: 'normal',
        messageKey: messageKey(messageId),
        correlation: original ? { method: 'in-reply-to', activityId: original.id } : null,
        trackingToken,
        subjectKey: subjectKey(subject, config.mail.trackingToken.prefix),
      },
      { id, now: now.toISOString() },
    );
    await tx.activities.addSource(activity.id, { type: 'smtp', sourceId: `smtp:${user.id}`, ref: messageId });
    await tx.outbox.enqueue({ activityId: activity.id, userId: user.id, rawSha256: blob.sha256, envelope: { from: user.email, to: [...input.to, ...(input.cc ?? []), ...(input.bcc ?? [])] }, sentCopy: user.imap ? 'pending' : 'none' }, now.toISOString());
    return tx.activities.require(activity.id);
  });
}
