import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

/** Admin UI sessions: a random cookie token; only its SHA-256 is stored. */
export class AdminSessions {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly hours: number,
  ) {}

  async open(now = new Date()): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.db
      .insertInto('admin_sessions')
      .values({ token_hash: digest(token), created_at: now.toISOString(), expires_at: new Date(now.getTime() + this.hours * 3_600_000).toISOString() })
      .execute();
    await this.db.deleteFrom('admin_sessions').where('expires_at', '<', now.toISOString()).execute();
    return token;
  }

  async isValid(token: string | undefined, now = new Date()): Promise<boolean> {
    if (!token) return false;
    const row = await this.db.selectFrom('admin_sessions').select('expires_at').where('token_hash', '=', digest(token)).executeTakeFirst();
    return row !== undefined && row.expires_at > now.toISOString();
  }

  async close(token: string | undefined): Promise<void> {
    if (token) await this.db.deleteFrom('admin_sessions').where('token_hash', '=', digest(token)).execute();
  }
}

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
