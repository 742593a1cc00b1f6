/**
 * SQL statements over lists of any length, in slices. SQLite refuses a statement with more than
 * 32,766 bound parameters ("too many SQL variables", SQLITE_MAX_VARIABLE_NUMBER) and PostgreSQL
 * more than 65,535; an `IN (...)` of every id a lookup found, or the child rows of a record with
 * many e-mail addresses, can pass that. 500 values (or rows of a few columns) per statement stay
 * far below both and cost nothing measurable for the usual short lists.
 */
export const SQL_CHUNK = 500;

/** Runs `run` for each slice of `values` and concatenates the results in order. */
export async function inChunks<T, R>(values: readonly T[], run: (slice: T[]) => Promise<R[]>, size = SQL_CHUNK): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < values.length; i += size) out.push(...(await run(values.slice(i, i + size))));
  return out;
}

/** Runs `run` (an INSERT, a DELETE) for each slice of `values`, one after the other. */
export async function forChunks<T>(values: readonly T[], run: (slice: T[]) => Promise<unknown>, size = SQL_CHUNK): Promise<void> {
  for (let i = 0; i < values.length; i += size) await run(values.slice(i, i + size));
}
