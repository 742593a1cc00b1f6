import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestStore, type TestStore } from '../../support/memory-store.js';

let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());

describe('Store.inSavepoint', () => {
  it('rolls back only the failed step; the transaction keeps the others and commits', async () => {
    await t.store.atomically(async (tx) => {
      await tx.inSavepoint(() => tx.accounts.create({ name: 'Kept before' }));
      await expect(
        tx.inSavepoint(async () => {
          await tx.accounts.create({ name: 'Rolled back' });
          throw new Error('this step fails');
        }),
      ).rejects.toThrow('this step fails');
      await tx.inSavepoint(() => tx.accounts.create({ name: 'Kept after' }));
    });
    const names = (await t.store.accounts.list({}, { limit: 10 })).items.map((account) => account.name).sort();
    expect(names).toEqual(['Kept after', 'Kept before']);
    // The change feed holds exactly the kept steps, in the order they were made (the transaction's
    // changes are appended at its end, and a rolled-back step's are dropped with it).
    const feed = await t.store.changes.listAfter(0, 10);
    expect(feed.map((change) => (change.data as { name: string }).name)).toEqual(['Kept before', 'Kept after']);
    expect(feed[0]!.seq).toBeLessThan(feed[1]!.seq);
  });

  it('a transaction that fails leaves nothing in the change feed', async () => {
    await expect(
      t.store.atomically(async (tx) => {
        await tx.accounts.create({ name: 'Never' });
        throw new Error('the transaction fails');
      }),
    ).rejects.toThrow('the transaction fails');
    expect(await t.store.changes.listAfter(0, 10)).toEqual([]);
  });

  it('answers what the step returned', async () => {
    expect(await t.store.atomically((tx) => tx.inSavepoint(() => Promise.resolve(42)))).toBe(42);
  });

  it('refuses to run outside a transaction (a savepoint there would not be one)', async () => {
    await expect(t.store.inSavepoint(() => Promise.resolve(1))).rejects.toThrow(/transaction/);
  });
});
