/**
 * The calendar's rules for the shared item planner (engine/plan-item.ts): what to do with one
 * calendar item (one iCalendar UID of one pair), from what the sync status remembers, what the CRM
 * holds now and what the calendar reported in this pass. The executor (item-sync.ts) gathers the
 * inputs and applies the decision.
 *
 * Deletion rules (issue 5): the client deleting an item the bridge synced deletes the CRM activity;
 * the CRM deleting one removes the client copy only when the user organises it and it is not over
 * yet; past items and other people's invitations stay (a tombstone keeps them from coming back).
 */
import { planPairItem, type ItemAction as PairAction, type PairRules } from '../engine/plan-item.js';

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

/** The actions the calendar's rules can give (no matcher, no revival, no restore). */
export type ItemAction = Extract<PairAction, { type: 'none' | 'create-remote' | 'create-crm' | 'merge' | 'delete-crm' | 'delete-remote' | 'tombstone' | 'forget' }>;

export const calendarRules: PairRules = {
  clientDeleted: 'delete-crm',
  deletedBeforeConfirmed: 'create-again',
  bothGone: 'forget',
  reviveTombstones: false,
  mergeWhen: 'hash-moved',
  importsNew: true,
};

export function planItem(input: PlanItemInput): ItemAction {
  const { status, crm } = input;
  const delivered = status !== null && status.pending !== 'create';
  // Only the user's own current items leave the calendar with their activity, and only from the CRM calendar.
  const removable = input.organisedByUser && input.current && (!delivered || input.inCrmCollection !== false);
  const action = planPairItem(
    {
      status: status && { tombstone: status.tombstone, pendingCreate: status.pending === 'create', hasRemote: status.remoteRef !== null, crmHash: status.crmHash, remoteHash: status.remoteHash },
      crm: crm.state === 'deleted' ? { state: 'gone', deleted: true } : crm,
      remote: input.remote,
      whenCrmGone: removable ? 'delete' : 'keep',
    },
    calendarRules,
  );
  return action as ItemAction;
}
