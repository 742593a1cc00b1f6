import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configSchema, type Config } from '../../../src/config/schema.js';
import { hostileMessage, startHostileImap, type HostileImapServer } from '../../servers/hostile-imap.js';
import { createTestStore, type TestStore } from '../../support/memory-store.js';
import { syncSource } from '../../support/mail.js';

/**
 * Defect 4 of issue #12: a server that announces a UID (UID FETCH of flags and size, UID SEARCH)
 * but leaves it out of the body FETCH, or answers it without the body. The message must be recorded
 * as a per-item error with its folder and UID and imported on a later pass; after
 * `sync.maxItemAttempts` passes it is recorded as given up.
 */
let t: TestStore;
let server: HostileImapServer;
beforeEach(async () => {
  t = await createTestStore();
  server = await startHostileImap({ folders: { INBOX: [hostileMessage(1), hostileMessage(2), hostileMessage(3)] } });
});
afterEach(async () => {
  await server.close();
  await t.close();
});

function hostileConfig(maxItemAttempts = 5): Config {
  return configSchema.parse({
    sync: { maxItemAttempts },
    sharedMailboxes: [{ id: 'support', address: 'support@example.com', imap: { host: server.host, port: server.port, security: 'none', username: 'support@example.com', password: 'secret' } }],
  });
}

const subjects = async () => (await t.store.activities.list({}, { limit: 50 })).items.map((activity) => activity.subject).sort();
const isBodyFetch = (items: readonly string[]) => items.some((item) => item.startsWith('BODY.PEEK[') || item.startsWith('BODY['));

describe('a UID announced but not delivered (hostile IMAP server)', () => {
  for (const delivery of ['omit', 'without-body'] as const) {
    it(`records it with folder and UID and imports it on a later pass (${delivery})`, async () => {
      const config = hostileConfig();
      let withhold = true;
      server.behaviour.deliver = ({ uid, items }) => (withhold && uid === 2 && isBodyFetch(items) ? delivery : 'full');

      const first = await syncSource(t.store, config, 'shared-mailbox:support');
      expect(await subjects()).toEqual(['Message 1', 'Message 3']);
      expect(first.itemErrors).toBeGreaterThanOrEqual(1);
      const errors = await t.store.syncErrors.recent(20, 'shared-mailbox:support');
      expect(errors.some((error) => error.itemRef === 'INBOX;UIDVALIDITY=1;UID=2' && /announced UID 2 but its FETCH answer did not deliver/.test(error.message))).toBe(true);

      // A pass with nothing new still asks for it again.
      withhold = false;
      await syncSource(t.store, config, 'shared-mailbox:support');
      expect(await subjects()).toEqual(['Message 1', 'Message 2', 'Message 3']);
    });
  }

  it('gives up, clearly, after sync.maxItemAttempts passes, and the rest of the folder goes on', async () => {
    const config = hostileConfig(2);
    server.behaviour.deliver = ({ uid, items }) => (uid === 2 && isBodyFetch(items) ? 'omit' : 'full');
    await syncSource(t.store, config, 'shared-mailbox:support');
    await syncSource(t.store, config, 'shared-mailbox:support');
    const errors = await t.store.syncErrors.recent(50, 'shared-mailbox:support');
    expect(errors.some((error) => error.itemRef === 'INBOX;UIDVALIDITY=1;UID=2' && /given up after 2 attempts/.test(error.message))).toBe(true);

    // New mail after the stuck message still arrives, and the given-up message is not asked for again.
    server.folders.get('INBOX')!.push(hostileMessage(4));
    server.commands.length = 0;
    await syncSource(t.store, config, 'shared-mailbox:support');
    expect(await subjects()).toEqual(['Message 1', 'Message 3', 'Message 4']);
    const bodyFetches = server.commands.filter((command) => command.startsWith('UID FETCH') && command.includes('BODY.PEEK[]'));
    expect(bodyFetches.some((command) => /FETCH (\S*,)?2[,: ]/.test(command))).toBe(false);
  });
});

describe('a keyword added to a message the server then withholds (hostile IMAP server)', () => {
  it('records it and tracks it on a later pass', async () => {
    const config = configSchema.parse({
      users: [{ id: 'alice', name: 'Alice', email: 'alice@example.com', imap: { host: server.host, port: server.port, security: 'none', username: 'alice@example.com', password: 'secret' }, mail: { autoTrack: 'none' } }],
    });
    await syncSource(t.store, config, 'imap:alice');
    expect(await subjects()).toEqual([]);

    server.folders.get('INBOX')![0]!.flags = ['$CRM'];
    let withhold = true;
    server.behaviour.deliver = ({ uid, items }) => (withhold && uid === 1 && isBodyFetch(items) ? 'omit' : 'full');
    await syncSource(t.store, config, 'imap:alice');
    expect(await subjects()).toEqual([]);
    const errors = await t.store.syncErrors.recent(20, 'imap:alice');
    expect(errors.some((error) => error.itemRef === 'INBOX;UIDVALIDITY=1;UID=1' && /announced UID 1 but its FETCH answer did not deliver/.test(error.message))).toBe(true);

    withhold = false;
    await syncSource(t.store, config, 'imap:alice');
    expect(await subjects()).toEqual(['Message 1']);
  });
});
