// What a TLS client trusts: the system's root certificates plus the PEM certificates of the
// connection's `tls.ca` (an organisation's own CA). Node's `ca` option replaces the built-in roots,
// so a server with a public certificate would fail once a private CA is configured; both are given.

import { rootCertificates } from 'node:tls';

/** The `ca` part of Node's TLS options for a connection with `tls.ca` (nothing without one). */
export function withCa(extraPem: string | undefined): { ca?: string[] } {
  return extraPem === undefined ? {} : { ca: [...rootCertificates, extraPem] };
}
