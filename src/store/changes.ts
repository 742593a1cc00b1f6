import type { Kysely } from 'kysely';
import type { Database } from './schema.js';

export const changeEntities = ['account', 'contact', 'lead', 'opportunity', 'activity'] as const;
export type ChangeEntity = (typeof changeEntities)[number];
export type ChangeOp = 'created' | 'updated' | 'deleted';

export interface Change {
  seq: number;
  entity: ChangeEntity;
  id: string;
  op: ChangeOp;
  at: string;
  /** The record as it was after the change; null for deletions. */
  data: unknown;
}

/**
 * The ordered change feed (`GET /api/v1/changes?after=N`) and the source webhooks deliver from.
 * Rows are appended in the same transaction as the change itself, so the feed never misses one;
 * SQLite serialises writers, so sequence order is commit order.
 */
export class ChangeRepository {
  constructor(private readonly db: Kysely<Database>) {}

  async append(entity: ChangeEntity, id: string, op: ChangeOp, data: unknown, at: string): Promise<number> {
    const row = await this.db
      .insertInto('changes')
      .values({ entity, entity_id: id, op, at, data: data === null ? null : JSON.stringify(data) })
      .returning('seq')
      .executeTakeFirstOrThrow();
    return Number(row.seq);
  }

  async listAfter(after: number, limit: number): Promise<Change[]> {
    const rows = await this.db.selectFrom('changes').selectAll().where('seq', '>', after).orderBy('seq', 'asc').limit(limit).execute();
    return rows.map((row) => ({
      seq: Number(row.seq),
      entity: row.entity as ChangeEntity,
      id: row.entity_id,
      op: row.op as ChangeOp,
      at: row.at,
      data: row.data === null ? null : (JSON.parse(row.data) as unknown),
    }));
  }

  async latestSeq(): Promise<number> {
    const row = await this.db.selectFrom('changes').select((eb) => eb.fn.max('seq').as('seq')).executeTakeFirst();
    return Number(row?.seq ?? 0);
  }
}
