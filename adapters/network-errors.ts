import { BridgeError } from '../src/domain/errors.js';

/**
 * Node's socket and DNS error codes that mean "the server cannot be reached right now": every
 * adapter maps them to TEMPORARY (try again later), whichever library wrapped them.
 */
export const unreachableCodes: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'EADDRNOTAVAIL',
]);

/**
 * Node/OpenSSL certificate verification failures: retrying will not make the certificate trusted;
 * the configuration (`tls.ca`) or the server's certificate must change.
 */
export const certificateCodes: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** The detail an untrusted certificate's error carries: no credential was refused, so no token refresh helps. */
export const UNTRUSTED_CERTIFICATE = 'tls.certificate';

/**
 * A server certificate the client does not trust is an AUTH-class failure (issue 15): the server
 * could not prove who it is, as a password refused means we could not. Sync stops for the source
 * until someone acts, as for a refused password; the message names the server (in `context`), the
 * OpenSSL reason and the fix.
 */
export function untrustedCertificate(context: string, reason: string, cause: unknown): BridgeError {
  return new BridgeError('AUTH', `${context}: the server's TLS certificate is not trusted (${reason}); name the CA that signed it in tls.ca`, {
    cause,
    details: [{ path: UNTRUSTED_CERTIFICATE, message: reason }],
  });
}
