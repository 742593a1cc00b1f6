// MailboxConnector over imapflow: one fresh client per connect(), authenticated and with
// CONDSTORE/QRESYNC enabled when offered (RFC 7162 §3.2.3, via ENABLE, RFC 5161). The login and
// every later call are bounded by an overall deadline (command-deadline.ts).

import type { MailboxConnector, MailboxSession, MailServerSettings } from '../../src/ports/mail.js';
import { withBearerRetry } from '../bearer-retry.js';
import { withDeadline } from '../deadline.js';
import { createImapClient, describeAccount, secretsOf } from './client.js';
import { COMMAND_TIMEOUT_KEY, DEFAULT_COMMAND_TIMEOUT_MS, withCommandDeadline } from './command-deadline.js';
import { toBridgeError } from './parse-imap-error.js';
import { ImapSession } from './session.js';

export class ImapConnector implements MailboxConnector {
  connect(settings: MailServerSettings, abort?: AbortSignal): Promise<MailboxSession> {
    return withBearerRetry(settings.bearer, (accessToken) => this.connectOnce(settings, accessToken, abort));
  }

  private async connectOnce(settings: MailServerSettings, accessToken: string | undefined, abort?: AbortSignal): Promise<MailboxSession> {
    // Never reuse a client: imapflow refuses a second connect() (InstanceReused), and a client
    // that was closed keeps stale mailbox state (DESIGN.md principle 7).
    const client = createImapClient(settings, { autoIdle: true }, accessToken);
    // Without a listener an 'error' event (socket reset while idle) throws from the EventEmitter.
    // During connect() imapflow rejects the promise instead; ImapSession keeps its own listener.
    client.on('error', () => undefined);
    const timeoutMs = settings.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    const context = `IMAP login to ${settings.host}:${settings.port} as ${settings.username}`;
    try {
      // The greeting timeout ends once the greeting line is in; CAPABILITY, STARTTLS, LOGIN and
      // ENABLE after it would only be bounded by the socket inactivity timer.
      await withDeadline(client.connect(), { timeoutMs, abort, onExpire: () => client.close(), what: context, key: COMMAND_TIMEOUT_KEY });
    } catch (error) {
      client.close();
      throw toBridgeError(error, context, { secrets: secretsOf(settings, accessToken) });
    }
    // The pass deadline closes the connection at once, between calls too (e.g. while the engine
    // writes to the store); the next call then fails TEMPORARY.
    if (abort) {
      const onAbort = () => client.close();
      abort.addEventListener('abort', onAbort, { once: true });
      client.once('close', () => abort.removeEventListener('abort', onAbort));
    }
    return withCommandDeadline(new ImapSession(client, settings, accessToken), client, { timeoutMs, abort, account: describeAccount(settings) });
  }
}
