import type { Kysely } from 'kysely';
import type { Database } from './schema.js';
import { hashPassword, verifyPassword } from '../domain/password-hash.js';
import { sessionTokenDigest } from './admin-sessions.js';

export interface AdminAccount {
  username: string;
  createdAt: string;
  updatedAt: string;
}

/** A hash of a random password: verifying an unknown user costs as much as a known one (no user enumeration by timing). */
let dummyHash: Promise<string> | undefined;

/** Admin UI accounts (several admins may exist); only scrypt hashes are stored. */
export class AdminAccounts {
  constructor(private readonly db: Kysely<Database>) {}

  async list(): Promise<AdminAccount[]> {
    const rows = await this.db.selectFrom('admin_accounts').select(['username', 'created_at', 'updated_at']).orderBy('username').execute();
    return rows.map((row) => ({ username: row.username, createdAt: row.created_at, updatedAt: row.updated_at }));
  }

  async count(): Promise<number> {
    const row = await this.db.selectFrom('admin_accounts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async exists(username: string): Promise<boolean> {
    return (await this.hashOf(username)) !== undefined;
  }

  async hashOf(username: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('admin_accounts').select('password_hash').where('username', '=', username).executeTakeFirst();
    return row?.password_hash;
  }

  /**
   * Set (or create) an admin's password. A changed password ends every session of that admin but
   * `keepSessionToken` (the session of an admin changing their own password): whoever logged in
   * with the old one, perhaps because it leaked, is logged out (OWASP Session Management).
   */
  async setPassword(username: string, password: string, options: { keepSessionToken?: string; now?: string } = {}): Promise<void> {
    const now = options.now ?? new Date().toISOString();
    const hash = await hashPassword(password);
    await this.db.transaction().execute(async (tx) => {
      await tx
        .insertInto('admin_accounts')
        .values({ username, password_hash: hash, created_at: now, updated_at: now })
        .onConflict((oc) => oc.column('username').doUpdateSet({ password_hash: hash, updated_at: now }))
        .execute();
      let ended = tx.deleteFrom('admin_sessions').where('username', '=', username);
      if (options.keepSessionToken !== undefined) ended = ended.where('token_hash', '!=', sessionTokenDigest(options.keepSessionToken));
      await ended.execute();
    });
  }

  async remove(username: string): Promise<void> {
    await this.db.deleteFrom('admin_accounts').where('username', '=', username).execute();
    await this.db.deleteFrom('admin_sessions').where('username', '=', username).execute();
  }

  async verify(username: string, password: string): Promise<boolean> {
    const stored = await this.hashOf(username);
    const ok = await verifyPassword(password, stored ?? (await (dummyHash ??= hashPassword(Math.random().toString(36)))));
    return stored !== undefined && ok;
  }
}
