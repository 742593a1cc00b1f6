import type { Kysely } from 'kysely';
import { normalizeEmail } from '../domain/fields.js';
import type { Database, UsersTable } from './schema.js';

/** A CRM user: owns mailboxes, calendars and records. Defined in the configuration (users[]). */
export interface User {
  id: string;
  name: string;
  email: string;
  createdAt: string;
  updatedAt: string;
}

export class UserRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async list(): Promise<User[]> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('id').execute();
    return rows.map(toUser);
  }

  async get(id: string): Promise<User | undefined> {
    const row = await this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
    return row ? toUser(row) : undefined;
  }

  async findByEmail(address: string): Promise<User | undefined> {
    const wanted = normalizeEmail(address);
    return (await this.list()).find((user) => normalizeEmail(user.email) === wanted);
  }

  /** Insert or refresh a user from the configuration; users are never deleted, records keep their owner. */
  async upsert(user: { id: string; name: string; email: string }, now = new Date().toISOString()): Promise<void> {
    await this.db
      .insertInto('users')
      .values({ id: user.id, name: user.name, email: user.email, created_at: now, updated_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet({ name: user.name, email: user.email, updated_at: now }))
      .execute();
  }
}

function toUser(row: UsersTable): User {
  return { id: row.id, name: row.name, email: row.email, createdAt: row.created_at, updatedAt: row.updated_at };
}
