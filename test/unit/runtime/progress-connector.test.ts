import { describe, expect, it } from 'vitest';
import { configSchema } from '../../../src/config/schema.js';
import { ProgressConnector } from '../../../src/runtime/progress-connector.js';
import type { FolderState, MailboxConnector, MailboxSession, MailServerSettings, MessageSummary } from '../../../src/ports/mail.js';
import { SourceStates } from '../../../src/sync/source-states.js';

const imap = { host: 'Mail.example.com', port: 143, security: 'none', username: 'Bob@example.com', password: 'pw' };

/** Just enough of a session: two folders, summaries in pages; a private field like the real one's. */
class FakeSession {
  readonly #folders = new Map([['INBOX', 6], ['Sent', 4]]);
  readonly capabilities = new Set<string>();
  async listFolders() {
    return [...this.#folders.keys()].map((path) => ({ path, delimiter: '/', specialUse: null, selectable: true }));
  }
  async openFolder(path: string): Promise<FolderState> {
    return { path, uidValidity: '1', uidNext: (this.#folders.get(path) ?? 0) + 1, highestModseq: null, messages: this.#folders.get(path) ?? 0, canStoreKeyword: () => true };
  }
  async summaries(_path: string, from: number, to: number): Promise<MessageSummary[]> {
    return Array.from({ length: to - from + 1 }, (_, index) => ({ uid: from + index }) as MessageSummary);
  }
  async close() {}
}

describe('mail pass progress for the status page', () => {
  it('reports messages looked at out of the messages in the folders opened, for the source whose server it is', async () => {
    const config = configSchema.parse({ users: [{ id: 'bob', name: 'Bob', email: 'bob@example.com', imap }] });
    const states = new SourceStates();
    const inner: MailboxConnector = { connect: async () => new FakeSession() as unknown as MailboxSession };
    const connector = new ProgressConnector(inner, states, config);
    states.started('imap:bob');
    const session = await connector.connect({ ...imap, host: 'mail.example.com', username: 'bob@example.com', security: 'none', allowInsecureTls: false } as MailServerSettings);
    expect((await session.listFolders()).map((folder) => folder.path)).toEqual(['INBOX', 'Sent']);
    await session.openFolder('INBOX');
    expect(states.get('imap:bob')?.progress).toEqual({ done: 0, total: 6 });
    await session.summaries('INBOX', 1, 4);
    expect(states.get('imap:bob')?.progress).toEqual({ done: 4, total: 6 });
    await session.summaries('INBOX', 5, 6);
    await session.openFolder('Sent');
    await session.summaries('Sent', 1, 4);
    expect(states.get('imap:bob')?.progress).toEqual({ done: 10, total: 10 });
    states.finished({ source: 'imap:bob', reached: true, changed: 0, itemErrors: 0 });
    expect(states.get('imap:bob')).toMatchObject({ state: 'idle', progress: null, runs: 1 });
  });

  it('leaves sessions of servers no source uses as they are', async () => {
    const states = new SourceStates();
    const session = new FakeSession() as unknown as MailboxSession;
    const connector = new ProgressConnector({ connect: async () => session }, states, configSchema.parse({}));
    expect(await connector.connect({ ...imap, security: 'none', allowInsecureTls: false } as MailServerSettings)).toBe(session);
  });
});
