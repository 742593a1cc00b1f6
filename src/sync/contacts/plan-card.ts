/**
 * The ownership and deletion rules of contact sync (issue 6), as the rules and facts of the shared
 * item planner (engine/plan-item.ts): what happens to one linked card (a sync_status row of
 * `contacts:<user>`) and to one card the address book holds that no row knows yet. linked-cards.ts
 * and new-cards.ts gather the inputs and apply the action. The rules:
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
import { planPairItem, type ItemAction, type PairRules } from '../engine/plan-item.js';

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

const cardRules = (direction: Direction, contact: ContactState): PairRules => ({
  // crm-to-client: the address book mirrors the CRM, so a selected contact's card is put back.
  clientDeleted: direction === 'crm-to-client' && contact === 'selected' ? 'restore-remote' : 'tombstone',
  deletedBeforeConfirmed: 'as-client-deletion',
  bothGone: 'tombstone',
  reviveTombstones: true,
  mergeWhen: 'always',
  importsNew: direction === 'two-way',
});

/** The shared planner's actions in the words of the contacts executor (linked-cards.ts). */
const linkedActionOf: Partial<Record<ItemAction['type'], LinkedCardAction['type']>> = {
  none: 'none',
  relink: 'relink',
  'restore-remote': 'restore-card',
  tombstone: 'tombstone',
  'delete-remote': 'remove-card',
  'create-remote': 'create-card',
  merge: 'reconcile',
};

export function planLinkedCard(input: LinkedCardInput): LinkedCardAction {
  const { contact } = input;
  // A contact the filter no longer selects keeps its card in sync when the card was made in the client.
  const present = contact === 'selected' || (contact === 'unselected' && input.origin === 'remote');
  const action = planPairItem(
    {
      status: { tombstone: input.tombstone, pendingCreate: input.pendingCreate, hasRemote: input.hasHref, crmHash: null, remoteHash: null },
      crm: present ? { state: 'present', hash: null } : { state: 'gone', deleted: contact === 'missing' },
      remote: input.cardGone ? { state: 'deleted' } : input.cardListed ? { state: 'changed', hash: null, tracked: true } : { state: 'unseen' },
      whenCrmGone: input.origin === 'remote' ? 'keep' : input.holdRemovals ? 'hold' : 'delete',
    },
    cardRules(input.direction, contact),
  );
  const type = linkedActionOf[action.type];
  if (type === undefined) throw new Error(`the card rules gave ${action.type} for a linked card`);
  return { type };
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

const newActionOf: Partial<Record<ItemAction['type'], NewCardAction['type']>> = {
  merge: 'link-own',
  'link-match': 'link-match',
  'report-ambiguous': 'report-ambiguous',
  'refuse-import': 'refuse-import',
  'create-crm': 'import',
};

export function planNewCard(input: NewCardInput): NewCardAction {
  const action = planPairItem(
    {
      status: null,
      // A card with the bridge's UID of a selected contact not linked yet is that contact's.
      crm: input.ownContact ? { state: 'present', hash: null } : { state: 'none' },
      remote: { state: 'changed', hash: null, tracked: true },
      whenCrmGone: 'keep',
      match: input.match,
    },
    cardRules(input.direction, 'selected'),
  );
  const type = newActionOf[action.type];
  if (type === undefined) throw new Error(`the card rules gave ${action.type} for a new card`);
  return { type };
}
