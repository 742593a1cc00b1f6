import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestStore, type TestStore } from '../../support/memory-store.js';

// A task's percentComplete (RFC 5545 §3.8.1.8) follows its completion unless a change states it.
let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());

describe('activities percentComplete', () => {
  it('is stored and read back, 100 when a task is completed, cleared from 100 when it is reopened', async () => {
    const task = await t.store.activities.create({ kind: 'task', subject: 'Quote', percentComplete: 40 });
    expect(task.percentComplete).toBe(40);
    expect((await t.store.activities.get(task.id))!.percentComplete).toBe(40);
    expect((await t.store.activities.update(task.id, { subject: 'Quote v2' })).percentComplete).toBe(40);
    expect((await t.store.activities.update(task.id, { status: 'completed' })).percentComplete).toBe(100);
    expect((await t.store.activities.update(task.id, { status: 'open' })).percentComplete).toBeNull();
    // A change that states the percentage keeps it, whatever the status does.
    expect((await t.store.activities.update(task.id, { status: 'completed', percentComplete: 90 })).percentComplete).toBe(90);
    expect((await t.store.activities.update(task.id, { status: 'open', percentComplete: 100 })).percentComplete).toBe(100);
    expect((await t.store.activities.update(task.id, { percentComplete: null })).percentComplete).toBeNull();

    expect((await t.store.activities.create({ kind: 'follow_up', subject: 'Done', status: 'completed' })).percentComplete).toBe(100);
    expect((await t.store.activities.create({ kind: 'task', subject: 'Plain' })).percentComplete).toBeNull();
    // Not a task: no percentage from completion.
    expect((await t.store.activities.create({ kind: 'email_in', subject: 'Mail' })).percentComplete).toBeNull();
  });
});
