// What a TLS client trusts: the system's root certificates plus the PEM certificates of the
// connection's `tls.ca` (an organisation's own CA). Node's `ca` option replaces the built-in roots,
// so a server with a public certificate would fail once a private CA is configured; both are given.

import { rootCertificates } from 'node:tls';
import { Agent, fetch as undiciFetch } from 'undici';

function trusted(extraPem: string): string[] {
  return [...rootCertificates, extraPem];
}

/** The `ca` part of Node's TLS options for a connection with `tls.ca` (nothing without one). */
export function withCa(extraPem: string | undefined): { ca?: string[] } {
  return extraPem === undefined ? {} : { ca: trusted(extraPem) };
}

/** One connection pool per CA text: sessions of every pass share it instead of opening their own. */
const pools = new Map<string, Agent>();

/**
 * A fetch that trusts `extraPem` besides the system's roots. Node's global fetch takes a CA only
 * through a dispatcher of its own bundled undici, whose version follows Node's; so the undici
 * package's own fetch and Agent are used together (undici is Node's HTTP client, the same code).
 */
export function fetchTrusting(extraPem: string): typeof fetch {
  let pool = pools.get(extraPem);
  if (pool === undefined) {
    pool = new Agent({ connect: { ca: trusted(extraPem) } });
    pools.set(extraPem, pool);
  }
  const dispatcher = pool;
  return ((input: string | URL, init?: RequestInit) => undiciFetch(input, { ...(init as object), dispatcher } as Parameters<typeof undiciFetch>[1])) as unknown as typeof fetch;
}
