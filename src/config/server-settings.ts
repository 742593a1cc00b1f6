import { readFileSync } from 'node:fs';
import { BridgeError } from '../domain/errors.js';
import type { DavServerSettings } from '../ports/dav.js';
import type { MailServerSettings } from '../ports/mail.js';
import type { DavServerConfig, MailServerConfig } from './schema.js';

/**
 * The connection settings of a configured IMAP or SMTP server, as the mail ports take them. The
 * `tls.ca` file is read each time, so a renewed CA certificate is used from the next connection on.
 */
export function serverSettings(server: MailServerConfig): MailServerSettings {
  const settings: MailServerSettings = {
    host: server.host,
    port: server.port,
    security: server.security,
    username: server.username,
    password: server.password,
    allowInsecureTls: server.allowInsecureTls || server.tls?.rejectUnauthorized === false,
  };
  const ca = server.tls?.ca;
  if (ca !== undefined) settings.tlsCa = readCaFile(ca, `${server.host}:${server.port}`);
  return settings;
}

/** The connection settings of a configured CalDAV or CardDAV server; `tls.ca` read as for mail. */
export function davSettings(server: DavServerConfig, extra: Pick<DavServerSettings, 'timeoutMs' | 'maxResponseBytes'> = {}): DavServerSettings {
  const settings: DavServerSettings = { url: server.url, username: server.username, password: server.password, ...extra };
  const ca = server.tls?.ca;
  if (ca !== undefined) settings.tlsCa = readCaFile(ca, server.url);
  return settings;
}

function readCaFile(path: string, server: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new BridgeError('CONFIG', `cannot read the CA certificates ${path} (tls.ca) for ${server}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}
