import { describe, expect, it } from 'vitest';
import { bookCursorSchema, davCursorSchema, davPair, imapCursorSchema, pairsOfSource, readCursor, userOfPair } from '../../../../src/sync/engine/keys.js';

describe('pair names', () => {
  it('name DAV pairs per kind and user, and find the user again', () => {
    expect(davPair('calendar', 'alice')).toBe('calendar:alice');
    expect(userOfPair('tasks:alice', ['calendar', 'tasks'])).toBe('alice');
    expect(userOfPair('contacts:bob:x', ['contacts'])).toBe('bob:x');
    expect(userOfPair('contacts:bob', ['calendar', 'tasks'])).toBeNull();
    expect(userOfPair('imap:alice', ['contacts'])).toBeNull();
    expect(userOfPair('contacts:', ['contacts'])).toBeNull();
  });

  it('list the pairs each kind of source writes', () => {
    expect(pairsOfSource({ id: 'caldav:alice', kind: 'caldav', ownerId: 'alice' } as never)).toEqual(['caldav:alice', 'calendar:alice', 'tasks:alice']);
    expect(pairsOfSource({ id: 'carddav:alice', kind: 'carddav', ownerId: 'alice' } as never)).toEqual(['carddav:alice', 'contacts:alice']);
    expect(pairsOfSource({ id: 'shared-mailbox:support', kind: 'shared-mailbox', ownerId: null } as never)).toEqual(['shared-mailbox:support']);
  });
});

describe('cursors are validated on read', () => {
  it('keep a cursor that fits its schema', () => {
    expect(readCursor(davCursorSchema, { syncToken: 'http://dav/sync/7' })).toEqual({ syncToken: 'http://dav/sync/7' });
    expect(readCursor(imapCursorSchema, { uidValidity: '42', highestUid: 9, highestModseq: '18446744073709551615' })).toEqual({ uidValidity: '42', highestUid: 9, highestModseq: '18446744073709551615' });
  });

  it('drop one that does not (a full listing follows), or none at all', () => {
    expect(readCursor(davCursorSchema, { syncToken: 7 })).toBeUndefined();
    expect(readCursor(davCursorSchema, 'garbage')).toBeUndefined();
    expect(readCursor(imapCursorSchema, { uidValidity: 42, highestUid: 9, highestModseq: null })).toBeUndefined();
    expect(readCursor(imapCursorSchema, { uidValidity: '42', highestUid: 9.5, highestModseq: null })).toBeUndefined();
    expect(readCursor(davCursorSchema, undefined)).toBeUndefined();
  });

  it('read an address book cursor of an older version with what it lacks as null', () => {
    const old = { href: 'http://dav/alice/book/', name: 'CRM', principalUrl: 'http://dav/alice/' };
    expect(readCursor(bookCursorSchema, old)).toEqual({ ...old, addressbookHomeUrl: null, syncToken: null });
    expect(readCursor(bookCursorSchema, { ...old, version: '2.1' })).toBeUndefined();
  });
});
