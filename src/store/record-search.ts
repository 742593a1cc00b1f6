import { sql, type Kysely } from 'kysely';
import { likeContaining } from './like.js';
import type { Database } from './schema.js';

export interface NamedRecord {
  id: string;
  name: string;
}

/** The admin UI's search: activities by subject or party address, contacts and accounts by name. */
export class RecordSearch {
  constructor(private readonly db: Kysely<Database>) {}

  /** Ids of the newest activities whose subject or a party's address contains `text`. */
  async activityIds(text: string, limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('activities')
      .select('id')
      .where((eb) =>
        eb.or([
          likeContaining(sql.ref('subject'), text),
          eb.exists(eb.selectFrom('activity_parties').select('activity_id').whereRef('activity_parties.activity_id', '=', 'activities.id').where(likeContaining(sql.ref('address_normalized'), text))),
        ]),
      )
      .orderBy('id', 'desc')
      .limit(limit)
      .execute();
    return rows.map((row) => row.id);
  }

  /** Ids of the newest activities. */
  async latestActivityIds(limit: number): Promise<string[]> {
    const rows = await this.db.selectFrom('activities').select('id').orderBy('id', 'desc').limit(limit).execute();
    return rows.map((row) => row.id);
  }

  async contacts(text: string, limit: number): Promise<NamedRecord[]> {
    const rows = await this.db.selectFrom('contacts').select(['id', 'display_name']).where(likeContaining(sql.ref('display_name'), text)).limit(limit).execute();
    return rows.map((row) => ({ id: row.id, name: row.display_name }));
  }

  async accounts(text: string, limit: number): Promise<NamedRecord[]> {
    const rows = await this.db.selectFrom('accounts').select(['id', 'name']).where(likeContaining(sql.ref('name'), text)).limit(limit).execute();
    return rows.map((row) => ({ id: row.id, name: row.name }));
  }
}
