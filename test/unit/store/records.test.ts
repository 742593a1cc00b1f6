import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BridgeError } from '../../../src/domain/errors.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';

let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
  await t.store.users.upsert({ id: 'alice', name: 'Alice', email: 'alice@example.com' });
});
afterEach(async () => t.close());

async function expectCode(promise: Promise<unknown>, code: string, message?: RegExp) {
  const error = await promise.then(() => undefined, (caught: unknown) => caught);
  expect(error).toBeInstanceOf(BridgeError);
  expect((error as BridgeError).code).toBe(code);
  if (message) expect((error as BridgeError).message).toMatch(message);
}

describe('contacts', () => {
  it('stores several e-mails and phones, finds by any address case-insensitively, and derives a display name', async () => {
    const created = await t.store.contacts.create({ firstName: 'Ada', lastName: 'Lovelace', emails: ['Ada@Example.com', 'ada@analytical.org', 'ADA@example.com'], phones: ['+44 1'], owner: 'alice' });
    expect(created).toMatchObject({ displayName: 'Ada Lovelace', emails: ['Ada@Example.com', 'ada@analytical.org'], phones: ['+44 1'], owner: 'alice', active: true });
    expect((await t.store.contacts.findByEmail('ada@ANALYTICAL.org')).map((contact) => contact.id)).toEqual([created.id]);
    const page = await t.store.contacts.list({ email: 'ada@example.com' }, { limit: 10 });
    expect(page.items.map((contact) => contact.id)).toEqual([created.id]);
    expect((await t.store.contacts.list({ email: 'nobody@example.com' }, { limit: 10 })).items).toEqual([]);
  });

  it('patches only the given fields; null clears; a derived display name follows the name', async () => {
    const created = await t.store.contacts.create({ firstName: 'Ada', lastName: 'Byron', emails: ['a@example.com'], company: 'Analytical' });
    const updated = await t.store.contacts.update(created.id, { lastName: 'Lovelace', company: null });
    expect(updated).toMatchObject({ firstName: 'Ada', lastName: 'Lovelace', displayName: 'Ada Lovelace', company: null, emails: ['a@example.com'] });
    const named = await t.store.contacts.update(created.id, { displayName: 'The Countess' });
    expect((await t.store.contacts.update(named.id, { firstName: 'Augusta' })).displayName).toBe('The Countess');
  });

  it('rejects an unknown owner or account with the field path', async () => {
    await expectCode(t.store.contacts.create({ firstName: 'X', owner: 'nobody' }), 'INVALID_INPUT', /^owner: no user with id "nobody"$/);
    await expectCode(t.store.contacts.create({ firstName: 'X', accountId: 'acc_missing' }), 'INVALID_INPUT', /^accountId: /);
    expect((await t.store.contacts.list({}, { limit: 10 })).items).toEqual([]);
  });

  it('answers NOT_FOUND for unknown ids on get, update and delete', async () => {
    await expectCode(t.store.contacts.require('con_missing'), 'NOT_FOUND');
    await expectCode(t.store.contacts.update('con_missing', { title: 'x' }), 'NOT_FOUND');
    await expectCode(t.store.contacts.delete('con_missing'), 'NOT_FOUND');
  });

  it('pages with a cursor in creation order without gaps or repeats', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 7; i += 1) ids.push((await t.store.contacts.create({ displayName: `C${i}` })).id);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await t.store.contacts.list({}, { limit: 3, cursor });
      seen.push(...page.items.map((contact) => contact.id));
      cursor = page.next ?? undefined;
      pages += 1;
    } while (cursor);
    expect(seen).toEqual(ids);
    expect(pages).toBe(3);
    await expectCode(t.store.contacts.list({}, { limit: 3, cursor: 'garbage' }), 'INVALID_INPUT', /cursor/);
  });
});

describe('change feed', () => {
  it('records create, update and delete in order, in the same transaction as the change', async () => {
    const contact = await t.store.contacts.create({ displayName: 'Feed' });
    await t.store.contacts.update(contact.id, { title: 'CEO' });
    await t.store.contacts.delete(contact.id);
    const changes = await t.store.changes.listAfter(0, 10);
    expect(changes.map((change) => [change.seq, change.entity, change.id, change.op])).toEqual([
      [1, 'contact', contact.id, 'created'],
      [2, 'contact', contact.id, 'updated'],
      [3, 'contact', contact.id, 'deleted'],
    ]);
    expect(changes[1]?.data).toMatchObject({ title: 'CEO' });
    expect(changes[2]?.data).toBeNull();
    expect(await t.store.changes.listAfter(2, 10)).toHaveLength(1);
  });

  it('writes no change when the write fails', async () => {
    await t.store.contacts.create({ displayName: 'x', owner: 'ghost' }).catch(() => undefined);
    expect(await t.store.changes.latestSeq()).toBe(0);
  });
});

describe('accounts, leads and opportunities', () => {
  it('finds accounts by domain, lowercased and de-duplicated', async () => {
    const account = await t.store.accounts.create({ name: 'Acme', domains: ['acme.com', 'ACME.com', 'acme.org'] });
    expect(account.domains).toEqual(['acme.com', 'acme.org']);
    expect((await t.store.accounts.list({ domain: 'ACME.ORG' }, { limit: 5 })).items).toHaveLength(1);
  });

  it('stores leads with a default status and finds them by e-mail', async () => {
    const lead = await t.store.leads.create({ email: 'Prospect@Example.com', company: 'Prospect Ltd' });
    expect(lead.status).toBe('open');
    expect((await t.store.leads.list({ email: 'prospect@example.com' }, { limit: 5 })).items.map((item) => item.id)).toEqual([lead.id]);
  });

  it('checks the account and contact of an opportunity', async () => {
    await expectCode(t.store.opportunities.create({ name: 'Deal', accountId: 'acc_nope' }), 'INVALID_INPUT', /^accountId:/);
    const account = await t.store.accounts.create({ name: 'Acme' });
    const deal = await t.store.opportunities.create({ name: 'Deal', accountId: account.id, amount: 1200.5, currency: 'EUR' });
    expect(deal).toMatchObject({ stage: 'open', amount: 1200.5, currency: 'EUR' });
    expect((await t.store.opportunities.list({ accountId: account.id }, { limit: 5 })).items).toHaveLength(1);
  });
});

describe('activities', () => {
  it('stores parties, regarding and threading fields and filters by them', async () => {
    const account = await t.store.accounts.create({ name: 'Acme' });
    const contact = await t.store.contacts.create({ displayName: 'Bob', emails: ['bob@acme.com'], accountId: account.id });
    const deal = await t.store.opportunities.create({ name: 'Deal', accountId: account.id });
    const mail = await t.store.activities.create({
      kind: 'email_in',
      subject: 'Hello',
      owner: 'alice',
      messageId: '<m1@acme.com>',
      references: ['<m0@example.com>'],
      regarding: { type: 'opportunity', id: deal.id },
      parties: [
        { role: 'from', address: 'Bob@Acme.com', name: 'Bob', contactId: contact.id, accountId: account.id },
        { role: 'to', address: 'alice@example.com', userId: 'alice' },
      ],
    });
    expect(mail).toMatchObject({ status: 'completed', busyStatus: null, references: ['<m0@example.com>'], regarding: { type: 'opportunity', id: deal.id } });
    expect(mail.parties[0]).toEqual({ role: 'from', address: 'Bob@Acme.com', name: 'Bob', contactId: contact.id, accountId: account.id, leadId: null, userId: null });
    const meeting = await t.store.activities.create({ kind: 'meeting', subject: 'Kick-off', start: '2026-12-01T10:00:00+01:00', end: '2026-12-01T11:00:00+01:00' });
    expect(meeting).toMatchObject({ status: 'open', busyStatus: 'busy', start: '2026-12-01T09:00:00.000Z' });

    const ids = async (filter: Parameters<typeof t.store.activities.list>[0]) => (await t.store.activities.list(filter, { limit: 10 })).items.map((item) => item.id);
    expect(await ids({ contact: contact.id })).toEqual([mail.id]);
    expect(await ids({ account: account.id })).toEqual([mail.id]);
    expect(await ids({ regarding: deal.id })).toEqual([mail.id]);
    expect(await ids({ regarding: `opportunity:${deal.id}` })).toEqual([mail.id]);
    expect(await ids({ regarding: `account:${deal.id}` })).toEqual([]);
    expect(await ids({ kind: 'meeting' })).toEqual([meeting.id]);
    expect(await ids({ owner: 'alice' })).toEqual([mail.id]);
    expect(await ids({ messageId: '<m1@acme.com>' })).toEqual([mail.id]);
  });

  it('rejects a regarding record or party reference that does not exist', async () => {
    await expectCode(t.store.activities.create({ kind: 'task', subject: 'x', regarding: { type: 'lead', id: 'led_missing' } }), 'INVALID_INPUT', /^regarding\.id: no lead/);
    await expectCode(t.store.activities.create({ kind: 'task', subject: 'x', parties: [{ role: 'to', address: 'a@b.co', contactId: 'con_x' }] }), 'INVALID_INPUT', /^parties\[0\]\.contactId/);
  });

  it('sets regarding, keeps sources idempotent, and refuses end before start on update', async () => {
    const account = await t.store.accounts.create({ name: 'Acme' });
    const task = await t.store.activities.create({ kind: 'task', subject: 'Call back', start: '2026-12-01T10:00:00Z' });
    expect((await t.store.activities.setRegarding(task.id, { type: 'account', id: account.id })).regarding).toEqual({ type: 'account', id: account.id });
    await t.store.activities.addSource(task.id, { type: 'imap', sourceId: 'alice', ref: 'INBOX/1/7' });
    await t.store.activities.addSource(task.id, { type: 'imap', sourceId: 'alice', ref: 'INBOX/1/7' });
    expect((await t.store.activities.require(task.id)).sources).toHaveLength(1);
    expect((await t.store.activities.findBySource('imap', 'alice', 'INBOX/1/7'))?.id).toBe(task.id);
    await expectCode(t.store.activities.update(task.id, { end: '2026-11-30T10:00:00Z' }), 'INVALID_INPUT', /end/);
    expect((await t.store.activities.require(task.id)).end).toBeNull();
  });

  it('keeps attachments content-addressed and only metadata above the size limit', async () => {
    const mail = await t.store.activities.create({ kind: 'email_in', subject: 'files' });
    const small = await t.store.attachments.add(mail.id, { filename: 'a.txt', contentType: 'text/plain', content: Buffer.from('hello') });
    const again = await t.store.attachments.add(mail.id, { filename: 'copy.txt', contentType: 'text/plain', content: Buffer.from('hello') });
    const big = await t.store.attachments.add(mail.id, { filename: 'big.bin', contentType: 'application/octet-stream', content: Buffer.alloc(2048, 1) });
    expect(small.sha256).toBe(again.sha256);
    expect(small).toMatchObject({ stored: true, size: 5 });
    expect(big).toMatchObject({ stored: false, size: 2048 });
    expect(await t.store.blobs.has(small.sha256)).toBe(true);
    expect(await t.store.blobs.has(big.sha256)).toBe(false);
    expect((await t.store.activities.require(mail.id)).attachments.map((attachment) => attachment.filename)).toEqual(['a.txt', 'copy.txt', 'big.bin']);
  });
});

describe('sync bookkeeping', () => {
  it('keeps status per pair and identity, with each side, origin, tombstone and pending intent', async () => {
    const entry = { pair: 'carddav:alice:CRM', identity: 'uid-1', crm: { ref: 'contact:con_1', version: '2026-01-01', hash: 'h1' }, remote: { ref: 'http://dav/alice/crm/1.vcf', version: '"etag1"', hash: 'h2' }, origin: 'crm' as const, tombstone: false, pending: 'create' as const };
    await t.store.syncStatus.put(entry);
    await t.store.syncStatus.put({ ...entry, pending: null, remote: { ...entry.remote, version: '"etag2"' } });
    expect(await t.store.syncStatus.get(entry.pair, 'uid-1')).toMatchObject({ pending: null, remote: { version: '"etag2"' }, origin: 'crm' });
    expect((await t.store.syncStatus.findByRemoteRef(entry.pair, 'http://dav/alice/crm/1.vcf'))?.identity).toBe('uid-1');
    expect((await t.store.syncStatus.findByCrmRef(entry.pair, 'contact:con_1'))?.identity).toBe('uid-1');
    await t.store.syncStatus.put({ ...entry, pair: 'carddav:alicex:CRM' });
    expect(await t.store.syncStatus.removeUnder('carddav:a%')).toBe(0);
    expect(await t.store.syncStatus.removeUnder('carddav:alice')).toBe(1);
    expect(await t.store.syncStatus.listPair('carddav:alicex:CRM')).toHaveLength(1);
  });

  it('stores cursors with big modseq values as strings', async () => {
    await t.store.syncCursors.put('imap:alice', 'INBOX', { uidValidity: 7, highestUid: 42, highestModseq: 18446744073709551615n });
    expect(await t.store.syncCursors.get('imap:alice', 'INBOX')).toEqual({ uidValidity: 7, highestUid: 42, highestModseq: '18446744073709551615' });
    await t.store.syncCursors.remove('imap:alice', 'INBOX');
    expect(await t.store.syncCursors.get('imap:alice', 'INBOX')).toBeUndefined();
  });
});
