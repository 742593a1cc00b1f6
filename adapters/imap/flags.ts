// Message flags: validation of what we send, PERMANENTFLAGS checks, and the flag list we report.

import { BridgeError } from '../../src/domain/errors.js';

/** RFC 3501 §2.3.2 system flags a client may set. `\Recent` is server-managed and never stored. */
const SYSTEM_FLAGS = new Map(['\\Answered', '\\Flagged', '\\Deleted', '\\Seen', '\\Draft'].map((flag) => [flag.toLowerCase(), flag]));

// RFC 3501 §9: flag-keyword = atom; ATOM-CHAR excludes CTL, SP, "(", ")", "{", "%", "*", DQUOTE,
// "\" and "]"; CHAR is 7-bit. Rejecting anything else also keeps flags from injecting syntax.
const KEYWORD_RE = /^[\x21\x23-\x24\x26-\x27\x2b-\x5b\x5e-\x7a\x7c-\x7e]+$/;

/** Validated flags as they go on the wire (system flags in their canonical spelling). */
export function validateFlags(flags: readonly string[], what: string): string[] {
  return flags.map((flag) => {
    if (flag.startsWith('\\')) {
      const system = SYSTEM_FLAGS.get(flag.toLowerCase());
      if (system === undefined) throw new BridgeError('INVALID_INPUT', `${what}: ${JSON.stringify(flag)} is not a flag a client may set (RFC 3501 §2.3.2)`);
      return system;
    }
    if (!KEYWORD_RE.test(flag)) throw new BridgeError('INVALID_INPUT', `${what}: ${JSON.stringify(flag)} is not a valid IMAP keyword (RFC 3501 §9 atom)`);
    return flag;
  });
}

/**
 * Whether a flag can be stored permanently in a folder (RFC 3501 §7.1 PERMANENTFLAGS): listed, or
 * `\*` (any new keyword). No PERMANENTFLAGS at all means every flag is permanent. A read-only
 * selection stores nothing. Flags compare case-insensitively (RFC 9051 §2.3.2).
 */
export function canStoreFlag(permanentFlags: ReadonlySet<string> | undefined, readOnly: boolean, flag: string): boolean {
  if (readOnly) return false;
  if (permanentFlags === undefined) return true;
  const wanted = flag.toLowerCase();
  for (const permanent of permanentFlags) {
    const p = permanent.toLowerCase();
    if (p === wanted || (p === '\\*' && !flag.startsWith('\\'))) return true;
  }
  return false;
}

/**
 * The flags of a message as reported: `\Recent` is left out because it is a per-session marker
 * (RFC 3501 §2.3.2, gone in RFC 9051) and would make the same message look changed between sessions.
 */
export function reportedFlags(flags: ReadonlySet<string> | undefined): string[] {
  return [...(flags ?? [])].filter((flag) => flag.toLowerCase() !== '\\recent');
}
