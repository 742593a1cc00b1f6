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
  });

  it('answers what the step returned', async () => {
    expect(await t.store.atomically((tx) => tx.inSavepoint(() => Promise.resolve(42)))).toBe(42);
  });

  it('refuses to run outside a transaction (a savepoint there would not be one)', async () => {
    await expect(t.store.inSavepoint(() => Promise.resolve(1))).rejects.toThrow(/transaction/);
  });
});
