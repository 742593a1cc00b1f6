// Types for ensure-packages.mjs (plain JS so that it runs before anything is compiled).

export interface ServerBinaries {
  dovecot?: string;
  imap?: string;
  lmtp?: string;
  radicale?: { command: string; args: string[] };
  xandikos?: string;
  chromium?: string;
  /** A python3 that can import icalendar. */
  icalendarPython?: string;
  /** The directory holding PostgreSQL's initdb and postgres. */
  postgresBin?: string;
  /** The PHP command line that serves sabre/dav (with its SQLite PDO driver and php-sabre-dav). */
  php?: string;
  /** saslpasswd2 (sasl2-bin): the Cyrus test users' password database. */
  saslpasswd?: string;
  /** Cyrus IMAP unpacked into a private prefix: its binaries and its own shared libraries. */
  cyrus?: { bin: string; lib: string };
  /** Courier IMAP unpacked into a private prefix: the programs it runs, authdaemond's module directory and its library path. */
  courier?: { couriertcpd: string; imaplogin: string; imapd: string; authdaemond: string; makedatprog: string; authModules: string; lib: string };
}

export interface PackageCheck {
  ok: boolean;
  /** Human-readable descriptions of what is missing. */
  missing: string[];
  /** Debian packages that would provide what is missing. */
  missingPackages: string[];
  binaries: ServerBinaries;
}

export declare const DEBIAN_PACKAGES: readonly string[];
export declare const CYRUS_DEBS: readonly string[];
/** Where the Cyrus packages are unpacked. */
export declare function cyrusPrefix(): string;
export declare const COURIER_DEBS: readonly string[];
/** Where the Courier packages are unpacked. */
export declare function courierPrefix(): string;
export declare const INSTALL_COMMAND: string;
export declare function checkServerPackages(): PackageCheck;
export declare function describeMissing(result: PackageCheck): string;
/** Throws an Error naming what is missing and how to install it. */
export declare function assertServerPackages(): Required<ServerBinaries>;
/** The CLI behaviour; returns the exit code. */
export declare function ensureServerPackages(): number;
