// An overall deadline on every call of an IMAP session (sync.commandTimeoutSeconds) and the
// source's pass deadline (`abort`). imapflow's socketTimeout is an inactivity timer: a server that
// answers one byte every few seconds never trips it, and a command would wait for ever. Past the
// deadline the connection is closed (imapflow then rejects whatever is queued on it) and the call
// fails TEMPORARY; the session is unusable afterwards, like after any dropped connection.

import type { ImapFlow } from 'imapflow';
import type { MailboxSession } from '../../src/ports/mail.js';
import { withDeadline } from '../deadline.js';

export const DEFAULT_COMMAND_TIMEOUT_MS = 120_000;
export const COMMAND_TIMEOUT_KEY = 'sync.commandTimeoutSeconds';

export interface CommandDeadline {
  timeoutMs: number;
  abort?: AbortSignal | undefined;
  /** `alice@example.com at 127.0.0.1:143`, for messages. */
  account: string;
}

/**
 * The session with every method that returns a promise bounded by the deadline. close() is left
 * alone: it bounds its own LOGOUT and must still run after an abort.
 */
export function withCommandDeadline(session: MailboxSession, client: ImapFlow, deadline: CommandDeadline): MailboxSession {
  const bounded = new Map<PropertyKey, unknown>();
  return new Proxy(session, {
    get(target, property) {
      const value: unknown = Reflect.get(target, property, target);
      if (typeof value !== 'function' || property === 'close' || property === 'constructor') return value;
      let wrapper = bounded.get(property);
      if (wrapper === undefined) {
        const method = value as (...args: unknown[]) => unknown;
        wrapper = (...args: unknown[]) => {
          const result = method.apply(target, args);
          if (!(result instanceof Promise)) return result;
          return withDeadline(result, {
            timeoutMs: deadline.timeoutMs,
            abort: deadline.abort,
            onExpire: () => client.close(),
            what: `IMAP ${String(property)} for ${deadline.account}`,
            key: COMMAND_TIMEOUT_KEY,
          });
        };
        bounded.set(property, wrapper);
      }
      return wrapper;
    },
  });
}
