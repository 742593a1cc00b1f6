/**
 * The ownership and deletion rules of contact sync (issue 6) as a pure decision per card: what
 * happens to one linked card (a sync_status row of `contacts:<user>`) and to one card the
 * address book holds that no row knows yet. address-book-sync.ts gathers the inputs and applies
 * the action. The rules:
 * - a deletion in the client never deletes CRM data: the link becomes a tombstone (the card stays
 *   deleted until the contact is reset), except with direction crm-to-client, where the address
 *   book mirrors the CRM and the card is put back;
 * - a card the CRM created leaves the client when its contact is deleted, deactivated or no
 *   longer selected by the filter (unless the CRM side looks emptied: the rail holds removals);
 * - a card made in the client stays there when its contact is deleted or deactivated in the CRM
 *   (untracked), and keeps syncing when the filter no longer selects it;
 * - a card unknown to the status is re-linked by the bridge's UID, else matched to an existing
 *   contact, else imported (two-way only); an ambiguous match is reported, never guessed.
 */
export type Direction = 'two-way' | 'crm-to-client';

/** The linked CRM contact as this pass sees it. */
export type ContactState = 'missing' | 'inactive' | 'unselected' | 'selected';

export interface LinkedCardInput {
  origin: 'crm' | 'remote';
  tombstone: boolean;
  /** A create was announced (intent row) and not confirmed. */
  pendingCreate: boolean;
  /** The status still names the card's href (a tombstone of a client deletion does not). */
  hasHref: boolean;
  /** The card was listed as created or changed in this pass. */
  cardListed: boolean;
  /** The card vanished from the address book (and the deletion is believed). */
  cardGone: boolean;
  contact: ContactState;
  direction: Direction;
  /** The CRM side looks emptied: removals of delivered cards are held (src/sync/engine/mass-deletion.ts). */
  holdRemovals: boolean;
}

export type LinkedCardAction =
  | { type: 'none' }
  /** A card the client deleted came back (restored, or re-created with the same UID): link it again, then decide as linked. */
  | { type: 'relink' }
  /** crm-to-client: put the deleted card back and report the deletion. */
  | { type: 'restore-card' }
  /** Remember the deletion (tombstone); the CRM contact stays, the card stays where it is. */
  | { type: 'tombstone' }
  /** DELETE the card the CRM created and forget the link. */
  | { type: 'remove-card' }
  /** PUT the announced card (If-None-Match: *, adopting on 412). */
  | { type: 'create-card' }
  /** Three-way merge of contact and card, writing either side as needed. */
  | { type: 'reconcile' };

export function planLinkedCard(input: LinkedCardInput): LinkedCardAction {
  if (input.tombstone) return input.cardListed && !input.hasHref && input.contact !== 'missing' ? { type: 'relink' } : { type: 'none' };
  if (input.cardGone) return input.direction === 'crm-to-client' && input.contact === 'selected' ? { type: 'restore-card' } : { type: 'tombstone' };
  const left = input.contact === 'missing' || input.contact === 'inactive' || (input.contact === 'unselected' && input.origin === 'crm');
  if (left) {
    if (input.origin === 'remote') return { type: 'tombstone' };
    return input.holdRemovals ? { type: 'none' } : { type: 'remove-card' };
  }
  if (input.pendingCreate && !input.cardListed) return { type: 'create-card' };
  return { type: 'reconcile' };
}

export interface NewCardInput {
  /** The card carries the bridge's UID of a selected CRM contact that is not linked yet. */
  ownContact: boolean;
  /** The duplicate matcher's verdict against contacts not linked yet (e-mail, phone, name + company). */
  match: 'match' | 'ambiguous' | 'none';
  direction: Direction;
}

export type NewCardAction =
  /** The card of a CRM contact whose mapping was reset: linked again by its UID (origin crm). */
  | { type: 'link-own' }
  /** The card stands for an existing CRM contact: linked (origin remote) and merged without a base. */
  | { type: 'link-match' }
  | { type: 'report-ambiguous' }
  /** crm-to-client: a card made in the client is reported, not imported. */
  | { type: 'refuse-import' }
  | { type: 'import' };

export function planNewCard(input: NewCardInput): NewCardAction {
  if (input.ownContact) return { type: 'link-own' };
  if (input.match === 'match') return { type: 'link-match' };
  if (input.match === 'ambiguous') return { type: 'report-ambiguous' };
  return input.direction === 'crm-to-client' ? { type: 'refuse-import' } : { type: 'import' };
}
