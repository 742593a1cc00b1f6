// An overall deadline for one SMTP transaction. nodemailer's timeouts are socket inactivity
// timers: a server that drips a byte of its EHLO reply every few seconds holds a send (and the
// outbox behind it, and `sync --once` before its pass) for ever. The transaction is bounded in two
// phases, following RFC 5321 §4.5.3.2:
//   1. up to the end of the upload (greeting, EHLO, STARTTLS, AUTH, MAIL, RCPT, DATA, the message):
//      `commandTimeoutMs` plus the message at 64 KiB/s at least. Nothing can have been delivered
//      before the final "." went out, so giving up here never causes a duplicate on retry;
//   2. the reply to the final "." (DATA termination): 10 minutes (§4.5.3.2.6), as long as the
//      socket timer already waits for an honest slow server.
// On expiry the send's AbortSignal closes the connection (nodemailer's `signal` option).

import { Readable } from 'node:stream';
import { BridgeError } from '../../src/domain/errors.js';

/** The slowest upload still taken for progress: 64 KiB/s (a 25 MB message may take 400 s). */
const MIN_UPLOAD_BYTES_PER_SECOND = 64 * 1024;
/** The message is handed to nodemailer in chunks, so the end of the stream is close to the end of the upload (backpressure). */
const CHUNK_BYTES = 64 * 1024;

export interface SendDeadline {
  /** The message, to give to nodemailer as `raw`. */
  body: Readable;
  /** Give to nodemailer as `signal`. */
  signal: AbortSignal;
  /** The TEMPORARY error when the deadline ended the send, else undefined. */
  expired(): BridgeError | undefined;
  clear(): void;
}

export function sendDeadline(raw: Buffer, options: { commandTimeoutMs: number; dataTerminationMs: number; server: string }): SendDeadline {
  const controller = new AbortController();
  let error: BridgeError | undefined;
  const expire = (message: string) => {
    error = new BridgeError('TEMPORARY', message);
    controller.abort(error);
  };
  const uploadMs = options.commandTimeoutMs + Math.ceil((raw.length / MIN_UPLOAD_BYTES_PER_SECOND) * 1000);
  let timer = setTimeout(
    () => expire(`${options.server} did not take the message within ${uploadMs / 1000} s (sync.commandTimeoutSeconds, plus the upload at 64 KiB/s); the server is too slow or stalled, the connection was closed and nothing was delivered`),
    uploadMs,
  );
  const body = Readable.from(
    (function* chunks() {
      for (let at = 0; at < raw.length; at += CHUNK_BYTES) yield raw.subarray(at, at + CHUNK_BYTES);
    })(),
    { objectMode: false, highWaterMark: CHUNK_BYTES },
  );
  body.once('end', () => {
    clearTimeout(timer);
    timer = setTimeout(() => expire(`${options.server} did not answer the end of the message within ${options.dataTerminationMs / 1000} s (RFC 5321 §4.5.3.2.6); the connection was closed, the message may or may not have been delivered`), options.dataTerminationMs);
  });
  return {
    body,
    signal: controller.signal,
    expired: () => error,
    clear: () => clearTimeout(timer),
  };
}
