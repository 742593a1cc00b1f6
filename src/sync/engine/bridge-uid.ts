/**
 * The identities the bridge gives what it creates remotely, decided before the PUT (DESIGN.md
 * principle 3), so an item found again after a lost answer or a reset is re-linked by its UID and
 * never created twice. Two formats, because items already delivered carry them and re-matching
 * depends on them: calendar objects use `crm-bridge-<activity id>` (readable back into the
 * activity id), vCards a name-based UUID (RFC 9562 §5.8, version 8) of the contact id, since
 * vCard 4 clients expect a URN-compatible UID (RFC 6350 §6.7.6).
 */
import { createHash } from 'node:crypto';

export const BRIDGE_UID_PREFIX = 'crm-bridge-';

/** The iCalendar UID of the calendar object of a CRM activity. */
export function activityUid(activityId: string): string {
  return `${BRIDGE_UID_PREFIX}${activityId}`;
}

/** The activity id an iCalendar UID of the bridge names, or null for a foreign UID. */
export function activityIdOfUid(uid: string): string | null {
  return uid.startsWith(BRIDGE_UID_PREFIX) ? uid.slice(BRIDGE_UID_PREFIX.length) : null;
}

/** The vCard UID of the card of a CRM contact: a version 8 UUID from SHA-256 of the contact id. */
export function contactUid(contactId: string): string {
  const h = createHash('sha256').update(`crm-bridge/contact/${contactId}`).digest('hex');
  const variant = ((parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
