import { inChunks } from './chunks.js';
import type { Kysely } from 'kysely';
import { normalizeEmail } from '../domain/fields.js';
import { idPrefixes } from '../domain/ids.js';
import type { Lead, LeadInput, LeadPatch } from '../domain/lead.js';
import type { Page, PageRequest } from './pagination.js';
import { RecordRepository, patched } from './record-repository.js';
import { assertReference } from './references.js';
import type { Database, LeadsTable } from './schema.js';

export interface LeadFilter {
  owner?: string | undefined;
  email?: string | undefined;
  status?: string | undefined;
}

export class LeadRepository extends RecordRepository<Lead, LeadInput, LeadPatch> {
  protected readonly entity = 'lead';
  protected readonly table = 'leads';
  protected readonly idPrefix = idPrefixes.lead;

  list(filter: LeadFilter, request: PageRequest): Promise<Page<Lead>> {
    let query = this.unit.db.selectFrom('leads').select('leads.id');
    if (filter.owner !== undefined) query = query.where('leads.owner', '=', filter.owner);
    if (filter.status !== undefined) query = query.where('leads.status', '=', filter.status);
    if (filter.email !== undefined) query = query.where('leads.email_normalized', '=', normalizeEmail(filter.email));
    return this.page(query, request);
  }

  protected async loadMany(db: Kysely<Database>, ids: readonly string[]): Promise<Lead[]> {
    if (ids.length === 0) return [];
    const rows = await inChunks(ids, (slice) => db.selectFrom('leads').selectAll().where('id', 'in', slice).execute());
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.flatMap((id) => {
      const row = byId.get(id);
      return row ? [toLead(row)] : [];
    });
  }

  protected async insert(db: Kysely<Database>, id: string, input: LeadInput, now: string): Promise<void> {
    const email = input.email ?? null;
    await db
      .insertInto('leads')
      .values({
        id,
        first_name: input.firstName ?? null,
        last_name: input.lastName ?? null,
        email,
        email_normalized: email === null ? null : normalizeEmail(email),
        company: input.company ?? null,
        source: input.source ?? null,
        status: input.status ?? 'open',
        owner: input.owner ?? null,
        created_at: now,
        updated_at: now,
      })
      .execute();
  }

  protected async patch(db: Kysely<Database>, current: Lead, changes: LeadPatch, now: string): Promise<void> {
    const email = patched(changes, 'email', current.email) ?? null;
    await db
      .updateTable('leads')
      .set({
        first_name: patched(changes, 'firstName', current.firstName) ?? null,
        last_name: patched(changes, 'lastName', current.lastName) ?? null,
        email,
        email_normalized: email === null ? null : normalizeEmail(email),
        company: patched(changes, 'company', current.company) ?? null,
        source: patched(changes, 'source', current.source) ?? null,
        status: changes.status ?? current.status,
        owner: patched(changes, 'owner', current.owner) ?? null,
        updated_at: now,
      })
      .where('id', '=', current.id)
      .execute();
  }

  protected async checkReferences(db: Kysely<Database>, input: LeadInput | LeadPatch): Promise<void> {
    await assertReference(db, 'users', input.owner, 'owner');
  }
}

function toLead(row: LeadsTable): Lead {
  return {
    id: row.id,
    firstName: row.first_name,
    lastName: row.last_name,
    email: row.email,
    company: row.company,
    source: row.source,
    status: row.status as Lead['status'],
    owner: row.owner,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
