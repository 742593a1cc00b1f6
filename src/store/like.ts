import { sql, type RawBuilder } from 'kysely';

/**
 * LIKE conditions that treat the searched text literally: `%`, `_` and `\` in it are escaped, with
 * an explicit ESCAPE clause (SQLite has no default escape character; Postgres accepts the clause).
 */
function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (char) => `\\${char}`);
}

/** `column` contains `text` anywhere, case-insensitively (both sides lower-cased). */
export function likeContaining(column: RawBuilder<unknown>, text: string): RawBuilder<boolean> {
  return sql<boolean>`lower(${column}) like ${`%${escapeLike(text.toLowerCase())}%`} escape '\\'`;
}
