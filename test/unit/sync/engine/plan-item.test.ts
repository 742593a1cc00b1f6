// The shared item planner: events, tasks and cards differ only in their rules (PairRules) and in
// the facts their codecs judge. Each rule is shown here to decide its case; the codecs' own tables
// are in calendar/plan.test.ts and contacts/plan-card.test.ts.
import { describe, expect, it } from 'vitest';
import { planPairItem, type ItemStatus, type PairRules, type PlanItemInput } from '../../../../src/sync/engine/plan-item.js';
import { calendarRules } from '../../../../src/sync/calendar/plan-item.js';

const linked: ItemStatus = { tombstone: false, pendingCreate: false, hasRemote: true, crmHash: 'c1', remoteHash: 'r1' };
const input = (over: Partial<PlanItemInput>): PlanItemInput => ({ status: linked, crm: { state: 'present', hash: 'c1' }, remote: { state: 'unseen' }, whenCrmGone: 'keep', ...over });
const rules = (over: Partial<PairRules>): PairRules => ({ ...calendarRules, ...over });
const plan = (over: Partial<PlanItemInput>, ruleOver: Partial<PairRules> = {}) => planPairItem(input(over), rules(ruleOver)).type;

describe('planPairItem rules', () => {
  it('clientDeleted decides what a client deletion of a delivered item does, untracking included', () => {
    for (const clientDeleted of ['delete-crm', 'tombstone', 'restore-remote'] as const) {
      expect(plan({ remote: { state: 'deleted' } }, { clientDeleted })).toBe(clientDeleted);
      expect(plan({ remote: { state: 'changed', hash: 'r2', tracked: false } }, { clientDeleted })).toBe(clientDeleted);
    }
  });

  it('deletedBeforeConfirmed: an unconfirmed create reported deleted is written again, or counts as the client’s deletion', () => {
    const pending = { status: { ...linked, pendingCreate: true }, remote: { state: 'deleted' } } as const;
    expect(plan(pending, { deletedBeforeConfirmed: 'create-again' })).toBe('create-remote');
    expect(plan(pending, { deletedBeforeConfirmed: 'as-client-deletion', clientDeleted: 'tombstone' })).toBe('tombstone');
  });

  it('bothGone: gone on both sides forgets or keeps a tombstone; so does a gone CRM record whose create was unconfirmed', () => {
    const both = { crm: { state: 'gone', deleted: true }, remote: { state: 'deleted' } } as const;
    expect(plan(both, { bothGone: 'forget' })).toBe('forget');
    expect(plan(both, { bothGone: 'tombstone' })).toBe('tombstone');
    const unconfirmed = { status: { ...linked, pendingCreate: true }, crm: { state: 'gone', deleted: true } } as const;
    expect(plan(unconfirmed, { bothGone: 'forget' })).toBe('forget');
    expect(plan(unconfirmed, { bothGone: 'tombstone' })).toBe('tombstone');
    // A delivered item kept remotely is always a tombstone.
    expect(plan({ crm: { state: 'gone', deleted: true } }, { bothGone: 'forget' })).toBe('tombstone');
  });

  it('reviveTombstones: a tombstoned item listed again links again only while its CRM record exists', () => {
    const back = { status: { ...linked, tombstone: true, hasRemote: false }, remote: { state: 'changed', hash: 'r', tracked: true } } as const;
    expect(plan(back, { reviveTombstones: true })).toBe('relink');
    expect(plan({ ...back, crm: { state: 'gone', deleted: false } }, { reviveTombstones: true })).toBe('relink');
    expect(plan({ ...back, crm: { state: 'gone', deleted: true } }, { reviveTombstones: true })).toBe('none');
    expect(plan(back, { reviveTombstones: false })).toBe('none');
  });

  it('mergeWhen: hash-moved merges only when a hash moved; always leaves the comparison to the codec', () => {
    expect(plan({}, { mergeWhen: 'hash-moved' })).toBe('none');
    expect(plan({ crm: { state: 'present', hash: 'c2' } }, { mergeWhen: 'hash-moved' })).toBe('merge');
    expect(plan({}, { mergeWhen: 'always' })).toBe('merge');
  });

  it('importsNew, and the matcher’s verdict, for an item no status knows', () => {
    const fresh = { status: null, crm: { state: 'none' }, remote: { state: 'changed', hash: 'r', tracked: true } } as const;
    expect(plan(fresh, { importsNew: true })).toBe('create-crm');
    expect(plan(fresh, { importsNew: false })).toBe('refuse-import');
    expect(plan({ ...fresh, match: 'match' })).toBe('link-match');
    expect(plan({ ...fresh, match: 'ambiguous' })).toBe('report-ambiguous');
    expect(planPairItem(input({ ...fresh, crm: { state: 'present', hash: 'c' } }), calendarRules)).toEqual({ type: 'merge', baseFromRemote: true });
  });

  it('whenCrmGone: the codec’s verdict on the remote copy of a CRM record that is gone', () => {
    expect(plan({ crm: { state: 'gone', deleted: true }, whenCrmGone: 'delete' })).toBe('delete-remote');
    expect(plan({ crm: { state: 'gone', deleted: false }, whenCrmGone: 'hold' })).toBe('none');
    expect(plan({ crm: { state: 'none' }, whenCrmGone: 'keep' })).toBe('tombstone');
  });
});
