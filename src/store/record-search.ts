import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';

export interface NamedRecord {
  id: string;
  name: string;
}

/** `%text%` for LIKE with %, _ and \ taken literally (ESCAPE '\', which SQLite needs spelled out). */
function containing(text: string): string {
  return `%${text.toLowerCase().replace(/[\\%_]/g, (char) => `\\${char}`)}%`;
}

/** The admin UI's search: activities by subject or party address, contacts and accounts by name. */
export class RecordSearch {
  constructor(private readonly db: Kysely<Database>) {}

  /** Ids of the newest activities whose subject or a party's address contains `text`. */
  async activityIds(text: string, limit: number): Promise<string[]> {
    const pattern = containing(text);
    const rows = await this.db
      .selectFrom('activities')
      .select('id')
      .where((eb) =>
        eb.or([
          sql<boolean>`lower(subject) like ${pattern} escape '\\'`,
          eb.exists(eb.selectFrom('activity_parties').select('activity_id').whereRef('activity_parties.activity_id', '=', 'activities.id').where(sql<boolean>`address_normalized like ${pattern} escape '\\'`)),
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
    const rows = await this.db.selectFrom('contacts').select(['id', 'display_name']).where(sql<boolean>`lower(display_name) like ${containing(text)} escape '\\'`).limit(limit).execute();
    return rows.map((row) => ({ id: row.id, name: row.display_name }));
  }

  async accounts(text: string, limit: number): Promise<NamedRecord[]> {
    const rows = await this.db.selectFrom('accounts').select(['id', 'name']).where(sql<boolean>`lower(name) like ${containing(text)} escape '\\'`).limit(limit).execute();
    return rows.map((row) => ({ id: row.id, name: row.name }));
  }
}
