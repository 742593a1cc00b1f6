import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * Per-user numbers for tracking tokens (`[CRM:0100042]`: user 01, mail 00042). A user gets the next
 * free number the first time they send; the counter only grows. Call inside the transaction that
 * stores the mail, so a number is never used twice.
 */
export class TokenCounterRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async next(userId: string): Promise<{ userNumber: number; counter: number }> {
    const row = await this.db.selectFrom('token_counters').selectAll().where('user_id', '=', userId).executeTakeFirst();
    if (row) {
      await this.db.updateTable('token_counters').set({ counter: row.counter + 1 }).where('user_id', '=', userId).execute();
      return { userNumber: row.user_number, counter: row.counter + 1 };
    }
    const highest = await this.db.selectFrom('token_counters').select((eb) => eb.fn.max('user_number').as('n')).executeTakeFirst();
    const userNumber = Number(highest?.n ?? 0) + 1;
    await this.db.insertInto('token_counters').values({ user_id: userId, user_number: userNumber, counter: 1 }).execute();
    return { userNumber, counter: 1 };
  }
}
