/**
 * Whether `database:` names PostgreSQL (`postgres://` or `postgresql://`) rather than SQLite. Pure,
 * so the configuration checks and the store decide it the same way.
 */
export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//.test(url);
}
