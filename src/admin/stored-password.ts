/**
 * When an admin UI form may fall back to a connection's stored password (pure).
 *
 * Passwords are never sent back to the browser, so an empty password field means "keep the stored
 * one". That must not let an admin, who cannot read the password, send it somewhere else: change
 * the host to a server of their own, press "Test connection" (or Save and wait for the sync), and
 * read the password off the wire. So the stored password is reused only while the connection
 * still names the destination and account it was saved for:
 * - IMAP/SMTP: the same host (case-insensitive), port, security mode and user name, and
 *   `allowInsecureTls` not newly switched on and no other CA file trusted (either would let a man
 *   in the middle read it);
 * - CalDAV/CardDAV: the same URL origin (scheme, host and port; another path on the same server
 *   is fine), user name and no other CA file trusted.
 * Anything else needs the password typed again.
 */
type Mapping = Record<string, unknown>;

export type StoredPasswordKind = 'imap' | 'smtp' | 'caldav' | 'carddav';

const isMapping = (value: unknown): value is Mapping => typeof value === 'object' && value !== null && !Array.isArray(value);
const textOf = (value: unknown): string => (typeof value === 'string' ? value.trim() : typeof value === 'number' ? String(value) : '');
const isOn = (value: unknown): boolean => value === true || value === 'true' || value === 'on';

function originOf(url: unknown): string | undefined {
  try {
    return new URL(textOf(url)).origin;
  } catch {
    return undefined;
  }
}

/** What differs between the connection as typed and as stored, in the words of the form; [] when the stored password may be reused. */
export function destinationChanges(kind: StoredPasswordKind, typed: Mapping, stored: Mapping): string[] {
  const changed: string[] = [];
  if (kind === 'imap' || kind === 'smtp') {
    if (textOf(typed['host']).toLowerCase() !== textOf(stored['host']).toLowerCase()) changed.push('host');
    if (Number(textOf(typed['port'])) !== Number(textOf(stored['port']))) changed.push('port');
    if ((textOf(typed['security']) || 'tls') !== (textOf(stored['security']) || 'tls')) changed.push('security');
    if (isOn(typed['allowInsecureTls']) && !isOn(stored['allowInsecureTls'])) changed.push('self-signed certificates');
  } else {
    const typedOrigin = originOf(typed['url']);
    if (typedOrigin === undefined || typedOrigin !== originOf(stored['url'])) changed.push('server (URL scheme, host or port)');
  }
  const caOf = (connection: Mapping) => (isMapping(connection['tls']) ? textOf(connection['tls']['ca']) : '');
  if (caOf(typed) !== '' && caOf(typed) !== caOf(stored)) changed.push('trusted CA certificates');
  if (textOf(typed['username']) !== textOf(stored['username'])) changed.push('user name');
  return changed;
}

/** `host`, `host and port`, `host, port and user name`. */
function inWords(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/**
 * The password a connection gets from its form: the typed one, else the stored one when the
 * destination is unchanged; otherwise none, with the message the form shows.
 */
export function passwordFor(kind: StoredPasswordKind, typed: Mapping, typedPassword: string | undefined, previous: unknown): { password: string; refusal?: string } {
  if (typedPassword) return { password: typedPassword };
  const stored = isMapping(previous) ? previous : {};
  const storedPassword = typeof stored['password'] === 'string' ? stored['password'] : '';
  if (storedPassword === '') return { password: '' };
  const changes = destinationChanges(kind, typed, stored);
  if (changes.length === 0) return { password: storedPassword };
  return {
    password: '',
    refusal: `the ${inWords(changes)} changed: type the password again (a stored password is only sent to the server and account it was saved for)`,
  };
}

/**
 * The OAuth2 client secret a connection gets from its form, by the same rule as passwords: the
 * typed one, else the stored one while the connection still names the client and token endpoint it
 * was saved for (the secret is sent to the token URL; another URL could be an admin's own server).
 */
export function clientSecretFor(typed: Mapping, typedSecret: string | undefined, previous: unknown): { secret: string; refusal?: string } {
  if (typedSecret) return { secret: typedSecret };
  const stored = isMapping(previous) && isMapping(previous['auth']) ? previous['auth'] : {};
  const storedSecret = textOf(stored['clientSecret']);
  if (storedSecret === '') return { secret: '' };
  const changes: string[] = [];
  if (textOf(typed['provider']) !== textOf(stored['provider'])) changes.push('provider');
  if (textOf(typed['tokenUrl']) !== textOf(stored['tokenUrl'])) changes.push('token URL');
  if (textOf(typed['clientId']) !== textOf(stored['clientId'])) changes.push('client id');
  if (changes.length === 0) return { secret: storedSecret };
  return { secret: '', refusal: `the ${inWords(changes)} changed: type the client secret again (a stored secret is only sent to the token endpoint it was saved for)` };
}
