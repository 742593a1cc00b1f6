/**
 * Whether a database error is a unique-constraint violation (PostgreSQL SQLSTATE 23505, SQLite
 * SQLITE_CONSTRAINT_UNIQUE / _PRIMARYKEY). Inside a transaction that looked first, the only cause is
 * another transaction that inserted the same key and committed meanwhile: with several processes
 * on one PostgreSQL (READ COMMITTED), two of them may import one message at the same moment. A
 * caller that retries after it finds the other's row.
 */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
