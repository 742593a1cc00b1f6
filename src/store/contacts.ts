import type { Kysely } from 'kysely';
import { deriveDisplayName, type Contact, type ContactInput, type ContactPatch } from '../domain/contact.js';
import { normalizeEmail } from '../domain/fields.js';
import { idPrefixes } from '../domain/ids.js';
import { forChunks, inChunks } from './chunks.js';
import type { Page, PageRequest } from './pagination.js';
import { RecordRepository, patched } from './record-repository.js';
import { assertReference } from './references.js';
import type { Database } from './schema.js';

export interface ContactFilter {
  owner?: string | undefined;
  email?: string | undefined;
  accountId?: string | undefined;
  active?: boolean | undefined;
}

export class ContactRepository extends RecordRepository<Contact, ContactInput, ContactPatch> {
  protected readonly entity = 'contact';
  protected readonly table = 'contacts';
  protected readonly idPrefix = idPrefixes.contact;

  list(filter: ContactFilter, request: PageRequest): Promise<Page<Contact>> {
    let query = this.unit.db.selectFrom('contacts').select('contacts.id');
    if (filter.owner !== undefined) query = query.where('contacts.owner', '=', filter.owner);
    if (filter.accountId !== undefined) query = query.where('contacts.account_id', '=', filter.accountId);
    if (filter.active !== undefined) query = query.where('contacts.active', '=', filter.active ? 1 : 0);
    if (filter.email !== undefined) {
      const email = normalizeEmail(filter.email);
      query = query.where((eb) => eb.exists(eb.selectFrom('contact_emails').select('contact_id').whereRef('contact_emails.contact_id', '=', 'contacts.id').where('email_normalized', '=', email)));
    }
    return this.page(query, request);
  }

  /** Every contact that has this address among its e-mails (party resolution). */
  async findByEmail(address: string): Promise<Contact[]> {
    const rows = await this.unit.db.selectFrom('contact_emails').select('contact_id').where('email_normalized', '=', normalizeEmail(address)).orderBy('contact_id').execute();
    return this.loadMany(this.unit.db, [...new Set(rows.map((row) => row.contact_id))]);
  }

  protected async loadMany(db: Kysely<Database>, ids: readonly string[]): Promise<Contact[]> {
    if (ids.length === 0) return [];
    const list = [...ids];
    // In slices: all rows of one contact are in its slice, so their position order holds.
    const rows = await inChunks(list, (slice) => db.selectFrom('contacts').selectAll().where('id', 'in', slice).execute());
    const emails = await inChunks(list, (slice) => db.selectFrom('contact_emails').selectAll().where('contact_id', 'in', slice).orderBy('position').execute());
    const phones = await inChunks(list, (slice) => db.selectFrom('contact_phones').selectAll().where('contact_id', 'in', slice).orderBy('position').execute());
    const byId = new Map(rows.map((row) => [row.id, row]));
    return ids.flatMap((id) => {
      const row = byId.get(id);
      if (!row) return [];
      return [{
        id: row.id,
        firstName: row.first_name,
        lastName: row.last_name,
        displayName: row.display_name,
        emails: emails.filter((email) => email.contact_id === id).map((email) => email.email),
        phones: phones.filter((phone) => phone.contact_id === id).map((phone) => phone.phone),
        company: row.company,
        title: row.title,
        accountId: row.account_id,
        owner: row.owner,
        active: row.active === 1,
        createdAt: row.created_at,
        updatedAt: row.updated_at,
      }];
    });
  }

  protected async insert(db: Kysely<Database>, id: string, input: ContactInput, now: string): Promise<void> {
    await db
      .insertInto('contacts')
      .values({
        id,
        first_name: input.firstName ?? null,
        last_name: input.lastName ?? null,
        display_name: input.displayName ?? deriveDisplayName(input),
        company: input.company ?? null,
        title: input.title ?? null,
        account_id: input.accountId ?? null,
        owner: input.owner ?? null,
        active: input.active === false ? 0 : 1,
        created_at: now,
        updated_at: now,
      })
      .execute();
    await this.writeEmails(db, id, input.emails ?? []);
    await this.writePhones(db, id, input.phones ?? []);
  }

  protected async patch(db: Kysely<Database>, current: Contact, changes: ContactPatch, now: string): Promise<void> {
    const firstName = patched(changes, 'firstName', current.firstName) ?? null;
    const lastName = patched(changes, 'lastName', current.lastName) ?? null;
    const emails = changes.emails ?? current.emails;
    // A display name that was derived follows the name it was derived from.
    const wasDerived = current.displayName === deriveDisplayName(current);
    const displayName = changes.displayName ?? (wasDerived ? deriveDisplayName({ firstName, lastName, emails }) || current.displayName : current.displayName);
    await db
      .updateTable('contacts')
      .set({
        first_name: firstName,
        last_name: lastName,
        display_name: displayName,
        company: patched(changes, 'company', current.company) ?? null,
        title: patched(changes, 'title', current.title) ?? null,
        account_id: patched(changes, 'accountId', current.accountId) ?? null,
        owner: patched(changes, 'owner', current.owner) ?? null,
        active: (changes.active ?? current.active) ? 1 : 0,
        updated_at: now,
      })
      .where('id', '=', current.id)
      .execute();
    if (changes.emails !== undefined) await this.writeEmails(db, current.id, changes.emails);
    if (changes.phones !== undefined) await this.writePhones(db, current.id, changes.phones);
  }

  protected async checkReferences(db: Kysely<Database>, input: ContactInput | ContactPatch): Promise<void> {
    await assertReference(db, 'users', input.owner, 'owner');
    await assertReference(db, 'accounts', input.accountId, 'accountId');
  }

  private async writeEmails(db: Kysely<Database>, contactId: string, emails: readonly string[]): Promise<void> {
    await db.deleteFrom('contact_emails').where('contact_id', '=', contactId).execute();
    const seen = new Set<string>();
    const unique = emails.filter((email) => {
      const key = normalizeEmail(email);
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    const rows = unique.map((email, position) => ({ contact_id: contactId, position, email: email.trim(), email_normalized: normalizeEmail(email) }));
    await forChunks(rows, (slice) => db.insertInto('contact_emails').values(slice).execute());
  }

  private async writePhones(db: Kysely<Database>, contactId: string, phones: readonly string[]): Promise<void> {
    await db.deleteFrom('contact_phones').where('contact_id', '=', contactId).execute();
    if (phones.length > 0) {
      const rows = phones.map((phone, position) => ({ contact_id: contactId, position, phone: phone.trim() }));
      await forChunks(rows, (slice) => db.insertInto('contact_phones').values(slice).execute());
    }
  }
}
