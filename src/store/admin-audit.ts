import type { Kysely } from 'kysely';
import { redact } from '../domain/audit-redaction.js';
import type { Database } from './schema.js';

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  detail: unknown;
}

/** The audit log of configuration changes made in the admin UI: who, when, what. */
export class AuditLog {
  constructor(private readonly db: Kysely<Database>) {}

  async record(actor: string, action: string, target: string, detail: unknown = {}, at = new Date().toISOString()): Promise<void> {
    await this.db.insertInto('admin_audit').values({ at, actor, action, target, detail: JSON.stringify(redact(detail)) }).execute();
  }

  async list(limit: number, beforeId?: number): Promise<AuditEntry[]> {
    let query = this.db.selectFrom('admin_audit').selectAll().orderBy('id', 'desc').limit(limit);
    if (beforeId !== undefined) query = query.where('id', '<', beforeId);
    const rows = await query.execute();
    return rows.map((row) => ({ id: Number(row.id), at: row.at, actor: row.actor, action: row.action, target: row.target, detail: JSON.parse(row.detail) as unknown }));
  }
}
