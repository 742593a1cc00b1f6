// Whether a DAV failure got an answer (adapters/caldav/parse-dav-error.ts): src/sync/engine/failure.ts
// ends the pass for the source when it did not, and skips one collection when the server answered.
import { describe, expect, it } from 'vitest';
import { fetchError, statusError } from '../../../adapters/caldav/parse-dav-error.js';

const url = 'http://127.0.0.1:5232/alice/calendar/';

describe('DAV failures', () => {
  it('without an HTTP answer (reset, refused, timeout, abort) the connection is lost', () => {
    const reset = fetchError(new TypeError('fetch failed', { cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }) }), 'REPORT', url);
    const timeout = fetchError(Object.assign(new Error('timed out'), { name: 'TimeoutError' }), 'PUT', url, { timeoutMs: 30_000 });
    const aborted = fetchError(Object.assign(new Error('aborted'), { name: 'AbortError' }), 'GET', url);
    for (const error of [reset, timeout, aborted]) expect(error).toMatchObject({ code: 'TEMPORARY', connectionLost: true });
  });

  it('an answer, even 5xx, is not a lost connection; nor is a certificate problem', () => {
    expect(statusError('REPORT', url, 500)).toMatchObject({ code: 'TEMPORARY', connectionLost: false });
    expect(statusError('PUT', url, 503)).toMatchObject({ code: 'TEMPORARY', connectionLost: false });
    expect(statusError('PUT', url, 412)).toMatchObject({ code: 'PRECONDITION_FAILED', connectionLost: false });
    expect(fetchError(new TypeError('fetch failed', { cause: Object.assign(new Error('self signed'), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }) }), 'GET', url)).toMatchObject({ code: 'AUTH', connectionLost: false });
  });
});
