import { describe, expect, it } from 'vitest';
import { contactFieldKeys, type CardFields } from '../../../../src/contacts/card-fields.js';
import { mergeCardFields as mergeFields } from '../../../../src/sync/contacts/card-merge.js';

const all = [...contactFieldKeys];
const card = (over: Partial<CardFields> = {}): CardFields => ({ firstName: 'Ada', lastName: 'Lovelace', displayName: 'Ada Lovelace', emails: ['ada@example.org'], phones: ['+44 20 7946 0000'], company: 'Analytical', title: null, ...over });

describe('three-way merge', () => {
  it('takes each side’s own changes and keeps the CRM value on a conflict', () => {
    const base = card();
    const crm = card({ title: 'Countess', company: 'Analytical Engines' });
    const remote = card({ lastName: 'King', company: 'Difference Engines' });
    const { merged, conflicts } = mergeFields(base, crm, remote, all, null);
    expect(merged).toMatchObject({ title: 'Countess', lastName: 'King', company: 'Analytical Engines' });
    expect(conflicts).toEqual(['company']);
  });

  it('a stale client (nothing changed since the base) never overwrites newer CRM data', () => {
    const base = card();
    const crm = card({ emails: ['ada@new.example'], title: 'Countess' });
    const { merged, conflicts } = mergeFields(base, crm, base, all, null);
    expect(merged).toEqual(crm);
    expect(conflicts).toEqual([]);
  });

  it('merges e-mail and phone lists element-wise, with phones compared in E.164', () => {
    const base = card({ emails: ['a@x.org', 'b@x.org'], phones: ['030 111111'] });
    const crm = card({ emails: ['a@x.org', 'b@x.org', 'crm@x.org'], phones: ['+49 30 111111'] });
    const remote = card({ emails: ['A@x.org', 'client@x.org'], phones: ['030 111111', '030 222222'] });
    const { merged } = mergeFields(base, crm, remote, all, 'DE');
    expect(merged.emails).toEqual(['a@x.org', 'crm@x.org', 'client@x.org']);
    expect(merged.phones).toEqual(['+49 30 111111', '030 222222']);
  });

  it('without a base (first-sync match) the CRM wins, gaps are filled and lists united', () => {
    const crm = card({ title: null, company: 'Analytical', phones: [] });
    const remote = card({ title: 'Countess', company: 'Other', phones: ['+1 555 0100 001'] });
    const { merged, conflicts } = mergeFields(null, crm, remote, all, null);
    expect(merged).toMatchObject({ title: 'Countess', company: 'Analytical', phones: ['+1 555 0100 001'] });
    expect(conflicts).toEqual([]);
  });

  it('only merges the selected fields', () => {
    const { merged } = mergeFields(card(), card(), card({ title: 'Remote title' }), ['displayName'], null);
    expect(merged.title).toBeNull();
  });
});
