/**
 * What to do with one item of a DAV pair (one UID: an event, a task or a card), from what the sync
 * status remembers, what the CRM holds now and what the collection reported in this pass. Pure and
 * shared by every codec: the differences between events/tasks and cards are the `PairRules` the
 * codec passes (its deletion and import rules, issues 5 and 6), and the per-item facts only the
 * codec can judge (may the remote copy of a vanished CRM record be deleted? does a new card match
 * a contact?) come in as input. The executors (calendar item-sync.ts, contacts linked-cards.ts and
 * new-cards.ts) gather the inputs and apply the action.
 */

export interface ItemStatus {
  tombstone: boolean;
  /** A create was announced (intent row) and not confirmed by a read. */
  pendingCreate: boolean;
  /** The status still names the remote resource (a tombstone of a client deletion does not). */
  hasRemote: boolean;
  crmHash: string | null;
  remoteHash: string | null;
}

export type CrmSide =
  | { state: 'present'; hash: string | null }
  /**
   * The record the status names is not synced here any more: `deleted` when it no longer exists
   * (or is no longer the user's), else it still exists (a deactivated contact, one the filter no
   * longer selects).
   */
  | { state: 'gone'; deleted: boolean }
  /** No CRM record: the status names none and the item's UID names none either. */
  | { state: 'none' };

export type RemoteSide =
  /** Created or changed in this pass; `tracked`: it is in the CRM collection or carries the CRM category. */
  | { state: 'changed'; hash: string | null; tracked: boolean }
  /** It vanished from the collection (and the deletion is believed). */
  | { state: 'deleted' }
  /** Not reported in this pass: unchanged since the last one. */
  | { state: 'unseen' };

export interface PlanItemInput {
  status: ItemStatus | null;
  crm: CrmSide;
  remote: RemoteSide;
  /**
   * What may happen to the remote copy of a CRM record that is gone: deleted (events the user
   * organises that are not over, cards the CRM created), kept under a tombstone (past events,
   * invitations, cards made in the client), or held for now (the mass-deletion rail).
   */
  whenCrmGone: 'delete' | 'keep' | 'hold';
  /** For an item no status knows and no CRM record claims by UID: the codec's duplicate matcher (events and tasks have none). */
  match?: 'match' | 'ambiguous' | 'none';
}

/** The differences between the pairs, as data (calendar/plan-item.ts, contacts/plan-card.ts). */
export interface PairRules {
  /**
   * The client deleted (or untracked) a delivered item whose CRM record is still there. Events and
   * tasks: the activity goes (issue 5). Cards: a client never deletes CRM data, the link becomes a
   * tombstone; with direction crm-to-client the card is put back (issue 6).
   */
  clientDeleted: 'delete-crm' | 'tombstone' | 'restore-remote';
  /**
   * A deletion reported while a create is still unconfirmed. Events and tasks: the intent stands and
   * the item is written again. Cards: it counts as the client's deletion.
   */
  deletedBeforeConfirmed: 'create-again' | 'as-client-deletion';
  /**
   * Nothing left to sync on either side (also: a CRM record gone before its create was confirmed,
   * kept remotely). Events and tasks: the status row goes. Cards: a tombstone stays, so a card
   * deleted in the client stays deleted until the contact is reset.
   */
  bothGone: 'forget' | 'tombstone';
  /** A tombstoned item the client lists again under its UID, its CRM record still existing, is linked again (cards: restored, or re-created). */
  reviveTombstones: boolean;
  /** `hash-moved`: merge only when a side's hash moved (events, tasks); `always`: the codec compares field by field (cards). */
  mergeWhen: 'hash-moved' | 'always';
  /** An item new in the client with no CRM counterpart becomes a CRM record; false: it is reported (cards, crm-to-client). */
  importsNew: boolean;
}

export type ItemAction =
  | { type: 'none' }
  /** Write the CRM record to the collection (If-None-Match; a 412 adopts what is there). */
  | { type: 'create-remote' }
  /** Make a CRM record of the remote item. */
  | { type: 'create-crm' }
  /** Both sides exist: three-way merge; `baseFromRemote` when there is no base (a re-match, a lost create, the bridge's own UID found). */
  | { type: 'merge'; baseFromRemote: boolean }
  /** A new remote item stands for an existing CRM record (the duplicate matcher): link it and merge without a base. */
  | { type: 'link-match' }
  /** The duplicate matcher found several CRM records: report, neither link nor import. */
  | { type: 'report-ambiguous' }
  /** `importsNew` is false: the new remote item is reported, not imported. */
  | { type: 'refuse-import' }
  | { type: 'delete-crm' }
  | { type: 'delete-remote' }
  /** Put the deleted remote copy back (crm-to-client). */
  | { type: 'restore-remote' }
  /** Remember that the item is not synced any more, so it is not imported again. */
  | { type: 'tombstone' }
  /** A tombstoned item came back: link it again, then plan it as linked. */
  | { type: 'relink' }
  /** Nothing left on either side: drop the status row. */
  | { type: 'forget' };

const act = <T extends ItemAction['type']>(type: T) => ({ type }) as Extract<ItemAction, { type: T }>;

export function planPairItem(input: PlanItemInput, rules: PairRules): ItemAction {
  const { status, crm, remote } = input;
  if (remote.state === 'changed' && !remote.tracked) {
    // Left the CRM collection or lost the CRM category: untracked, as a deletion in the client.
    if (!status || status.tombstone) return act(status ? 'forget' : 'none');
    return crm.state === 'present' ? clientDeletion(rules) : act('forget');
  }
  if (!status) return crm.state === 'gone' ? crmGone(input, rules, false) : planUnknown(input, rules);
  if (status.tombstone) {
    const exists = crm.state === 'present' || (crm.state === 'gone' && !crm.deleted);
    if (rules.reviveTombstones && remote.state === 'changed' && !status.hasRemote && exists) return act('relink');
    return remote.state === 'deleted' && rules.bothGone === 'forget' ? act('forget') : act('none');
  }
  if (crm.state !== 'present') return crmGone(input, rules, !status.pendingCreate);
  if (remote.state === 'deleted') {
    if (status.pendingCreate && rules.deletedBeforeConfirmed === 'create-again') return act('create-remote');
    return clientDeletion(rules);
  }
  if (status.pendingCreate) return remote.state === 'changed' ? { type: 'merge', baseFromRemote: true } : act('create-remote');
  if (rules.mergeWhen === 'always') return { type: 'merge', baseFromRemote: false };
  const crmChanged = crm.hash !== status.crmHash;
  const remoteChanged = remote.state === 'changed' && remote.hash !== status.remoteHash;
  return crmChanged || remoteChanged ? { type: 'merge', baseFromRemote: false } : act('none');
}

function clientDeletion(rules: PairRules): ItemAction {
  return act(rules.clientDeleted);
}

/**
 * The CRM record is gone (or there is none) and the status is not a tombstone; `confirmed`: the item
 * was delivered and read back. An unconfirmed create (or a UID of the bridge's that no status
 * knows) may never have reached the collection: kept, it counts as gone on both sides.
 */
function crmGone(input: PlanItemInput, rules: PairRules, confirmed: boolean): ItemAction {
  if (input.remote.state === 'deleted') return act(rules.bothGone);
  if (input.whenCrmGone === 'delete') return act('delete-remote');
  if (input.whenCrmGone === 'hold') return act('none');
  return act(confirmed ? 'tombstone' : rules.bothGone);
}

/** No status row: a CRM record not delivered yet, the bridge's own item found again, or one new in the client. */
function planUnknown(input: PlanItemInput, rules: PairRules): ItemAction {
  const { crm, remote } = input;
  if (crm.state === 'present') return remote.state === 'changed' ? { type: 'merge', baseFromRemote: true } : act('create-remote');
  if (remote.state !== 'changed') return act('none');
  if (input.match === 'match') return act('link-match');
  if (input.match === 'ambiguous') return act('report-ambiguous');
  return act(rules.importsNew ? 'create-crm' : 'refuse-import');
}
