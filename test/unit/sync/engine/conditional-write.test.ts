import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../../../src/domain/errors.js';
import { createOrAdopt, MAX_WRITE_ATTEMPTS, retryAfterConflict } from '../../../../src/sync/engine/conditional-write.js';

const conflict = new BridgeError('PRECONDITION_FAILED', '412');

describe('createOrAdopt', () => {
  it('creates, or adopts what a 412 says is there already', async () => {
    expect(await createOrAdopt(() => Promise.resolve({ etag: '"1"' }), () => Promise.resolve('unused'))).toEqual({ kind: 'created', etag: '"1"' });
    expect(await createOrAdopt(() => Promise.reject(conflict), () => Promise.resolve('there'))).toEqual({ kind: 'exists', current: 'there' });
  });

  it('rethrows a 412 for a resource it cannot read, and any other failure', async () => {
    await expect(createOrAdopt(() => Promise.reject(conflict), () => Promise.resolve(null))).rejects.toBe(conflict);
    const down = new BridgeError('TEMPORARY', 'reset');
    await expect(createOrAdopt(() => Promise.reject(down), () => Promise.resolve('there'))).rejects.toBe(down);
  });
});

describe('retryAfterConflict', () => {
  it('retries a 412 until the item was written MAX_WRITE_ATTEMPTS times, nothing else', () => {
    expect(MAX_WRITE_ATTEMPTS).toBe(3);
    expect(retryAfterConflict(conflict, 1)).toBe(true);
    expect(retryAfterConflict(conflict, 2)).toBe(true);
    expect(retryAfterConflict(conflict, 3)).toBe(false);
    expect(retryAfterConflict(new BridgeError('TEMPORARY', 'x'), 1)).toBe(false);
  });
});
