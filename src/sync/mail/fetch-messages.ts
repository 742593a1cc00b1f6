import { isBridgeError } from '../../domain/errors.js';
import { messageKey } from '../../domain/message-id.js';
import { oversizedStandIn } from '../../mail/oversized-message.js';
import { parseMessage } from '../../mail/parse-message.js';
import type { MessageOutline, MessageSummary, RawMessage } from '../../ports/mail.js';
import type { MailMessageStatus, TrackedBy } from '../../store/mail-messages.js';
import { releaseBufferMemory } from './buffer-memory.js';
import { importBatch, summaryOf, trackReason } from './import-batch.js';
import { attemptFailed, itemFailed, notDelivered, notIn, recordSeen, refOf, type FolderPass, type MailPass } from './mail-pass.js';
import { planNewMessage } from './plan-messages.js';
import { applyMarks, PendingMarks, repairMark } from './server-marks.js';
import { untrack } from './untrack.js';

/**
 * One page of new UIDs (or the failed ones retried): each is planned (plan-messages), the
 * undecided ones' headers fetched first, the rest fetched in batches by size while the previous
 * batch is imported, and the marks written at the end.
 */
export async function processPage(pass: MailPass, here: FolderPass, summaries: MessageSummary[], allowed: Set<number> | null): Promise<void> {
  if (summaries.length === 0) return;
  const path = here.folder.path;
  const rows = await pass.store.mailMessages.range(pass.spec.sourceId, path, here.state.uidValidity, summaries[0]!.uid, summaries.at(-1)!.uid);
  const pending = new PendingMarks();
  const full: MessageSummary[] = [];
  const headersOnly: MessageSummary[] = [];
  /** Failed on an earlier pass: fetched one per FETCH, so one bad message cannot fail the others again. */
  const retrying = new Set<number>();
  const context = { policy: pass.policy, folderRole: here.folder.role, allowed, maxItemAttempts: pass.deps.maxItemAttempts };
  /** Rows an interrupted pass left whose tracking keyword was taken off since: untracked after the page. */
  const untracking: MailMessageStatus[] = [];
  for (const summary of summaries) {
    const planned = planNewMessage(rows.get(summary.uid), summary, context);
    if (planned.action === 'repair') repairMark(pass, here, planned.row, summary, pending);
    else if (planned.action === 'flags') {
      const updated = { ...planned.row, flags: summary.flags, modseq: summary.modseq };
      if (planned.change === 'untrack') untracking.push(updated);
      else await pass.store.mailMessages.put(updated);
    }
    else if (planned.action === 'seen') await recordSeen(pass, here, summary, null);
    else if (planned.action === 'import') {
      if (planned.retrying) retrying.add(summary.uid);
      (planned.fetch === 'full' ? full : headersOnly).push(summary);
    }
  }
  // Messages the policy may or may not track: their headers decide, and identify them for
  // move detection, before any body is downloaded.
  const decided = new Map<number, TrackedBy>();
  const headerRaws = await pass.session.fetchHeaders(path, headersOnly.map((summary) => summary.uid));
  for (const summary of notIn(headersOnly, headerRaws)) await notDelivered(pass, here, summary);
  const announced = new Map(summaries.map((summary) => [summary.uid, summary]));
  for (const raw of headerRaws) {
    // The announced summary carries the message's real size (RFC822.SIZE), not the header block's.
    const summary = announced.get(raw.uid) ?? summaryOf(raw);
    try {
      const headers = await parseMessage(raw.source);
      const { trackedBy } = await trackReason(pass, here, headers);
      if (trackedBy) {
        decided.set(raw.uid, trackedBy);
        full.push(summary);
      } else await recordSeen(pass, here, summary, messageKey(headers.messageId));
    } catch (error) {
      await itemFailed(pass, here, summary, undefined, error);
    }
  }
  full.sort((a, b) => a.uid - b.uid);
  // RFC822.SIZE came with the summaries: a message over mail.maxMessageBytes is never fetched
  // whole (no extra round trip for the others).
  const oversized = full.filter((summary) => summary.size > pass.maxMessageBytes);
  const fetchable = full.filter((summary) => summary.size <= pass.maxMessageBytes);
  const batches = [
    ...batchesBySize(
      fetchable.filter((summary) => !retrying.has(summary.uid)),
      pass.batchBytes,
    ),
    ...fetchable.filter((summary) => retrying.has(summary.uid)).map((summary) => [summary]),
  ];
  await importBatches(pass, here, batches, pending, decided);
  if (oversized.length > 0) await importBatch(pass, here, await fetchOversized(pass, here, oversized), pending, decided);
  await applyMarks(pass, here, pending);
  for (const row of untracking) await untrack(pass, row, { removeKeywordFrom: here });
}

/**
 * The next batch is on its way from the server while this one is parsed and stored, so IMAP and
 * the CPU overlap. fetchSources() resolves only once its FETCH has completed, and nothing else is
 * sent meanwhile (imapflow queues commands), so no command runs inside a fetch.
 */
async function importBatches(pass: MailPass, here: FolderPass, batches: MessageSummary[][], pending: PendingMarks, decided: ReadonlyMap<number, TrackedBy>): Promise<void> {
  const fetch = (index: number): Promise<RawMessage[]> | null => {
    const batch = batches[index];
    if (!batch) return null;
    const fetching = pass.session.fetchSources(here.folder.path, batch.map((summary) => summary.uid));
    fetching.catch(() => undefined); // awaited below; an early failure must not go unhandled
    return fetching;
  };
  let next = fetch(0);
  for (let index = 0; next; index += 1) {
    let raws: RawMessage[];
    try {
      raws = await next;
    } catch (error) {
      // The server sent more than its RFC822.SIZE said, past the client's cap (PAYLOAD_TOO_LARGE):
      // the connection is gone. Every message of the batch gets an attempt, so the next pass
      // fetches them one by one and only the offending one is given up in the end.
      if (isBridgeError(error) && error.code === 'PAYLOAD_TOO_LARGE') {
        for (const summary of batches[index]!) await attemptFailed(pass, here, summary, undefined, error);
      }
      throw error;
    }
    next = fetch(index + 1);
    for (const summary of notIn(batches[index]!, raws)) await notDelivered(pass, here, summary);
    // The headers already decided some of these; the decision is not made again from the full message.
    await importBatch(pass, here, raws, pending, decided);
    releaseBufferMemory();
  }
}

/**
 * Messages over mail.maxMessageBytes: their header block and BODYSTRUCTURE only, made into
 * stand-ins (src/mail/oversized-message.ts) that import like any message. Each is noted in
 * sync_errors (PAYLOAD_TOO_LARGE) so the admin sees what was not downloaded.
 */
export async function fetchOversized(pass: MailPass, here: FolderPass, summaries: readonly MessageSummary[]): Promise<RawMessage[]> {
  const outlines: MessageOutline[] = [];
  // One per FETCH (such messages are rare): a header block over the client's cap then fails only
  // its own message, which gets the attempt, as in processPage.
  for (const summary of summaries) {
    try {
      outlines.push(...(await pass.session.fetchOutlines(here.folder.path, [summary.uid])));
    } catch (error) {
      if (isBridgeError(error) && error.code === 'PAYLOAD_TOO_LARGE') await attemptFailed(pass, here, summary, undefined, error);
      throw error;
    }
  }
  for (const summary of notIn(summaries, outlines)) await notDelivered(pass, here, summary);
  const raws: RawMessage[] = [];
  for (const outline of outlines) {
    await pass.failures.note(refOf(here, outline.uid), 'PAYLOAD_TOO_LARGE', `the message is ${outline.size} bytes, over mail.maxMessageBytes (${pass.maxMessageBytes}): imported from its headers and structure only`);
    raws.push({ uid: outline.uid, flags: outline.flags, modseq: outline.modseq, internalDate: outline.internalDate, source: oversizedStandIn(outline, pass.maxMessageBytes) });
  }
  return raws;
}

/** Split into batches of at most `maxBytes` (a single bigger message gets a batch of its own). */
export function batchesBySize(summaries: readonly MessageSummary[], maxBytes: number): MessageSummary[][] {
  const batches: MessageSummary[][] = [];
  let current: MessageSummary[] = [];
  let bytes = 0;
  for (const summary of summaries) {
    if (current.length > 0 && (bytes + summary.size > maxBytes || current.length >= 100)) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(summary);
    bytes += summary.size;
  }
  if (current.length > 0) batches.push(current);
  return batches;
}
