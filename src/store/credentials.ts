import type { Kysely } from 'kysely';
import { BridgeError } from '../domain/errors.js';
import type { Database } from './schema.js';
import type { SecretBox } from './secret-box.js';
import { SettingsRepository } from './settings.js';

export type CredentialOwner = 'user' | 'shared-mailbox' | 'webhook';

/** Encrypted connection secrets; plaintext exists only in memory, never in the database or logs. */
export class CredentialRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly box: SecretBox,
  ) {}

  async put(ownerType: CredentialOwner, ownerId: string, kind: string, secret: string, now = new Date().toISOString()): Promise<void> {
    const sealed = this.box.encrypt(secret, contextOf(ownerType, ownerId, kind));
    await this.db
      .insertInto('credentials')
      .values({ owner_type: ownerType, owner_id: ownerId, kind, secret: sealed, updated_at: now })
      .onConflict((oc) => oc.columns(['owner_type', 'owner_id', 'kind']).doUpdateSet({ secret: sealed, updated_at: now }))
      .execute();
  }

  async get(ownerType: CredentialOwner, ownerId: string, kind: string): Promise<string | undefined> {
    const row = await this.db.selectFrom('credentials').select('secret').where('owner_type', '=', ownerType).where('owner_id', '=', ownerId).where('kind', '=', kind).executeTakeFirst();
    return row ? this.box.decrypt(row.secret, contextOf(ownerType, ownerId, kind)) : undefined;
  }

  async removeAllExcept(keep: ReadonlyArray<{ ownerType: CredentialOwner; ownerId: string; kind: string }>): Promise<void> {
    const rows = await this.db.selectFrom('credentials').select(['owner_type', 'owner_id', 'kind']).execute();
    const wanted = new Set(keep.map((entry) => contextOf(entry.ownerType, entry.ownerId, entry.kind)));
    for (const row of rows) {
      if (!wanted.has(contextOf(row.owner_type as CredentialOwner, row.owner_id, row.kind))) {
        await this.db.deleteFrom('credentials').where('owner_type', '=', row.owner_type).where('owner_id', '=', row.owner_id).where('kind', '=', row.kind).execute();
      }
    }
  }

  /**
   * Fail early and clearly when secretKey changed: a known value encrypted on first start must
   * still decrypt. Without this the first sign would be an obscure failure deep in a sync.
   */
  async verifyKey(): Promise<void> {
    const settings = new SettingsRepository(this.db);
    const check = await settings.get('secret_key_check');
    if (check === undefined) {
      await settings.set('secret_key_check', this.box.encrypt('crm-bridge', 'key-check'));
      return;
    }
    try {
      this.box.decrypt(check, 'key-check');
    } catch (error) {
      throw new BridgeError('CONFIG', 'secretKey: does not match the key this database was created with; restore the old key or start with a new database', { cause: error });
    }
  }
}

function contextOf(ownerType: string, ownerId: string, kind: string): string {
  return `${ownerType}/${ownerId}/${kind}`;
}
