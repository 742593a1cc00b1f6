/**
 * OAuth2 (RFC 6749) as the bridge sees it: the authorization server of one connection and the
 * token endpoint calls. adapters/oauth implements it with openid-client; nothing else sees HTTP.
 */

/** Everything needed to talk to one client registration at one authorization server. */
export interface OAuthClientSpec {
  provider: 'google' | 'microsoft' | 'custom';
  clientId: string;
  /** Absent for a public client, which proves itself with PKCE alone (RFC 7636). */
  clientSecret?: string;
  authorizeUrl: string;
  tokenUrl: string;
  /** RFC 8414 §2 issuer identifier; the authorization response's `iss` must equal it (RFC 9207). */
  issuer: string;
  /** Scopes asked for at the Connect step (all connections of the owner that share this client). */
  scopes: string[];
  /** Provider-specific authorization request parameters (Google: access_type=offline, prompt=consent). */
  authorizeParams: Record<string, string>;
  /** PEM certificates trusted for the token endpoint besides the system's roots. */
  tlsCa?: string;
}

/** What a token endpoint answered (RFC 6749 §5.1). */
export interface OAuthTokenSet {
  accessToken: string;
  /** Absent when the server keeps the old one (no rotation). */
  refreshToken?: string;
  /** ISO time the access token expires; absent when the server did not say (`expires_in`). */
  expiresAt?: string;
  scope?: string;
}

export interface AuthorizationRequest {
  redirectUri: string;
  state: string;
  /** RFC 7636 §4.2 S256 challenge of the verifier kept for the callback. */
  codeChallenge: string;
}

export interface AuthorizationCallback {
  /** The full URL the browser came back to (code, state, iss, or error). */
  callbackUrl: string;
  redirectUri: string;
  state: string;
  codeVerifier: string;
}

export interface OAuthAuthorizer {
  /** The URL the admin's browser is sent to for the user's consent. */
  authorizationUrl(spec: OAuthClientSpec, request: AuthorizationRequest): string;
  /** Code for tokens (RFC 6749 §4.1.3). AUTH when the server refused the code or the user declined. */
  exchangeCode(spec: OAuthClientSpec, callback: AuthorizationCallback): Promise<OAuthTokenSet>;
  /**
   * A new access token for the refresh token (RFC 6749 §6). A refusal of the grant itself
   * (`invalid_grant`: revoked, expired, rotated away) is an AUTH BridgeError with `refused`
   * in its details; a wrong client registration is CONFIG; no answer is TEMPORARY.
   */
  refresh(spec: OAuthClientSpec, refreshToken: string): Promise<OAuthTokenSet>;
}

/** The detail path an AUTH error of `refresh` carries when the grant itself was refused. */
export const GRANT_REFUSED = 'oauth2.grant';

/** Whose grant a connection signs in with. */
export interface OAuthOwner {
  type: 'user' | 'shared-mailbox';
  id: string;
}

/** The OAuth2 side of one connection's settings: the runtime turns it into an access token. */
export interface OAuthConnection {
  owner: OAuthOwner;
  client: OAuthClientSpec;
}

/**
 * The access tokens of one connection. An adapter asks `current` before it signs in (or sends a
 * DAV request); when the server refuses that token it asks `rejected` once and tries once more
 * with what it gets, never more (a refused fresh token is a real AUTH failure).
 */
export interface BearerTokens {
  current(): Promise<string>;
  rejected(token: string): Promise<string>;
}
