import { forChunks, inChunks } from './chunks.js';
import type { Kysely } from 'kysely';
import type { Account, AccountInput, AccountPatch } from '../domain/account.js';
import { normalizeEmail } from '../domain/fields.js';
import { idPrefixes } from '../domain/ids.js';
import type { Page, PageRequest } from './pagination.js';
import { RecordRepository, patched } from './record-repository.js';
import { assertReference } from './references.js';
import type { Database } from './schema.js';

export interface AccountFilter {
  owner?: string | undefined;
  domain?: string | undefined;
  name?: string | undefined;
  /** Accounts an address belongs to: a contact of the account has it, or its domain is one of the account's. */
  email?: string | undefined;
}

/**
 * The ids of the accounts `address` belongs to: its domain is one of the account's, or a contact of
 * the account has the address. A subquery shared by the account and opportunity filters (`?email=`).
 */
export function accountIdsWithAddress(db: Kysely<Database>, address: string) {
  const email = normalizeEmail(address);
  const domain = email.slice(email.lastIndexOf('@') + 1);
  return db
    .selectFrom('account_domains')
    .select('account_domains.account_id as id')
    .where('account_domains.domain', '=', domain)
    .union(db.selectFrom('contacts').innerJoin('contact_emails', 'contact_emails.contact_id', 'contacts.id').select('contacts.account_id as id').where('contact_emails.email_normalized', '=', email).where('contacts.account_id', 'is not', null).$narrowType<{ id: string }>());
}

export class AccountRepository extends RecordRepository<Account, AccountInput, AccountPatch> {
  protected readonly entity = 'account';
  protected readonly table = 'accounts';
  protected readonly idPrefix = idPrefixes.account;

  list(filter: AccountFilter, request: PageRequest): Promise<Page<Account>> {
    let query = this.unit.db.selectFrom('accounts').select('accounts.id');
    if (filter.owner !== undefined) query = query.where('accounts.owner', '=', filter.owner);
    if (filter.name !== undefined) query = query.where('accounts.name', '=', filter.name);
    if (filter.domain !== undefined) {
      const domain = filter.domain.toLowerCase();
      query = query.where((eb) => eb.exists(eb.selectFrom('account_domains').select('account_id').whereRef('account_domains.account_id', '=', 'accounts.id').where('domain', '=', domain)));
    }
    if (filter.email !== undefined) {
      query = query.where('accounts.id', 'in', accountIdsWithAddress(this.unit.db, filter.email));
    }
    return this.page(query, request);
  }

  protected async loadMany(db: Kysely<Database>, ids: readonly string[]): Promise<Account[]> {
    if (ids.length === 0) return [];
    const rows = await inChunks(ids, (slice) => db.selectFrom('accounts').selectAll().where('id', 'in', slice).execute());
    const domains = await inChunks(ids, (slice) => db.selectFrom('account_domains').selectAll().where('account_id', 'in', slice).orderBy('position').execute());
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.flatMap((id) => {
      const row = byId.get(id);
      if (!row) return [];
      return [{
        id: row.id,
        name: row.name,
        domains: domains.filter((domain) => domain.account_id === id).map((domain) => domain.domain),
        owner: row.owner,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
      }];
    });
  }

  protected async insert(db: Kysely<Database>, id: string, input: AccountInput, now: string): Promise<void> {
    await db.insertInto('accounts').values({ id, name: input.name, owner: input.owner ?? null, created_at: now, updated_at: now }).execute();
    await this.writeDomains(db, id, input.domains ?? []);
  }

  protected async patch(db: Kysely<Database>, current: Account, changes: AccountPatch, now: string): Promise<void> {
    await db
      .updateTable('accounts')
      .set({ name: patched(changes, 'name', current.name), owner: patched(changes, 'owner', current.owner) ?? null, updated_at: now })
      .where('id', '=', current.id)
      .execute();
    if (changes.domains !== undefined) await this.writeDomains(db, current.id, changes.domains);
  }

  protected async checkReferences(db: Kysely<Database>, input: AccountInput | AccountPatch): Promise<void> {
    await assertReference(db, 'users', input.owner, 'owner');
  }

  private async writeDomains(db: Kysely<Database>, accountId: string, domains: readonly string[]): Promise<void> {
    await db.deleteFrom('account_domains').where('account_id', '=', accountId).execute();
    const unique = [...new Set(domains.map((domain) => domain.toLowerCase()))];
    if (unique.length > 0) {
      const rows = unique.map((domain, position) => ({ account_id: accountId, position, domain }));
      await forChunks(rows, (slice) => db.insertInto('account_domains').values(slice).execute());
    }
  }
}
