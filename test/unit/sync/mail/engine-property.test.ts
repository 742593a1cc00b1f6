// Property test of the mail engine over in-memory IMAP servers (test/support/memory-imap.ts): two
// personal mailboxes and a shared one receive mail from one small pool of messages (so the same
// Message-ID lands in several places), their users move, delete, flag and unflag it, the CRM deletes
// and reassigns activities, folders are recreated (new UIDVALIDITY), and any pass may die at any
// session call, also after the server applied a STORE or MOVE whose answer was lost, or be told to
// stop there (shutdown, the pass deadline). Over servers with QRESYNC, CONDSTORE alone or neither,
// and a shared mailbox that marks what it imported with a keyword or moves it away. Whatever
// happened: no Message-ID ever has two activities; once the faults stop, two passes settle
// everything and a third changes nothing and writes nothing to the servers; every place that still
// tracks a message holds an activity with that place among its sources (untracking one place never
// deleted what another still holds); and every tracked message carries its mark.
import fc from 'fast-check';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isBridgeError } from '../../../../src/domain/errors.js';
import { messageRef, syncMailbox, trackedKeyword, type MailboxSpec, type MailSyncDeps } from '../../../../src/sync/mail/mailbox-sync.js';
import { MemoryImap } from '../../../support/memory-imap.js';
import { createTestStore, type TestStore } from '../../../support/memory-store.js';

const users = [
  { id: 'alice', name: 'Alice', email: 'alice@example.com' },
  { id: 'bob', name: 'Bob', email: 'bob@example.com' },
];
const trackingKeyword = '$CRM';
const processedKeyword = '$CRMProcessed';
const server = { host: 'memory', port: 143, security: 'none' as const, username: 'x', password: 'x', allowInsecureTls: false };

function personalSpec(user: (typeof users)[number]): MailboxSpec {
  return {
    sourceId: `imap:${user.id}`,
    mailbox: 'personal',
    ownerId: user.id,
    ownerEmail: user.email,
    queue: null,
    server,
    personal: { trackedFolders: ['CRM'], trackingKeyword, autoTrack: 'none', extraFolders: [], createContacts: false },
  };
}

/** A shared mailbox marks what it imported with a keyword, or moves it out of INBOX. */
type SharedMode = 'keyword' | 'move';

const sharedSpec = (mode: SharedMode): MailboxSpec => ({
  sourceId: 'shared-mailbox:support',
  mailbox: 'shared',
  ownerId: null,
  ownerEmail: null,
  queue: 'support',
  server,
  shared: { folders: ['INBOX'], unknownSender: 'unresolved', processed: mode === 'keyword' ? { keyword: processedKeyword } : { moveTo: 'Processed' } },
});

const pool = Array.from({ length: 3 }, (_, index) => ({ id: `<pool-${index}@customer.example>`, source: message(index) }));

function message(index: number): Buffer {
  return Buffer.from(
    [
      `From: Customer ${index} <customer${index}@customer.example>`,
      'To: alice@example.com, bob@example.com, support@example.com',
      `Subject: Question ${index}`,
      `Date: Mon, 05 Jan 2026 09:0${index}:00 +0000`,
      `Message-ID: <pool-${index}@customer.example>`,
      'MIME-Version: 1.0',
      'Content-Type: text/plain; charset=utf-8',
      '',
      `Body of question ${index}.`,
      '',
    ].join('\r\n'),
  );
}

const personalFolders = ['INBOX', 'CRM', 'Archive', 'Trash'] as const;
const box = fc.nat(2);
const pick = fc.nat(40);
type Op =
  | { op: 'arrive'; boxes: number[]; folder: number; msg: number; keyword: boolean }
  | { op: 'move'; box: number; pick: number; to: number }
  | { op: 'expunge'; box: number; pick: number }
  | { op: 'keyword'; box: number; pick: number; add: boolean }
  | { op: 'crm-delete'; pick: number }
  | { op: 'crm-reassign'; pick: number }
  | { op: 'crm-account' }
  | { op: 'recreate'; box: number; folder: number }
  | { op: 'sync'; box: number; fault: { atCall: number; how: Interruption } | null };

/**
 * How a pass is interrupted at a session call: the connection drops before the call reaches the
 * server, or after the server applied it (a lost answer), or the pass is told to stop (shutdown,
 * the pass deadline) and ends at the next page.
 */
type Interruption = 'connection-lost' | 'answer-lost' | 'stopped';

const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('arrive' as const), boxes: fc.subarray([0, 1, 2], { minLength: 1 }), folder: fc.nat(4), msg: fc.nat(pool.length - 1), keyword: fc.boolean() }), weight: 6 },
  { arbitrary: fc.record({ op: fc.constant('move' as const), box, pick, to: fc.nat(4) }), weight: 4 },
  { arbitrary: fc.record({ op: fc.constant('expunge' as const), box, pick }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('keyword' as const), box, pick, add: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('crm-delete' as const), pick }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('crm-reassign' as const), pick }), weight: 1 },
  { arbitrary: fc.constant({ op: 'crm-account' as const }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('recreate' as const), box, folder: fc.nat(4) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('sync' as const), box, fault: fc.option(fc.record({ atCall: fc.integer({ min: 1, max: 12 }), how: fc.constantFrom<Interruption>('connection-lost', 'answer-lost', 'stopped') }), { nil: null }) }), weight: 5 },
);

let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
  for (const user of users) await t.store.users.upsert(user);
});
afterEach(async () => t.close());

interface Mailbox {
  spec: MailboxSpec;
  imap: MemoryImap;
}

/** What the servers offer: CONDSTORE with QRESYNC (RFC 7162), CONDSTORE alone, or neither (flags and UIDs compared). */
type ServerKind = 'qresync' | 'condstore' | 'plain';

function newMailboxes(kind: ServerKind, sharedMode: SharedMode): Mailbox[] {
  const withCapabilities = (imap: MemoryImap) => {
    if (kind !== 'qresync') imap.capabilities.delete('QRESYNC');
    if (kind === 'plain') imap.capabilities.delete('CONDSTORE');
    return imap;
  };
  const personal = () => withCapabilities(new MemoryImap([{ path: 'INBOX' }, { path: 'Archive', specialUse: '\\Archive' }, { path: 'Trash', specialUse: '\\Trash' }]));
  return [
    { spec: personalSpec(users[0]!), imap: personal() },
    { spec: personalSpec(users[1]!), imap: personal() },
    { spec: sharedSpec(sharedMode), imap: withCapabilities(new MemoryImap([{ path: 'INBOX' }])) },
  ];
}

/** The folders a user files mail into (a shared mailbox has only INBOX). */
function foldersOf(mailbox: Mailbox): string[] {
  if (mailbox.spec.mailbox === 'shared') return ['INBOX'];
  return [...mailbox.imap.folders.keys()].filter((path) => personalFolders.includes(path as never) || path.startsWith('CRM/'));
}

/** Every message of a mailbox, with where it is. */
function placesOf(mailbox: Mailbox): Array<{ folder: string; uid: number; flags: string[]; messageId: string | null }> {
  return [...mailbox.imap.folders.keys()].flatMap((folder) => mailbox.imap.messages(folder).map((entry) => ({ folder, ...entry })));
}

/** Does the engine, by its rules, track this place? Tracked folders (and below), $CRM in INBOX, every shared message. */
function tracks(mailbox: Mailbox, folder: string, flags: readonly string[]): boolean {
  if (mailbox.spec.mailbox === 'shared') return folder === 'INBOX';
  if (folder === 'CRM' || folder.startsWith('CRM/')) return true;
  return folder === 'INBOX' && flags.includes(trackingKeyword);
}

async function activities() {
  return (await t.store.activities.list({}, { limit: 500 })).items;
}

async function expectNoMessageIdTwice(): Promise<void> {
  const ids = (await activities()).map((activity) => activity.messageId);
  expect(ids.filter((id, index) => ids.indexOf(id) !== index), 'Message-IDs with two activities').toEqual([]);
}

function deps(mailbox: Mailbox): MailSyncDeps {
  return {
    store: t.store,
    connector: mailbox.imap,
    log: pino({ level: 'silent' }),
    users: users.map(({ id, email }) => ({ id, email })),
    maxItemAttempts: 3,
    // Small pages and batches: several checkpoints and transactions per folder, to be interrupted between.
    pageSize: 2,
    batchBytes: 600,
    correlation: { domain: 'example.com', messageIdKey: t.store.box.derivedKey('message-id'), token: { enabled: false, prefix: 'CRM' }, smart: { enabled: false, minParticipants: 2, windowDays: 30 } },
  };
}

async function pass(mailbox: Mailbox, signal = new AbortController().signal) {
  return syncMailbox(mailbox.spec, deps(mailbox), signal);
}

describe('mail engine (in-memory IMAP)', () => {
  it('imports nothing twice, settles in two passes, and untracking one place keeps what another holds, whatever happens between and during passes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 10, maxLength: 30 }), fc.constantFrom<ServerKind>('qresync', 'condstore', 'plain'), fc.constantFrom<SharedMode>('keyword', 'move'), async (ops, kind, sharedMode) => {
        await t.store.db.deleteFrom('activities').execute();
        for (const table of ['mail_messages', 'mail_folder_links', 'sync_cursors', 'sync_errors', 'accounts'] as const) await t.store.db.deleteFrom(table).execute();
        const mailboxes = newMailboxes(kind, sharedMode);
        for (const mailbox of mailboxes) await pass(mailbox); // creates CRM
        /** Message-IDs whose activity the CRM deleted: their places are untracked on purpose. */
        const deletedInCrm = new Set<string>();
        let accounts = 0;
        for (const step of ops) {
          const mailbox = mailboxes['box' in step ? step.box : 0]!;
          const folders = foldersOf(mailbox);
          const places = placesOf(mailbox);
          const crm = await activities();
          switch (step.op) {
            case 'arrive':
              // One message to several recipients: the same Message-ID in several mailboxes.
              for (const index of step.boxes) {
                const into = foldersOf(mailboxes[index]!);
                mailboxes[index]!.imap.deliver(into[step.folder % into.length]!, pool[step.msg]!.source, step.keyword ? [trackingKeyword] : []);
              }
              break;
            case 'move': {
              const place = places[step.pick % Math.max(1, places.length)];
              if (place) mailbox.imap.moveMessage(place.folder, place.uid, folders[step.to % folders.length]!);
              break;
            }
            case 'expunge': {
              const place = places[step.pick % Math.max(1, places.length)];
              if (place) mailbox.imap.expunge(place.folder, place.uid);
              break;
            }
            case 'keyword': {
              const place = places[step.pick % Math.max(1, places.length)];
              if (place) mailbox.imap.setFlags(place.folder, place.uid, step.add ? { add: [trackingKeyword] } : { remove: [trackingKeyword] });
              break;
            }
            case 'crm-delete': {
              const activity = crm[step.pick % Math.max(1, crm.length)];
              if (activity) {
                deletedInCrm.add(activity.messageId!);
                await t.store.activities.delete(activity.id);
              }
              break;
            }
            case 'crm-reassign': {
              const activity = crm[step.pick % Math.max(1, crm.length)];
              if (activity) await t.store.activities.update(activity.id, { owner: activity.owner === 'alice' ? 'bob' : 'alice' });
              break;
            }
            case 'crm-account':
              if (accounts < 2) await t.store.accounts.create({ name: `Acme ${(accounts += 1)}`, owner: 'alice' });
              break;
            case 'recreate':
              mailbox.imap.recreate(folders[step.folder % folders.length]!);
              break;
            case 'sync': {
              const atCall = mailbox.imap.calls + (step.fault?.atCall ?? 0);
              const stop = new AbortController();
              if (step.fault?.how === 'stopped') mailbox.imap.onCall = (calls) => calls === atCall && stop.abort();
              else if (step.fault) mailbox.imap.fault = { failAtCall: atCall, afterApplying: step.fault.how === 'answer-lost' };
              try {
                await pass(mailbox, stop.signal);
              } catch (error) {
                // Only the injected connection loss may end a pass.
                if (!(isBridgeError(error) && error.code === 'TEMPORARY')) throw error;
              }
              mailbox.imap.fault = null;
              mailbox.imap.onCall = null;
              await expectNoMessageIdTwice();
              break;
            }
          }
        }

        for (let round = 0; round < 2; round += 1) for (const mailbox of mailboxes) await pass(mailbox);
        await expectNoMessageIdTwice();
        const settled = JSON.stringify(await activities());
        const writes = mailboxes.map((mailbox) => mailbox.imap.writes);
        for (const mailbox of mailboxes) {
          const calls = mailbox.imap.log.length;
          expect(await pass(mailbox), `third pass of ${mailbox.spec.sourceId}`).toMatchObject({ changed: 0, itemErrors: 0 });
          // RFC 7162 §3.1.2.1: with CONDSTORE an unchanged folder costs its SELECT and nothing more;
          // without it, the flags and UIDs are read and compared.
          const quiet = kind === 'plain' ? ['listFolders', 'openFolder', 'summaries', 'allUids'] : ['listFolders', 'openFolder'];
          expect([...new Set(mailbox.imap.log.slice(calls))].filter((call) => !quiet.includes(call)), `calls of the third pass of ${mailbox.spec.sourceId}`).toEqual([]);
        }
        expect(mailboxes.map((mailbox) => mailbox.imap.writes), 'server writes of a quiet pass').toEqual(writes);
        expect(JSON.stringify(await activities()), 'activities after a quiet pass').toBe(settled);

        const byMessageId = new Map((await activities()).map((activity) => [activity.messageId, activity]));
        for (const mailbox of mailboxes) {
          for (const place of placesOf(mailbox)) {
            if (mailbox.spec.mailbox === 'shared' && sharedMode === 'move') {
              const where = `${mailbox.spec.sourceId} ${place.folder} UID ${place.uid} (${place.messageId})`;
              if (place.folder === 'INBOX') expect(deletedInCrm.has(place.messageId!), `${where} is still in INBOX (processed: moveTo)`).toBe(true);
              else if (!deletedInCrm.has(place.messageId!)) expect(byMessageId.get(place.messageId), `activity of ${where}`).toBeDefined();
              continue;
            }
            if (!place.messageId || deletedInCrm.has(place.messageId) || !tracks(mailbox, place.folder, place.flags)) continue;
            const where = `${mailbox.spec.sourceId} ${place.folder} UID ${place.uid} (${place.messageId})`;
            const activity = byMessageId.get(place.messageId);
            expect(activity, `activity of ${where}`).toBeDefined();
            const ref = messageRef(place.folder, String(mailbox.imap.folder(place.folder).uidValidity), place.uid);
            expect(activity!.sources.map((source) => `${source.sourceId} ${source.ref}`), `sources of ${where}`).toContain(`${mailbox.spec.sourceId} ${ref}`);
            expect(place.flags, `mark of ${where}`).toContain(mailbox.spec.mailbox === 'shared' ? processedKeyword : trackedKeyword);
          }
        }
      }),
      {
        numRuns: 80,
        examples: [
          // Found by CI (seed 1214423177): a pass dies after recording bob's INBOX UID 2 as seen but
          // before its cursor covers it; bob then sets $CRM on it. The next pass met the row as a new
          // UID, "repaired" it and moved the cursor's mod-sequence past the change: never imported.
          [
            [
              { op: 'arrive', boxes: [1], folder: 0, msg: 0, keyword: true },
              { op: 'arrive', boxes: [1, 2], folder: 0, msg: 0, keyword: false },
              { op: 'sync', box: 1, fault: { atCall: 6, how: 'connection-lost' } },
              { op: 'move', box: 1, pick: 0, to: 1 },
              { op: 'keyword', box: 1, pick: 0, add: true },
              { op: 'sync', box: 0, fault: null },
            ],
            'qresync',
            'keyword',
          ],
        ],
      },
    );
  }, 300_000);
});
