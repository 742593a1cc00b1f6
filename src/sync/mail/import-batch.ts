import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { failureScope } from '../engine/failure.js';
import { normalizeEmail } from '../../domain/fields.js';
import { correlate, type CorrelationMatch } from '../../mail/correlate.js';
import { decideTracking } from '../../mail/decide-tracking.js';
import { prepareIngest, writeIngest, type PreparedIngest } from '../../mail/ingest-message.js';
import { messageKey } from '../../domain/message-id.js';
import { parseMessage } from '../../mail/parse-message.js';
import type { ParsedMessage } from '../../mail/parsed-message.js';
import { isKnownParty, resolveParties, type PartyDirectory } from '../../domain/resolve-parties.js';
import type { MessageSummary, RawMessage } from '../../ports/mail.js';
import type { TrackedBy } from '../../store/mail-messages.js';
import type { Store } from '../../store/store.js';
import { isUniqueViolation } from '../../store/unique-violation.js';
import { itemFailed, refOf, seenRow, type FolderPass, type MailPass } from './mail-pass.js';
import { trackedByKeyword } from './plan-messages.js';
import { markTracked, type PendingMarks } from './server-marks.js';

/**
 * Why a message is tracked, if it is, and the correlation found on the way (so the import does not
 * look it up again). Shared mailboxes and tracked folders need no lookup at all.
 */
export async function trackReason(pass: MailPass, here: FolderPass, message: ParsedMessage): Promise<{ trackedBy: TrackedBy | null; correlated?: CorrelationMatch | null }> {
  const personal = pass.spec.personal;
  const facts = { mailbox: pass.spec.mailbox, folderRole: here.folder.role, hasTrackingKeyword: false, policy: personal?.autoTrack ?? 'none', repliesToCrmMail: false, counterpartKnown: false };
  const decided = decideTracking(facts);
  if (decided || facts.policy === 'none') return { trackedBy: decided };
  const correlated = await correlate(pass.store, message, pass.deps.correlation);
  let counterpartKnown = false;
  if (facts.policy === 'known-senders' && !correlated) {
    const outgoing = here.folder.role === 'sent' || isFromOwner(pass, message);
    const counterpart = outgoing ? [...message.to, ...message.cc].map((a) => ({ ...a, role: 'to' as const })) : message.from.map((a) => ({ ...a, role: 'from' as const }));
    counterpartKnown = (await resolveParties(counterpart, pass.directory)).some(isKnownParty);
  }
  return { trackedBy: decideTracking({ ...facts, repliesToCrmMail: correlated !== null, counterpartKnown }), correlated };
}

function isFromOwner(pass: MailPass, message: ParsedMessage): boolean {
  const owner = pass.spec.ownerEmail ? normalizeEmail(pass.spec.ownerEmail) : null;
  return owner !== null && message.from.some((address) => normalizeEmail(address.address) === owner);
}

export function summaryOf(raw: RawMessage): MessageSummary {
  return { uid: raw.uid, flags: raw.flags, modseq: raw.modseq, size: raw.source.length, internalDate: raw.internalDate };
}

interface Item {
  summary: MessageSummary;
  ref: string;
  key: string | null;
  message?: ParsedMessage;
  prepared?: PreparedIngest;
  created?: boolean;
  error?: unknown;
}

/**
 * One fetched batch. Every message is parsed and prepared (parties, attachment files) outside
 * any transaction; then the whole batch commits in ONE transaction, each message's activity,
 * source and status row together, each under its own savepoint so a message that fails there is
 * rolled back alone and recorded as failed. A crash before the commit leaves nothing of the batch
 * (the cursor moves only after the page, so the next pass fetches it again); a crash after it
 * leaves complete rows, whose keywords the next pass repairs. Exactly once either way.
 * `decided`: messages whose headers already decided why they are tracked (not decided again).
 */
export async function importBatch(pass: MailPass, here: FolderPass, raws: RawMessage[], pending: PendingMarks, decided: ReadonlyMap<number, TrackedBy>): Promise<void> {
  const items: Item[] = [];
  for (let index = 0; index < raws.length; index += 1) {
    const raw = raws[index]!;
    // The batch's sources are dropped as they are parsed: memory holds one batch, not two.
    raws[index] = undefined as unknown as RawMessage;
    const item: Item = { summary: summaryOf(raw), ref: refOf(here, raw.uid), key: null };
    items.push(item);
    // Parsing and storing rarely wait for I/O, so without this the event loop would not read the
    // socket until the batch is done, and the next batch would not arrive while this one is worked on.
    await yieldToEventLoop();
    try {
      const prepared = await prepare(pass, here, raw, item, decided.get(raw.uid));
      if (prepared) item.prepared = prepared;
    } catch (error) {
      if (failureScope(error, 'item') === 'source') throw error;
      item.error = error;
    }
  }
  if (items.some((item) => item.error === undefined)) await commit(pass, here, items);
  for (const item of items) {
    if (item.error !== undefined) {
      await itemFailed(pass, here, item.summary, item.message, item.error);
      continue;
    }
    if (!item.prepared) continue;
    if (item.created) pass.tally.changed += 1;
    for (const warning of item.message?.warnings ?? []) await pass.failures.note(item.ref, 'INVALID_INPUT', `imported with a problem: ${warning}`);
    markTracked(pass, here, item.summary, pending);
  }
}

/** Parse one message and, when it is tracked, prepare its ingest (undefined: not tracked, recorded as seen). */
async function prepare(pass: MailPass, here: FolderPass, raw: RawMessage, item: Item, forced: TrackedBy | undefined): Promise<PreparedIngest | undefined> {
  const { spec, deps, store } = pass;
  const message = await parseMessage(raw.source, deps.maxBodyBytes === undefined ? {} : { maxBodyBytes: deps.maxBodyBytes });
  // Attachment bytes are written to the blob store by prepareIngest; the item keeps none.
  item.message = { ...message, attachments: [] };
  item.key = messageKey(message.messageId);
  const byKeyword = trackedByKeyword(raw.flags, here.folder.role, pass.policy);
  const reason = forced !== undefined || byKeyword ? { trackedBy: forced ?? ('keyword' as const) } : await trackReason(pass, here, message);
  if (!reason.trackedBy) return undefined;
  const outgoing = spec.mailbox === 'personal' && (here.folder.role === 'sent' || isFromOwner(pass, message));
  const trackedBy = reason.trackedBy;
  const key = item.key;
  const { folder, state } = here;
  // In a batch: writeIngest looks the Message-ID up again in the transaction, where earlier
  // messages of the same batch are visible.
  const inBatch = true;
  return prepareIngest(
    store,
    pass.directory,
    message,
    {
      source: { sourceId: spec.sourceId, ref: item.ref },
      correlation: deps.correlation,
      // A correlation found before the batch is kept; none found is looked up again in the
      // transaction, where an original earlier in the same batch is visible.
      ...('correlated' in reason && reason.correlated ? { correlated: reason.correlated } : {}),
      owner: spec.ownerId,
      kind: outgoing ? 'email_out' : 'email_in',
      queue: spec.queue,
      regarding: folder.role === 'tracked' ? here.regarding : null,
      createLeadForUnknownSender: spec.shared?.unknownSender === 'lead',
      createContacts: spec.personal?.createContacts ?? false,
      alsoInTransaction: async (tx, activityId) => {
        await tx.mailMessages.put({ sourceId: spec.sourceId, folder: folder.path, uidValidity: state.uidValidity, uid: raw.uid, messageKey: key, flags: raw.flags, modseq: raw.modseq, activityId, trackedBy, state: 'tracked', attempts: 0, lastError: null });
      },
    },
    inBatch,
  );
}

/** The batch in one transaction, each message under its own savepoint (rolled back alone when it fails). */
/**
 * One message, under its savepoint. Another process may store the same message (the same
 * Message-ID delivered to two mailboxes, or `sync --once` next to `serve`) between this
 * transaction's lookup and its insert: the unique index refuses the second insert, and the message
 * is written again, once, now finding the other's activity (PostgreSQL READ COMMITTED: the retried
 * statements see what the other committed).
 */
export async function writeMessage(tx: Store, directory: PartyDirectory, prepared: PreparedIngest): Promise<{ created: boolean }> {
  try {
    return await tx.inSavepoint(() => writeIngest(tx, directory, prepared));
  } catch (error) {
    if (!isUniqueViolation(error)) throw error;
    return tx.inSavepoint(() => writeIngest(tx, directory, prepared));
  }
}

async function commit(pass: MailPass, here: FolderPass, items: Item[]): Promise<void> {
  // The attachment files were written while the batch was parsed; the transaction starts once
  // they are there, so it does not hold the database while a large one is still being written.
  await Promise.allSettled(items.map((item) => item.prepared?.blobs));
  await pass.store.atomically(async (tx) => {
    for (const item of items) {
      if (item.error !== undefined) continue;
      if (!item.prepared) {
        await tx.mailMessages.put(seenRow(pass, here, item.summary, item.key));
        continue;
      }
      await yieldToEventLoop();
      try {
        item.created = (await writeMessage(tx, pass.directory, item.prepared)).created;
      } catch (error) {
        if (failureScope(error, 'item') === 'source') throw error;
        item.error = error;
      }
    }
  });
}
