// OAuthAuthorizer over openid-client (oauth4webapi underneath): the authorization request with
// PKCE, the code exchange with the RFC 9207 `iss` check, and refresh. Errors become BridgeErrors
// by the OAuth2 error code (RFC 6749 §5.2, §4.1.2.1), never by message text.

import * as client from 'openid-client';
import { BridgeError } from '../../src/domain/errors.js';
import { GRANT_REFUSED, type AuthorizationCallback, type AuthorizationRequest, type OAuthAuthorizer, type OAuthClientSpec, type OAuthTokenSet } from '../../src/ports/oauth.js';
import { fetchTrusting } from '../tls-trust.js';

/** Seconds one token endpoint request may take. */
const TIMEOUT_SECONDS = 30;

function configurationOf(spec: OAuthClientSpec): client.Configuration {
  const server: client.ServerMetadata = {
    issuer: spec.issuer,
    authorization_endpoint: spec.authorizeUrl,
    token_endpoint: spec.tokenUrl,
  };
  // A public client (no secret) authenticates with PKCE alone (RFC 7636; RFC 6749 §2.1).
  const config = spec.clientSecret === undefined ? new client.Configuration(server, spec.clientId, undefined, client.None()) : new client.Configuration(server, spec.clientId, spec.clientSecret, client.ClientSecretPost(spec.clientSecret));
  config.timeout = TIMEOUT_SECONDS;
  // http:// endpoints only as configured (an authorization server on loopback or inside the
  // organisation); openid-client refuses them otherwise.
  if (new URL(spec.tokenUrl).protocol === 'http:' || new URL(spec.authorizeUrl).protocol === 'http:') client.allowInsecureRequests(config);
  if (spec.tlsCa !== undefined) config[client.customFetch] = fetchTrusting(spec.tlsCa) as client.CustomFetch;
  return config;
}

function tokenSetOf(response: client.TokenEndpointResponse, now = Date.now()): OAuthTokenSet {
  const tokens: OAuthTokenSet = { accessToken: response.access_token };
  if (typeof response.refresh_token === 'string' && response.refresh_token !== '') tokens.refreshToken = response.refresh_token;
  if (typeof response.expires_in === 'number') tokens.expiresAt = new Date(now + response.expires_in * 1000).toISOString();
  if (typeof response.scope === 'string') tokens.scope = response.scope;
  return tokens;
}

/** What went wrong at `what`, in our error codes. */
function toBridgeError(error: unknown, what: string, spec: OAuthClientSpec): BridgeError {
  if (error instanceof BridgeError) return error;
  const at = `${what} at ${new URL(spec.tokenUrl).origin}`;
  if (error instanceof client.ResponseBodyError) {
    const said = `${error.error}${error.error_description ? `: ${error.error_description}` : ''}`;
    // RFC 6749 §5.2: invalid_grant is the refresh token or code itself (expired, revoked, used).
    if (error.error === 'invalid_grant') return new BridgeError('AUTH', `${at} refused: ${said}`, { cause: error, details: [{ path: GRANT_REFUSED, message: said }] });
    if (error.error === 'invalid_client' || error.error === 'unauthorized_client' || error.error === 'invalid_scope' || error.error === 'unsupported_grant_type') {
      return new BridgeError('CONFIG', `${at} refused the client registration (clientId/clientSecret/scopes of auth): ${said}`, { cause: error });
    }
    return new BridgeError(error.status >= 500 ? 'TEMPORARY' : 'AUTH', `${at} failed: HTTP ${error.status} ${said}`, { cause: error });
  }
  if (error instanceof client.AuthorizationResponseError) {
    const said = `${error.error}${error.error_description ? `: ${error.error_description}` : ''}`;
    return new BridgeError('AUTH', `the authorization server did not grant access: ${said}`, { cause: error });
  }
  if (error instanceof client.ClientError) {
    return new BridgeError('AUTH', `${at}: the answer failed the client's checks (${error.code ?? 'unknown'}): ${error.message}`, { cause: error });
  }
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return new BridgeError('TEMPORARY', `${at}: no answer within ${TIMEOUT_SECONDS} s`, { cause: error, connectionLost: true });
  }
  const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : error instanceof Error ? `: ${error.message}` : '';
  return new BridgeError('TEMPORARY', `${at}: no answer${cause}`, { cause: error, connectionLost: true });
}

export class OpenIdAuthorizer implements OAuthAuthorizer {
  authorizationUrl(spec: OAuthClientSpec, request: AuthorizationRequest): string {
    return client
      .buildAuthorizationUrl(configurationOf(spec), {
        ...spec.authorizeParams,
        redirect_uri: request.redirectUri,
        scope: spec.scopes.join(' '),
        state: request.state,
        code_challenge: request.codeChallenge,
        code_challenge_method: 'S256',
      })
      .toString();
  }

  async exchangeCode(spec: OAuthClientSpec, callback: AuthorizationCallback): Promise<OAuthTokenSet> {
    try {
      const response = await client.authorizationCodeGrant(configurationOf(spec), new URL(callback.callbackUrl), { pkceCodeVerifier: callback.codeVerifier, expectedState: callback.state }, { redirect_uri: callback.redirectUri });
      return tokenSetOf(response);
    } catch (error) {
      throw toBridgeError(error, 'exchanging the authorization code', spec);
    }
  }

  async refresh(spec: OAuthClientSpec, refreshToken: string): Promise<OAuthTokenSet> {
    try {
      return tokenSetOf(await client.refreshTokenGrant(configurationOf(spec), refreshToken));
    } catch (error) {
      throw toBridgeError(error, 'refreshing the access token', spec);
    }
  }
}
