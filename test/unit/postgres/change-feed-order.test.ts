// The change feed in commit order on PostgreSQL (issue 14): a follower reads `after=N` and goes on
// from the last seq it saw, so a row must never be visible before every row with a smaller seq.
// Concurrent transactions take sequence values in one order and may commit in another; this holds
// the store to "nothing is skipped" with a transaction that stays open while another one commits.
// Only in the unit-postgres project: SQLite serialises writers anyway.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestStore, type TestStore } from '../../support/memory-store.js';

let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
  await t.store.users.upsert({ id: 'alice', name: 'Alice', email: 'alice@example.com' });
});
afterEach(async () => t.close());

/** A follower of GET /api/v1/changes: everything it saw, reading on from its last seq. */
class Follower {
  after = 0;
  readonly seen: number[] = [];
  constructor(private readonly t: TestStore) {}
  async poll(): Promise<void> {
    for (const change of await this.t.store.changes.listAfter(this.after, 100)) {
      this.seen.push(change.seq);
      this.after = change.seq;
    }
  }
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('change feed on PostgreSQL', () => {
  it('a follower misses no change when a transaction that appended first commits last', async () => {
    const follower = new Follower(t);
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let firstAppended!: () => void;
    const appended = new Promise<void>((resolve) => (firstAppended = resolve));
    // A takes its seq and stays open (a long import batch, say).
    const slow = t.store.atomically(async (tx) => {
      await tx.accounts.create({ name: 'Slow Ltd', owner: 'alice' });
      firstAppended();
      await held;
    });
    await appended;
    // B appends after A and commits at once, unless it has to wait for A.
    const fast = t.store.accounts.create({ name: 'Fast Ltd', owner: 'alice' });
    await settle(300);
    await follower.poll();
    release();
    await Promise.all([slow, fast]);
    await follower.poll();
    const all = (await t.store.changes.listAfter(0, 100)).map((change) => change.seq);
    expect(all).toHaveLength(2);
    expect(follower.seen, 'what the follower saw, reading on from its last seq').toEqual(all);
  });

  it('many concurrent writers, one follower polling all along: it sees every change once, in seq order', async () => {
    const follower = new Follower(t);
    let writing = true;
    const following = (async () => {
      while (writing) await follower.poll();
    })();
    await Promise.all(
      Array.from({ length: 8 }, async (_, writer) => {
        for (let i = 0; i < 10; i += 1) {
          await t.store.atomically(async (tx) => {
            await tx.accounts.create({ name: `Writer ${writer} ${i}`, owner: 'alice' });
            // Some work between the change and the commit, so transactions overlap.
            await settle(i % 3);
            await tx.accounts.create({ name: `Writer ${writer} ${i} b`, owner: 'alice' });
          });
        }
      }),
    );
    writing = false;
    await following;
    await follower.poll();
    const all = (await t.store.changes.listAfter(0, 1000)).map((change) => change.seq);
    expect(all).toHaveLength(160);
    expect(follower.seen).toEqual(all);
  });
});
