import type { MailServerSettings } from '../ports/mail.js';
import type { MailServerConfig } from './schema.js';

/** The connection settings of a configured IMAP or SMTP server, as the mail ports take them. */
export function serverSettings(server: MailServerConfig): MailServerSettings {
  return { host: server.host, port: server.port, security: server.security, username: server.username, password: server.password, allowInsecureTls: server.allowInsecureTls };
}
