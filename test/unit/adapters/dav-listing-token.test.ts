// The adapter's own sync token for servers without sync-collection (adapters/caldav/listing-token.ts):
// it round-trips, diffs a later listing exactly, and anything it cannot read is "no token".

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeListingToken, diffListing, encodeListingToken, isListingToken } from '../../../adapters/caldav/listing-token.js';

const COLLECTION = 'https://dav.example/calendars/alice/work/';

describe('listing token', () => {
  it('round-trips the ctag and every member, relative and foreign hrefs alike', () => {
    const listing = [
      { href: `${COLLECTION}a.ics`, etag: '"1"' },
      { href: `${COLLECTION}sub%20dir/b.ics`, etag: 'W/"2"' },
      { href: 'https://other.example/elsewhere/c.ics', etag: '"3"' },
    ];
    const token = encodeListingToken(COLLECTION, '42', listing);
    expect(isListingToken(token)).toBe(true);
    const snapshot = decodeListingToken(COLLECTION, token);
    expect(snapshot?.ctag).toBe('42');
    expect([...(snapshot?.members.keys() ?? [])]).toEqual(listing.map((e) => e.href));
    expect(diffListing(snapshot!, listing)).toEqual({ changed: [], deleted: [] });
  });

  it('reports new and changed members as changed and missing ones as deleted', () => {
    const before = [
      { href: `${COLLECTION}kept.ics`, etag: '"1"' },
      { href: `${COLLECTION}edited.ics`, etag: '"1"' },
      { href: `${COLLECTION}removed.ics`, etag: '"1"' },
    ];
    const snapshot = decodeListingToken(COLLECTION, encodeListingToken(COLLECTION, null, before))!;
    expect(snapshot.ctag).toBeNull();
    const after = [
      { href: `${COLLECTION}kept.ics`, etag: '"1"' },
      { href: `${COLLECTION}edited.ics`, etag: '"2"' },
      { href: `${COLLECTION}created.ics`, etag: '"1"' },
    ];
    expect(diffListing(snapshot, after)).toEqual({ changed: [`${COLLECTION}edited.ics`, `${COLLECTION}created.ics`], deleted: [`${COLLECTION}removed.ics`] });
  });

  it('treats a server token, a corrupt token and a wrong shape as unreadable', () => {
    expect(isListingToken('http://radicale.org/ns/sync/abc')).toBe(false);
    expect(isListingToken(null)).toBe(false);
    expect(decodeListingToken(COLLECTION, 'http://radicale.org/ns/sync/abc')).toBeNull();
    expect(decodeListingToken(COLLECTION, 'crm-bridge-listing:1:not-deflate')).toBeNull();
    const good = encodeListingToken(COLLECTION, '1', [{ href: `${COLLECTION}a.ics`, etag: '"1"' }]);
    expect(decodeListingToken(COLLECTION, good.slice(0, -6))).toBeNull();
  });

  it('diffs any two listings exactly (property)', () => {
    const member = fc.record({ name: fc.stringMatching(/^[a-z0-9]{1,8}\.ics$/), etag: fc.stringMatching(/^"[0-9a-f]{1,6}"$/) });
    const listing = fc.uniqueArray(member, { selector: (m) => m.name, maxLength: 30 }).map((ms) => ms.map((m) => ({ href: COLLECTION + m.name, etag: m.etag })));
    fc.assert(
      fc.property(listing, listing, (before, after) => {
        const diff = diffListing(decodeListingToken(COLLECTION, encodeListingToken(COLLECTION, 'x', before))!, after);
        const old = new Map(before.map((e) => [e.href, e.etag]));
        const now = new Map(after.map((e) => [e.href, e.etag]));
        expect(new Set(diff.changed)).toEqual(new Set(after.filter((e) => old.get(e.href) !== e.etag).map((e) => e.href)));
        expect(new Set(diff.deleted)).toEqual(new Set(before.filter((e) => !now.has(e.href)).map((e) => e.href)));
      }),
    );
  });
});
