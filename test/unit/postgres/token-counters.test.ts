// Tracking tokens ([CRM:0100042]: user number 01, mail 00042) from several processes on one
// PostgreSQL (issue 14): concurrent sends must never get the same token, and two users sending for
// the first time at once must not get the same user number (nor fail on it).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestStore, openPeerStore, type TestStore } from '../../support/memory-store.js';

let t: TestStore;
let other: ReturnType<typeof openPeerStore>;
beforeEach(async () => {
  t = await createTestStore();
  other = openPeerStore(t);
});
afterEach(async () => {
  await other.close();
  await t.close();
});

describe('tracking-token counters on PostgreSQL', () => {
  it('hand out every (user number, counter) once under concurrent senders in two processes', async () => {
    const stores = [t.store, other.store];
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
