/**
 * What autodiscovery needs of the network (adapters/discovery): DNS SRV and TXT records, Mozilla
 * autoconfig documents and a look at an RFC 6764 well-known URI. The proposal logic
 * (src/discovery/discover.ts) never sees a socket.
 */

export interface SrvTarget {
  /** Target host without the trailing dot; `.` when the service is explicitly not offered (RFC 2782). */
  host: string;
  port: number;
  priority: number;
  weight: number;
}

export type MailSecurity = 'none' | 'starttls' | 'tls';

/** One server of an autoconfig document (Thunderbird's config-v1.1.xml). */
export interface AutoconfigServer {
  protocol: 'imap' | 'smtp';
  host: string;
  port: number;
  security: MailSecurity;
  /** The document's username, placeholders (%EMAILADDRESS%, %EMAILLOCALPART%) not yet filled in. */
  username: string | null;
}

export interface DiscoveryLookup {
  /** The SRV records of `name`; empty when there are none. */
  srv(name: string): Promise<SrvTarget[]>;
  /** The TXT records of `name`, each joined; empty when there are none. */
  txt(name: string): Promise<string[]>;
  /** The IMAP and SMTP servers of the autoconfig document at `url`, or null when there is none (or it is no such document). */
  autoconfig(url: string): Promise<AutoconfigServer[] | null>;
  /** Whether something answers at a well-known URI without credentials (a redirect, 401 or 207): the URL to use, or null. */
  wellKnown(url: string): Promise<string | null>;
}
