// Reading a DAV response body with a byte limit. A 207 Multi-Status answer (RFC 4918 §13) has
// no natural size bound: a multiget of 500 vCards with photos, or a server that never stops
// sending, would otherwise be read whole into memory (a 600 MB answer took 1.3 GB and then failed
// with ERR_STRING_TOO_LONG, see bench/RESULTS.md). The body is streamed and counted; past the
// limit the read is cancelled, which closes the connection, and the caller gets a
// ResponseTooLargeError it can act on (session.ts asks for fewer items at once).

import { BridgeError } from '../../src/domain/errors.js';

/** Default of `sync.maxDavResponseBytes`. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** The response body is larger than the configured limit; nothing of it is returned. */
export class ResponseTooLargeError extends BridgeError {
  readonly limit: number;

  constructor(context: string, limit: number) {
    super('PAYLOAD_TOO_LARGE', `${context} failed: the response is larger than ${limit} bytes (sync.maxDavResponseBytes)`);
    this.name = 'ResponseTooLargeError';
    this.limit = limit;
  }
}

export function isResponseTooLarge(error: unknown): error is ResponseTooLargeError {
  return error instanceof ResponseTooLargeError;
}

/**
 * The body of `res` as UTF-8 text (a BOM is dropped, invalid bytes become U+FFFD, as with
 * `Response.text()`), or ResponseTooLargeError once more than `limit` bytes arrived. The count
 * is of decoded bytes, so a small compressed body that inflates past the limit is stopped too.
 */
export async function readTextWithin(res: Response, limit: number, context: string): Promise<string> {
  const declared = Number(res.headers.get('content-length') ?? Number.NaN);
  // Content-Length counts the encoded body; without Content-Encoding that is what would arrive.
  if (Number.isFinite(declared) && declared > limit && res.headers.get('content-encoding') === null) {
    await res.body?.cancel().catch(() => undefined);
    throw new ResponseTooLargeError(context, limit);
  }
  if (res.body === null) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      throw new ResponseTooLargeError(context, limit);
    }
    chunks.push(value);
  }
  return new TextDecoder('utf-8').decode(Buffer.concat(chunks, total));
}
