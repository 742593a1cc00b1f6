import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { BridgeError } from '../domain/errors.js';

export interface ApiToken {
  name: string;
  token: string;
}

/**
 * Bearer-token authentication for every /api route. Tokens are compared as SHA-256 digests in
 * constant time, so neither the length nor a prefix of a token leaks through timing.
 */
export function tokenMatcher(tokens: readonly ApiToken[]): (presented: string) => string | undefined {
  const digests = tokens.map((token) => ({ name: token.name, digest: createHash('sha256').update(token.token).digest() }));
  return (presented) => {
    const digest = createHash('sha256').update(presented).digest();
    let found: string | undefined;
    for (const candidate of digests) if (timingSafeEqual(candidate.digest, digest)) found = candidate.name;
    return found;
  };
}

export function bearerFrom(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return match?.[1];
}

export function requireApiToken(match: (presented: string) => string | undefined): RequestHandler {
  return (req, res, next) => {
    const presented = bearerFrom(req.headers.authorization);
    if (!presented) return next(new BridgeError('UNAUTHORIZED', 'missing bearer token: send Authorization: Bearer <token>'));
    const name = match(presented);
    if (!name) return next(new BridgeError('UNAUTHORIZED', 'invalid bearer token'));
    res.locals['tokenName'] = name;
    next();
  };
}
