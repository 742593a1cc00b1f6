// The store tests run twice: on SQLite (project unit) and on PostgreSQL (project unit-postgres).
// This makes sure the second run really is on PostgreSQL, and that both dialects keep the types the
// repositories rely on.
import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isPostgres } from '../../../src/store/dialect.js';
import { createTestStore, testDatabase, type TestStore } from '../../support/memory-store.js';

let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());

describe(`the test store (${testDatabase})`, () => {
  it('is the database the project names', () => {
    expect(isPostgres(t.database.db)).toBe(testDatabase === 'postgres');
    expect(t.database.location.startsWith(testDatabase === 'postgres' ? 'postgres 127.0.0.1:' : 'sqlite ')).toBe(true);
  });

  it('gives counts as numbers and amounts with full precision', async () => {
    const { count } = await sql<{ count: number }>`select count(*) as count from (select 1 union all select 2) as two`.execute(t.database.db).then((result) => result.rows[0]!);
    expect(count).toBe(2);
    const opportunity = await t.store.opportunities.create({ name: 'Big deal', amount: 1234567.89, currency: 'EUR' });
    expect((await t.store.opportunities.get(opportunity.id))?.amount).toBe(1234567.89);
  });
});
