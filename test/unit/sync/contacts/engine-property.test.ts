// Property test of the contacts engine over the in-memory DAV server (test/support/memory-dav.ts):
// whatever the CRM and the client do between passes (create, edit, delete on either side), with
// PUT answers lost after the server stored them, two quiet passes later both sides hold the same
// contacts, none twice (by vCard UID and by CRM id), each with the right name, and a further pass
// changes nothing. The ownership rules decide what "the same" means: a card deleted in the client
// leaves its CRM contact in place (tombstone), and a card made in the client stays there when its
// CRM contact is deleted.
import fc from 'fast-check';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { contactFieldKeys } from '../../../../src/contacts/card-fields.js';
import { isBridgeError } from '../../../../src/domain/errors.js';
import { syncAddressBook, type ContactSyncSpec } from '../../../../src/sync/contacts/address-book-sync.js';
import { davPair } from '../../../../src/sync/engine/keys.js';
import type { DavObject } from '../../../../src/ports/dav.js';
import { MemoryDav } from '../../../support/memory-dav.js';
import { createTestStore, type TestStore } from '../../../support/memory-store.js';

type Op =
  | { op: 'crm-create'; name: string }
  | { op: 'crm-edit'; pick: number; name: string }
  | { op: 'crm-delete'; pick: number }
  | { op: 'client-create'; name: string }
  | { op: 'client-edit'; pick: number; name: string }
  | { op: 'client-delete'; pick: number }
  /** A client edit or deletion that lands while the next pass runs, just before one of its writes. */
  | { op: 'client-races'; pick: number; name: string; remove: boolean }
  | { op: 'sync' };

const name = fc.stringMatching(/^[A-Za-z][A-Za-z ]{0,11}[A-Za-z]$/);
const pick = fc.nat(50);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('crm-create' as const), name }),
  fc.record({ op: fc.constant('crm-edit' as const), pick, name }),
  fc.record({ op: fc.constant('crm-delete' as const), pick }),
  fc.record({ op: fc.constant('client-create' as const), name }),
  fc.record({ op: fc.constant('client-edit' as const), pick, name }),
  fc.record({ op: fc.constant('client-delete' as const), pick }),
  fc.record({ op: fc.constant('client-races' as const), pick, name, remove: fc.boolean() }),
  fc.constant({ op: 'sync' as const }),
);

const spec: ContactSyncSpec = {
  sourceId: 'carddav:alice',
  userId: 'alice',
  server: { url: 'https://dav.test/', username: 'alice', password: 'x' },
  addressBook: 'CRM',
  direction: 'two-way',
  filter: { owned: true, accounts: true, where: [] },
  fields: [...contactFieldKeys],
  phoneRegion: null,
  maxCardBytes: 1024 * 1024,
};
const pair = davPair('contacts', 'alice');

function vcard(uid: string, fn: string, email: string): string {
  return ['BEGIN:VCARD', 'VERSION:3.0', `UID:${uid}`, `FN:${fn}`, `N:${fn};;;;`, `EMAIL;TYPE=INTERNET:${email}`, 'END:VCARD', ''].join('\r\n');
}

const unfolded = (data: string) => data.replace(/\r\n[ \t]/g, '');
const fnOf = (data: string) => /^FN(?:;[^:]*)?:(.*?)\r?$/m.exec(unfolded(data))![1]!;
const uidOf = (data: string) => /^UID(?:;[^:]*)?:(.*?)\r?$/m.exec(unfolded(data))![1]!;
const samePath = (a: string, b: string) => new URL(a).pathname === new URL(b).pathname;

let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
  await t.store.users.upsert({ id: 'alice', name: 'Alice', email: 'alice@example.com' });
});
afterEach(async () => t.close());

describe('contacts engine (in-memory server)', () => {
  it('converges without duplicates whatever happens between passes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), fc.integer({ min: 0, max: 2 ** 31 }), fc.boolean(), async (ops, seed, xandikos) => {
        for (const table of ['sync_status', 'sync_cursors', 'sync_errors', 'sync_base'] as const) await t.store.db.deleteFrom(table).execute();
        await t.store.db.deleteFrom('contacts').execute();
        const dav = new MemoryDav();
        dav.seed(seed);
        // Half the runs on a server that forgets cards created and deleted after a token (Xandikos).
        dav.forgetsCreatedThenDeleted = xandikos;
        dav.lostAnswers = 0.25;
        const deps = { store: t.store, connector: dav, log: pino({ level: 'silent' }) };
        const run = () => syncAddressBook(spec, deps, new AbortController().signal);
        // A lost answer is a TEMPORARY failure: it ends the pass (the source backs off), and the
        // next pass completes what it left.
        const tolerantRun = () => run().catch((error: unknown) => {
          if (!isBridgeError(error) || error.code !== 'TEMPORARY') throw error;
        });
        // A contact that stays, so the CRM never "suddenly selects nothing" (that is held on purpose).
        await t.store.contacts.create({ displayName: 'Anchor', emails: ['anchor@x.example'], owner: 'alice' });
        dav.lostAnswers = 0;
        await run();
        dav.lostAnswers = 0.25;
        const book = [...dav.collections.keys()][0]!;
        let counter = 0;
        /** vCard UIDs whose card the client deleted: their CRM contacts may stay without a card (ownership rules). */
        const clientDeleted = new Set<string>();
        /** CRM contacts deleted in the CRM. */
        const crmDeleted = new Set<string>();
        const clientDelete = (target: DavObject) => {
          clientDeleted.add(uidOf(target.data));
          dav.delete(target.href);
        };
        for (const step of ops) {
          const crm = (await t.store.contacts.list({ owner: 'alice' }, { limit: 100 })).items.filter((c) => c.displayName !== 'Anchor');
          const remote = dav.objects(book).filter((object) => fnOf(object.data) !== 'Anchor');
          switch (step.op) {
            case 'crm-create':
              counter += 1;
              await t.store.contacts.create({ displayName: step.name, emails: [`crm-${counter}@x.example`], owner: 'alice' });
              break;
            case 'crm-edit':
              if (crm.length > 0) await t.store.contacts.update(crm[step.pick % crm.length]!.id, { displayName: step.name });
              break;
            case 'crm-delete':
              if (crm.length > 0) {
                const target = crm[step.pick % crm.length]!;
                crmDeleted.add(target.id);
                await t.store.contacts.delete(target.id);
              }
              break;
            case 'client-create':
              counter += 1;
              dav.write(`${book}client-${counter}.vcf`, vcard(`client-${counter}`, step.name, `client-${counter}@x.example`));
              break;
            case 'client-edit':
              if (remote.length > 0) {
                const target = remote[step.pick % remote.length]!;
                dav.write(target.href, unfolded(target.data).replace(/^FN(?:;[^:]*)?:.*$/m, `FN:${step.name}`));
              }
              break;
            case 'client-delete':
              if (remote.length > 0) clientDelete(remote[step.pick % remote.length]!);
              break;
            case 'client-races':
              dav.beforeBridgeWrite.push(() => {
                const now = dav.objects(book).filter((object) => fnOf(object.data) !== 'Anchor');
                if (now.length === 0) return;
                const target = now[step.pick % now.length]!;
                if (step.remove) clientDelete(target);
                else dav.write(target.href, unfolded(target.data).replace(/^FN(?:;[^:]*)?:.*$/m, `FN:${step.name}`));
              });
              break;
            case 'sync':
              await tolerantRun();
              // What the pass did not reach stays undone.
              dav.beforeBridgeWrite.length = 0;
              break;
          }
        }
        dav.lostAnswers = 0;
        dav.beforeBridgeWrite.length = 0;
        await run();
        await run();
        expect(await run()).toEqual({ changed: 0, itemErrors: 0 });

        const contacts = (await t.store.contacts.list({ owner: 'alice' }, { limit: 100 })).items;
        const cards = dav.objects(book);
        const statuses = await t.store.syncStatus.listPair(pair);
        // None twice: one card per vCard UID, one status row per CRM contact.
        const uids = cards.map((card) => uidOf(card.data));
        expect(new Set(uids).size).toBe(uids.length);
        const linkedIds = statuses.flatMap((entry) => (entry.crm.ref === null ? [] : [entry.crm.ref]));
        expect(new Set(linkedIds).size).toBe(linkedIds.length);
        // Every card stands for one CRM contact with its name, or (made in the client, its contact
        // deleted in the CRM) stays in the client unsynced.
        for (const card of cards) {
          const status = statuses.find((entry) => entry.identity === uidOf(card.data));
          expect(status, `status of card ${fnOf(card.data)}`).toBeDefined();
          if (status!.tombstone) {
            expect(status!.origin).toBe('remote');
            expect(crmDeleted.has(status!.crm.ref!), `card ${fnOf(card.data)} unsynced although its contact exists`).toBe(true);
            continue;
          }
          const contact = contacts.find((c) => c.id === status!.crm.ref);
          expect(contact, `contact of card ${fnOf(card.data)}`).toBeDefined();
          expect(samePath(status!.remote.ref!, card.href)).toBe(true);
          expect(fnOf(card.data)).toBe(contact!.displayName);
        }
        // Every CRM contact has its card, unless the client deleted that card.
        for (const contact of contacts) {
          const status = statuses.find((entry) => entry.crm.ref === contact.id);
          expect(status, `status of ${contact.displayName}`).toBeDefined();
          if (status!.tombstone) {
            expect(clientDeleted.has(status!.identity), `${contact.displayName} lost its card without a client deletion`).toBe(true);
            continue;
          }
          const card = cards.find((entry) => uidOf(entry.data) === status!.identity);
          expect(card, `card of ${contact.displayName}`).toBeDefined();
        }
      }),
      { numRuns: 300 },
    );
  }, 120_000);
});
