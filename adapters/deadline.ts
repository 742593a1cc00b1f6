/**
 * An overall deadline for one protocol operation (an IMAP command, an SMTP send). Socket
 * inactivity timeouts do not see a server that drips a byte every few seconds; this does. When
 * the time is up, or when `abort` fires (the source's pass deadline), `onExpire` tears the
 * connection down (so the operation cannot linger and nothing else is sent on it) and the
 * returned promise rejects with a TEMPORARY BridgeError at once, whatever the library does.
 */
import { BridgeError, isBridgeError } from '../src/domain/errors.js';

export interface DeadlineOptions {
  timeoutMs: number;
  /** Aborted when the source's pass deadline has passed; its reason (a BridgeError) is the rejection. */
  abort?: AbortSignal | undefined;
  /** Close the connection: called once, when the deadline or the abort comes first. */
  onExpire: () => void;
  /** What was being done, for the message, e.g. `IMAP login to 127.0.0.1:143 as alice`. */
  what: string;
  /** The configuration key that sets `timeoutMs`, named in the message. */
  key: string;
}

export function abortError(abort: AbortSignal, what: string): BridgeError {
  const reason: unknown = abort.reason;
  if (isBridgeError(reason)) return new BridgeError('TEMPORARY', `${what} was aborted: ${reason.message}`, { cause: reason, connectionLost: true });
  return new BridgeError('TEMPORARY', `${what} was aborted`, { cause: reason, connectionLost: true });
}

export function withDeadline<T>(work: Promise<T>, options: DeadlineOptions): Promise<T> {
  const { abort } = options;
  if (abort?.aborted) {
    options.onExpire();
    work.catch(() => undefined);
    return Promise.reject(abortError(abort, options.what));
  }
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const finish = (settle: () => void) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      abort?.removeEventListener('abort', onAbort);
      settle();
    };
    const expire = (error: BridgeError) =>
      finish(() => {
        options.onExpire();
        reject(error);
      });
    const timer = setTimeout(
      () => expire(new BridgeError('TEMPORARY', `${options.what} did not complete within ${options.timeoutMs / 1000} s (${options.key}); the server is too slow or stalled, the connection was closed`, { connectionLost: true })),
      options.timeoutMs,
    );
    const onAbort = () => expire(abortError(abort!, options.what));
    abort?.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => finish(() => resolve(value)),
      (error: unknown) => finish(() => reject(error)),
    );
  });
}
