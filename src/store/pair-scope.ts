import { sql, type RawBuilder } from 'kysely';

/**
 * The rows of sync pairs and of every pair below them (`<pair>:<collection>`): a source's calendar
 * pair `calendar:alice` covers `calendar:alice:<calendar href>` too. substr instead of LIKE, so
 * that a `%` or `_` in a pair name is taken literally in both SQLite and Postgres.
 */
export function underPairs(pairs: readonly string[]): RawBuilder<boolean> {
  if (pairs.length === 0) return sql<boolean>`(1 = 0)`;
  return sql<boolean>`(${sql.join(pairs.map((pair) => sql`(pair = ${pair} or substr(pair, 1, ${pair.length + 1}) = ${`${pair}:`})`), sql` or `)})`;
}
