import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { resetPair } from '../../../../src/sync/engine/reset-pair.js';
import { createTestStore, type TestStore } from '../../../support/memory-store.js';

let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());

const pair = 'contacts:alice';
const other = 'contacts:bob';

/** Two links of `pair` (one with a CRM record, one tombstone of a card the CRM never had), a base each, a cursor; and one row of another pair. */
async function seed(): Promise<void> {
  for (const [p, identity, crmRef] of [[pair, 'u1', 'c1'], [pair, 'u2', null], [other, 'u3', 'c3']] as const) {
    await t.store.syncStatus.put({ pair: p, identity, crm: { ref: crmRef, version: 'v', hash: 'h' }, remote: { ref: `https://dav.example/${identity}.vcf`, version: '"e"', hash: 'r' }, origin: 'crm', tombstone: crmRef === null, pending: null });
    await t.store.syncBase.put(p, identity, { fields: { displayName: identity }, data: 'BEGIN:VCARD' });
    await t.store.syncCursors.put(p, 'addressbook', { syncToken: 't' });
  }
}

describe('resetPair', () => {
  it('redeliver: keeps each link to a CRM record as a pending create without versions, drops the rest, the bases and the cursor', async () => {
    await seed();
    expect(await resetPair(t.store, pair, 'redeliver')).toEqual({ mappings: 2, cursors: 1 });
    expect(await t.store.syncStatus.listPair(pair)).toMatchObject([
      { identity: 'u1', crm: { ref: 'c1', version: null, hash: null }, remote: { ref: 'https://dav.example/u1.vcf', version: null, hash: null }, tombstone: false, pending: 'create' },
    ]);
    expect((await t.store.syncBase.listPair(pair)).size).toBe(0);
    expect(await t.store.syncCursors.get(pair, 'addressbook')).toBeUndefined();
    expect(await t.store.syncStatus.listPair(other)).toHaveLength(1);
    expect(await t.store.syncCursors.get(other, 'addressbook')).toBeDefined();
  });

  it('redeliver one record: only its link, and the cursor stays (the PUT needs no read)', async () => {
    await seed();
    expect(await resetPair(t.store, pair, 'redeliver', 'c1')).toEqual({ mappings: 1, cursors: 0 });
    expect((await t.store.syncStatus.get(pair, 'u1'))?.pending).toBe('create');
    expect((await t.store.syncStatus.get(pair, 'u2'))?.tombstone).toBe(true);
    expect(await t.store.syncBase.get(pair, 'u2')).toBeDefined();
    expect(await t.store.syncCursors.get(pair, 'addressbook')).toBeDefined();
  });

  it('rematch: the rows and bases go, and the cursors too, also for one record (it is found again only by reading)', async () => {
    await seed();
    expect(await resetPair(t.store, pair, 'rematch', 'c1')).toEqual({ mappings: 1, cursors: 1 });
    expect((await t.store.syncStatus.listPair(pair)).map((row) => row.identity)).toEqual(['u2']);
    expect(await t.store.syncBase.get(pair, 'u1')).toBeUndefined();
    expect(await resetPair(t.store, pair, 'rematch')).toEqual({ mappings: 1, cursors: 0 });
    expect(await t.store.syncStatus.listPair(pair)).toEqual([]);
    expect(await t.store.syncBase.get(pair, 'u2')).toBeUndefined();
    expect(await t.store.syncStatus.listPair(other)).toHaveLength(1);
    expect(await t.store.syncBase.get(other, 'u3')).toBeDefined();
    expect(await resetPair(t.store, pair, 'rematch', 'unknown')).toEqual({ mappings: 0, cursors: 0 });
  });
});
