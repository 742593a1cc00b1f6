import { readFileSync } from 'node:fs';
import { BridgeError } from '../domain/errors.js';
import { oauthClientSpec, type ConnectionKind } from '../oauth/providers.js';
import type { DavServerSettings } from '../ports/dav.js';
import type { MailServerSettings } from '../ports/mail.js';
import type { OAuthConnection, OAuthOwner } from '../ports/oauth.js';
import type { DavServerConfig, MailServerConfig } from './schema.js';

/** Whose connection of which kind: an OAuth2 connection signs in with that owner's grant. */
export interface ConnectionOf extends OAuthOwner {
  kind: ConnectionKind;
}

/**
 * The connection settings of a configured IMAP or SMTP server, as the mail ports take them. The
 * `tls.ca` file is read each time, so a renewed CA certificate is used from the next connection on.
 */
export function serverSettings(server: MailServerConfig, of?: ConnectionOf): MailServerSettings {
  const settings: MailServerSettings = {
    host: server.host,
    port: server.port,
    security: server.security,
    username: server.username,
    password: server.password ?? '',
    allowInsecureTls: server.allowInsecureTls || server.tls?.rejectUnauthorized === false,
  };
  const ca = server.tls?.ca;
  if (ca !== undefined) settings.tlsCa = readCaFile(ca, `${server.host}:${server.port}`);
  const oauth = oauthOf(server, of, settings.tlsCa);
  if (oauth !== undefined) settings.oauth = oauth;
  return settings;
}

/** The connection settings of a configured CalDAV or CardDAV server; `tls.ca` read as for mail. */
export function davSettings(server: DavServerConfig, of?: ConnectionOf, extra: Pick<DavServerSettings, 'timeoutMs' | 'maxResponseBytes'> = {}): DavServerSettings {
  const settings: DavServerSettings = { url: server.url, username: server.username, password: server.password ?? '', ...extra };
  const ca = server.tls?.ca;
  if (ca !== undefined) settings.tlsCa = readCaFile(ca, server.url);
  const oauth = oauthOf(server, of, settings.tlsCa);
  if (oauth !== undefined) settings.oauth = oauth;
  return settings;
}

/**
 * The token endpoint is trusted with the connection's own CA too: an organisation that runs its
 * mail server under its own CA usually runs its authorization server under it as well.
 */
function oauthOf(server: MailServerConfig | DavServerConfig, of: ConnectionOf | undefined, tlsCa: string | undefined): OAuthConnection | undefined {
  if (server.auth?.type !== 'oauth2') return undefined;
  if (of === undefined) throw new BridgeError('INTERNAL', 'an OAuth2 connection was used without naming whose grant it signs in with');
  const client = oauthClientSpec(server.auth, of.kind);
  if (tlsCa !== undefined) client.tlsCa = tlsCa;
  return { owner: { type: of.type, id: of.id }, client };
}

function readCaFile(path: string, server: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new BridgeError('CONFIG', `cannot read the CA certificates ${path} (tls.ca) for ${server}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}
