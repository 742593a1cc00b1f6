import type { Kysely } from 'kysely';
import type { LoginFailureLog } from '../ports/login-failures.js';
import type { Database } from './schema.js';

/** Failed admin logins, one row per (key, time): what the login throttle counts, shared by every process. */
export class LoginFailureRepository implements LoginFailureLog {
  constructor(private readonly db: Kysely<Database>) {}

  async since(keys: readonly string[], since: number): Promise<Map<string, number[]>> {
    const result = new Map<string, number[]>(keys.map((key) => [key, []]));
    if (keys.length === 0) return result;
    const rows = await this.db.selectFrom('login_failures').select(['key', 'at']).where('key', 'in', [...keys]).where('at', '>=', since).orderBy('at').execute();
    for (const row of rows) result.get(row.key)?.push(Number(row.at));
    return result;
  }

  async add(keys: readonly string[], at: number): Promise<void> {
    if (keys.length > 0) await this.db.insertInto('login_failures').values(keys.map((key) => ({ key, at }))).execute();
  }

  async clear(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.db.deleteFrom('login_failures').where('key', 'in', [...keys]).execute();
  }

  async prune(before: number): Promise<void> {
    await this.db.deleteFrom('login_failures').where('at', '<', before).execute();
  }
}
