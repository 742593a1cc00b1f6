/**
 * What to do with one calendar item (one iCalendar UID of one pair), from what the sync status
 * remembers, what the CRM holds now and what the calendar reported in this pass. Pure: the
 * executor (calendar-sync.ts) gathers the inputs and applies the decision.
 *
 * Deletion rules (issue 5): the client deleting an item the bridge synced deletes the CRM activity;
 * the CRM deleting one removes the client copy only when the user organises it and it is not over
 * yet; past items and other people's invitations stay (a tombstone keeps them from coming back).
 */
export interface PlanStatus {
  crmRef: string | null;
  remoteRef: string | null;
  crmHash: string | null;
  remoteHash: string | null;
  tombstone: boolean;
  pending: 'create' | 'update' | 'delete' | null;
}

export type CrmSide =
  | { state: 'present'; hash: string }
  /** The status names an activity that no longer exists (or is no longer the user's). */
  | { state: 'deleted' }
  | { state: 'none' };

export type RemoteSide =
  | { state: 'changed'; hash: string; tracked: boolean }
  | { state: 'deleted' }
  /** Not reported in this pass: unchanged since the last one. */
  | { state: 'unseen' };

export interface PlanItemInput {
  status: PlanStatus | null;
  crm: CrmSide;
  remote: RemoteSide;
  /** The user organises the item (no ORGANIZER, or the user's own address). */
  organisedByUser: boolean;
  /** The item is now or in the future (its end, or due date, is not before now; unknown counts as future). */
  current: boolean;
  /**
   * The item lives in the CRM calendar / task list. One tracked by the category in another calendar
   * is the user's own: a CRM deletion untracks it (tombstone) and never deletes it there.
   */
  inCrmCollection?: boolean;
}

export type ItemAction =
  | { type: 'none' }
  /** Write the CRM item to the calendar (If-None-Match; a 412 adopts what is there). */
  | { type: 'create-remote' }
  /** Make a CRM activity of the calendar item. */
  | { type: 'create-crm' }
  /** Both sides exist: three-way merge; `baseFromRemote` when there is no base (re-match after a reset or a lost create). */
  | { type: 'merge'; baseFromRemote: boolean }
  | { type: 'delete-crm' }
  | { type: 'delete-remote' }
  /** The CRM item is gone but the calendar copy stays: remember that, so it is not imported again. */
  | { type: 'tombstone' }
  /** Nothing left on either side: drop the status row. */
  | { type: 'forget' };

export function planItem(input: PlanItemInput): ItemAction {
  const { status, crm, remote } = input;
  if (remote.state === 'changed' && !remote.tracked) {
    // The item left the CRM calendar or lost the CRM category: untracked, as a deletion in the client.
    if (!status || status.tombstone) return status ? { type: 'forget' } : { type: 'none' };
    return crm.state === 'present' ? { type: 'delete-crm' } : { type: 'forget' };
  }
  if (!status || status.pending === 'create') {
    if (crm.state === 'present') {
      if (remote.state === 'changed') return { type: 'merge', baseFromRemote: true };
      return { type: 'create-remote' };
    }
    if (crm.state === 'deleted') {
      // A create was announced and the CRM item is gone since: remove what may have been made.
      if (remote.state === 'deleted') return { type: 'forget' };
      return input.organisedByUser && input.current ? { type: 'delete-remote' } : { type: 'forget' };
    }
    return remote.state === 'changed' ? { type: 'create-crm' } : { type: 'none' };
  }
  if (status.tombstone) return remote.state === 'deleted' ? { type: 'forget' } : { type: 'none' };
  if (crm.state !== 'present') {
    if (remote.state === 'deleted') return { type: 'forget' };
    return input.organisedByUser && input.current && input.inCrmCollection !== false ? { type: 'delete-remote' } : { type: 'tombstone' };
  }
  if (remote.state === 'deleted') return { type: 'delete-crm' };
  const crmChanged = crm.hash !== status.crmHash;
  const remoteChanged = remote.state === 'changed' && remote.hash !== status.remoteHash;
  return crmChanged || remoteChanged ? { type: 'merge', baseFromRemote: false } : { type: 'none' };
}
