import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface AdminSession {
  username: string;
  /** The synchronizer token every form of this session must send back (OWASP CSRF cheat sheet). */
  csrfToken: string;
  /** The cookie token itself (in memory only), so a password change can keep this session and end the others. */
  token: string;
}

/** Admin UI sessions: a random cookie token (only its SHA-256 is stored) with its admin and CSRF token. */
export class AdminSessions {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly hours: number,
  ) {}

  async open(username: string, now = new Date()): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.db
      .insertInto('admin_sessions')
      .values({
        token_hash: sessionTokenDigest(token),
        username,
        csrf_token: randomBytes(32).toString('base64url'),
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + this.hours * 3_600_000).toISOString(),
      })
      .execute();
    await this.db.deleteFrom('admin_sessions').where('expires_at', '<', now.toISOString()).execute();
    return token;
  }

  async lookup(token: string | undefined, now = new Date()): Promise<AdminSession | undefined> {
    if (!token) return undefined;
    const row = await this.db.selectFrom('admin_sessions').select(['expires_at', 'username', 'csrf_token']).where('token_hash', '=', sessionTokenDigest(token)).executeTakeFirst();
    if (!row || row.expires_at <= now.toISOString() || row.username === '') return undefined;
    return { username: row.username, csrfToken: row.csrf_token, token };
  }

  async close(token: string | undefined): Promise<void> {
    if (token) await this.db.deleteFrom('admin_sessions').where('token_hash', '=', sessionTokenDigest(token)).execute();
  }
}

/** Constant-time comparison of a submitted CSRF token with the session's. */
export function csrfMatches(expected: string, submitted: unknown): boolean {
  if (typeof submitted !== 'string' || submitted.length !== expected.length || expected === '') return false;
  return timingSafeEqual(Buffer.from(submitted), Buffer.from(expected));
}

/** What admin_sessions stores of a session's cookie token. */
export function sessionTokenDigest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
