import type { FolderState, MessageSummary } from '../../ports/mail.js';
import type { ImapCursor } from '../engine/keys.js';
import type { FolderPass, MailPass } from './mail-pass.js';

/** What changed among a folder's known messages since its cursor: flags that changed, UIDs that vanished. */
export interface FolderDelta {
  changed: MessageSummary[];
  vanished: number[];
}

/**
 * The changes to the messages a folder's cursor already covers (UIDs up to cursor.highestUid):
 * CONDSTORE CHANGEDSINCE and QRESYNC VANISHED when the server has them (RFC 7162 §3.1.4, §3.2.10),
 * else every flag and UID SEARCH ALL, compared with the status rows. null: nothing to read.
 */
export async function readFolderDelta(pass: MailPass, here: FolderPass, state: FolderState, cursor: ImapCursor): Promise<FolderDelta | null> {
  if (cursor.highestUid === 0) return null;
  // RFC 7162 §3.1.2.1: an unchanged HIGHESTMODSEQ means no flag changed and (with QRESYNC) nothing
  // was expunged: the common case costs one SELECT.
  if (state.highestModseq !== null && cursor.highestModseq !== null && state.highestModseq === cursor.highestModseq) return null;
  const path = here.folder.path;
  let changed: MessageSummary[];
  let vanished: number[] | null = null;
  if (state.highestModseq !== null && cursor.highestModseq !== null && pass.session.capabilities.has('CONDSTORE')) {
    const changes = await pass.session.changesSince(path, cursor.highestModseq, cursor.highestUid);
    changed = changes.changed;
    vanished = changes.vanished;
  } else {
    changed = await pass.session.summaries(path, 1, cursor.highestUid);
  }
  if (vanished === null) {
    const present = new Set(await pass.session.allUids(path));
    const known = await pass.store.mailMessages.present(pass.spec.sourceId, path, state.uidValidity);
    vanished = known.filter((row) => row.uid <= cursor.highestUid && !present.has(row.uid)).map((row) => row.uid);
  }
  return { changed, vanished };
}

/** The new UIDs after the cursor, as explicit ranges of at most `pageSize` (RFC 3501 §6.4.8 UID sets). */
export function* newUidPages(first: number, last: number, pageSize: number): Generator<{ start: number; end: number }> {
  // A generator: a folder whose UIDs jump (UIDNEXT can be near 2^32) has more pages than fit in memory.
  for (let start = first; start <= last; start += pageSize) yield { start, end: Math.min(last, start + pageSize - 1) };
}
