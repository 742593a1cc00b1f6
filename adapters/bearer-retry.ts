import { isBridgeError } from '../src/domain/errors.js';
import type { BearerTokens } from '../src/ports/oauth.js';
import { UNTRUSTED_CERTIFICATE } from './network-errors.js';

/**
 * One sign-in with OAuth2 (or with the password when there are no bearer tokens): the current
 * access token first; when the server refuses it (AUTH), the token is reported rejected and the
 * fresh one it yields is tried once. A token may be revoked or expire early on the server's side
 * while its stored expiry still lies ahead, so a refusal is the signal to refresh (RFC 6750 §3.1
 * invalid_token; RFC 7628 §3.2.2 the server's failure reply).
 */
export async function withBearerRetry<T>(bearer: BearerTokens | undefined, attempt: (accessToken: string | undefined) => Promise<T>): Promise<T> {
  if (bearer === undefined) return attempt(undefined);
  const token = await bearer.current();
  try {
    return await attempt(token);
  } catch (error) {
    // A certificate not trusted is AUTH too, but no token was refused: refreshing would not help.
    if (!isBridgeError(error) || error.code !== 'AUTH' || error.details.some((detail) => detail.path === UNTRUSTED_CERTIFICATE)) throw error;
    return attempt(await bearer.rejected(token));
  }
}
