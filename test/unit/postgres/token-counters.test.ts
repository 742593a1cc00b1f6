// Tracking tokens ([CRM:0100042]: user number 01, mail 00042) from several processes on one
// PostgreSQL (issue 14): concurrent sends must never get the same token, and two users sending for
// the first time at once must not get the same user number (nor fail on it).
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BlobStore } from '../../../src/store/blob-store.js';
import { openDatabase, type OpenDatabase } from '../../../src/store/database.js';
import { SecretBox } from '../../../src/store/secret-box.js';
import { Store } from '../../../src/store/store.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';

let t: TestStore;
let other: OpenDatabase;
beforeEach(async () => {
  t = await createTestStore();
  other = openDatabase(t.url);
});
afterEach(async () => {
  await other.close();
  await t.close();
});

describe('tracking-token counters on PostgreSQL', () => {
  it('hand out every (user number, counter) once under concurrent senders in two processes', async () => {
    const stores = [t.store, new Store(other.db, new SecretBox('test-secret-key-0123456789'), new BlobStore(join(t.dir, 'blobs'), 1024))];
    const users = ['alice', 'bob', 'carol', 'dave'];
    const tokens = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const user = users[i % users.length]!;
        const token = await stores[i % 2]!.atomically((tx) => tx.tokenCounters.next(user));
        return { user, ...token };
      }),
    );
    const numbers = new Map<string, Set<number>>();
    for (const token of tokens) numbers.set(token.user, (numbers.get(token.user) ?? new Set()).add(token.userNumber));
    // One number per user, a different one for each user.
    expect([...numbers.values()].map((set) => set.size)).toEqual([1, 1, 1, 1]);
    expect(new Set([...numbers.values()].map((set) => [...set][0])).size).toBe(4);
    // Each user's counters 1..10, none twice.
    for (const user of users) {
      expect(tokens.filter((token) => token.user === user).map((token) => token.counter).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    }
  });
});
