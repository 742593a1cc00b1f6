import { describe, expect, it } from 'vitest';
import { withDeadline } from '../../../adapters/deadline.js';
import { BridgeError } from '../../../src/domain/errors.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const never = () => new Promise<string>(() => undefined);

describe('withDeadline', () => {
  it('passes through what finishes in time, without tearing anything down', async () => {
    let expired = 0;
    const value = await withDeadline(sleep(5).then(() => 'ok'), { timeoutMs: 1000, onExpire: () => (expired += 1), what: 'IMAP listFolders', key: 'sync.commandTimeoutSeconds' });
    expect(value).toBe('ok');
    await sleep(20);
    expect(expired).toBe(0);
  });

  it('rejects TEMPORARY naming the operation and the key once the time is up, and closes the connection once', async () => {
    let expired = 0;
    const error = await withDeadline(never(), { timeoutMs: 20, onExpire: () => (expired += 1), what: 'IMAP login to h:143 as alice', key: 'sync.commandTimeoutSeconds' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BridgeError);
    expect(error).toMatchObject({ code: 'TEMPORARY', connectionLost: true });
    expect((error as Error).message).toBe('IMAP login to h:143 as alice did not complete within 0.02 s (sync.commandTimeoutSeconds); the server is too slow or stalled, the connection was closed');
    expect(expired).toBe(1);
  });

  it('gives up at once when the pass deadline aborts, with its reason in the message', async () => {
    const abort = new AbortController();
    let expired = 0;
    const pending = withDeadline(never(), { timeoutMs: 60_000, abort: abort.signal, onExpire: () => (expired += 1), what: 'IMAP summaries', key: 'k' });
    abort.abort(new BridgeError('TEMPORARY', 'imap:alice: the sync pass did not finish within 900 s'));
    const error = (await pending.catch((e: unknown) => e)) as BridgeError;
    expect(error.code).toBe('TEMPORARY');
    expect(error.connectionLost).toBe(true);
    expect(error.message).toBe('IMAP summaries was aborted: imap:alice: the sync pass did not finish within 900 s');
    expect(expired).toBe(1);
    // Already aborted: no new work waits.
    await expect(withDeadline(never(), { timeoutMs: 60_000, abort: abort.signal, onExpire: () => (expired += 1), what: 'IMAP append', key: 'k' })).rejects.toMatchObject({ code: 'TEMPORARY' });
    expect(expired).toBe(2);
  });

  it('keeps the operation\'s own failure', async () => {
    const failure = new BridgeError('AUTH', 'rejected');
    await expect(withDeadline(Promise.reject(failure), { timeoutMs: 1000, onExpire: () => undefined, what: 'x', key: 'k' })).rejects.toBe(failure);
  });
});
