// Plain-JSON connection info for the real test servers. Everything here survives
// JSON.stringify / structured clone, so it can be handed from vitest's global setup to the
// test workers (`inject('servers')`) or written to a file for bench scripts.

export interface Credentials {
  username: string;
  password: string;
}

export interface DovecotInfo {
  host: string;
  /** IMAP without TLS; plaintext LOGIN / AUTHENTICATE PLAIN allowed. */
  imapPort: number;
  /** LMTP for delivery into the mailboxes. */
  lmtpPort: number;
  /** Dovecot passwd-file; append to it (see users.ts) to add users while running. */
  passwdFile: string;
  /** Users' homes (Maildir under <homeRoot>/<username>/Maildir). */
  homeRoot: string;
  /** Account every Dovecot process runs as; files added for Dovecot must belong to it. */
  user: string;
  uid: number;
  gid: number;
  /** Dovecot's own log file (also gets the process's stdout/stderr). */
  logFile: string;
  dataDir: string;
  /** IMAP hierarchy separator of the INBOX namespace. */
  separator: string;
  /** Pre-created users (alice@, bob@, support@, sales@example.com; password `secret`). */
  users: Credentials[];
}

export interface SmtpInfo {
  host: string;
  /** Plain SMTP (no TLS). AUTH PLAIN/LOGIN against Dovecot's users is optional. */
  port: number;
  /** Domains of the Dovecot users at start-up (any recipient without a Dovecot account gets 550). */
  localDomains: string[];
  /** Protocol and delivery log of the in-process SMTP server. */
  logFile: string;
  dataDir: string;
}

export interface RadicaleInfo {
  host: string;
  port: number;
  /** Server root, e.g. http://127.0.0.1:PORT/ ; a user's home is `${url}${username}/`. */
  url: string;
  /** htpasswd file (plain passwords); append to it (see users.ts) to add users. */
  htpasswdFile: string;
  logFile: string;
  dataDir: string;
  /** Pre-created users (alice, bob; password `secret`). */
  users: Credentials[];
}

export interface XandikosInfo {
  host: string;
  port: number;
  /** Server root, e.g. http://127.0.0.1:PORT/ */
  url: string;
  /** Current-user principal (the only user; Xandikos has no authentication). */
  principalUrl: string;
  /** calendar-home-set of the principal. */
  calendarHomeUrl: string;
  /** addressbook-home-set of the principal. */
  addressbookHomeUrl: string;
  /** The calendar created by --defaults. */
  calendarUrl: string;
  /** The address book created by --defaults. */
  addressbookUrl: string;
  logFile: string;
  dataDir: string;
}

export interface SabreInfo {
  host: string;
  port: number;
  /** Server root, e.g. http://127.0.0.1:PORT/ ; principals at `principals/<user>/`, homes at `calendars/<user>/` and `addressbooks/<user>/`. */
  url: string;
  /** sabre/dav's SQLite database; add users with addSabreUser (sabre.ts). */
  dbFile: string;
  logFile: string;
  dataDir: string;
  /** Pre-created users (alice, bob; password `secret`). */
  users: Credentials[];
}

export interface CyrusInfo {
  host: string;
  /** IMAP without TLS; plaintext LOGIN / AUTHENTICATE PLAIN allowed. */
  imapPort: number;
  /** Implicit TLS (RFC 8314) with a certificate signed by the run's own CA (`caPem`); imapPort offers STARTTLS too. */
  imapsPort: number;
  /** The CA certificate that signed the server's (what a client's `tls.ca` names). */
  caPem: string;
  /** Cyrus httpd: CalDAV and CardDAV below `${url}dav/`. */
  httpPort: number;
  url: string;
  /** Hierarchy separator of the `INBOX.` namespace. */
  separator: string;
  logFile: string;
  /** Holds imapd.conf, the SASL password database (sasldb2) and the spool; add users with createCyrusUser (cyrus.ts). */
  dataDir: string;
  /** Pre-created users (alice, bob; password `secret`). */
  users: Credentials[];
}

export interface CourierInfo {
  host: string;
  /** IMAP without TLS; plaintext LOGIN allowed. */
  imapPort: number;
  /** Hierarchy separator of the `INBOX.` namespace. */
  separator: string;
  logFile: string;
  /** Holds the userdb, the users' Maildirs and the namespace script; add users with createCourierUser (courier.ts). */
  dataDir: string;
  /** Pre-created users (alice, bob; password `secret`). */
  users: Credentials[];
}

export interface TestServers {
  dovecot: DovecotInfo;
  smtp: SmtpInfo;
  radicale: RadicaleInfo;
  xandikos: XandikosInfo;
  /** sabre/dav 1.8: CalDAV/CardDAV without sync-collection (issue 15). */
  sabre: SabreInfo;
  /** Cyrus IMAP 3: IMAP, CalDAV, CardDAV (issue 15). */
  cyrus: CyrusInfo;
  /** Courier IMAP 5: IMAP without CONDSTORE, QRESYNC, MOVE or SPECIAL-USE (issue 15). */
  courier: CourierInfo;
}
