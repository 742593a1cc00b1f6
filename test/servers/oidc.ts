// A real OAuth2/OIDC authorization server for the OAuth2 tests: the `oidc-provider` package
// (the certified OpenID provider for Node) on a free loopback port, in this process. Its
// development login and consent pages stand in for Google's or Microsoft's (any login name is
// accepted; the account id is that name). It issues opaque access tokens, which resource servers
// (Dovecot's oauth2 passdb, the test SMTP server, the sabre/dav bearer backend) check at its
// RFC 7662 introspection endpoint, and refresh tokens, rotated on every use when asked to.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider, { type Adapter, type AdapterPayload, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { LOOPBACK } from './util.js';

export interface OidcClient {
  clientId: string;
  clientSecret: string;
}

export interface OidcServer {
  /** Issuer = origin (no path), so the bridge's default issuer (the token URL's origin) matches. */
  issuer: string;
  authorizeUrl: string;
  tokenUrl: string;
  introspectionUrl: string;
  /** The client the bridge is registered as. */
  bridge: OidcClient;
  /** The resource servers' client, allowed to introspect every token. */
  resourceServer: OidcClient;
  /** Token endpoint grants handled so far, by grant_type (authorization_code, refresh_token). */
  grants: Map<string, number>;
  /** Refresh-token grants refused (invalid_grant) so far. */
  refusedRefreshes: number;
  /** Revoke every token issued to this account (the user withdrew the app's access). */
  revokeAccount(accountId: string): Promise<void>;
  /** Invalidate the account's access tokens only; refresh tokens keep working (early expiry on the server's side). */
  expireAccessTokens(accountId: string): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOidcOptions {
  /** The bridge's redirect URI (its publicUrl + /admin/oauth/callback). */
  redirectUri: string;
  /** Access token lifetime in seconds (default 3600). */
  accessTokenSeconds?: number;
  /** Issue a new refresh token on every refresh (RFC 9700 §4.14.2; default true). */
  rotateRefreshTokens?: boolean;
  scopes?: string[];
}

/** A Map-backed storage that, unlike the package's memory adapter, can be searched by account. */
class Storage {
  readonly entries = new Map<string, { model: string; payload: AdapterPayload; expiresAt: number }>();

  adapterFor(model: string): Adapter {
    const key = (id: string) => `${model}:${id}`;
    const live = (id: string) => {
      const entry = this.entries.get(key(id));
      if (entry === undefined || entry.expiresAt < Date.now()) return undefined;
      return entry.payload;
    };
    return {
      upsert: async (id, payload, expiresIn) => void this.entries.set(key(id), { model, payload, expiresAt: typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : Infinity }),
      find: async (id) => live(id),
      findByUid: async (uid) => [...this.entries.values()].find((entry) => entry.model === model && entry.payload.uid === uid)?.payload,
      findByUserCode: async (code) => [...this.entries.values()].find((entry) => entry.model === model && entry.payload.userCode === code)?.payload,
      consume: async (id) => {
        const payload = live(id);
        if (payload !== undefined) payload.consumed = Math.floor(Date.now() / 1000);
      },
      destroy: async (id) => void this.entries.delete(key(id)),
      revokeByGrantId: async (grantId) => {
        for (const [name, entry] of this.entries) if (entry.payload.grantId === grantId) this.entries.delete(name);
      },
    };
  }

  removeWhere(models: readonly string[], accountId: string): void {
    for (const [name, entry] of this.entries) if (models.includes(entry.model) && entry.payload.accountId === accountId) this.entries.delete(name);
  }
}

export async function startOidc(options: StartOidcOptions): Promise<OidcServer> {
  const storage = new Storage();
  const http: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(0, LOOPBACK, () => resolve());
  });
  const issuer = `http://${LOOPBACK}:${(http.address() as AddressInfo).port}`;
  const bridge = { clientId: 'crm-bridge', clientSecret: 'bridge-client-secret-4471' };
  const resourceServer = { clientId: 'mail-server', clientSecret: 'mail-server-secret-9902' };
  const scopes = options.scopes ?? ['mail', 'calendar', 'contacts'];
  const configuration: Configuration = {
    adapter: (model: string) => storage.adapterFor(model),
    clients: [
      { client_id: bridge.clientId, client_secret: bridge.clientSecret, redirect_uris: [options.redirectUri], grant_types: ['authorization_code', 'refresh_token'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post' },
      { client_id: resourceServer.clientId, client_secret: resourceServer.clientSecret, redirect_uris: [], grant_types: [], response_types: [], token_endpoint_auth_method: 'client_secret_basic' },
    ],
    scopes: ['openid', 'offline_access', ...scopes],
    findAccount: async (_ctx, id) => ({ accountId: id, claims: async () => ({ sub: id, email: id }) }),
    features: {
      devInteractions: { enabled: true },
      introspection: { enabled: true, allowedPolicy: async () => true },
      revocation: { enabled: true, allowedPolicy: async () => true },
    },
    // The bridge asks for access once and keeps signing in for months: always a refresh token.
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: () => options.rotateRefreshTokens ?? true,
    ttl: { AccessToken: options.accessTokenSeconds ?? 3600, RefreshToken: 30 * 86_400, Grant: 30 * 86_400, Session: 86_400, Interaction: 3600, AuthorizationCode: 60 },
    cookies: { keys: ['oidc-test-cookie-key-0123456789'] },
    pkce: { required: () => true },
  };
  const provider = new Provider(issuer, configuration);
  const grants = new Map<string, number>();
  const server: OidcServer = {
    issuer,
    authorizeUrl: `${issuer}/auth`,
    tokenUrl: `${issuer}/token`,
    introspectionUrl: `${issuer}/token/introspection`,
    bridge,
    resourceServer,
    grants,
    refusedRefreshes: 0,
    revokeAccount: async (accountId) => storage.removeWhere(['AccessToken', 'RefreshToken', 'Grant', 'AuthorizationCode'], accountId),
    expireAccessTokens: async (accountId) => storage.removeWhere(['AccessToken'], accountId),
    stop: () => new Promise<void>((resolve) => http.close(() => resolve())),
  };
  provider.on('grant.success', (ctx: KoaContextWithOIDC) => {
    const type = String(ctx.oidc.params?.['grant_type'] ?? 'unknown');
    grants.set(type, (grants.get(type) ?? 0) + 1);
  });
  provider.on('grant.error', (ctx: KoaContextWithOIDC) => {
    if (ctx.oidc.params?.['grant_type'] === 'refresh_token') server.refusedRefreshes += 1;
  });
  http.on('request', provider.callback());
  return server;
}
