// MailboxConnector over imapflow: one fresh client per connect(), authenticated and with
// CONDSTORE/QRESYNC enabled when offered (RFC 7162 §3.2.3, via ENABLE, RFC 5161).

import type { MailboxConnector, MailboxSession, MailServerSettings } from '../../src/sync/mail-ports.js';
import { createImapClient } from './client.js';
import { toBridgeError } from './parse-imap-error.js';
import { ImapSession } from './session.js';

export class ImapConnector implements MailboxConnector {
  async connect(settings: MailServerSettings): Promise<MailboxSession> {
    // Never reuse a client: imapflow refuses a second connect() (InstanceReused), and a client
    // that was closed keeps stale mailbox state (DESIGN.md principle 7).
    const client = createImapClient(settings, { autoIdle: true });
    // Without a listener an 'error' event (socket reset while idle) throws from the EventEmitter.
    // During connect() imapflow rejects the promise instead; ImapSession keeps its own listener.
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (error) {
      client.close();
      throw toBridgeError(error, `IMAP login to ${settings.host}:${settings.port} as ${settings.username}`, { secrets: [settings.password] });
    }
    return new ImapSession(client, settings);
  }
}
