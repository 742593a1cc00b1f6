import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

/**
 * Per-user numbers for tracking tokens (`[CRM:0100042]`: user 01, mail 00042). A user gets the next
 * free number the first time they send; the counter only grows. Call inside the transaction that
 * stores the mail, so a number is never used twice.
 */
export class TokenCounterRepository {
  constructor(private readonly db: Kysely<Database>) {}

  /**
   * The user's next number. Safe with concurrent senders, also in several processes on PostgreSQL:
   * the counter is raised in one UPDATE (no read-then-write, which would hand two mails the same
   * token), and a new user's number is inserted without conflict or, when another sender took that
   * number or created this user's row meanwhile, tried again against what was committed.
   */
  async next(userId: string): Promise<{ userNumber: number; counter: number }> {
    for (let attempt = 0; ; attempt += 1) {
      const raised = await this.db
        .updateTable('token_counters')
        .set((eb) => ({ counter: eb('counter', '+', 1) }))
        .where('user_id', '=', userId)
        .returning(['user_number', 'counter'])
        .executeTakeFirst();
      if (raised) return { userNumber: raised.user_number, counter: raised.counter };
      const highest = await this.db.selectFrom('token_counters').select((eb) => eb.fn.max('user_number').as('n')).executeTakeFirst();
      const userNumber = Number(highest?.n ?? 0) + 1;
      const inserted = await this.db
        .insertInto('token_counters')
        .values({ user_id: userId, user_number: userNumber, counter: 1 })
        .onConflict((oc) => oc.doNothing())
        .executeTakeFirst();
      if (Number(inserted.numInsertedOrUpdatedRows ?? 0n) === 1) return { userNumber, counter: 1 };
      if (attempt >= 20) throw new Error(`no tracking-token number could be assigned to user "${userId}" (20 conflicting attempts)`);
    }
  }
}
