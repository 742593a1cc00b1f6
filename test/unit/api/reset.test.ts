import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type ApiHarness } from '../../support/api-server.js';

let api: ApiHarness;
beforeAll(async () => {
  api = await startApi();
});
afterAll(async () => api.close());

const side = (ref: string | null, version: string | null = null) => ({ ref, version, hash: null });

async function statusRow(pair: string, identity: string, crmRef: string, tombstone = false) {
  await api.t.store.syncStatus.put({ pair, identity, crm: side(crmRef, 'v1'), remote: side(`http://dav.example/book/${identity}.vcf`, '"e1"'), origin: 'crm', tombstone, pending: null });
}

describe('POST /api/v1/users/:id/reset', () => {
  it('contacts: forgets versions, bases and tombstones of one contact or the whole address book, keeping the UID links as re-delivery intents', async () => {
    const store = api.t.store;
    await statusRow('contacts:alice', 'uid-1', 'con_1');
    await statusRow('contacts:alice', 'uid-2', 'con_2', true);
    await statusRow('contacts:bob', 'uid-3', 'con_3');
    await store.syncBase.put('contacts:alice', 'uid-1', { fields: { firstName: null, lastName: null, displayName: 'One', emails: [], phones: [], company: null, title: null }, data: 'BEGIN:VCARD' });
    await store.syncCursors.put('contacts:alice', 'addressbook', { href: 'http://dav.example/book/', syncToken: 't1' });

    const one = await api.call('POST', '/api/v1/users/alice/reset', { body: { scope: 'contacts', itemId: 'con_2' } });
    expect(one).toMatchObject({ status: 200, body: { user: 'alice', scope: 'contacts', itemId: 'con_2', mappings: 1, cursors: 0 } });
    expect(await store.syncStatus.get('contacts:alice', 'uid-2')).toMatchObject({ tombstone: false, pending: 'create', crm: { ref: 'con_2', version: null }, remote: { version: null } });
    expect(await store.syncStatus.get('contacts:alice', 'uid-1')).toMatchObject({ pending: null, remote: { version: '"e1"' } });

    const all = await api.call('POST', '/api/v1/users/alice/reset', { body: { scope: 'contacts' } });
    expect(all.body).toMatchObject({ mappings: 2, cursors: 1, itemId: null });
    expect((await store.syncStatus.listPair('contacts:alice')).every((row) => row.pending === 'create' && row.remote.version === null)).toBe(true);
    expect((await store.syncBase.listPair('contacts:alice')).size).toBe(0);
    expect(await store.syncCursors.get('contacts:alice', 'addressbook')).toBeUndefined();
    // Other users are untouched.
    expect(await store.syncStatus.get('contacts:bob', 'uid-3')).toMatchObject({ pending: null });
    expect((await api.call('POST', '/api/v1/users/alice/reset', { body: { scope: 'contacts', itemId: 'con_unknown' } })).body).toMatchObject({ mappings: 0, cursors: 0 });
  });

  it('calendar and tasks: forgets the pair (or one record) and its cursors', async () => {
    await statusRow('calendar:alice', 'ev-1', 'act_1');
    await statusRow('calendar:alice', 'ev-2', 'act_2');
    await statusRow('tasks:alice', 'todo-1', 'act_3');
    await api.t.store.syncCursors.put('calendar:alice', 'http://dav.example/cal/', { syncToken: 'x' });
    // One record: its row, and the pair's cursors so that the next pass re-reads and re-matches it.
    expect((await api.call('POST', '/api/v1/users/alice/reset', { body: { scope: 'calendar', itemId: 'act_1' } })).body).toMatchObject({ scope: 'calendar', mappings: 1, cursors: 1 });
    expect(await api.t.store.syncStatus.get('calendar:alice', 'ev-1')).toBeUndefined();
    expect((await api.call('POST', '/api/v1/users/alice/reset', { body: { scope: 'calendar' } })).body).toMatchObject({ mappings: 1, cursors: 0 });
    expect(await api.t.store.syncStatus.listPair('calendar:alice')).toEqual([]);
    expect(await api.t.store.syncStatus.get('tasks:alice', 'todo-1')).toBeDefined();
    expect((await api.call('POST', '/api/v1/users/alice/reset', { body: { scope: 'tasks' } })).body).toMatchObject({ scope: 'tasks', mappings: 1 });
  });

  it('mail: forgets the per-message state and cursors of the user’s mailbox', async () => {
    await api.t.store.mailMessages.put({ sourceId: 'imap:alice', folder: 'INBOX', uidValidity: '1', uid: 7, messageKey: 'm@x', flags: [], modseq: null, activityId: null, trackedBy: null, state: 'seen', attempts: 0, lastError: null });
    await api.t.store.syncCursors.put('imap:alice', 'INBOX', { uidValidity: '1', highestUid: 7 });
    const res = await api.call('POST', '/api/v1/users/alice/reset', { body: { scope: 'mail' } });
    expect(res.body).toMatchObject({ scope: 'mail', mappings: 1, cursors: 1 });
    expect(await api.t.store.mailMessages.get('imap:alice', 'INBOX', '1', 7)).toBeUndefined();
    expect((await api.call('POST', '/api/v1/users/alice/reset', { body: { scope: 'mail', itemId: 'x' } })).status).toBe(400);
  });

  it('answers 404 for an unknown user, 400 for a bad scope, and is in the OpenAPI document', async () => {
    expect(await api.call('POST', '/api/v1/users/nobody/reset', { body: { scope: 'contacts' } })).toMatchObject({ status: 404, body: { code: 'NOT_FOUND' } });
    expect(await api.call('POST', '/api/v1/users/alice/reset', { body: { scope: 'everything' } })).toMatchObject({ status: 400, body: { code: 'INVALID_INPUT' } });
    const doc = await api.call('GET', '/api/v1/openapi.json', { token: null });
    expect(doc.body.paths['/api/v1/users/{id}/reset']?.post).toBeDefined();
    expect(doc.body.components.schemas.ResetResult).toBeDefined();
  });
});

describe('GET /api/v1/sync-errors', () => {
  it('lists recorded errors newest first, by source and code (the review list of conflicts and duplicates)', async () => {
    await api.t.store.syncErrors.record('carddav:alice', 'http://dav.example/a.vcf', 'CONFLICT', 'card "A" matches 2 CRM contacts by email');
    await api.t.store.syncErrors.record('carddav:alice', 'http://dav.example/b.vcf', 'INVALID_INPUT', 'vCard: no UID');
    await api.t.store.syncErrors.record('caldav:alice', null, 'CONFLICT', 'other source');
    const res = await api.call('GET', '/api/v1/sync-errors?source=carddav:alice&code=CONFLICT');
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([expect.objectContaining({ source: 'carddav:alice', itemRef: 'http://dav.example/a.vcf', code: 'CONFLICT', message: 'card "A" matches 2 CRM contacts by email' })]);
    expect((await api.call('GET', '/api/v1/sync-errors?limit=2')).body.items.map((e: { message: string }) => e.message)).toEqual(['other source', 'vCard: no UID']);
    expect((await api.call('GET', '/api/v1/sync-errors?code=NOPE')).status).toBe(400);
  });
});
