import { sql, type Kysely } from 'kysely';
import type { CredentialRepository } from './credentials.js';
import { isPostgres } from './dialect.js';
import { OAUTH_GRANT_LOCK_SPACE } from './lock-spaces.js';
import type { Database } from './schema.js';

export type GrantOwnerType = 'user' | 'shared-mailbox';

/** One OAuth2 grant as kept (encrypted, in the credentials table) between passes and restarts. */
export interface StoredGrant {
  refreshToken: string;
  accessToken?: string;
  /** ISO; absent when the token endpoint did not say how long the access token lives. */
  expiresAt?: string;
  /** The scopes the server granted (RFC 6749 §5.1), as it said them. */
  scope?: string;
  connectedAt: string;
  refreshedAt?: string;
  /** Set when the server refused the refresh token: the grant needs the Connect step again. */
  refusedAt?: string;
  refusedReason?: string;
}

export interface GrantOverview {
  ownerType: GrantOwnerType;
  ownerId: string;
  key: string;
  connectedAt: string;
  refreshedAt: string | null;
  refusedAt: string | null;
  refusedReason: string | null;
}

const KIND_PREFIX = 'oauth2:';

/** The credentials kind a grant is stored under. */
export function grantKind(key: string): string {
  return `${KIND_PREFIX}${key}`;
}

/**
 * OAuth2 grants: refresh and access tokens sealed like passwords (SecretBox), one per owner and
 * client registration (src/oauth/providers.ts grantKeyOf).
 */
export class OAuthGrantRepository {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly credentials: CredentialRepository,
  ) {}

  async get(ownerType: GrantOwnerType, ownerId: string, key: string): Promise<StoredGrant | undefined> {
    const sealed = await this.credentials.get(ownerType, ownerId, grantKind(key));
    return sealed === undefined ? undefined : (JSON.parse(sealed) as StoredGrant);
  }

  async put(ownerType: GrantOwnerType, ownerId: string, key: string, grant: StoredGrant): Promise<void> {
    await this.credentials.put(ownerType, ownerId, grantKind(key), JSON.stringify(grant));
  }

  /** Every stored grant without its tokens, for the status page. */
  async overview(): Promise<GrantOverview[]> {
    const rows = await this.db.selectFrom('credentials').select(['owner_type', 'owner_id', 'kind']).where('kind', 'like', `${KIND_PREFIX}%`).execute();
    const found: GrantOverview[] = [];
    for (const row of rows) {
      const key = row.kind.slice(KIND_PREFIX.length);
      const grant = await this.get(row.owner_type as GrantOwnerType, row.owner_id, key);
      if (grant === undefined) continue;
      found.push({ ownerType: row.owner_type as GrantOwnerType, ownerId: row.owner_id, key, connectedAt: grant.connectedAt, refreshedAt: grant.refreshedAt ?? null, refusedAt: grant.refusedAt ?? null, refusedReason: grant.refusedReason ?? null });
    }
    return found;
  }

  /**
   * Run `work` as the only user of this grant's refresh token among the processes sharing a
   * PostgreSQL database (a session advisory lock on a connection of its own, so the work's own
   * queries use the pool as usual). A rotating server (RFC 9700 §4.14.2) invalidates a refresh
   * token once used, and one that detects reuse revokes the whole grant: two processes refreshing
   * at once would cost the user a new Connect. SQLite has one `serve` process, which refreshes
   * one grant at a time itself (src/oauth/access-tokens.ts).
   */
  async exclusive<T>(ownerType: GrantOwnerType, ownerId: string, key: string, work: () => Promise<T>): Promise<T> {
    if (!isPostgres(this.db)) return work();
    const lockKey = `${ownerType}/${ownerId}/${key}`;
    return this.db.connection().execute(async (connection) => {
      await sql`select pg_advisory_lock(${OAUTH_GRANT_LOCK_SPACE}, hashtext(${lockKey}))`.execute(connection);
      try {
        return await work();
      } finally {
        await sql`select pg_advisory_unlock(${OAUTH_GRANT_LOCK_SPACE}, hashtext(${lockKey}))`.execute(connection);
      }
    });
  }
}
