// The ownership and deletion rules of contact sync, as a table, without any IO.
import { describe, expect, it } from 'vitest';
import { planLinkedCard, planNewCard, type LinkedCardInput } from '../../../../src/sync/contacts/plan-card.js';

const linked = (over: Partial<LinkedCardInput>): LinkedCardInput => ({
  origin: 'crm',
  tombstone: false,
  pendingCreate: false,
  hasHref: true,
  cardListed: false,
  cardGone: false,
  contact: 'selected',
  direction: 'two-way',
  holdRemovals: false,
  ...over,
});

describe('planLinkedCard', () => {
  const table: Array<[string, Partial<LinkedCardInput>, string]> = [
    // A deletion in the client never deletes CRM data.
    ['client deleted a CRM card', { cardGone: true }, 'tombstone'],
    ['client deleted a client card', { origin: 'remote', cardGone: true }, 'tombstone'],
    ['client deleted a card of a deleted contact', { cardGone: true, contact: 'missing' }, 'tombstone'],
    ['crm-to-client: a deleted card is put back', { cardGone: true, direction: 'crm-to-client' }, 'restore-card'],
    ['crm-to-client: not for a contact no longer selected', { cardGone: true, direction: 'crm-to-client', contact: 'unselected' }, 'tombstone'],
    // A card the CRM created leaves when its contact does.
    ['CRM deleted a CRM-made contact', { contact: 'missing' }, 'remove-card'],
    ['CRM deactivated a CRM-made contact', { contact: 'inactive' }, 'remove-card'],
    ['filter no longer selects a CRM-made contact', { contact: 'unselected' }, 'remove-card'],
    ['the rail holds removals', { contact: 'unselected', holdRemovals: true }, 'none'],
    ['the rail holds removals of deleted contacts too', { contact: 'missing', holdRemovals: true }, 'none'],
    // A card made in the client stays in the client.
    ['CRM deleted a client-made contact', { origin: 'remote', contact: 'missing' }, 'tombstone'],
    ['CRM deactivated a client-made contact', { origin: 'remote', contact: 'inactive' }, 'tombstone'],
    ['filter no longer selects a client-made contact: keeps syncing', { origin: 'remote', contact: 'unselected' }, 'reconcile'],
    // Tombstones.
    ['a tombstone stays', { tombstone: true, hasHref: false }, 'none'],
    ['a deleted card came back', { tombstone: true, hasHref: false, cardListed: true }, 'relink'],
    ['a card came back for a contact the CRM lost', { tombstone: true, hasHref: false, cardListed: true, contact: 'missing' }, 'none'],
    ['an untracked client card changed', { origin: 'remote', tombstone: true, hasHref: true, cardListed: true }, 'none'],
    // Creates and merges.
    ['announced create, card not seen', { pendingCreate: true }, 'create-card'],
    ['announced create, card listed (answer lost)', { pendingCreate: true, cardListed: true }, 'reconcile'],
    ['linked, card changed', { cardListed: true }, 'reconcile'],
    ['linked, nothing reported', {}, 'reconcile'],
  ];
  it.each(table)('%s', (_name, over, expected) => {
    expect(planLinkedCard(linked(over)).type).toBe(expected);
  });
});

describe('planNewCard', () => {
  it('re-links by the bridge UID, then matches, then imports (two-way only)', () => {
    expect(planNewCard({ ownContact: true, match: 'ambiguous', direction: 'crm-to-client' }).type).toBe('link-own');
    expect(planNewCard({ ownContact: false, match: 'match', direction: 'crm-to-client' }).type).toBe('link-match');
    expect(planNewCard({ ownContact: false, match: 'ambiguous', direction: 'two-way' }).type).toBe('report-ambiguous');
    expect(planNewCard({ ownContact: false, match: 'none', direction: 'two-way' }).type).toBe('import');
    expect(planNewCard({ ownContact: false, match: 'none', direction: 'crm-to-client' }).type).toBe('refuse-import');
  });
});
