import { sql, type RawBuilder } from 'kysely';

/**
 * LIKE conditions that treat the searched text literally: `%`, `_` and `\` in it are escaped, with
 * an explicit ESCAPE clause (SQLite has no default escape character; Postgres accepts the clause).
 */
function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (char) => `\\${char}`);
}

export function likePrefix(column: RawBuilder<unknown>, prefix: string): RawBuilder<boolean> {
  return sql<boolean>`${column} like ${`${escapeLike(prefix)}%`} escape '\\'`;
}
