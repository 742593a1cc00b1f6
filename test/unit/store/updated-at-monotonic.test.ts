import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { laterThan } from '../../../src/store/record-repository.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';

let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());

describe('updatedAt', () => {
  it('moves forward on every update, even within one millisecond or after a clock step back', () => {
    expect(laterThan('2030-01-01T00:00:00.000Z', new Date('2030-01-01T00:00:00.000Z'))).toBe('2030-01-01T00:00:00.001Z');
    expect(laterThan('2030-01-01T00:00:05.000Z', new Date('2030-01-01T00:00:00.000Z'))).toBe('2030-01-01T00:00:05.001Z');
    expect(laterThan('2030-01-01T00:00:00.000Z', new Date('2030-01-01T00:00:01.000Z'))).toBe('2030-01-01T00:00:01.000Z');
    expect(laterThan(undefined, new Date('2030-01-01T00:00:01.000Z'))).toBe('2030-01-01T00:00:01.000Z');
  });

  it('differs after each of many back-to-back updates of one record (the sync engines use it as the CRM version)', async () => {
    const contact = await t.store.contacts.create({ displayName: 'Ann', emails: [], phones: [] } as never);
    const seen = new Set([contact.updatedAt]);
    let last = contact.updatedAt;
    for (let index = 0; index < 50; index += 1) {
      const updated = await t.store.contacts.update(contact.id, { title: `T${index}` } as never);
      expect(updated.updatedAt > last).toBe(true);
      seen.add(updated.updatedAt);
      last = updated.updatedAt;
    }
    expect(seen.size).toBe(51);
  });
});
