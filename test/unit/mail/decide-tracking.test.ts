import { describe, expect, it } from 'vitest';
import { decideTracking, type TrackingFacts } from '../../../src/mail/decide-tracking.js';
import { resolveParties, type PartyDirectory } from '../../../src/domain/resolve-parties.js';

const base: TrackingFacts = { mailbox: 'personal', folderRole: 'watched', hasTrackingKeyword: false, policy: 'replies', repliesToCrmMail: false, counterpartKnown: false };

describe('tracking decisions', () => {
  it('tracks every shared-mailbox message, tracked-folder and keyword mail, then applies the policy', () => {
    expect(decideTracking({ ...base, mailbox: 'shared', policy: 'none' })).toBe('shared');
    expect(decideTracking({ ...base, folderRole: 'tracked', policy: 'none' })).toBe('folder');
    expect(decideTracking({ ...base, hasTrackingKeyword: true, policy: 'none' })).toBe('keyword');
    expect(decideTracking({ ...base, policy: 'none', repliesToCrmMail: true })).toBeNull();
    expect(decideTracking({ ...base, policy: 'replies' })).toBeNull();
    expect(decideTracking({ ...base, policy: 'replies', repliesToCrmMail: true })).toBe('auto');
    expect(decideTracking({ ...base, policy: 'replies', counterpartKnown: true })).toBeNull();
    expect(decideTracking({ ...base, policy: 'known-senders', counterpartKnown: true })).toBe('auto');
    expect(decideTracking({ ...base, policy: 'all' })).toBe('auto');
  });
});

describe('party resolution', () => {
  const directory: PartyDirectory = {
    userIdByEmail: (address) => (address.toLowerCase() === 'alice@example.com' ? 'alice' : undefined),
    contactsByEmail: async (address) =>
      address.toLowerCase() === 'bob@acme.example'
        ? [
            { id: 'con_old', active: false, accountId: null } as never,
            { id: 'con_bob', active: true, accountId: 'acc_acme' } as never,
          ]
        : [],
    leadsByEmail: async (address) => (address === 'lead@new.example' ? [{ id: 'led_1' } as never] : []),
    forget: () => undefined,
    accountsByDomain: async (domain) => (domain === 'acme.example' ? [{ id: 'acc_acme' } as never] : domain === 'shared.example' ? [{ id: 'a1' } as never, { id: 'a2' } as never] : []),
  };

  it('matches users, active contacts first, leads, accounts by contact then unambiguous domain; keeps the rest', async () => {
    const parties = await resolveParties(
      [
        { role: 'from', address: 'Bob@Acme.example', name: 'Bob' },
        { role: 'to', address: 'alice@example.com', name: null },
        { role: 'to', address: 'carol@acme.example', name: null },
        { role: 'cc', address: 'lead@new.example', name: null },
        { role: 'cc', address: 'x@shared.example', name: null },
        { role: 'cc', address: 'x@shared.example', name: null },
        { role: 'bcc', address: 'not-an-address', name: null },
      ],
      directory,
    );
    expect(parties).toEqual([
      { role: 'from', address: 'Bob@Acme.example', name: 'Bob', contactId: 'con_bob', accountId: 'acc_acme', leadId: null, userId: null },
      { role: 'to', address: 'alice@example.com', name: null, contactId: null, accountId: null, leadId: null, userId: 'alice' },
      { role: 'to', address: 'carol@acme.example', name: null, contactId: null, accountId: 'acc_acme', leadId: null, userId: null },
      { role: 'cc', address: 'lead@new.example', name: null, contactId: null, accountId: null, leadId: 'led_1', userId: null },
      { role: 'cc', address: 'x@shared.example', name: null, contactId: null, accountId: null, leadId: null, userId: null },
    ]);
  });
});
