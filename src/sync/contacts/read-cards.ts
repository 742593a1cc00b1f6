/**
 * The remote side of one address-book pass: the cards sync-collection reported (RFC 6578 §3.5),
 * parsed one by one. Broken, oversized and duplicate-UID cards and capped lists become per-item
 * failures; every listed href (readable or not) is remembered, so a full listing never takes an
 * unreadable card for a deleted one.
 */
import { parseCard, type ParsedCard } from '../../contacts/vcard.js';
import { isBridgeError, type ErrorCode } from '../../domain/errors.js';
import type { DavItemFailure, DavObject } from '../../ports/dav.js';
import { sameHref } from '../engine/href.js';
import { EventLoopSlices } from '../event-loop-slices.js';

export interface RemoteCard extends DavObject {
  card: ParsedCard;
}

export interface CardFailure {
  href: string;
  code: ErrorCode;
  message: string;
}

export interface ReadCards {
  /** Readable cards by UID. */
  remote: Map<string, RemoteCard>;
  /** Every href listed as created or changed, readable or not. */
  listed: Set<string>;
  failures: CardFailure[];
}

/** `knownHref`: the href the sync status records for a UID (of two cards with one UID, that one is kept). */
export async function readCards(objects: readonly DavObject[], unreadable: readonly DavItemFailure[], maxCardBytes: number, knownHref: (uid: string) => string | null): Promise<ReadCards> {
  const remote = new Map<string, RemoteCard>();
  const listed = new Set<string>();
  const failures: CardFailure[] = [];
  // Listed but unreadable (too large, bad XML): reported; the card counts as present, unchanged.
  for (const failure of unreadable) {
    listed.add(failure.href);
    failures.push({ href: failure.href, code: failure.error.code, message: failure.error.message });
  }
  // Parsing is synchronous: hand the event loop back between cards, so that a large (or hostile)
  // address book delays the API and the other sources by a slice, not by the whole book.
  const slices = new EventLoopSlices();
  for (const obj of objects) {
    await slices.pace();
    listed.add(obj.href);
    const size = Buffer.byteLength(obj.data, 'utf8');
    if (size > maxCardBytes) {
      failures.push({ href: obj.href, code: 'PAYLOAD_TOO_LARGE', message: `vCard ${obj.href} is ${size} bytes (limit ${maxCardBytes}, contacts.maxCardBytes): left alone` });
      continue;
    }
    let card: ParsedCard;
    try {
      card = parseCard(obj.data);
    } catch (error) {
      failures.push({ href: obj.href, code: isBridgeError(error) ? error.code : 'INVALID_INPUT', message: `${obj.href}: ${error instanceof Error ? error.message : String(error)}` });
      continue;
    }
    for (const cap of card.capped ?? []) {
      // A warning: the card syncs, with the first values (the API's limit per contact).
      failures.push({ href: obj.href, code: 'INVALID_INPUT', message: `vCard ${obj.href} (UID ${card.uid}) has ${cap.total} ${cap.property} values; a contact holds at most ${cap.kept}: the first ${cap.kept} are synced, the others stay in the card untouched` });
    }
    const other = remote.get(card.uid);
    if (other !== undefined) {
      // Keep the resource the status already knows; report the other one.
      const known = knownHref(card.uid);
      const [keep, drop] = known !== null && sameHref(known, obj.href) ? [{ ...obj, card }, other] : [other, { ...obj, card }];
      remote.set(card.uid, keep);
      failures.push({ href: drop.href, code: 'CONFLICT', message: `vCard ${drop.href} has the UID ${card.uid} of ${keep.href} too (duplicate UID): only ${keep.href} is synced` });
      continue;
    }
    remote.set(card.uid, { ...obj, card });
  }
  return { remote, listed, failures };
}
