import type { Kysely } from 'kysely';
import type { CardFields } from '../contacts/card-fields.js';
import type { Database } from './schema.js';
import { SyncBaseRepository } from './sync-base.js';

export interface ContactSyncBase {
  fields: CardFields;
  /** The vCard as the server last held it (null until one was read or written). */
  vcard: string | null;
}

/** The merge base per synced contact, in sync_base (migration 0011): see src/sync/contacts/address-book-sync.ts. */
export class ContactSyncBaseRepository {
  private readonly bases: SyncBaseRepository;

  constructor(db: Kysely<Database>) {
    this.bases = new SyncBaseRepository(db);
  }

  async listPair(pair: string): Promise<Map<string, ContactSyncBase>> {
    const bases = await this.bases.listPair<CardFields>(pair);
    return new Map([...bases].map(([identity, base]) => [identity, { fields: base.fields, vcard: base.data }]));
  }

  async put(pair: string, identity: string, base: ContactSyncBase, now = new Date().toISOString()): Promise<void> {
    await this.bases.put(pair, identity, { fields: base.fields, data: base.vcard }, now);
  }

  async remove(pair: string, identity: string): Promise<void> {
    await this.bases.remove(pair, identity);
  }

  async removePair(pair: string): Promise<number> {
    return this.bases.removePair(pair);
  }
}
