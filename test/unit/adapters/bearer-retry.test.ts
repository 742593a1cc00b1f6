// One sign-in with bearer tokens (adapters/bearer-retry.ts): a refused token is reported and the
// fresh one tried once; a certificate the client does not trust is AUTH too, but refreshing the
// token would not help, so no refresh is asked for.
import { describe, expect, it } from 'vitest';
import { withBearerRetry } from '../../../adapters/bearer-retry.js';
import { untrustedCertificate } from '../../../adapters/network-errors.js';
import { BridgeError } from '../../../src/domain/errors.js';
import type { BearerTokens } from '../../../src/ports/oauth.js';

function tokens(): BearerTokens & { refused: string[] } {
  let n = 1;
  const refused: string[] = [];
  return {
    refused,
    current: () => Promise.resolve(`token-${n}`),
    rejected: (token) => {
      refused.push(token);
      n += 1;
      return Promise.resolve(`token-${n}`);
    },
  };
}

describe('withBearerRetry', () => {
  it('tries the fresh token once after a refusal, and gives up after the second', async () => {
    const bearer = tokens();
    const tried: (string | undefined)[] = [];
    const result = await withBearerRetry(bearer, (token) => {
      tried.push(token);
      if (token === 'token-1') return Promise.reject(new BridgeError('AUTH', 'login rejected'));
      return Promise.resolve('signed in');
    });
    expect(result).toBe('signed in');
    expect(tried).toEqual(['token-1', 'token-2']);
    expect(bearer.refused).toEqual(['token-1']);

    const always = tokens();
    await expect(withBearerRetry(always, () => Promise.reject(new BridgeError('AUTH', 'login rejected')))).rejects.toMatchObject({ code: 'AUTH' });
    expect(always.refused).toEqual(['token-1']);
  });

  it('does not refresh for an untrusted certificate or any other error', async () => {
    for (const error of [untrustedCertificate('IMAP login to 127.0.0.1:993 failed', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', undefined), new BridgeError('TEMPORARY', 'unreachable')]) {
      const bearer = tokens();
      let attempts = 0;
      await expect(withBearerRetry(bearer, () => {
        attempts += 1;
        return Promise.reject(error);
      })).rejects.toBe(error);
      expect(attempts).toBe(1);
      expect(bearer.refused).toEqual([]);
    }
  });

  it('passes no token when the connection signs in with a password', async () => {
    expect(await withBearerRetry(undefined, (token) => Promise.resolve(token))).toBeUndefined();
  });
});
