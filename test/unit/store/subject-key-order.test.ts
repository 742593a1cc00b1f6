// Smart correlation looks reply candidates up by subject key (activities.findBySubjectKey) and
// takes them in order: the order must be the same on SQLite and PostgreSQL (this file runs on both),
// where NULL sorts first on one and last on the other by default.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestStore, type TestStore } from '../../support/memory-store.js';

let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());

describe('activities by subject key', () => {
  it('lists those without a start first, then by start, then by id, on either database', async () => {
    const late = await t.store.activities.create({ kind: 'email_in', subject: 'Quote', subjectKey: 'quote', start: '2026-12-05T10:00:00.000Z' });
    const early = await t.store.activities.create({ kind: 'email_in', subject: 'Quote', subjectKey: 'quote', start: '2026-12-03T10:00:00.000Z' });
    const undated = await t.store.activities.create({ kind: 'email_in', subject: 'Quote', subjectKey: 'quote' }, { now: '2026-12-04T10:00:00.000Z' });
    await t.store.activities.create({ kind: 'email_in', subject: 'Other', subjectKey: 'other', start: '2026-12-04T10:00:00.000Z' });
    const found = await t.store.activities.findBySubjectKey('quote', '2026-12-01T00:00:00.000Z', '2026-12-31T00:00:00.000Z');
    expect(found.map((activity) => activity.id)).toEqual([undated.id, early.id, late.id]);
  });
});
