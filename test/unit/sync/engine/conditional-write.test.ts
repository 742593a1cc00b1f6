import { describe, expect, it } from 'vitest';
import { BridgeError } from '../../../../src/domain/errors.js';
import { createItem, createOrAdopt, mergeItem, MAX_WRITE_ATTEMPTS, retryAfterConflict } from '../../../../src/sync/engine/conditional-write.js';
import { OwnWrites } from '../../../../src/sync/engine/own-write-rounds.js';

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

describe('createItem', () => {
  it('stores the intent before the PUT and records the write once the server took it', async () => {
    const steps: string[] = [];
    const writes = new OwnWrites();
    const outcome = await createItem(
      {
        href: 'https://dav.example/book/a.vcf',
        recordIntent: async () => void steps.push('intent'),
        put: async () => (steps.push('put'), { etag: '"1"' }),
        settle: async (etag) => void steps.push(`settle ${etag}`),
        reread: async () => (steps.push('reread'), 'unused'),
        adopt: async () => void steps.push('adopt'),
      },
      writes,
    );
    expect(outcome).toBe('created');
    expect(steps).toEqual(['intent', 'put', 'settle "1"']);
    expect(writes.putsIn('https://dav.example/book/')).toEqual(['https://dav.example/book/a.vcf']);
  });

  it('adopts what a 412 says is there, without counting it as our write; a failed PUT settles nothing', async () => {
    const steps: string[] = [];
    const writes = new OwnWrites();
    const create = {
      href: 'https://dav.example/book/a.vcf',
      recordIntent: async () => void steps.push('intent'),
      put: () => Promise.reject(conflict),
      settle: async () => void steps.push('settle'),
      reread: async () => 'theirs',
      adopt: async (current: string) => void steps.push(`adopt ${current}`),
    };
    expect(await createItem(create, writes)).toBe('adopted');
    expect(steps).toEqual(['intent', 'adopt theirs']);
    expect(writes.wroteTo('https://dav.example/book/')).toBe(false);
    const down = new BridgeError('TEMPORARY', 'reset');
    await expect(createItem({ ...create, put: () => Promise.reject(down) }, writes)).rejects.toBe(down);
    expect(steps).toEqual(['intent', 'adopt theirs', 'intent']);
  });
});

describe('mergeItem', () => {
  const href = 'https://dav.example/cal/e.ics';

  it('re-reads and merges again after each 412, and stops after MAX_WRITE_ATTEMPTS writes', async () => {
    const rounds: string[] = [];
    let reads = 0;
    const merge = {
      round: async (remote: string, attempt: number) => {
        rounds.push(`${attempt}:${remote}`);
        return { href, put: () => Promise.reject(conflict), settle: async () => void rounds.push('settled') };
      },
      reread: async () => `v${++reads}`,
    };
    await expect(mergeItem('v0', merge, new OwnWrites())).rejects.toBe(conflict);
    expect(rounds).toEqual(['1:v0', '2:v1', '3:v2']);
    expect(reads).toBe(MAX_WRITE_ATTEMPTS - 1);
  });

  it('settles with the ETag of the write that landed and records it as our own', async () => {
    const settled: string[] = [];
    let puts = 0;
    const writes = new OwnWrites();
    const outcome = await mergeItem(
      'v0',
      {
        round: async () => ({ href, put: async () => (++puts === 1 ? Promise.reject(conflict) : { etag: `"${puts}"` }), settle: async (etag) => void settled.push(etag) }),
        reread: async () => 'v1',
      },
      writes,
    );
    expect(outcome).toBe('written');
    expect(settled).toEqual(['"2"']);
    expect(writes.putsIn('https://dav.example/cal/')).toEqual([href]);
  });

  it('a round that needs no PUT settles on its own; a resource gone after a 412 is an error naming it', async () => {
    const writes = new OwnWrites();
    expect(await mergeItem('v0', { round: async () => null, reread: async () => 'unused' }, writes)).toBe('settled');
    expect(writes.wroteTo('https://dav.example/cal/')).toBe(false);
    const gone = mergeItem('v0', { round: async () => ({ href, put: () => Promise.reject(conflict), settle: async () => {} }), reread: async () => null }, writes);
    await expect(gone).rejects.toMatchObject({ code: 'PRECONDITION_FAILED', message: `${href} vanished while being written` });
  });
});
