import { inChunks } from './chunks.js';
import type { Kysely } from 'kysely';
import { normalizeEmail } from '../domain/fields.js';
import { idPrefixes } from '../domain/ids.js';
import type { Opportunity, OpportunityInput, OpportunityPatch } from '../domain/opportunity.js';
import type { Page, PageRequest } from './pagination.js';
import { RecordRepository, patched } from './record-repository.js';
import { accountIdsWithAddress } from './accounts.js';
import { assertReference } from './references.js';
import type { Database, OpportunitiesTable } from './schema.js';

export interface OpportunityFilter {
  owner?: string | undefined;
  accountId?: string | undefined;
  stage?: string | undefined;
  contactId?: string | undefined;
  /** Opportunities whose contact has this address, or whose account it belongs to (see AccountFilter.email). */
  email?: string | undefined;
}

export class OpportunityRepository extends RecordRepository<Opportunity, OpportunityInput, OpportunityPatch> {
  protected readonly entity = 'opportunity';
  protected readonly table = 'opportunities';
  protected readonly idPrefix = idPrefixes.opportunity;

  list(filter: OpportunityFilter, request: PageRequest): Promise<Page<Opportunity>> {
    let query = this.unit.db.selectFrom('opportunities').select('opportunities.id');
    if (filter.owner !== undefined) query = query.where('opportunities.owner', '=', filter.owner);
    if (filter.accountId !== undefined) query = query.where('opportunities.account_id', '=', filter.accountId);
    if (filter.stage !== undefined) query = query.where('opportunities.stage', '=', filter.stage);
    if (filter.contactId !== undefined) query = query.where('opportunities.contact_id', '=', filter.contactId);
    if (filter.email !== undefined) {
      const email = normalizeEmail(filter.email);
      query = query.where((eb) =>
        eb.or([
          eb.exists(eb.selectFrom('contact_emails').select('contact_id').whereRef('contact_emails.contact_id', '=', 'opportunities.contact_id').where('email_normalized', '=', email)),
          eb('opportunities.account_id', 'in', accountIdsWithAddress(this.unit.db, email)),
        ]),
      );
    }
    return this.page(query, request);
  }

  protected async loadMany(db: Kysely<Database>, ids: readonly string[]): Promise<Opportunity[]> {
    if (ids.length === 0) return [];
    const rows = await inChunks(ids, (slice) => db.selectFrom('opportunities').selectAll().where('id', 'in', slice).execute());
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.flatMap((id) => {
      const row = byId.get(id);
      return row ? [toOpportunity(row)] : [];
    });
  }

  protected async insert(db: Kysely<Database>, id: string, input: OpportunityInput, now: string): Promise<void> {
    await db
      .insertInto('opportunities')
      .values({
        id,
        name: input.name,
        account_id: input.accountId ?? null,
        contact_id: input.contactId ?? null,
        stage: input.stage ?? 'open',
        amount: input.amount ?? null,
        currency: input.currency ?? null,
        close_date: input.closeDate ?? null,
        owner: input.owner ?? null,
        created_at: now,
        updated_at: now,
      })
      .execute();
  }

  protected async patch(db: Kysely<Database>, current: Opportunity, changes: OpportunityPatch, now: string): Promise<void> {
    await db
      .updateTable('opportunities')
      .set({
        name: changes.name ?? current.name,
        account_id: patched(changes, 'accountId', current.accountId) ?? null,
        contact_id: patched(changes, 'contactId', current.contactId) ?? null,
        stage: changes.stage ?? current.stage,
        amount: patched(changes, 'amount', current.amount) ?? null,
        currency: patched(changes, 'currency', current.currency) ?? null,
        close_date: patched(changes, 'closeDate', current.closeDate) ?? null,
        owner: patched(changes, 'owner', current.owner) ?? null,
        updated_at: now,
      })
      .where('id', '=', current.id)
      .execute();
  }

  protected async checkReferences(db: Kysely<Database>, input: OpportunityInput | OpportunityPatch): Promise<void> {
    await assertReference(db, 'users', input.owner, 'owner');
    await assertReference(db, 'accounts', input.accountId, 'accountId');
    await assertReference(db, 'contacts', input.contactId, 'contactId');
  }
}

function toOpportunity(row: OpportunitiesTable): Opportunity {
  return {
    id: row.id,
    name: row.name,
    accountId: row.account_id,
    contactId: row.contact_id,
    stage: row.stage as Opportunity['stage'],
    amount: row.amount,
    currency: row.currency,
    closeDate: row.close_date,
    owner: row.owner,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
