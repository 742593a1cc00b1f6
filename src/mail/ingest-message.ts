import type { Activity, PartyInput, Regarding } from '../domain/activity.js';
import { correlate, type CorrelationMatch, type CorrelationSettings } from './correlate.js';
import { subjectKey } from './subject.js';
import { BridgeError } from '../domain/errors.js';
import type { Store } from '../store/store.js';
import type { StoredBlob } from '../store/blob-storage.js';
import { messageKey } from '../domain/message-id.js';
import { matchIdentity } from './message-identity.js';
import type { ParsedMessage } from './parsed-message.js';
import { resolveParties, type AddressWithRole, type PartyDirectory } from '../domain/resolve-parties.js';

export interface IngestOptions {
  correlation: CorrelationSettings;
  /** The correlation already looked up for this message (undefined: look it up here). */
  correlated?: CorrelationMatch | null;
  source: { sourceId: string; ref: string };
  owner: string | null;
  kind: 'email_in' | 'email_out';
  queue: string | null;
  regarding: Regarding | null;
  /** Shared mailboxes with `unknownSender: lead`: a lead for a sender nobody knows (never for automatic mail). */
  createLeadForUnknownSender: boolean;
  /** users[].mail.createContacts: a contact for every unknown external address of tracked mail. */
  createContacts: boolean;
  /** Extra writes that must commit together with the activity (the message's sync status). */
  alsoInTransaction?: (tx: Store, activityId: string) => Promise<void>;
}

export interface IngestResult {
  activityId: string;
  created: boolean;
}

/** The thread a message belongs to: the first message of its References chain (or what it replies to). */
export function threadKeyOf(message: Pick<ParsedMessage, 'messageId' | 'inReplyTo' | 'references'>): string {
  const root = message.references[0] ?? message.inReplyTo ?? message.messageId;
  return messageKey(root);
}

function addressesOf(message: ParsedMessage): AddressWithRole[] {
  return [
    ...message.from.map((address) => ({ ...address, role: 'from' as const })),
    ...(message.sender ? [{ ...message.sender, role: 'sender' as const }] : []),
    ...message.replyTo.map((address) => ({ ...address, role: 'reply_to' as const })),
    ...message.to.map((address) => ({ ...address, role: 'to' as const })),
    ...message.cc.map((address) => ({ ...address, role: 'cc' as const })),
    ...message.bcc.map((address) => ({ ...address, role: 'bcc' as const })),
  ];
}

/**
 * Everything about one message that needs no transaction: its key, whether an activity already has
 * it, the resolved parties, the correlation (when known already) and the attachment bytes, being
 * written to the content-addressed store (an orphaned file after a crash is harmless). The
 * attachment contents are not kept once written, so a batch of prepared messages holds no
 * attachment bytes for long.
 */
export interface PreparedIngest {
  message: ParsedMessage;
  options: IngestOptions;
  key: string;
  known: { id: string } | undefined;
  parties: PartyInput[];
  correlated: CorrelationMatch | null | undefined;
  /**
   * The attachments, settled once their files are written. The writes run on libuv's thread pool
   * while the next messages of a batch are parsed (awaiting each in turn left the main thread idle
   * for ~1.5 s per 1,000 attachments); writeIngest awaits them before any row refers to a file.
   */
  blobs: Promise<Array<{ blob: StoredBlob; filename: string | null; contentType: string }>>;
}

/**
 * `inBatch`: the message is written in a transaction with others (writeIngest), which looks its key
 * up itself and sees what earlier messages of the batch wrote; so the key is not looked up here,
 * and an unknown correlation is left to writeIngest, where an original stored earlier in the same
 * batch is visible.
 */
export async function prepareIngest(store: Store, directory: PartyDirectory, message: ParsedMessage, options: IngestOptions, inBatch = false): Promise<PreparedIngest> {
  const key = messageKey(message.messageId);
  const match = inBatch ? undefined : matchIdentity(await store.activities.findIdentitiesByMessageKey(key), message.fingerprint);
  const known = match?.same ? { id: match.id } : undefined;
  const parties = known ? [] : await resolveParties(addressesOf(message), directory);
  const correlated = known ? null : options.correlated !== undefined ? options.correlated : inBatch ? undefined : await correlate(store, message, options.correlation);
  const blobs = Promise.all(
    (known ? [] : message.attachments).map(async (attachment) => ({ blob: await store.blobs.put(attachment.content), filename: attachment.filename, contentType: attachment.contentType })),
  );
  // Awaited by writeIngest; a message that fails before it gets there must not leave an unhandled rejection.
  blobs.catch(() => undefined);
  return { message: { ...message, attachments: [] }, options, key, known, parties, correlated, blobs };
}

/**
 * The transactional part of an import: run inside `store.atomically`. Several prepared messages may
 * share one transaction (a fetched batch): each sees what the earlier ones wrote.
 */
export async function writeIngest(tx: Store, directory: PartyDirectory, prepared: PreparedIngest): Promise<IngestResult> {
  const { message, options, key, known, parties } = prepared;
  const source = { type: 'imap' as const, sourceId: options.source.sourceId, ref: options.source.ref };
  // Looked up again inside the transaction: another mailbox may have stored the same message
  // meanwhile (the unique index on message_key + content_fingerprint is the last line of defence).
  // (The identities alone first: loading a whole activity is five queries, and new mail has none.)
  const match = matchIdentity(await tx.activities.findIdentitiesByMessageKey(key), message.fingerprint);
  const existing = match.same ? await tx.activities.get(match.id) : undefined;
  if (match.same && existing) {
    await tx.activities.addSource(existing.id, source);
    const changes: { regarding?: Regarding; queue?: string; owner?: string; kind?: 'email_out'; contentFingerprint?: string } = {};
    // Stored without a fingerprint (sent by the bridge, or before fingerprints existed): this copy
    // says what the message is, so a later copy that says something else is another message.
    if (match.adopt) changes.contentFingerprint = message.fingerprint;
    if (options.regarding && !existing.regarding) changes.regarding = options.regarding;
    if (options.queue && !existing.queue) changes.queue = options.queue;
    // A user tracking mail a shared mailbox imported first makes it theirs, as if they had been first
    // (their own mail, from Sent or their address, is email_out): owner and kind must not depend on
    // which mailbox a pass (or an IDLE wake-up) happened to read first.
    if (options.owner && !existing.owner) {
      changes.owner = options.owner;
      if (options.kind === 'email_out') changes.kind = 'email_out';
    }
    if (Object.keys(changes).length > 0) await tx.activities.update(existing.id, changes);
    await options.alsoInTransaction?.(tx, existing.id);
    return { activityId: existing.id, created: false };
  }
  if (known) throw new BridgeError('TEMPORARY', `activity ${known.id} for ${message.messageId} disappeared during import; retrying`);
  if (!match.same && match.collidesWith.length > 0 && !message.syntheticMessageId) await recordCollision(tx, message, options, match.collidesWith);
  const correlated = prepared.correlated !== undefined ? prepared.correlated : await correlate(tx, message, options.correlation);
  const blobs = await prepared.blobs;
  await createMissingRecords(tx, directory, parties, message, options);
  const created = await tx.activities.create({
    kind: options.kind,
    subject: message.subject.slice(0, 500),
    owner: options.owner,
    start: message.date,
    status: 'completed',
    messageId: message.messageId.slice(0, 998),
    inReplyTo: message.inReplyTo,
    references: message.references.slice(-500),
    threadId: (correlated?.activity.threadId ?? threadKeyOf(message)).slice(0, 500),
    subjectKey: subjectKey(message.subject, options.correlation.token.prefix),
    regarding: options.regarding ?? correlated?.activity.regarding ?? null,
    parties,
    queue: options.queue,
    bodyText: message.text,
    bodyHtml: message.html,
    classification: message.classification,
    messageKey: key,
    contentFingerprint: message.fingerprint,
    correlation: correlated?.correlation ?? null,
  });
  for (const entry of blobs) await tx.attachments.addStored(created.id, entry);
  await tx.activities.addSource(created.id, source);
  // `created` has everything linking needs (id, Message-ID, thread, regarding); reading the
  // activity back again per message was a measurable part of an import.
  await linkEarlierReplies(tx, created);
  await options.alsoInTransaction?.(tx, created.id);
  return { activityId: created.id, created: true };
}

/**
 * A message with the Message-ID of another one that says something else (From, Date, Subject, body
 * or attachments differ): a forgery, or a copy a list server or gateway changed. It gets its own
 * activity, so no stranger's text ends up on the activity of the genuine message, and the collision
 * is recorded (CONFLICT) naming both places. (A synthetic id is no claim of the sender's: two
 * messages without Message-ID whose headers say the same are just two messages.)
 */
async function recordCollision(tx: Store, message: ParsedMessage, options: IngestOptions, others: readonly string[]): Promise<void> {
  const places: string[] = [];
  for (const id of others.slice(0, 5)) {
    const other = await tx.activities.get(id);
    const where = other?.sources.slice(0, 3).map((s) => `${s.sourceId} ${s.ref}`).join(', ') || 'no mailbox';
    places.push(`activity ${id} (${where})`);
  }
  const more = others.length > 5 ? ` and ${others.length - 5} more` : '';
  await tx.syncErrors.record(
    options.source.sourceId,
    options.source.ref,
    'CONFLICT',
    `Message-ID ${message.messageId} at ${options.source.sourceId} ${options.source.ref} names another message than ${places.join('; ')}${more}: From, Date, Subject or body differ, so it is kept as an activity of its own`,
  );
}

/**
 * Store one e-mail as an activity, exactly once: the same message seen again (another mailbox,
 * another folder, a UIDVALIDITY reset: same Message-ID and same fingerprint, message-identity.ts)
 * only adds a source to the existing activity. Attachment bytes
 * go to the content-addressed store first; the activity, its attachments rows, its source and the
 * caller's status row commit in one transaction.
 */
export async function ingestMessage(store: Store, directory: PartyDirectory, message: ParsedMessage, options: IngestOptions): Promise<IngestResult> {
  const prepared = await prepareIngest(store, directory, message, options);
  return store.atomically((tx) => writeIngest(tx, directory, prepared));
}

/**
 * Replies stored before the message they answer (mail does not arrive in order) are correlated now
 * that it is here: they join its thread and, when they have none, its regarding record.
 */
export async function linkEarlierReplies(tx: Store, original: Activity): Promise<void> {
  if (!original.messageId) return;
  for (const reply of await tx.activities.findUncorrelatedReplies(original.messageId)) {
    if (reply.id === original.id) continue;
    const method = reply.inReplyTo?.toLowerCase() === original.messageId.toLowerCase() ? 'in-reply-to' : 'references';
    await tx.activities.update(reply.id, {
      correlation: { method, activityId: original.id },
      threadId: original.threadId,
      ...(reply.regarding || !original.regarding ? {} : { regarding: original.regarding }),
    });
  }
}

/**
 * Leads for unknown senders of shared-mailbox mail, contacts for unknown addresses when enabled.
 * The party lookup before the transaction went through a per-pass cache, so the store is asked
 * again here (an earlier message of this pass may have created the record), and the cache forgets
 * the address so later messages see what was created.
 */
async function createMissingRecords(tx: Store, directory: PartyDirectory, parties: PartyInput[], message: ParsedMessage, options: IngestOptions): Promise<void> {
  const automatic = message.classification !== 'normal';
  for (const party of parties) {
    const unknown = !party.userId && !party.contactId && !party.leadId;
    if (!unknown || automatic) continue;
    if (options.createLeadForUnknownSender && party.role === 'from') {
      const [existing] = (await tx.leads.list({ email: party.address }, { limit: 1 })).items;
      if (existing) {
        party.leadId = existing.id;
        continue;
      }
      const [firstName, ...rest] = (party.name ?? '').split(' ').filter(Boolean);
      const lead = await tx.leads.create({
        email: party.address,
        firstName: firstName ?? null,
        lastName: rest.join(' ') || null,
        source: options.queue ? `mailbox:${options.queue}` : 'mail',
        owner: options.owner,
      });
      party.leadId = lead.id;
      directory.forget(party.address);
    } else if (options.createContacts && ['from', 'to', 'cc'].includes(party.role)) {
      const [existing] = await tx.contacts.findByEmail(party.address);
      if (existing) {
        party.contactId = existing.id;
        continue;
      }
      const contact = await tx.contacts.create({
        displayName: party.name || party.address,
        emails: [party.address],
        accountId: party.accountId ?? null,
        owner: options.owner,
      });
      party.contactId = contact.id;
      directory.forget(party.address);
    }
  }
}
