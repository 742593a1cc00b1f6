import { describe, expect, it } from 'vitest';
import type { CardFields } from '../../../src/contacts/card-fields.js';
import { contactSelected, parseFilterExpression } from '../../../src/contacts/filter.js';
import { ContactMatcher } from '../../../src/contacts/match.js';
import { phoneKey, toE164 } from '../../../src/contacts/phone.js';
import type { Contact } from '../../../src/domain/contact.js';

const card = (over: Partial<CardFields> = {}): CardFields => ({ firstName: 'Ada', lastName: 'Lovelace', displayName: 'Ada Lovelace', emails: ['ada@example.org'], phones: ['+44 20 7946 0000'], company: 'Analytical', title: null, ...over });

describe('E.164 normaliser', () => {
  it('places international, 00-prefixed and national numbers', () => {
    expect(toE164('+49 (0)30 123-4567')).toBe('+49301234567');
    expect(toE164('0049 30 1234567')).toBe('+49301234567');
    expect(toE164('030 1234567', 'DE')).toBe('+49301234567');
    expect(toE164('(555) 010-0001', 'US')).toBe('+15550100001');
    expect(toE164('1-555-010-0001', 'US')).toBe('+15550100001');
    expect(toE164('06 1234 5678', 'IT')).toBe('+390612345678');
    expect(toE164('+1 555 010 0001 ext. 12')).toBe('+15550100001');
    expect(toE164('tel:+49-30-1234567')).toBe('+49301234567');
    expect(toE164('030 1234567')).toBeNull();
    expect(toE164('12', 'DE')).toBeNull();
    expect(phoneKey('030 1234567')).toBe('0301234567');
  });
});

describe('duplicate matching', () => {
  const matcher = () =>
    new ContactMatcher(
      [
        { id: 'c1', fields: card({ emails: ['ada@example.org'], phones: [] }) },
        { id: 'c2', fields: card({ displayName: 'Charles Babbage', firstName: 'Charles', lastName: 'Babbage', emails: [], phones: ['+44 20 7946 0001'], company: 'Analytical' }) },
        { id: 'c3', fields: card({ displayName: 'Twin A', emails: ['twins@example.org'], phones: [] }) },
        { id: 'c4', fields: card({ displayName: 'Twin B', emails: ['twins@example.org'], phones: [] }) },
        { id: 'c5', fields: card({ displayName: 'Grace Hopper', firstName: 'Grace', lastName: 'Hopper', emails: [], phones: [], company: 'Navy' }) },
      ],
      'GB',
    );

  it('matches by e-mail, then phone in E.164, then name + company', () => {
    const m = matcher();
    expect(m.match(card({ emails: ['ADA@example.org'], phones: [] }))).toEqual({ kind: 'match', contactId: 'c1', by: 'email' });
    expect(m.match(card({ displayName: 'C.B.', emails: [], phones: ['020 7946 0001'], company: null }))).toEqual({ kind: 'match', contactId: 'c2', by: 'phone' });
    expect(m.match(card({ displayName: 'Grace Hopper', firstName: 'grace', lastName: 'HOPPER', emails: ['gh@else.org'], phones: [], company: ' navy ' }))).toEqual({ kind: 'match', contactId: 'c5', by: 'name+company' });
    expect(m.match(card({ displayName: 'Grace Hopper', firstName: 'Grace', lastName: 'Hopper', emails: [], phones: [], company: null }))).toEqual({ kind: 'none' });
  });

  it('reports ambiguous matches instead of picking one, and forgets linked contacts', () => {
    const m = matcher();
    expect(m.match(card({ emails: ['twins@example.org'], phones: [] }))).toEqual({ kind: 'ambiguous', contactIds: ['c3', 'c4'], by: 'email' });
    m.remove('c3');
    expect(m.match(card({ emails: ['twins@example.org'], phones: [] }))).toEqual({ kind: 'match', contactId: 'c4', by: 'email' });
  });
});

describe('sync filter', () => {
  const contact = (over: Partial<Contact> = {}): Contact => ({
    id: 'con_1', firstName: 'Ada', lastName: 'Lovelace', displayName: 'Ada Lovelace', emails: ['ada@acme.example'], phones: [], company: 'Acme GmbH', title: null,
    accountId: null, owner: 'alice', active: true, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', ...over,
  });
  const owners = new Map([['acc_1', 'alice'], ['acc_2', 'bob']]);
  const filter = (over = {}) => ({ owned: true, accounts: true, where: [], ...over });

  it('selects owned contacts and contacts of owned accounts, never inactive ones', () => {
    expect(contactSelected(contact(), 'alice', filter(), owners)).toBe(true);
    expect(contactSelected(contact({ owner: 'bob', accountId: 'acc_1' }), 'alice', filter(), owners)).toBe(true);
    expect(contactSelected(contact({ owner: 'bob', accountId: 'acc_2' }), 'alice', filter(), owners)).toBe(false);
    expect(contactSelected(contact({ owner: 'bob', accountId: 'acc_1' }), 'alice', filter({ accounts: false }), owners)).toBe(false);
    expect(contactSelected(contact({ active: false }), 'alice', filter(), owners)).toBe(false);
    expect(contactSelected(contact({ owner: 'bob' }), 'alice', filter({ owned: false, accounts: false }), owners)).toBe(true);
  });

  it('narrows by an expression', () => {
    const where = parseFilterExpression('company = "acme gmbh" and emailDomain != example.org and displayName ~ love');
    expect(where).toEqual([
      { field: 'company', op: '=', value: 'acme gmbh' },
      { field: 'emailDomain', op: '!=', value: 'example.org' },
      { field: 'displayName', op: '~', value: 'love' },
    ]);
    expect(contactSelected(contact(), 'alice', filter({ where }), owners)).toBe(true);
    expect(contactSelected(contact({ company: 'Other' }), 'alice', filter({ where }), owners)).toBe(false);
    expect(() => parseFilterExpression('colour = red')).toThrow(/unknown field "colour"/);
    expect(() => parseFilterExpression('company = a or title = b')).toThrow(/expected "and"/);
  });
});
