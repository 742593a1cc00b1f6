import { BridgeError } from '../domain/errors.js';

/**
 * Opaque cursors for list endpoints. Ids are time-ordered (domain/ids.ts), so "the rows after this
 * id" is a stable keyset page even while rows are being inserted.
 */
export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
}

export interface Page<T> {
  items: T[];
  next: string | null;
}

export const defaultPageSize = 50;
export const maxPageSize = 500;

export function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ after: lastId }), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof parsed === 'object' && parsed !== null && typeof (parsed as { after?: unknown }).after === 'string') {
      return (parsed as { after: string }).after;
    }
  } catch {
    // fall through to the error below
  }
  throw new BridgeError('INVALID_INPUT', 'cursor: not a cursor returned by this API', { details: [{ path: 'cursor', message: 'not a cursor returned by this API' }] });
}

/** Rows were fetched with limit + 1 to learn whether another page exists. */
export function toPage<T extends { id: string }>(rows: T[], limit: number): Page<T> {
  const items = rows.slice(0, limit);
  const last = items[items.length - 1];
  return { items, next: rows.length > limit && last ? encodeCursor(last.id) : null };
}
