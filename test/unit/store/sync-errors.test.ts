// One sync_errors row per problem (source, item, code), counting how often it happened (issue 16):
// a repeated failure is one row; a source that synced again resolves its source-wide problems
// (they stay as history); a problem that comes back is current again and counted afresh; an
// admin's dismissal resolves one row. On SQLite and PostgreSQL (unit-postgres).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestStore, type TestStore } from '../../support/memory-store.js';

let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());

const at = (minute: number) => `2026-12-08T10:${String(minute).padStart(2, '0')}:00.000Z`;

describe('sync errors: one row per problem', () => {
  it('counts a repeated failure in one row, with the first and last time and the latest message', async () => {
    const errors = t.store.syncErrors;
    for (let minute = 0; minute < 45; minute++) await errors.record('imap:alice', null, 'AUTH', `login rejected (pass ${minute})`, at(minute));
    await errors.record('imap:alice', 'INBOX/7', 'INVALID_INPUT', 'broken MIME', at(3));
    await errors.record('imap:alice', null, 'TEMPORARY', 'unreachable', at(4));
    await errors.record('caldav:alice', null, 'AUTH', 'refused', at(5));
    const rows = await errors.list(100, { source: 'imap:alice' });
    expect(rows.map((row) => [row.itemRef, row.code, row.count])).toEqual([
      [null, 'AUTH', 45],
      [null, 'TEMPORARY', 1],
      ['INBOX/7', 'INVALID_INPUT', 1],
    ]);
    expect(rows[0]).toMatchObject({ firstSeen: at(0), lastSeen: at(44), at: at(44), message: 'login rejected (pass 44)', resolvedAt: null });
  });

  it('resolves the source-wide problems a pass did not see again, keeps item problems and what the pass saw, and shows them as history', async () => {
    const errors = t.store.syncErrors;
    await errors.record('imap:alice', null, 'AUTH', 'login rejected', at(1));
    await errors.record('imap:alice', 'INBOX/7', 'INVALID_INPUT', 'broken MIME', at(2));
    await errors.record('imap:alice', null, 'CONFLICT', 'held mass deletion', at(11));
    await errors.record('imap:bob', null, 'AUTH', 'login rejected', at(1));
    expect(await errors.resolveSource('imap:alice', at(10), at(12))).toBe(1);
    expect((await errors.list(100, { source: 'imap:alice' })).map((row) => row.code)).toEqual(['CONFLICT', 'INVALID_INPUT']);
    expect(await errors.list(100, { source: 'imap:alice', state: 'resolved' })).toEqual([expect.objectContaining({ code: 'AUTH', resolvedAt: at(12), count: 1 })]);
    expect(await errors.list(100, { source: 'imap:alice', state: 'all' })).toHaveLength(3);
    expect(await errors.list(100, { source: 'imap:bob' })).toHaveLength(1);

    // It comes back: the same row, current again, counted from then.
    await errors.record('imap:alice', null, 'AUTH', 'login rejected again', at(20));
    await errors.record('imap:alice', null, 'AUTH', 'login rejected again', at(21));
    const back = (await errors.list(100, { source: 'imap:alice', code: 'AUTH', state: 'all' }));
    expect(back).toEqual([expect.objectContaining({ count: 2, firstSeen: at(20), lastSeen: at(21), resolvedAt: null })]);
  });

  it('dismisses one current row, once', async () => {
    const errors = t.store.syncErrors;
    await errors.record('carddav:alice', 'https://dav/book/x.vcf', 'INVALID_INPUT', 'not a vCard', at(1));
    const [row] = await errors.list(10);
    expect(await errors.dismiss(row!.id, at(2))).toBe(true);
    expect(await errors.dismiss(row!.id, at(3))).toBe(false);
    expect(await errors.list(10)).toEqual([]);
    expect(await errors.get(row!.id)).toMatchObject({ resolvedAt: at(2) });
  });
});
