import { createHash, randomBytes } from 'node:crypto';

/**
 * One authorization request's secrets: the RFC 7636 §4.1 code verifier (32 random octets,
 * base64url: 43 characters), its §4.2 S256 challenge, and the RFC 6749 §10.12 state that ties the
 * callback to the admin session that started it.
 */
export function pkcePair(): { verifier: string; challenge: string; state: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier, 'ascii').digest('base64url'), state: randomBytes(16).toString('base64url') };
}
