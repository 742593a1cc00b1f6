import type { Logger } from 'pino';
import { BridgeError, isBridgeError } from '../domain/errors.js';
import { GRANT_REFUSED, type BearerTokens, type OAuthAuthorizer, type OAuthConnection, type OAuthOwner, type OAuthTokenSet } from '../ports/oauth.js';
import type { StoredGrant } from '../store/oauth-grants.js';
import type { Store } from '../store/store.js';
import { grantKeyOf } from './providers.js';

/**
 * An access token is renewed when less than this is left: a DAV pass sends requests for minutes,
 * and one that starts with a token about to expire would see 401s half-way. A token that lives
 * shorter is renewed after half its life.
 */
export const RENEW_BEFORE_MS = 5 * 60_000;

/** Whether the stored access token should be renewed before it is sent. */
export function renewDue(grant: Pick<StoredGrant, 'expiresAt' | 'refreshedAt' | 'connectedAt'>, now: Date): boolean {
  if (grant.expiresAt === undefined) return false;
  const expires = Date.parse(grant.expiresAt);
  const lifetime = expires - Date.parse(grant.refreshedAt ?? grant.connectedAt);
  return expires - now.getTime() < Math.min(RENEW_BEFORE_MS, lifetime / 2);
}

/** What the admin does about a grant that is missing or was refused. */
const RECONNECT = 'sign in again with Connect on the admin UI (Users, or Shared mailboxes)';

function ownerName(owner: OAuthOwner): string {
  return owner.type === 'user' ? `user "${owner.id}"` : `shared mailbox "${owner.id}"`;
}

/** The AUTH error of a grant that needs the Connect step; the status page shows it as such. */
export function needsReauthorisation(owner: OAuthOwner, reason: string): BridgeError {
  return new BridgeError('AUTH', `OAuth2 sign-in of ${ownerName(owner)} needs re-authorisation: ${reason}; ${RECONNECT}`, { details: [{ path: GRANT_REFUSED, message: reason }] });
}

/** Whether an error says the grant needs the Connect step (rather than a wrong token or an outage). */
export function isReauthorisationNeeded(error: unknown): boolean {
  return isBridgeError(error) && error.code === 'AUTH' && error.details.some((detail) => detail.path === GRANT_REFUSED);
}

/**
 * The access tokens of every OAuth2 connection: the stored token while it is fresh, else one
 * refreshed with the stored refresh token (RFC 6749 §6), and a refreshed one when a server
 * refused the current one. A rotated refresh token (RFC 9700 §4.14.2) replaces the old one in the
 * same write. One refresh per grant at a time: in this process by sharing the call in flight,
 * between processes by the store's lock. A refusal marks the grant refused, and every connection
 * of it fails AUTH "needs re-authorisation" without asking the server again, until the next
 * Connect; other owners' sources are not affected.
 */
export class AccessTokens {
  private readonly inFlight = new Map<string, Promise<string>>();

  constructor(
    private readonly store: Store,
    private readonly authorizer: OAuthAuthorizer,
    private readonly log: Logger,
    private readonly now: () => Date = () => new Date(),
    /** How long a refused refresh waits for another process's rotation to show in the store. */
    private readonly settleMs = 1000,
  ) {}

  /** BearerTokens for one connection's settings (the adapters' view). */
  bearerFor(connection: OAuthConnection): BearerTokens {
    return {
      current: () => this.accessToken(connection),
      rejected: (token) => this.accessToken(connection, token),
    };
  }

  /** A token to send: the stored one unless it is about to expire or is `rejected`. */
  async accessToken(connection: OAuthConnection, rejected?: string): Promise<string> {
    const key = grantKeyOf(connection.client);
    const { owner } = connection;
    const stored = await this.store.oauthGrants.get(owner.type, owner.id, key);
    const usable = this.usable(connection, stored, rejected);
    if (usable !== undefined) return usable;
    const flightKey = `${owner.type}/${owner.id}/${key}`;
    const running = this.inFlight.get(flightKey);
    if (running !== undefined) return running;
    const refresh = this.store.oauthGrants.exclusive(owner.type, owner.id, key, () => this.refreshUnderLock(connection, key, rejected)).finally(() => this.inFlight.delete(flightKey));
    this.inFlight.set(flightKey, refresh);
    return refresh;
  }

  /** The access token stored with a refresh token other than `refused`, if one turns up within settleMs. */
  private async rotatedMeanwhile(connection: OAuthConnection, key: string, refused: string): Promise<string | undefined> {
    const { owner } = connection;
    for (const wait of [0, this.settleMs]) {
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const after = await this.store.oauthGrants.get(owner.type, owner.id, key);
      if (after !== undefined && after.refreshToken !== refused && after.refusedAt === undefined && after.accessToken !== undefined) return after.accessToken;
    }
    return undefined;
  }

  /** The stored access token if it can be sent; throws when the grant is missing or refused. */
  private usable(connection: OAuthConnection, stored: StoredGrant | undefined, rejected: string | undefined): string | undefined {
    if (stored === undefined) throw needsReauthorisation(connection.owner, 'not connected yet');
    if (stored.refusedAt !== undefined) throw needsReauthorisation(connection.owner, stored.refusedReason ?? 'the authorization server refused the refresh token');
    if (stored.accessToken === undefined || stored.accessToken === rejected) return undefined;
    if (renewDue(stored, this.now())) return undefined;
    return stored.accessToken;
  }

  private async refreshUnderLock(connection: OAuthConnection, key: string, rejected: string | undefined): Promise<string> {
    const { owner } = connection;
    // Read again under the lock: another process may have refreshed while this one waited.
    const current = await this.store.oauthGrants.get(owner.type, owner.id, key);
    const usable = this.usable(connection, current, rejected);
    if (usable !== undefined) return usable;
    if (current === undefined) throw needsReauthorisation(owner, 'not connected yet');
    let tokens: OAuthTokenSet;
    try {
      tokens = await this.authorizer.refresh(connection.client, current.refreshToken);
    } catch (error) {
      if (!isReauthorisationNeeded(error)) throw error;
      const reason = (error as BridgeError).details.find((detail) => detail.path === GRANT_REFUSED)?.message ?? 'refused';
      // A `sync --once` next to serve on SQLite shares no lock: if the other process rotated the
      // refresh token meanwhile, the stored one is newer than the one that was refused. Its write
      // may still be on the way, so the store is asked again a moment later before giving up.
      const rotated = await this.rotatedMeanwhile(connection, key, current.refreshToken);
      if (rotated !== undefined) return rotated;
      await this.store.oauthGrants.put(owner.type, owner.id, key, { ...current, refusedAt: this.now().toISOString(), refusedReason: reason });
      this.log.warn({ owner: `${owner.type}/${owner.id}`, reason }, 'OAuth2 refresh refused: the grant needs re-authorisation');
      throw needsReauthorisation(owner, reason);
    }
    const next: StoredGrant = { ...current, refreshToken: tokens.refreshToken ?? current.refreshToken, accessToken: tokens.accessToken, refreshedAt: this.now().toISOString() };
    if (tokens.expiresAt !== undefined) next.expiresAt = tokens.expiresAt;
    else delete next.expiresAt;
    if (tokens.scope !== undefined) next.scope = tokens.scope;
    await this.store.oauthGrants.put(owner.type, owner.id, key, next);
    this.log.info({ owner: `${owner.type}/${owner.id}`, rotated: tokens.refreshToken !== undefined && tokens.refreshToken !== current.refreshToken, expiresAt: next.expiresAt }, 'OAuth2 access token refreshed');
    return tokens.accessToken;
  }
}

/** The Connect step's result: a new grant replaces whatever was stored (a refused one too). */
export async function storeNewGrant(store: Store, owner: OAuthOwner, key: string, tokens: OAuthTokenSet, now = new Date()): Promise<void> {
  if (tokens.refreshToken === undefined) {
    throw new BridgeError('AUTH', `the authorization server issued no refresh token for ${ownerName(owner)}: the bridge could sign in only until the access token expires (Google: consent asked with access_type=offline; Microsoft: the offline_access scope)`);
  }
  const grant: StoredGrant = { refreshToken: tokens.refreshToken, accessToken: tokens.accessToken, connectedAt: now.toISOString() };
  if (tokens.expiresAt !== undefined) grant.expiresAt = tokens.expiresAt;
  if (tokens.scope !== undefined) grant.scope = tokens.scope;
  await store.oauthGrants.exclusive(owner.type, owner.id, key, () => store.oauthGrants.put(owner.type, owner.id, key, grant));
}
