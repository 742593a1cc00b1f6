// A pass deadline (sync.sourceDeadlineSeconds) must not kill honest progress for ever: a first
// import larger than one pass can carry is checkpointed page by page, so the passes that hit the
// deadline (TEMPORARY) each go on where the last one stopped, until one finishes, and nothing is
// imported twice. Against the real Dovecot; every UID page is slowed down a little so that the
// import takes several passes however fast the machine is.
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { ImapConnector } from '../../../adapters/imap/index.js';
import type { MailboxConnector, MailboxSession, MessageSummary } from '../../../src/ports/mail.js';
import { mailboxSpecOf, mailSyncDeps } from '../../../src/sync/mail/mail-runner.js';
import { syncMailbox } from '../../../src/sync/mail/mailbox-sync.js';
import type { SourceKind, SourceRunner } from '../../../src/ports/source.js';
import { runSource } from '../../../src/sync/run-once.js';
import { sourcesOf } from '../../../src/sync/sources.js';
import { createMailUsers } from '../../servers/users.js';
import { appendMessages, buildMessage, imapClient, mailConfig } from '../../support/mail.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';

const servers = inject('servers');
const log = pino({ level: 'silent' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The real connector, with 300 ms more per page of summaries (a slow but honest server). */
function slowPages(inner: MailboxConnector): MailboxConnector {
  return {
    async connect(settings, abort) {
      const session = await inner.connect(settings, abort);
      return new Proxy(session, {
        get(target, property) {
          if (property === 'summaries') {
            return async (...args: Parameters<MailboxSession['summaries']>): Promise<MessageSummary[]> => {
              await sleep(300);
              return target.summaries(...args);
            };
          }
          const value: unknown = Reflect.get(target, property, target);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
    },
  };
}

let t: TestStore;
beforeEach(async () => {
  t = await createTestStore();
});
afterEach(async () => t.close());

describe('a long first import under a pass deadline (real Dovecot)', () => {
  it('goes on from the last checkpoint at every pass until it is complete, without duplicates', async () => {
    const [box] = await createMailUsers(servers, ['deadline']);
    const client = await imapClient(servers, box!.username);
    const total = 300;
    await appendMessages(client, 'INBOX', Array.from({ length: total }, (_, i) => buildMessage({ subject: `Message ${i}` })));
    await client.logout();
    const config = mailConfig(servers, { shared: [{ id: 'support', address: box!.username, extra: { unknownSender: 'lead' } }] });
    const source = sourcesOf(config).find((entry) => entry.id === 'shared-mailbox:support')!;
    const deps = { ...mailSyncDeps(config, t.store, slowPages(new ImapConnector()), log), pageSize: 25 };
    const runner: SourceRunner = { kind: 'shared-mailbox', runOnce: (s, signal, abort) => syncMailbox(mailboxSpecOf(config, s), deps, signal, abort) };
    const runners = new Map<SourceKind, SourceRunner>([['shared-mailbox', runner]]);
    const count = async () => (await t.store.activities.list({}, { limit: 1000 })).items.length;

    // 12 pages of at least 300 ms each: more than one 1.5 s pass can do.
    const outcomes: Array<{ reached: boolean; code: string | undefined; imported: number }> = [];
    for (let pass = 0; pass < 20; pass += 1) {
      const result = await runSource(source, runners, t.store, log, new AbortController().signal, { limits: { deadlineMs: 1500, graceMs: 2000 } });
      outcomes.push({ reached: result.reached, code: result.error?.code, imported: await count() });
      if (result.reached) break;
    }
    const last = outcomes.at(-1)!;
    expect(last.reached).toBe(true);
    expect(last.imported).toBe(total);
    const cut = outcomes.filter((outcome) => !outcome.reached);
    expect(cut.length).toBeGreaterThan(0);
    expect(cut.every((outcome) => outcome.code === 'TEMPORARY')).toBe(true);
    // Every pass cut at its deadline had kept what it imported: the count never went back.
    for (let i = 1; i < outcomes.length; i += 1) expect(outcomes[i]!.imported).toBeGreaterThanOrEqual(outcomes[i - 1]!.imported);
    // The deadline was one problem, counted per cut pass, and the pass that got through resolved it.
    const deadline = (await t.store.syncErrors.list(50, { source: 'shared-mailbox:support', state: 'all' })).filter((error) => /sync\.sourceDeadlineSeconds/.test(error.message));
    expect(deadline).toEqual([expect.objectContaining({ code: 'TEMPORARY', count: cut.length, resolvedAt: expect.any(String) })]);
    expect(await t.store.syncErrors.recent(50, 'shared-mailbox:support')).toEqual([]);
  }, 120_000);
});
