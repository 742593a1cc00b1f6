import type { Kysely } from 'kysely';
import { BridgeError } from '../domain/errors.js';
import type { Database } from './schema.js';

/**
 * Checks that ids given in input point at existing rows, reporting the field path so the API can
 * answer `400 owner: no user with id "x"` instead of storing a dangling reference.
 */
export type ReferenceTable = 'users' | 'accounts' | 'contacts' | 'leads' | 'opportunities' | 'activities';

const nouns: Record<ReferenceTable, string> = {
  users: 'user',
  accounts: 'account',
  contacts: 'contact',
  leads: 'lead',
  opportunities: 'opportunity',
  activities: 'activity',
};

export async function assertReference(db: Kysely<Database>, table: ReferenceTable, id: string | null | undefined, path: string): Promise<void> {
  if (id === null || id === undefined) return;
  const row = await db.selectFrom(table).select('id').where('id', '=', id).executeTakeFirst();
  if (!row) {
    const message = `no ${nouns[table]} with id "${id}"`;
    throw new BridgeError('INVALID_INPUT', `${path}: ${message}`, { details: [{ path, message }] });
  }
}

export const regardingTables = {
  account: 'accounts',
  contact: 'contacts',
  lead: 'leads',
  opportunity: 'opportunities',
} as const satisfies Record<string, ReferenceTable>;
