import { describe, expect, it } from 'vitest';
import { planItem, type PlanItemInput } from '../../../../src/sync/calendar/plan-item.js';
import { conflictWinner, mergeFields } from '../../../../src/sync/engine/merge.js';

interface F {
  subject: string;
  location: string | null;
  attendees: string[];
}
const fields = ['subject', 'location', 'attendees'] as const;
const base: F = { subject: 'A', location: 'Room 1', attendees: ['attendee:bob@x.example'] };

describe('mergeFields', () => {
  it('takes each side’s own changes and writes both sides', () => {
    const result = mergeFields<F>({ base, crm: { ...base, subject: 'B' }, remote: { ...base, location: 'Room 2' }, fields, policy: 'crm-wins', crmModifiedAt: null, remoteModifiedAt: null });
    expect(result).toMatchObject({ merged: { subject: 'B', location: 'Room 2' }, conflicts: [], winner: null, writeCrm: true, writeRemote: true });
  });

  it('never lets an unchanged (stale) side overwrite the other', () => {
    const result = mergeFields<F>({ base, crm: { ...base, subject: 'New in CRM' }, remote: base, fields, policy: 'client-wins', crmModifiedAt: null, remoteModifiedAt: '2099-01-01T00:00:00Z' });
    expect(result).toMatchObject({ merged: { subject: 'New in CRM' }, conflicts: [], writeCrm: false, writeRemote: true });
  });

  it('equal edits on both sides are no conflict', () => {
    const result = mergeFields<F>({ base, crm: { ...base, subject: 'Same' }, remote: { ...base, subject: 'Same' }, fields, policy: 'crm-wins', crmModifiedAt: null, remoteModifiedAt: null });
    expect(result).toMatchObject({ conflicts: [], writeCrm: false, writeRemote: false });
  });

  it.each([
    ['crm-wins', null, null, 'CRM'],
    ['client-wins', null, null, 'client'],
    ['newest', '2026-01-01T10:00:00Z', '2026-01-01T11:00:00Z', 'client'],
    ['newest', '2026-01-01T12:00:00Z', '2026-01-01T11:00:00Z', 'CRM'],
    ['newest', '2026-01-01T12:00:00Z', null, 'CRM'],
  ] as const)('a field changed on both sides follows the policy %s (%s vs %s)', (policy, crmAt, remoteAt, expected) => {
    const result = mergeFields<F>({ base, crm: { ...base, subject: 'CRM', attendees: [] }, remote: { ...base, subject: 'client', attendees: ['attendee:eve@x.example'] }, fields, policy, crmModifiedAt: crmAt, remoteModifiedAt: remoteAt });
    expect(result.conflicts).toEqual(['subject', 'attendees']);
    expect(result.merged.subject).toBe(expected);
    expect(result.winner).toBe(expected === 'CRM' ? 'crm' : 'client');
  });

  it('conflictWinner falls back to the CRM when times do not tell', () => {
    expect(conflictWinner('newest', null, null)).toBe('crm');
  });
});

describe('planItem', () => {
  const status = { crmRef: 'act_1', remoteRef: 'https://dav/x.ics', crmHash: 'c1', remoteHash: 'r1', tombstone: false, pending: null };
  const input = (over: Partial<PlanItemInput>): PlanItemInput => ({ status, crm: { state: 'present', hash: 'c1' }, remote: { state: 'unseen' }, organisedByUser: true, current: true, ...over });

  it.each<[string, Partial<PlanItemInput>, string]>([
    ['nothing changed', {}, 'none'],
    ['CRM changed', { crm: { state: 'present', hash: 'c2' } }, 'merge'],
    ['calendar changed', { remote: { state: 'changed', hash: 'r2', tracked: true } }, 'merge'],
    ['calendar reported our own write again', { remote: { state: 'changed', hash: 'r1', tracked: true } }, 'none'],
    ['client deleted it', { remote: { state: 'deleted' } }, 'delete-crm'],
    ['CRM deleted a current item the user organises', { crm: { state: 'deleted' } }, 'delete-remote'],
    ['CRM deleted a past item', { crm: { state: 'deleted' }, current: false }, 'tombstone'],
    ['CRM deleted an invitation', { crm: { state: 'deleted' }, organisedByUser: false }, 'tombstone'],
    ['CRM deleted (untracked) an item tracked by category in another calendar', { crm: { state: 'deleted' }, inCrmCollection: false }, 'tombstone'],
    ['both deleted', { crm: { state: 'deleted' }, remote: { state: 'deleted' } }, 'forget'],
    ['new in the CRM', { status: null, remote: { state: 'unseen' } }, 'create-remote'],
    ['new in the calendar', { status: null, crm: { state: 'none' }, remote: { state: 'changed', hash: 'r', tracked: true } }, 'create-crm'],
    ['untracked personal item', { status: null, crm: { state: 'none' }, remote: { state: 'changed', hash: 'r', tracked: false } }, 'none'],
    ['category removed from a synced item', { remote: { state: 'changed', hash: 'r2', tracked: false } }, 'delete-crm'],
    ['re-match after a reset', { status: null, remote: { state: 'changed', hash: 'r', tracked: true } }, 'merge'],
    ['pending create, resource not seen', { status: { ...status, pending: 'create' } }, 'create-remote'],
    ['tombstone stays', { status: { ...status, tombstone: true }, crm: { state: 'deleted' }, remote: { state: 'changed', hash: 'r9', tracked: true } }, 'none'],
    ['tombstone of an item deleted in the client', { status: { ...status, tombstone: true }, crm: { state: 'deleted' }, remote: { state: 'deleted' } }, 'forget'],
  ])('%s', (_name, over, expected) => {
    expect(planItem(input(over)).type).toBe(expected);
  });

  it('a re-match uses the calendar copy as the base (the CRM wins every difference)', () => {
    expect(planItem(input({ status: null, remote: { state: 'changed', hash: 'r', tracked: true } }))).toEqual({ type: 'merge', baseFromRemote: true });
  });
});
